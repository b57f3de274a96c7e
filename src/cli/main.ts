/**
 * `npm run infra -- <command>`: the offline main job. No Pulumi CLI, no credentials, no network.
 *
 *   plan  --stack NAME | --config-file PATH  [--json FILE] [--audit-json FILE] [--no-audit]
 *         [--report DIR [--publication-key FILE]] [--verbose]
 *   audit --state FILE [--state FILE ...]  [--json FILE] [--policy-pack DIR] [--report DIR] [--verbose]
 *   verify-publication FILE SIG PUBKEY
 *   check-endorsement FILE --root ROOT [--machine-type TYPE]
 *
 * `plan` runs the program as `pulumi preview` does (a `cmd/run` child against the offline engine)
 * and audits the plan in memory (the policy pack sees
 * the real secret values; only the redacted plan is ever written). `audit` judges `pulumi stack
 * export` or `plan --json` files with the policy pack, over the Analyzer protocol, plus the
 * cross-instance checks.
 *
 * Results on stdout (colour only on a terminal, never with NO_COLOR), progress and errors on stderr.
 * Both `--report DIR`s write DIR/<instance>/.
 *
 * Exit codes: 0 valid, 1 mandatory policy violations or a plan the engine refuses, 2 usage,
 * config or input errors.
 */
import { readFileSync } from "node:fs";
import { C3_RAM_GIB, EndorsementError, mrtdsFor, verifyEndorsement } from "../measurements/endorsement";
import { InputFileError, readInputBytes, readInputText } from "../config/inputFile";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { loadInstance } from "../config/load";
import { readCliConfig, stackFilePath, stackNameOf } from "../config/stackFile";
import { CONFIG_KEY, NODE_ID } from "../config/schema";
import { ConfigError, federatedStackName, isStackName, stackNameIssues } from "../config/validate";
import { verifyPublication } from "../deployRecord/publication";
import { PolicyPackStartError, policyPackDirProblem, startPolicyPack } from "../offline/analyzer";
import type { StateFile } from "../offline/stateFile";
import { KeyFileError, addPlanRecord, addReport, loadPublicationKey, publicationFindings, publicationNotice, recordMeasurements, reportInput, PLAN_RECORD_FILES, REPORT_FILES, type RecordFacts } from "./deployRecord";
import { OutputError, PendingWrites, checkDistinct, checkOutputDir, checkOutputFile, checkReportFolder, folderName, identity } from "./outputs";
import { INSTANCE_TYPE } from "../../policies/contract/wire";
import { AuditInputError, DEFAULT_PACK_DIR, auditedInstance, auditJson, auditPlan, auditStates, asStateFile, formatAudit, mandatoryCount, type AuditResult } from "../offline/audit";
import { PlanError, planStack, summarize } from "../offline/plan";
import { formatDeployChecks } from "../deployChecks";
import { styleFor } from "../offline/audit/style";
import { stderrProgress } from "./progress";
import { addManifestCommands } from "./manifest";
import { EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, UsageError, readText } from "./usage";
import { manifestFindings } from "../federation/audit";

export { EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, UsageError };

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function auditExit(result: AuditResult): number {
  // A state the audit could not judge in full fails too: it never passes what it did not see.
  return mandatoryCount(result) > 0 || result.deployChecks.findings.length > 0 || result.notes.length > 0 ? EXIT_VIOLATIONS : EXIT_OK;
}

interface PlanOptions {
  stack?: string;
  configFile?: string;
  json?: string;
  auditJson?: string;
  audit: boolean;
  policyPack?: string;
  report?: string;
  publicationKey?: string;
  verbose?: boolean;
}

