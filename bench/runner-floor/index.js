// The runner's floor (bench/README.md): what `pulumi preview` costs a program that loads the
// floor's modules (bench/floor.js) and registers nothing but the stack the runner registers.
"use strict";
const { FLOOR_MODULES } = require("../floor");

for (const m of FLOOR_MODULES) require(m);
