/** Reads the instance config out of a Pulumi stack config file (`stacks/Pulumi.NAME.yaml`). */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEY } from "./schema";
import { ConfigError } from "./validate";

/** The repository root (where Pulumi.yaml and stacks/ live). */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export function stackFilePath(stack: string): string {
  return path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

/** The stack name a config file belongs to: `Pulumi.NAME.yaml` -> NAME. */
export function stackNameOf(file: string): string {
  const m = path.basename(file).match(/^Pulumi\.(.+)\.ya?ml$/);
  return m ? m[1] : path.basename(file).replace(/\.ya?ml$/, "");
}

/** The raw (unvalidated) value of `zipnet-infra:instance` in a stack file. */
export function readStackConfig(file: string): unknown {
  if (!existsSync(file)) {
    throw new ConfigError([{ path: file, expected: "a stack config file", found: "no such file" }]);
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError([{ path: file, expected: "valid YAML", found: (err as Error).message.split("\n")[0] }]);
  }
  const config = (doc as { config?: Record<string, unknown> } | null)?.config;
  if (!config || typeof config !== "object") {
    throw new ConfigError([{ path: `${file}: config`, expected: `a config: section holding ${CONFIG_KEY}`, found: doc }]);
  }
  return config[CONFIG_KEY];
}
