/**
 * `infra manifest init|amend|sign|verify|ceremony`: the instance manifest of a federated instance
 * and the sealing ceremony of its committee secret (docs/federation.md). Exit codes: 0 done or
 * valid, 1 a manifest that does not verify, 2 unreadable input or a refused option.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { EXIT_OK, EXIT_VIOLATIONS, UsageError, readText } from "./usage";
import { KeyFormatError, loadPrivateKey, publicKeyBase64 } from "../deployRecord/ed25519";
import { amendChain, committeeOperators, initChain, manifestHash, manifestShapeProblem, parseManifestChain, renderChain, signNewest, verifyManifestChain, type Manifest, type ManifestChain, type ManifestResult, type VerifyManifestOptions } from "../federation/manifest";
import { SealError, committeeCeremony, loadSealingPrivateKey, open, parseSealed, sealedFileName, secretCommitment } from "../federation/seal";
import { ceremonyFile, ceremonyFileName, parseCeremony, sealedHash, signCeremony } from "../federation/ceremony";
import { OutputError, PendingWrites, checkOutputDir, checkOutputFile } from "./outputs";

/** An input's text, refusing an empty file (nothing in a manifest command reads as empty). */
function readNonEmpty(file: string, what: string): string {
  const text = readText(file, what);
  if (text.trim() === "") throw new UsageError(`${file}: expected ${what}, found an empty file`);
  return text;
}

function readChain(file: string): ManifestChain {
  const parsed = parseManifestChain(readNonEmpty(file, "a manifest file"));
  if ("problem" in parsed) throw new UsageError(`${file}: ${parsed.problem}`);
  return parsed.chain;
}

/** An epoch body from a JSON file: a manifest without `epoch` and `previous` (the chain sets them). */
function readBody(file: string): Omit<Manifest, "epoch" | "previous"> {
  let value: unknown;
  try {
    value = JSON.parse(readNonEmpty(file, "a manifest body (JSON)"));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${file}: expected JSON, found ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`${file}: expected a JSON object`);
  const body = { ...(value as Record<string, unknown>), epoch: 1, previous: null };
  if ("epoch" in (value as object) || "previous" in (value as object)) throw new UsageError(`${file}: expected a body without epoch and previous (the chain numbers and links epochs)`);
  const problem = manifestShapeProblem(body, "body");
  if (problem) throw new UsageError(`${file}: ${problem}`);
  return value as Omit<Manifest, "epoch" | "previous">;
}

function write(file: string, content: string, option: string, inputs: Array<{ option: string; file: string }>): void {
  checkOutputFile(option, file, inputs);
  const pending = new PendingWrites();
  pending.add(file, content);
  pending.commit();
}

/**
 * The manifest at `file`, verified: an unreadable one is a UsageError (2); one that does not verify
 * is said on stdout (`NOT VERIFIED ...`, with `consequence`) and gives undefined (exit 1).
 */
function verifiedManifest(file: string, opts: VerifyManifestOptions = {}, consequence = ""): ManifestResult & { ok: true } | undefined {
  const result = verifyManifestChain(readNonEmpty(file, "a manifest file"), opts);
  if (result.ok) return result;
  if (result.input) throw new UsageError(`${file}: ${result.reason}`);
  process.stdout.write(`NOT VERIFIED: ${file}: ${result.reason}${consequence}\n`);
  return undefined;
}

function verifyCommand(file: string, opts: { genesis?: string; minEpoch?: string }): number {
  if (opts.genesis !== undefined && !/^[0-9a-f]{64}$/.test(opts.genesis)) throw new UsageError(`--genesis: expected the SHA-256 (64 lowercase hex) of epoch 1, found ${JSON.stringify(opts.genesis)}`);
  const minEpoch = opts.minEpoch === undefined ? undefined : Number(opts.minEpoch);
  if (minEpoch !== undefined && (!Number.isInteger(minEpoch) || minEpoch < 1)) throw new UsageError(`--min-epoch: expected an integer from 1, found ${JSON.stringify(opts.minEpoch)}`);
  const result = verifiedManifest(file, { genesis: opts.genesis, minEpoch });
  if (!result) return EXIT_VIOLATIONS;
  const m = result.newest;
  const ops = m.operators.map((o) => `${o.id} (${o.organization}: ${m.nodes.filter((n) => n.operator === o.id).map((n) => n.id).join(", ")})`).join(", ");
  process.stdout.write(`ok: ${file}: instance ${m.instance} (${m.posture}), epoch ${m.epoch} of ${result.chain.epochs.length}, signed by every operator: ${ops}\n`);
  process.stdout.write(`  epoch ${m.epoch} hash ${manifestHash(m)}; genesis ${manifestHash(result.chain.epochs[0].manifest)}\n`);
  return EXIT_OK;
}

