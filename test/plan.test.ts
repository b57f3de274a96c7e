/**
 * The offline `plan` command as a user runs it: summary, stack-export shaped JSON with secrets
 * redacted, exit codes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main";
import { instanceNodes } from "../src/config/validate";
import { planInstance } from "../src/offline/planInProcess";
import { exampleConfig, rawExample } from "./support/plans";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((s: any) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s: any) => (err.push(String(s)), true));
  return { out: () => out.join(""), err: () => err.join("") };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("plan", () => {
  it("summarizes nodes, firewalls, Vault roles and paths, and writes a redacted stack export", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-"));
    const json = path.join(dir, "plan.json");
    const io = capture();
    const code = await main(["plan", "--stack", "acme.mainnet", "--json", json]);
    const text = io.out();
    vi.restoreAllMocks();
    expect(code, io.err()).toBe(0);
    const config = exampleConfig("acme.mainnet");
    for (const node of instanceNodes(config)) {
      expect(text).toMatch(new RegExp(`${node.id}\\s+${node.role}\\s+${node.cloud}\\s+${node.account} / ${node.region}`));
      // production committee servers log in with an attested token, one role per reference set
      expect(text).toContain(node.role === "committee" ? `${node.id}       attested login (intel-trust-authority TDX token) as zipnet.acme.mainnet.${node.id}_server-v1.4.0-c3-standard-4 (zipnet-attest/acme.mainnet)` : `role zipnet.acme.mainnet.${node.id} (aws)`);
      expect(text).toContain(`zipnet/acme.mainnet/data/nodes/${node.id}`);
    }
    expect(text).toMatch(/in {2}udp 41641 +from 0\.0\.0\.0\/0, ::\/0/);
    expect(text).toMatch(/in {2}tcp 9464 +from 203\.0\.113\.10\/32, 10\.20\.0\.0\/16/);

    // Node VMs carry wipe hooks: the CLI writes such a state as version 4 with the hooks feature.
    const state = JSON.parse(readFileSync(json, "utf8"));
    expect(state.version).toBe(4);
    expect(state.features).toEqual(["hooks"]);
    const vm = state.deployment.resources.find((r: any) => r.urn.endsWith("::c1-vm"));
    expect(vm.resourceHooks).toEqual({ BeforeDelete: ["c1-wipe-before-delete"], AfterDelete: ["c1-wipe-after-delete"] });
    const resources = state.deployment.resources;
    expect(resources.length).toBeGreaterThan(80);
    for (const r of resources) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["urn", "type", "custom", "inputs", "outputs"]));
    }
    // Every resource but the stack and the engine's default providers has a parent.
    const orphans = resources.filter((r: any) => !r.parent).map((r: any) => r.urn.split("::").slice(-2).join("::"));
    expect(orphans).toEqual(["pulumi:pulumi:Stack::zipnet-infra-acme.mainnet", expect.stringMatching(/^pulumi:providers:random::default_\d+_\d+_\d+$/)]);
    expect(resources.some((r: any) => r.dependencies?.length)).toBe(true);

    // The secret values the plan generated appear nowhere in the printed summary or the file.
    const unredacted = await planInstance(config, "acme.mainnet", { preview: false });
    const secrets = unredacted.resources
      .filter((r) => r.type === "vault:kv/secretV2:SecretV2")
      .map((r) => JSON.parse((r.inputs.dataJson as any).value).value as string);
    expect(secrets).toHaveLength(5);
    const written = readFileSync(json, "utf8");
    for (const s of secrets) {
      expect(written).not.toContain(s);
      expect(text).not.toContain(s);
    }
    expect(written).toContain('"ciphertext": "[redacted]"');
  });

  it("exits 2 naming the key for an invalid config file, and registers nothing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-"));
    const file = path.join(dir, "Pulumi.broken.yaml");
    const raw = rawExample("acme.mainnet");
    raw.committee[0].cloud = "aws";
    writeFileSync(file, stringify({ config: { "zipnet-infra:instance": raw } }));
    const io = capture();
    const code = await main(["plan", "--config-file", file]);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(io.err()).toContain("zipnet-infra:instance.committee[0].cloud: expected gcp: AWS has no Intel TDX guests");
    expect(io.err()).not.toMatch(/\n\s+at /);
    expect(io.out()).not.toContain("resources:");
  });

  it("exits 2 on usage errors and unreadable files", async () => {
    const io = capture();
    expect(await main(["plan"])).toBe(2);
    expect(await main(["plan", "--stack", "no.such-stack"])).toBe(2);
    expect(await main(["plan", "--stack", "acme.mainnet", "--config-file", "x.yaml"])).toBe(2);
    vi.restoreAllMocks();
    expect(io.err()).toMatch(/exactly one of --stack NAME or --config-file PATH/);
    expect(io.err()).toMatch(/Pulumi\.no\.such-stack\.yaml: expected a stack config file, found no such file/);
  });
});
