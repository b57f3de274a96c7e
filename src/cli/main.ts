/**
 * `npm run infra -- <command>`: the offline main job. No Pulumi CLI, no credentials, no network.
 *
 *   plan  --stack NAME | --config-file PATH  [--json FILE] [--audit-json FILE] [--no-audit]
 *   audit --state FILE [--state FILE ...]  [--json FILE] [--policy-pack DIR]
 *
 * `plan` builds the plan under the mock engine and audits it in memory (the policy pack sees
 * the real secret values; only the redacted plan is ever written). `audit` judges `pulumi stack
 * export` or `plan --json` files with the policy pack, over the Analyzer protocol, plus the
 * cross-instance checks.
 *
 * Exit codes: 0 valid, 1 mandatory policy violations, 2 usage, config or input errors.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { readStackConfig, stackFilePath, stackNameOf } from "../config/stackFile";
import { ConfigError, parseInstanceConfig } from "../config/validate";
import { PolicyPackStartError } from "../offline/analyzer";
import { AuditInputError, auditJson, auditPlan, auditStates, asStateFile, formatAudit, mandatoryCount, type AuditResult } from "../offline/audit";
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

function auditExit(result: AuditResult): number {
  return mandatoryCount(result) > 0 ? EXIT_VIOLATIONS : EXIT_OK;
}

interface PlanOptions {
  stack?: string;
  configFile?: string;
  json?: string;
  auditJson?: string;
  audit: boolean;
  policyPack?: string;
}

async function plan(opts: PlanOptions): Promise<number> {
  if (!opts.stack === !opts.configFile) throw new UsageError("plan needs exactly one of --stack NAME or --config-file PATH");
  if (!opts.audit && opts.auditJson) throw new UsageError("--audit-json needs the audit: drop --no-audit");
  const file = opts.configFile ? path.resolve(opts.configFile) : stackFilePath(opts.stack!);
  const stack = opts.stack ?? stackNameOf(file);
  const config = parseInstanceConfig(readStackConfig(file));
  const result = await planInstance(config, stack);
  process.stdout.write(`${summarize(result)}\n`);
  if (opts.json) {
    writeJson(opts.json, result.state);
    process.stdout.write(`\nplan written to ${opts.json}\n`);
  }
  if (!opts.audit) return EXIT_OK;
  // In memory, with the real secret values: the pack can compare them; nothing unredacted is written.
  let audit: AuditResult;
  try {
    audit = await auditPlan(result, { packDir: opts.policyPack });
  } catch (err) {
    if (err instanceof PolicyPackStartError) throw new PolicyPackStartError(`cannot audit the plan: ${err.message} (--no-audit skips the audit)`);
    throw err;
  }
  process.stdout.write(`\n${formatAudit(audit)}\n`);
  if (opts.auditJson) {
    writeJson(opts.auditJson, auditJson(audit));
    process.stdout.write(`\naudit written to ${opts.auditJson}\n`);
  }
  return auditExit(audit);
}

interface AuditOptions {
  state: string[];
  json?: string;
  policyPack?: string;
}

function readState(file: string) {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new AuditInputError(`cannot read state file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new AuditInputError(`${file}: not JSON (${(err as Error).message})`);
  }
  return { label: file, state: asStateFile(doc, file) };
}

async function audit(opts: AuditOptions): Promise<number> {
  if (!opts.state.length) throw new UsageError("audit needs at least one --state FILE (a `pulumi stack export` or `plan --json` file)");
  const inputs = opts.state.map(readState);
  const result = await auditStates(inputs, { packDir: opts.policyPack });
  process.stdout.write(`${formatAudit(result)}\n`);
  if (opts.json) {
    writeJson(opts.json, auditJson(result));
    process.stdout.write(`\naudit written to ${opts.json}\n`);
  }
  return auditExit(result);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildCli(): Command {
  const cli = new Command("infra")
    .description("zipnet-infra offline jobs: plan and audit zipnet instances without the Pulumi CLI or credentials")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  cli
    .command("plan")
    .description("run the program for one stack under the mock engine, summarize what it builds and audit it with the policy pack")
    .option("--stack <name>", "stack name: reads stacks/Pulumi.<name>.yaml")
    .option("--config-file <path>", "any stack config file")
    .option("--json <file>", "write the plan in `pulumi stack export` shape (secrets redacted)")
    .option("--audit-json <file>", "write the audit result as JSON")
    .option("--no-audit", "skip the policy-pack audit of the plan")
    .option("--policy-pack <dir>", "the policy pack to audit with (default: policies/)")
    .action(async (opts: PlanOptions) => {
      process.exitCode = await plan(opts);
    });
  cli
    .command("audit")
    .description("audit `pulumi stack export` or `plan --json` files with the policy pack (Analyzer protocol) and the cross-instance checks")
    .option("--state <file>", "a state file; repeat for several instances", collect, [] as string[])
    .option("--json <file>", "write the audit result as JSON")
    .option("--policy-pack <dir>", "the policy pack to audit with (default: policies/)")
    .action(async (opts: AuditOptions) => {
      process.exitCode = await audit(opts);
    });
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildCli().parseAsync(argv, { from: "user" });
    const code = typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
    process.exitCode = undefined;
    return code;
  } catch (err) {
    process.exitCode = undefined;
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof AuditInputError || err instanceof PolicyPackStartError) {
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