function signCommand(file: string, opts: { operator: string; key: string }): number {
  const chain = readChain(file);
  const key = readSigningKey(opts.key);
  const pub = publicKeyBase64(key);
  const n = chain.epochs.length;
  const holds = (i: number) => i >= 0 && chain.epochs[i].manifest.operators.some((o) => o.id === opts.operator && o.signingKey === pub);
  if (!holds(n - 1) && !holds(n - 2)) {
    throw new UsageError(`--key ${opts.key}: expected ${opts.operator}'s signing key in epoch ${n}${n > 1 ? ` or ${n - 1}` : ""}, found a key the manifest does not give it (${pub.slice(0, 12)}...)`);
  }
  write(file, renderChain(signNewest(chain, opts.operator, key, pub)), "manifest", []);
  process.stdout.write(`signed epoch ${chain.epochs[n - 1].manifest.epoch} of ${file} as ${opts.operator}\n`);
  return EXIT_OK;
}

function ceremonyCommand(file: string, opts: { out: string; as: string }): number {
  const result = verifiedManifest(file, {}, " (no secret drawn)");
  if (!result) return EXIT_VIOLATIONS;
  const m = result.newest;
  const holders = committeeOperators(m);
  // Whoever runs the ceremony sees the secret: only an operator that holds it anyway may.
  if (!holders.some((o) => o.id === opts.as)) throw new UsageError(`--as: expected the operator running the ceremony, one that runs a committee server (${holders.map((o) => o.id).join(", ")}), found ${JSON.stringify(opts.as)}`);
  const inputs = [{ option: "manifest", file }];
  checkOutputDir("--out", opts.out, inputs);
  const targets = [...holders.map((o) => path.join(opts.out, sealedFileName(m.instance, m.epoch, o.id))), path.join(opts.out, ceremonyFileName(m.instance, m.epoch))];
  for (const t of targets) {
    checkOutputFile("--out", t, inputs);
    if (existsSync(t)) throw new OutputError(`--out: ${t} exists: a ceremony never replaces a sealed copy or a ceremony record (an epoch has one committee secret)`);
  }
  const hash = manifestHash(m);
  const { sealed, commitment } = committeeCeremony(m, hash);
  const pending = new PendingWrites();
  for (const s of sealed) pending.add(path.join(opts.out, sealedFileName(m.instance, m.epoch, s.operator)), `${JSON.stringify(s, null, 2)}\n`);
  const record = ceremonyFile({ instance: m.instance, epoch: m.epoch, manifest: hash, commitment, copies: Object.fromEntries(sealed.map((s) => [s.operator, sealedHash(s)])) });
  pending.add(path.join(opts.out, ceremonyFileName(m.instance, m.epoch)), `${JSON.stringify(record, null, 2)}\n`);
  for (const f of pending.commit()) process.stdout.write(`wrote: ${f}\n`);
  process.stdout.write(`one committee secret for ${m.instance} epoch ${m.epoch}, sealed to ${holders.map((o) => o.id).join(", ")}; it was never written in plain. Every operator now checks its copy and signs the ceremony record (manifest sign-ceremony)\n`);
  return EXIT_OK;
}

/** Signs an epoch's ceremony record as one operator, after opening its own copy and checking it against the commitment. */
function signCeremonyCommand(file: string, opts: { manifest: string; operator: string; key: string; sealingKey?: string }): number {
  const result = verifiedManifest(opts.manifest, {}, " (nothing signed)");
  if (!result) return EXIT_VIOLATIONS;
  const m = result.newest;
  const parsed = parseCeremony(readNonEmpty(file, "a ceremony record"));
  if (typeof parsed === "string") throw new UsageError(`${file}: ${parsed}`);
  const r = parsed.record;
  if (r.instance !== m.instance || r.epoch !== m.epoch || r.manifest !== manifestHash(m)) {
    process.stdout.write(`NOT SIGNED: ${file}: a ceremony for ${r.instance} epoch ${r.epoch}, not for the manifest's newest epoch ${m.epoch} (nothing signed)\n`);
    return EXIT_VIOLATIONS;
  }
  const operator = m.operators.find((o) => o.id === opts.operator);
  if (!operator) throw new UsageError(`--operator: expected an operator of epoch ${m.epoch} (${m.operators.map((o) => o.id).join(", ")}), found ${JSON.stringify(opts.operator)}`);
  const signing = readSigningKey(opts.key);
  if (publicKeyBase64(signing) !== operator.signingKey) throw new UsageError(`--key ${opts.key}: expected ${opts.operator}'s signing key of epoch ${m.epoch}, found another key`);
  if (r.copies[opts.operator] !== undefined) {
    if (!opts.sealingKey) throw new UsageError(`--sealing-key: ${opts.operator} holds a copy: it signs only after opening it (its X25519 private key)`);
    const copyFile = path.join(path.dirname(file), sealedFileName(m.instance, m.epoch, opts.operator));
    let copy;
    try {
      copy = parseSealed(readNonEmpty(copyFile, "a sealed copy"));
    } catch (err) {
      if (err instanceof SealError) throw new UsageError(`${copyFile}: ${err.message}`);
      throw err;
    }
    let secret: Buffer;
    try {
      secret = open(copy, loadSealingPrivateKey(readNonEmpty(opts.sealingKey, "an X25519 private key")));
    } catch (err) {
      if (!(err instanceof SealError)) throw err;
      if (err.input) throw new UsageError(`${opts.sealingKey}: ${err.message}`);
      process.stdout.write(`NOT SIGNED: ${copyFile}: ${err.message}\n`);
      return EXIT_VIOLATIONS;
    }
    const matches = sealedHash(copy) === r.copies[opts.operator] && secretCommitment(secret, m.instance, m.epoch) === r.commitment;
    secret.fill(0);
    if (!matches) {
      process.stdout.write(`NOT SIGNED: ${copyFile}: the copy is not the one the record lists, or its secret is not the committed one\n`);
      return EXIT_VIOLATIONS;
    }
  }
  write(file, `${JSON.stringify(signCeremony(parsed, opts.operator, signing, operator.signingKey), null, 2)}\n`, "ceremony record", []);
  process.stdout.write(`signed the epoch ${m.epoch} ceremony record as ${opts.operator}${r.copies[opts.operator] ? " (its copy opens and matches the commitment)" : ""}\n`);
  return EXIT_OK;
}

