#!/usr/bin/env node
// `npm run infra -- ...`: rebuilds dist/ when a source changed, then runs the compiled CLI.
"use strict";
try {
  require("../scripts/build").ensureBuilt();
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
require("../dist/src/cli/main").runCli(process.argv.slice(2));
