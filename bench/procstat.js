// Preloaded (NODE_OPTIONS=--require) into every Node process of a measured run: the CLI, the
// program under cmd/run and the pack under cmd/run-policy-pack inherit it, and the floor. At exit
// each appends its role, lifetime, CPU time and peak RSS to $ZIPNET_BENCH_PROCSTAT. Plain
// JavaScript: it loads before anything else.
"use strict";
const fs = require("node:fs");
/** A process's role in a plan, from its argv: the pack, the program, the floor, else the CLI. */
function roleOf(argv) {
  const line = argv.join(" ");
  return /cmd[\\/]run-policy-pack/.test(line) ? "pack" : /cmd[\\/]run\b/.test(line) ? "program" : /bench[\\/]floor\.js/.test(line) ? "floor" : "cli";
}
module.exports = { roleOf };

const out = process.env.ZIPNET_BENCH_PROCSTAT;
if (out) {
  const role = roleOf(process.argv);
  let written = false;
  const record = () => {
    if (written) return;
    written = true;
    const cpu = process.cpuUsage();
    const line = {
      role,
      pid: process.pid,
      lifetimeMs: Math.round(process.uptime() * 1000),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      peakMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    fs.appendFileSync(out, `${JSON.stringify(line)}\n`);
  };
  process.on("exit", record);
  // The CLI ends the pack with SIGTERM, which skips "exit": record, then exit as the signal would.
  process.once("SIGTERM", () => {
    record();
    process.exit(143);
  });
}
