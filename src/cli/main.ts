/**
 * `npm run infra -- <command>`: the offline main job. No Pulumi CLI, no credentials, no network.
 *
 *   plan  --stack NAME | --config-file PATH  [--json FILE]
 *
 * Exit codes: 0 valid, 1 mandatory policy violations, 2 usage, config or input errors.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { readStackConfig, stackFilePath, stackNameOf } from "../config/stackFile";
import { ConfigError, parseInstanceConfig } from "../config/validate";
import { planInstance, summarize } from "../offline/plan";

export const EXIT_OK = 0;
export const EXIT_VIOLATIONS = 1;
export const EXIT_USAGE = 2;

/** A user error: printed as one message, exit 2. */
export class UsageError extends Error {}

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

interface PlanOptions {
  stack?: string;
  configFile?: string;
  json?: string;
}

async function plan(opts: PlanOptions): Promise<number> {
  if (!opts.stack === !opts.configFile) throw new UsageError("plan needs exactly one of --stack NAME or --config-file PATH");
  const file = opts.configFile ? path.resolve(opts.configFile) : stackFilePath(opts.stack!);
  const stack = opts.stack ?? stackNameOf(file);
  const config = parseInstanceConfig(readStackConfig(file));
  const result = await planInstance(config, stack);
  process.stdout.write(`${summarize(result)}\n`);
  if (opts.json) {
    writeJson(opts.json, result.state);
    process.stdout.write(`\nplan written to ${opts.json}\n`);
  }
  return EXIT_OK;
}

export function buildCli(): Command {
  const cli = new Command("infra")
    .description("zipnet-infra offline jobs: plan and audit zipnet instances without the Pulumi CLI or credentials")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  cli
    .command("plan")
    .description("run the program for one stack under the mock engine and summarize what it builds")
    .option("--stack <name>", "stack name: reads stacks/Pulumi.<name>.yaml")
    .option("--config-file <path>", "any stack config file")
    .option("--json <file>", "write the plan in `pulumi stack export` shape (secrets redacted)")
    .action(async (opts: PlanOptions) => {
      process.exitCode = await plan(opts);
    });
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(3);
    },
  );
}