async function plan(opts: PlanOptions): Promise<number> {
  if (!opts.stack === !opts.configFile) throw new UsageError("plan needs exactly one of --stack NAME or --config-file PATH");
  if (!opts.audit && (opts.auditJson || opts.report)) throw new UsageError("--audit-json and --report need the audit: drop --no-audit");
  if (opts.publicationKey && !opts.report) throw new UsageError("--publication-key signs the publication --report writes: add --report DIR");
  // A stack name names a file under stacks/: never a path (that is what --config-file is for).
  if (opts.stack !== undefined && !isStackName(opts.stack)) throw new UsageError(`--stack: expected a stack name like acme.mainnet, or acme.federated_beta for one operator of a federated instance (a path goes to --config-file), found ${JSON.stringify(opts.stack)}`);
  checkPolicyPackDir(opts.policyPack);
  const file = opts.configFile ? path.resolve(opts.configFile) : stackFilePath(opts.stack!);
  const stack = opts.stack ?? stackNameOf(file);
  // Outputs checked before any work: never an input, never each other, writable.
  const inputs = [{ option: opts.configFile ? "--config-file" : "--stack", file }, ...(opts.publicationKey ? [{ option: "--publication-key", file: opts.publicationKey }] : [])];
  checkOutputFile("--json", opts.json, inputs);
  checkOutputFile("--audit-json", opts.auditJson, inputs);
  checkOutputDir("--report", opts.report, inputs);
  checkDistinct([{ option: "--json", file: opts.json }, { option: "--audit-json", file: opts.auditJson }]);
  const key = opts.publicationKey ? loadPublicationKey(opts.publicationKey) : undefined;
  // Config as the CLI builds it from the stack file; every problem reported before anything runs.
  const cli = readCliConfig(file);
  for (const note of cli.skipped) process.stderr.write(`note: ${note}\n`);
  // The signed PeerId registry lives beside the stack file.
  const config = loadInstance(cli.values[CONFIG_KEY], path.dirname(file));
  const misnamed = stackNameIssues(config, stack);
  if (misnamed.length) throw new ConfigError(misnamed);
  // The record's folder is named by the (now valid) instance: every file it will hold is checked now.
  const recordDir = opts.report ? path.join(opts.report, folderName("the instance name", config.name)) : undefined;
  if (recordDir) {
    checkReportFolder("--report", recordDir, PLAN_RECORD_FILES, inputs);
    checkDistinct([{ option: "--json", file: opts.json }, { option: "--audit-json", file: opts.auditJson }, ...PLAN_RECORD_FILES.map((f) => ({ option: `--report's ${f}`, file: path.join(recordDir, f) }))]);
  }
  // The pack starts while the program runs (two processes, as under the CLI).
  const pack = opts.audit ? startPolicyPack(opts.policyPack ?? DEFAULT_PACK_DIR) : undefined;
  pack?.catch(() => undefined);
  let result;
  try {
    // The program runs as `pulumi preview` runs it: a cmd/run child against the offline engine.
    result = await planStack(config, stack, cli, { stacksDir: path.dirname(file) });
  } catch (err) {
    await pack?.then((c) => c.close(), () => undefined);
    throw err;
  }
  // The committed publication is what publishers verify: in production it must hold and verify.
  const published = publicationNotice(config, path.dirname(file));
  process.stdout.write(`${summarize(result, { verbose: opts.verbose })}\n\n${published.lines.join("\n")}\n`);
  const refused = result.deployChecks.findings.length > 0 || published.blocker ? EXIT_VIOLATIONS : EXIT_OK;
  // Written only once everything has run: a failure on the way leaves nothing half written.
  const pending = new PendingWrites();
  if (opts.json) pending.add(opts.json, json(result.state));
  if (!pack) {
    process.stdout.write(`\n${formatDeployChecks(result.deployChecks)}\n`);
    if (published.blocker) process.stdout.write(`\nFAILED: ${published.blocker}\n`);
    commit(pending, { [opts.json ?? ""]: "plan" });
    return refused;
  }
  // In memory, with the real secret values: the pack can compare them; nothing unredacted is written.
  let client;
  try {
    client = await pack;
  } catch (err) {
    if (err instanceof PolicyPackStartError) throw new PolicyPackStartError(`cannot audit the plan: ${err.message} (--no-audit skips the audit)`);
    throw err;
  }
  let audit: AuditResult;
  try {
    // What is published is part of identity.mrtd-published: a blocker is that item's finding, judged with the pack's.
    const findings = publicationFindings(published, config, result.resources.find((r) => r.type === INSTANCE_TYPE)?.urn ?? "");
    audit = await auditPlan(result, { client, onProgress: stderrProgress().say, findings });
  } finally {
    await client.close();
  }
  // The audit's deploy checks are the plan's (one run over the same resources): printed once, there.
  process.stdout.write(`\n${formatAudit(audit, { verbose: opts.verbose, style: styleFor(process.stdout) })}\n`);
  if (opts.auditJson) pending.add(opts.auditJson, json(auditJson(audit)));
  if (recordDir) addPlanRecord(pending, recordDir, config, audit, `offline plan of stack ${stack}`, key);
  commit(pending, { [opts.json ?? ""]: "plan", [opts.auditJson ?? ""]: "audit" }, opts.report ? "deploy record" : undefined);
  return Math.max(refused, auditExit(audit));
}