function readSigningKey(file: string) {
  try {
    return loadPrivateKey(readNonEmpty(file, "an Ed25519 private key"));
  } catch (err) {
    if (err instanceof KeyFormatError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}

export function addManifestCommands(cli: Command): void {
  const manifest = cli.command("manifest").description("the instance manifest of a federated instance: create, extend, sign, verify, and seal its committee secret");
  manifest
    .command("init")
    .description("create a manifest whose epoch 1 is the body (JSON without epoch and previous)")
    .argument("<file>", "the manifest to create (stacks/<instance>.manifest.json)")
    .requiredOption("--body <json>", "the epoch's body")
    .action((file: string, opts: { body: string }) => {
      if (existsSync(file)) throw new UsageError(`${file}: exists; extend a manifest with \`manifest amend\``);
      const body = readBody(opts.body);
      write(file, renderChain(initChain(body)), "manifest", [{ option: "--body", file: opts.body }]);
      process.stdout.write(`created ${file}: epoch 1, unsigned (each operator runs \`manifest sign\`)\n`);
      process.exitCode = EXIT_OK;
    });
  manifest
    .command("amend")
    .description("append the next epoch (a change of members, keys or placement); the previous epoch's operators must sign it too")
    .argument("<file>", "the manifest")
    .requiredOption("--body <json>", "the next epoch's body")
    .action((file: string, opts: { body: string }) => {
      const chain = readChain(file);
      // A new epoch extends only a chain whose epochs all verify (signatures complete).
      const current = verifyManifestChain(renderChain(chain));
      if (!current.ok) throw new UsageError(`${file}: expected a manifest that verifies before it is extended, found: ${current.reason}`);
      const next = amendChain(chain, readBody(opts.body));
      write(file, renderChain(next), "manifest", [{ option: "--body", file: opts.body }]);
      process.stdout.write(`appended epoch ${next.epochs.length} to ${file}, unsigned\n`);
      process.exitCode = EXIT_OK;
    });
  manifest
    .command("sign")
    .description("sign the newest epoch as one operator")
    .argument("<file>", "the manifest")
    .requiredOption("--operator <id>", "the operator signing")
    .requiredOption("--key <file>", "its Ed25519 private key (PKCS8 PEM or base64 seed)")
    .action((file: string, opts: { operator: string; key: string }) => {
      process.exitCode = signCommand(file, opts);
    });
  manifest
    .command("verify")
    .description("verify every epoch: hashes, n-of-n signatures, the previous operators' consent to each change, one organization per committee server")
    .argument("<file>", "the manifest")
    .option("--genesis <sha256>", "the hash of epoch 1 this stack pinned")
    .option("--min-epoch <n>", "the newest epoch this stack has accepted (an older newest epoch is refused)")
    .action((file: string, opts: { genesis?: string; minEpoch?: string }) => {
      process.exitCode = verifyCommand(file, opts);
    });
  manifest
    .command("ceremony")
    .description("draw the committee secret once, seal one copy to each committee operator's X25519 key, and write the ceremony record the operators sign")
    .argument("<file>", "the manifest (must verify)")
    .requiredOption("--out <dir>", "where the sealed copies and the ceremony record go")
    .requiredOption("--as <operator>", "the operator running the ceremony (it sees the secret: one that runs a committee server)")
    .action((file: string, opts: { out: string; as: string }) => {
      process.exitCode = ceremonyCommand(file, opts);
    });
  manifest
    .command("sign-ceremony")
    .description("sign an epoch's ceremony record as one operator, after opening its own copy and checking it against the commitment")
    .argument("<file>", "the ceremony record (<instance>.epoch-<n>.ceremony.json, beside the sealed copies)")
    .requiredOption("--manifest <file>", "the manifest")
    .requiredOption("--operator <id>", "the operator signing")
    .requiredOption("--key <file>", "its Ed25519 signing key")
    .option("--sealing-key <file>", "its X25519 private key (operators holding a copy)")
    .action((file: string, opts: { manifest: string; operator: string; key: string; sealingKey?: string }) => {
      process.exitCode = signCeremonyCommand(file, opts);
    });
}
