/**
 * The deploy record as the stack carries it: the program refuses a production stack whose
 * registry is unsigned, mis-signed or misses a committee node, and it publishes a signed
 * statement of the instance's name and MR_TDs as a stack output.
 */
import { copyFileSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { loadInstance } from "../../src/config/load";
import { CONFIG_KEY } from "../../src/config/schema";
import { PROJECT_ROOT } from "../../src/config/stackFile";
import { ConfigError, formatIssue } from "../../src/config/validate";
import { generateKeyPair } from "../../src/deployRecord/ed25519";
import { verifyPublication } from "../../src/deployRecord/publication";
import { parseRegistry, signRegistry } from "../../src/deployRecord/registry";
import { installEngine } from "../../src/offline/engine/inProcess";
import { EngineModel } from "../../src/offline/engine/model";
import { main } from "../../src/program";
import { rawExample } from "../support/plans";

const STACKS = path.join(PROJECT_ROOT, "stacks");

/** A copy of the stacks folder's mainnet registry files in a temporary folder. */
function registryCopy(): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "registry-"));
  for (const f of ["acme.mainnet.registry.json", "acme.mainnet.registry.json.sig"]) copyFileSync(path.join(STACKS, f), path.join(dir, f));
  return { dir, file: path.join(dir, "acme.mainnet.registry.json") };
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  return [];
}

describe("the signed registry gate", () => {
  it("accepts the example production stack's signed registry", () => {
    expect(issuesOf(() => loadInstance(rawExample("acme.mainnet"), STACKS))).toEqual([]);
  });

  it("refuses a tampered registry", () => {
    const { dir, file } = registryCopy();
    writeFileSync(file, readFileSync(file, "utf8").replace("Partner Networks Pte. Ltd.", "Someone Else Ltd."));
    expect(issuesOf(() => loadInstance(rawExample("acme.mainnet"), dir)).join("\n")).toMatch(/registry\.json\.sig: expected .*signature.*/i);
  });

  it("refuses an unsigned registry", () => {
    const { dir, file } = registryCopy();
    unlinkSync(`${file}.sig`);
    expect(issuesOf(() => loadInstance(rawExample("acme.mainnet"), dir)).join("\n")).toMatch(/registry\.json\.sig: expected .*found "no such file"/);
  });

  it("refuses a registry signed by another key", () => {
    const { dir, file } = registryCopy();
    const other = generateKeyPair();
    writeFileSync(`${file}.sig`, signRegistry(parseRegistry(readFileSync(file, "utf8")), other.privateKey).signature);
    expect(issuesOf(() => loadInstance(rawExample("acme.mainnet"), dir)).length).toBeGreaterThan(0);
  });

  it("refuses a correctly signed registry that misses a committee server", () => {
    const { dir, file } = registryCopy();
    const keys = generateKeyPair();
    const registry = parseRegistry(readFileSync(file, "utf8"));
    const signed = signRegistry({ ...registry, entries: registry.entries.filter((e) => e.node !== "c3") }, keys.privateKey);
    writeFileSync(file, signed.json);
    writeFileSync(`${file}.sig`, signed.signature);
    const raw = rawExample("acme.mainnet");
    raw.registry.publicKey = keys.publicBase64;
    const issues = issuesOf(() => loadInstance(raw, dir));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/entries.*c3/);
  });

  it("does not require a registry for a devtest stack without a registry key", () => {
    expect(issuesOf(() => loadInstance(rawExample("acme.preview"), mkdtempSync(path.join(tmpdir(), "none-"))))).toEqual([]);
  });
});

describe("the publication stack output", () => {
  it("is signed with the stack's secret publication key and verifies; a tampered copy does not", async () => {
    const keys = generateKeyPair();
    installEngine(new EngineModel({ project: "zipnet-infra", stack: "acme.mainnet", preview: false }));
    pulumi.runtime.setAllConfig(
      { [CONFIG_KEY]: JSON.stringify(rawExample("acme.mainnet")), "zipnet-infra:publicationKey": keys.privatePem },
      ["zipnet-infra:publicationKey"],
    );
    const outputs = main();
    const signature = await new Promise<string>((resolve) => outputs.publicationSignature!.apply(resolve));
    const verified = verifyPublication(outputs.publication!, signature, keys.publicPem);
    expect(verified.ok).toBe(true);
    if (verified.ok) {
      expect(verified.publication.instance).toBe("acme.mainnet");
      expect(verified.publication.referenceValues.committee.map((set) => set.registers.mrtd.value)).toEqual(rawExample("acme.mainnet").tdx.committee.map((set: any) => set.registers.mrtd.value));
      expect(verified.publication.faultDomains.map((d) => d.node)).toEqual(["c1", "c2", "c3", "agg"]);
    }
    const tampered = outputs.publication!.replace("acme.mainnet", "acme.mainnot");
    expect(verifyPublication(tampered, signature, keys.publicPem)).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad signature/) });
    // The signature output is plain (publishable); the key never appears in the outputs.
    expect(JSON.stringify(outputs.publication)).not.toContain(keys.privateBase64);
  });
});