/** Writes the pending files and says where: named outputs by their label, the rest as a record. */
function commit(pending: PendingWrites, labels: Record<string, string>, rest?: string): void {
  const files = pending.commit();
  const others: string[] = [];
  for (const f of files) {
    if (labels[f]) process.stdout.write(`\n${labels[f]} written to ${f}\n`);
    else others.push(f);
  }
  if (others.length) process.stdout.write(`\n${rest ?? "files"} written: ${others.join(", ")}\n`);
}

interface AuditOptions {
  state: string[];
  manifest?: string;
  json?: string;
  policyPack?: string;
  report?: string;
  verbose?: boolean;
}

/** The report folder of each state, named by its instance (a checked name), decided before any work. */
function reportFolders(dir: string, inputs: { label: string; state: StateFile }[]): { input: { label: string; state: StateFile }; folder: string; facts: RecordFacts }[] {
  const seen = new Map<string, string>();
  return inputs.map((input) => {
    const instance = auditedInstance(input.label, input.state);
    const record = instance.record ?? {};
    const facts: RecordFacts = {
      name: typeof record.name === "string" ? record.name : instance.name,
      posture: typeof record.posture === "string" ? record.posture : "unknown (no posture record)",
      measurements: recordMeasurements(record),
    };
    // One operator's stack of a federated instance reports under its stack name, <instance>_<operator>.
    const fed = record.federation as { operator?: unknown } | null | undefined;
    const operator = fed && typeof fed.operator === "string" && NODE_ID.test(fed.operator) ? fed.operator : undefined;
    const instanceFolder = folderName(`${input.label}: the posture record's name`, facts.name);
    const folder = operator ? federatedStackName(instanceFolder, operator) : instanceFolder;
    const other = seen.get(folder);
    if (other) throw new OutputError(`--report ${dir}: ${input.label} and ${other} both hold instance ${folder}: one report folder each is needed (audit them apart)`);
    seen.set(folder, input.label);
    checkReportFolder("--report", path.join(dir, folder), REPORT_FILES, [{ option: "--state", file: input.label }]);
    return { input, folder: path.join(dir, folder), facts };
  });
}

/** One report per instance, each from that instance's own audit (one pack process for all). */
async function addAuditReports(pending: PendingWrites, reports: ReturnType<typeof reportFolders>, packDir?: string): Promise<void> {
  const client = await startPolicyPack(packDir ?? DEFAULT_PACK_DIR);
  try {
    for (const { input, folder, facts } of reports) addReport(pending, folder, reportInput(await auditStates([input], { client }), facts, input.label));
  } finally {
    await client.close();
  }
}

function readState(file: string) {
  let text: string;
  try {
    text = readInputText(file, "a state file (`pulumi stack export` or `plan --json`)");
  } catch (err) {
    if (err instanceof InputFileError) throw new AuditInputError(err.message);
    throw err;
  }
  if (text.trim() === "") throw new AuditInputError(`${file}: expected a state file (\`pulumi stack export\` or \`plan --json\`), found an empty file`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new AuditInputError(`${file}: expected JSON, found text that is not (${(err as Error).message})`);
  }
  return { label: file, state: asStateFile(doc, file) };
}

