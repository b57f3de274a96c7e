/**
 * Entry point for `pulumi up` / `pulumi preview`: one zipnet instance per stack, from the
 * structured config key `zipnet-infra:instance` (see src/program.ts).
 */
import { main } from "./program";

export = main();
