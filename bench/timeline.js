// Preloaded (NODE_OPTIONS=--require) into the processes of one profiled plan (npm run bench --
// --profile): when each process reaches the milestones of its start (its runner loaded, the
// program's or pack's entry, @pulumi/pulumi, its exit), appended to $ZIPNET_BENCH_TIMELINE as
// JSON lines, in ms since the process started. Plain JavaScript: it loads before anything else.
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const out = process.env.ZIPNET_BENCH_TIMELINE;
if (out) {
  const role = require("./procstat").roleOf(process.argv);
  const mark = (what) => fs.appendFileSync(out, `${JSON.stringify({ role, at: Math.round(performance.now()), mark: what })}\n`);
  /** Requests whose first load is a milestone: the runners' own run.js, the entries, the SDK's index, the policy SDK. */
  const milestones = [
    [/^\.\/run$/, "runner's run.js"],
    [/dist[\\/]src[\\/]index(\.js)?$/, "the program's entry (dist/src/index.js)"],
    [/^\/.*[\\/]policies$/, "the pack's entry (policies/)"],
    [/^\.\.\/dist\/src\/cli\/main$/, "the CLI's main"],
    [/^@pulumi\/pulumi$/, "@pulumi/pulumi"],
    [/^@pulumi\/policy$/, "@pulumi/policy"],
    [/^typescript$/, "typescript (the runner's ts-node)"],
    [/^\.\/engine\/programProcess$/, "the engine's gRPC server"],
  ];
  const seen = new Set();
  const load = Module._load;
  Module._load = function (request) {
    const hit = milestones.find(([re]) => re.test(request));
    if (!hit || seen.has(hit[1])) return load.apply(this, arguments);
    seen.add(hit[1]);
    mark(`${hit[1]}: loading`);
    try {
      return load.apply(this, arguments);
    } finally {
      mark(`${hit[1]}: loaded`);
    }
  };
  mark("started");
  process.on("exit", () => mark("exit"));
  process.once("SIGTERM", () => {
    mark("SIGTERM (the CLI closes the pack)");
    process.exit(143);
  });
}