async function audit(opts: AuditOptions): Promise<number> {
  if (!opts.state.length) throw new UsageError("audit needs at least one --state FILE (a `pulumi stack export` or `plan --json` file)");
  // Every input an output must not overwrite: the states and the signed manifest.
  const stateFiles = [...opts.state.map((file) => ({ option: "--state", file })), ...(opts.manifest !== undefined ? [{ option: "--manifest", file: opts.manifest }] : [])];
  const seen = new Map<string, string>();
  for (const file of opts.state) {
    const id = identity(file);
    if (seen.has(id)) throw new UsageError(`--state ${file}: expected each state once, found the same file as --state ${seen.get(id)} (one instance audited against itself would look like two sharing everything)`);
    seen.set(id, file);
  }
  checkPolicyPackDir(opts.policyPack);
  checkOutputFile("--json", opts.json, stateFiles);
  checkOutputDir("--report", opts.report, stateFiles);
  const inputs = opts.state.map(readState);
  const reports = opts.report ? reportFolders(opts.report, inputs) : [];
  // A federated instance: the operators' states judged together against the signed manifest.
  let findings: ReturnType<typeof manifestFindings>["findings"] = [];
  if (opts.manifest !== undefined) {
    const judged = manifestFindings(opts.manifest, readText(opts.manifest, "a manifest file"), inputs.map((i) => auditedInstance(i.label, i.state)));
    if (judged.input) throw new UsageError(`--manifest ${judged.input}`);
    findings = judged.findings;
  }
  const result = await auditStates(inputs, { packDir: opts.policyPack, onProgress: stderrProgress().say, findings });
  process.stdout.write(`${formatAudit(result, { verbose: opts.verbose, style: styleFor(process.stdout) })}\n`);
  const pending = new PendingWrites();
  if (opts.json) pending.add(opts.json, json(auditJson(result)));
  if (opts.report) await addAuditReports(pending, reports, opts.policyPack);
  commit(pending, { [opts.json ?? ""]: "audit" }, "posture reports");
  return auditExit(result);
}

/** A --policy-pack must be a pack folder: said before any work, not after the plan. */
function checkPolicyPackDir(dir: string | undefined): void {
  const problem = dir === undefined ? undefined : policyPackDirProblem(dir);
  if (problem) throw new UsageError(`--policy-pack ${dir}: ${problem}`);
}

/** Exit 0 when the signature verifies, 1 when the publication is not the one signed, 2 when the key or signature cannot be read. */
function verify(file: string, sig: string, pubkey: string): number {
  const result = verifyPublication(readFileSync(file), readText(sig, "a signature file").trim(), readText(pubkey, "a public key file"));
  if (result.ok) {
    const pub = result.publication;
    const pins = Object.entries(pub.pins).map(([platform, regs]) => `${platform} pins ${regs.join(", ")}`).join("; ");
    process.stdout.write(`ok: ${file} is signed by ${pubkey}: instance ${pub.instance} (${pub.posture}), epoch ${pub.epoch}, ${pub.referenceValues.committee.length} committee and ${pub.referenceValues.clients.length} client reference set(s)${pins ? `; ${pins}` : ""}\n`);
    return EXIT_OK;
  }
  // A key or signature that cannot be read is an input error (2): nothing was verified. A
  // publication that does not match its signature is the verdict (1).
  if (result.input) throw new UsageError(`${result.reason.startsWith("unreadable public key") ? pubkey : sig}: ${result.reason}`);
  process.stdout.write(`NOT VERIFIED: ${file}: ${result.reason}\n`);
  return EXIT_VIOLATIONS;
}

