// @ts-nocheck -- plain JavaScript (see below), so that Node can preload it without tsx.
// Required (NODE_OPTIONS=--require) into processes the bench profiles but cannot start with
// --cpu-prof (a policy pack is spawned by the audit, and NODE_OPTIONS refuses --cpu-prof):
// profiles the process through the inspector and writes <BENCH_PROFILE_DIR>/CPU.<pid>.cpuprofile
// when it exits, SIGTERM included. Plain JavaScript on purpose: Node loads it with or without tsx.
const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const inspector = require("node:inspector");
  const fs = require("node:fs");
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post("Profiler.stop", (err, res) => {
      if (!err) fs.writeFileSync(`${dir}/CPU.${process.pid}.cpuprofile`, JSON.stringify(res.profile));
    });
  };
  process.on("exit", write);
  process.on("SIGTERM", () => {
    write();
    process.exit(0);
  });
}
