/**
 * The key how-to in docs/operator-guide.md, run as written: key pairs made by `openssl`, a
 * registry signed by `openssl pkeyutl -rawin`, read and verified by the project's own code.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config/stackFile";
import { loadPrivateKey, loadPublicKey, sign, verify } from "../../src/deployRecord/ed25519";
import { toolSuite } from "../support/tools";

const GUIDE = readFileSync(path.join(PROJECT_ROOT, "docs", "operator-guide.md"), "utf8");

/** The guide's `openssl ...` lines for one key, in order. */
function guideCommands(key: string): string[] {
  return GUIDE.split("\n").filter((l) => l.startsWith("openssl ") && l.includes(`${key}.key`)).map((l) => l.replace(/\s+#.*$/, ""));
}

const suite = toolSuite("keys made as docs/operator-guide.md says", "openssl", "base64");
describe.skipIf(suite.skip)(suite.title, () => {
  it("a publication key pair from openssl signs and verifies; a tampered text does not verify", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "keys-"));
    const commands = guideCommands("publication");
    expect(commands).toHaveLength(2);
    for (const c of commands) execFileSync("bash", ["-euo", "pipefail", "-c", c], { cwd: dir });
    const priv = loadPrivateKey(readFileSync(path.join(dir, "publication.key"), "utf8"));
    const pub = readFileSync(path.join(dir, "publication.pub"), "utf8");
    const text = '{"instance":"acme.mainnet"}';
    const sig = sign(text, priv);
    expect(verify(text, sig, pub)).toBe(true);
    expect(verify(text.replace("mainnet", "preview"), sig, pub)).toBe(false);
  });

  it("a registry signed with openssl pkeyutl -rawin verifies with its public key; a changed byte does not", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "keys-"));
    const registry = path.join(dir, "stacks", "acme.mainnet.registry.json");
    execFileSync("mkdir", ["-p", path.dirname(registry)]);
    writeFileSync(registry, readFileSync(path.join(PROJECT_ROOT, "stacks", "acme.mainnet.registry.json")));
    const commands = guideCommands("registry");
    expect(commands).toHaveLength(3);
    for (const c of commands) execFileSync("bash", ["-euo", "pipefail", "-c", c], { cwd: dir });
    const pub = loadPublicKey(readFileSync(path.join(dir, "registry.pub"), "utf8"));
    const sig = readFileSync(`${registry}.sig`, "utf8");
    expect(sig).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    const bytes = readFileSync(registry);
    expect(verify(bytes, sig, pub)).toBe(true);
    const changed = Buffer.from(bytes);
    changed[changed.length - 2] ^= 1;
    expect(verify(changed, sig, pub)).toBe(false);
  });
});