/** Exit 0 when Google's endorsement verifies against the pinned root, 1 when it does not, 2 when a file cannot be read. */
function checkEndorsement(file: string, opts: { root: string; machineType?: string }): number {
  const read = (f: string, what: string) => {
    try {
      return readInputBytes(f, what);
    } catch (err) {
      if (err instanceof InputFileError) throw new UsageError(err.message);
      throw err;
    }
  };
  if (opts.machineType !== undefined && C3_RAM_GIB[opts.machineType] === undefined) {
    throw new UsageError(`--machine-type: expected a C3 machine type (${Object.keys(C3_RAM_GIB).join(", ")}), found ${JSON.stringify(opts.machineType)}`);
  }
  const bytes = read(file, "a launch endorsement (VMLaunchEndorsement .binarypb)");
  if (bytes.length === 0) throw new UsageError(`${file}: expected a launch endorsement (VMLaunchEndorsement .binarypb), found an empty file`);
  const root = read(opts.root, "Google's root certificate (GCE-cc-tcb-root, PEM or DER)");
  let endorsement;
  try {
    endorsement = verifyEndorsement(bytes, root.toString("latin1").includes("-----BEGIN") ? root.toString("utf8") : root);
  } catch (err) {
    if (!(err instanceof EndorsementError)) throw err;
    // Not an endorsement (or not a certificate) is an input error (2): nothing was verified.
    if (err.input) throw new UsageError(`${err.message.startsWith("root:") ? opts.root : file}: ${err.message}`);
    process.stdout.write(`NOT VERIFIED: ${file}: ${err.message}\n`);
    return EXIT_VIOLATIONS;
  }
  const mrtds = opts.machineType ? mrtdsFor(endorsement, C3_RAM_GIB[opts.machineType]) : [...new Set(endorsement.measurements.map((m) => m.mrtd))];
  // Entries for one memory size are for hypervisors before Oct 2024 (deprecated); ram_gib 0 holds for any size.
  const kind = (mrtd: string) => (endorsement.measurements.some((m) => m.mrtd === mrtd && m.ramGib === 0) ? "any memory size" : "per memory size, deprecated (VMM before Oct 2024)");
  process.stdout.write(`ok: ${file} is signed by ${endorsement.signer} under the pinned root: firmware sha384 ${endorsement.firmwareDigest}, svn ${endorsement.svn}\n`);
  process.stdout.write(`${opts.machineType ? `MR_TD for ${opts.machineType} (${C3_RAM_GIB[opts.machineType]} GiB)` : "MR_TDs"}:${mrtds.length ? "" : " none endorsed"}\n`);
  for (const m of mrtds) process.stdout.write(`  ${m}  (${kind(m)})\n`);
  return mrtds.length ? EXIT_OK : EXIT_VIOLATIONS;
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
    .option("--report <dir>", "write the deploy record under <dir>/<instance>/: posture report (Markdown, HTML), publication.json, alerts.rules.yml")
    .option("--publication-key <file>", "Ed25519 private key (PKCS8 PEM or base64 seed) that signs publication.json")
    .option("--verbose", "list resources by type, every checklist item and full URNs")
    .action(async (opts: PlanOptions) => {
      process.exitCode = await plan(opts);
    });
  cli
    .command("audit")
    .description("audit `pulumi stack export` or `plan --json` files with the policy pack (Analyzer protocol) and the cross-instance checks")
    .option("--state <file>", "a state file; repeat for several instances", collect, [] as string[])
    .option("--manifest <file>", "a federated instance's signed manifest: its operators' states are judged together against it")
    .option("--json <file>", "write the audit result as JSON")
    .option("--policy-pack <dir>", "the policy pack to audit with (default: policies/)")
    .option("--report <dir>", "write a posture report per instance under <dir>/<instance>/")
    .option("--verbose", "list every checklist item and full URNs")
    .action(async (opts: AuditOptions) => {
      process.exitCode = await audit(opts);
    });
  cli
    .command("check-endorsement")
    .description("verify Google's launch endorsement of a GCP TDX firmware offline against a pinned root, and print the MR_TD(s) it endorses")
    .argument("<file>", "the endorsement (gce_tcb_integrity/ovmf_x64_csm/tdx/<MR_TD>.binarypb)")
    .requiredOption("--root <file>", "Google's root certificate (https://pki.goog/cloud_integrity/GCE-cc-tcb-root_1.crt), fetched once and pinned")
    .option("--machine-type <type>", "only the MR_TD(s) for this C3 machine type's memory size")
    .action((file: string, opts: { root: string; machineType?: string }) => {
      process.exitCode = checkEndorsement(file, opts);
    });
  cli
    .command("verify-publication")
    .description("verify a publication.json against its detached Ed25519 signature")
    .argument("<file>", "publication.json")
    .argument("<sig>", "its signature file (base64)")
    .argument("<pubkey>", "the publisher's public key (SPKI PEM or base64 of 32 bytes)")
    .action((file: string, sig: string, pubkey: string) => {
      if (!readText(file, "a publication file")) throw new UsageError(`${file}: expected a publication file, found an empty file`);
      process.exitCode = verify(file, sig, pubkey);
    });
  addManifestCommands(cli);
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
    if (err instanceof PlanError) {
      process.stderr.write(`plan failed: ${err.message}\n`);
      return EXIT_VIOLATIONS;
    }
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof AuditInputError || err instanceof PolicyPackStartError || err instanceof KeyFileError || err instanceof OutputError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

/** Runs the CLI and exits with its code (bin/infra.js). */
export function runCli(argv: string[]): void {
  // Exit once stdout and stderr have drained: a pipe must get the whole output, verdict included.
  const exit = (code: number) => process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  main(argv).then(exit, (err) => {
    process.stderr.write(`internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    exit(3);
  });
}

if (require.main === module) runCli(process.argv.slice(2));
