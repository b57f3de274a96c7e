/**
 * Synthetic production instances for the benchmark, derived from stacks/Pulumi.acme.mainnet.yaml:
 * everything but the committee is acme.mainnet's (aggregator on AWS, archive, registry key,
 * reference sets, attestations, acknowledged risks); the committee has N GCP servers (the only
 * cloud a production committee can use, docs/measurements.md), each in its own project, spread
 * over the GCP regions with TDX capacity (GCP_TDX_ZONES).
 *
 * Production requires pairwise distinct accounts AND regions. There are 8 GCP TDX regions, so
 * N = 3 gets distinct regions and goes through `parseInstanceConfig` unchanged; N = 9, 33 and 65
 * must reuse regions. For those the config is
 * validated with every rule, the only issues allowed are "a region distinct from ..." ones,
 * and the config object is then built with the zod schema alone (`instanceSchema.parse`).
 * Accounts stay pairwise distinct for every N.
 */
import { GCP_TDX_ZONES } from "../src/config/defaults";
import { instanceSchema, type InstanceConfig } from "../src/config/schema";
import { readStackConfig, stackFilePath } from "../src/config/stackFile";
import { formatIssues, parseInstanceConfig, validateInstanceConfig } from "../src/config/validate";

export const BASE_STACK = "acme.mainnet";
/** The committee server the decommission scenario replaces. */
export const DECOMMISSIONED = "c2";

type Raw = Record<string, any>;


/**
 * Committee server number `i` (1-based), on GCP: production committee servers can only be GCP TDX
 * guests (AWS has no TDX; an Azure TDX guest cannot produce mosaik's ticket, docs/measurements.md).
 */
export function committeeNode(i: number, opts: { regionSlot?: number } = {}): Raw {
  const slot = opts.regionSlot ?? i;
  const id = `c${i}`;
  const regions = Object.keys(GCP_TDX_ZONES);
  const region = regions[(slot - 1) % regions.length];
  const zones = GCP_TDX_ZONES[region];
  return {
    id,
    cloud: "gcp",
    account: `zipnet-bench-${id}`,
    region,
    zone: zones[Math.floor((slot - 1) / regions.length) % zones.length],
    operator: `Operator ${id}`,
    oncall: `pagerduty:zipnet-${id}`,
  };
}

/** acme.mainnet's raw config with a committee of `n` servers. */
export function rawInstance(n: number): Raw {
  const base = readStackConfig(stackFilePath(BASE_STACK)) as Raw;
  const raw: Raw = structuredClone(base);
  raw.committee = Array.from({ length: n }, (_, i) => committeeNode(i + 1));
  return raw;
}

/** How a raw config became a validated config. */
export type Validation = "parseInstanceConfig" | "schema-only (distinct-region rule bypassed)";

/**
 * Validates a raw config: `parseInstanceConfig` when it passes every rule, else, when the only
 * issues are committee regions shared by two servers, the schema alone. Anything else throws.
 */
export function toConfig(raw: Raw): { config: InstanceConfig; validation: Validation; bypassed: number } {
  const result = validateInstanceConfig(raw);
  if (result.ok) return { config: parseInstanceConfig(raw), validation: "parseInstanceConfig", bypassed: 0 };
  const other = result.issues.filter((i) => !(/^zipnet-infra:instance\.committee\[\d+\]\.region$/.test(i.path) && i.expected.startsWith("a region distinct from")));
  if (other.length) throw new Error(`synthetic instance is invalid beyond the distinct-region rule:\n${formatIssues(other)}`);
  return { config: instanceSchema.parse(raw), validation: "schema-only (distinct-region rule bypassed)", bypassed: result.issues.length };
}

export interface Scenario {
  name: "base" | "rotation" | "decommission";
  raw: Raw;
}

/**
 * The three configs the change counts compare:
 *  - base: N committee servers;
 *  - rotation: base with `rotation.committeeEpoch` bumped by one;
 *  - decommission: committee server c2 replaced by a new server c<N+1> on the same cloud, in a
 *    new account, in the region c2 freed (production keeps an odd count, so a server leaves by
 *    being replaced; the set of regions and accounts stays pairwise distinct where it was).
 */
export function scenarios(n: number): Scenario[] {
  const base = rawInstance(n);
  const rotation = structuredClone(base);
  rotation.rotation = { ...(rotation.rotation ?? {}), committeeEpoch: (rotation.rotation?.committeeEpoch ?? 0) + 1 };
  const decommission = structuredClone(base);
  const index = decommission.committee.findIndex((c: Raw) => c.id === DECOMMISSIONED);
  const gone = decommission.committee[index];
  // Every server is on GCP; the replacement takes the region (and zone) c2 freed.
  const replacement = committeeNode(n + 1);
  if (replacement.cloud !== gone.cloud) throw new Error(`replacement ${replacement.id} is not on ${gone.cloud}`);
  replacement.region = gone.region;
  replacement.zone = gone.zone;
  decommission.committee.splice(index, 1);
  decommission.committee.push(replacement);
  return [
    { name: "base", raw: base },
    { name: "rotation", raw: rotation },
    { name: "decommission", raw: decommission },
  ];
}

/** The id of the server that replaces c2 in the decommission scenario. */
export function replacementId(n: number): string {
  return `c${n + 1}`;
}

export function stackName(n: number): string {
  return `bench.n${n}`;
}

/**
 * The stack an end-to-end plan of size `n` runs (`plan --config-file`): acme.mainnet's shape with
 * `n` GCP committee servers, in the devtest posture. Production admits one committee server per
 * GCP TDX region (8: at most 7 servers), and the CLI refuses any other config before it starts;
 * devtest keeps every other rule (the pack reports the shared regions and clouds as advisory
 * committee.fault-domains findings). No PeerId registry: production requires one, signed for its node set.
 */
export function endToEndStack(n: number): { stack: string; config: Raw } {
  const raw = rawInstance(n);
  const stack = `bench.e2e.n${n}`;
  raw.name = stack;
  raw.posture = "devtest";
  delete raw.registry;
  // What devtest asks its operator to acknowledge: the host is trusted.
  raw.acknowledgedRisks = [...(raw.acknowledgedRisks ?? []), "devtest.host-trusted"];
  return { stack, config: { config: { "zipnet-infra:instance": raw } } };
}
