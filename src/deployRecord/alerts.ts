/**
 * Prometheus alert rules of an instance (checklist `client.quote-expiry-monitored` and the
 * zipnet operator book's monitoring signals), generated from the instance's parameters.
 * Pure: builds YAML with the `yaml` package.
 *
 * METRIC NAMES MUST MATCH THE ZIPNET BUILD'S EXPORTER. The names below are the ones the operator
 * book's signals suggest; check them against `curl <node>:<metricsPort>/metrics` of the release
 * you deploy and change them here (one place) when they differ.
 *
 * Labels: every expression selects `zipnet_instance="<instance name>"` (the dotted name, e.g.
 * `acme.mainnet`). The zipnet exporter does not add that label itself: the Prometheus scrape
 * config must attach it to each target (e.g. relabel from the VM's `zipnet-instance` label,
 * mapping `_` back to `.`, or set it per static target). The bond alert excludes
 * `zipnet_role="aggregator"` targets when the scrape config sets a `zipnet_role` label; without
 * it the aggregator is included (fail loud: a spurious alert, never a silent one).
 */
import { stringify } from "yaml";

/** Metric names (see the note above: they must match the exporter of the zipnet build). */
export const METRICS = {
  /** Counter: rounds this server saw finalized ("round finalized" in the logs). */
  roundsFinalized: "zipnet_rounds_finalized_total",
  /** Gauge 0/1 per node and group: this node is the group's Raft leader. */
  leaderIsLocal: "mosaik_groups_leader_is_local",
  /** Gauge: live bonds of this node to the other committee servers (expected N-1). */
  bonds: "mosaik_bonds",
  /** Gauge: how many Raft log indices this node is behind the leader's commit index. */
  raftLag: "mosaik_groups_raft_lag",
  /** Gauge: participants (client messages) in the last round. */
  roundParticipants: "zipnet_round_participants",
  /** Gauge: Unix time (s) at which this node's TDX ticket (quote) expires. */
  ticketExpiry: "zipnet_tdx_ticket_expiry_timestamp_seconds",
} as const;

/** Target label naming the instance (attached by the scrape config). */
export const INSTANCE_LABEL = "zipnet_instance";
/** Target label naming the node's role (attached by the scrape config; optional). */
export const ROLE_LABEL = "zipnet_role";
/** Raft lag (indices) above which a server is alerted as lagging (operator book: 5). */
export const RAFT_LAG_THRESHOLD = 5;

export const ALERT_NAMES = [
  "ZipnetNoRoundFinalized",
  "ZipnetLeaderCountNotOne",
  "ZipnetBondsBelowQuorum",
  "ZipnetRaftLag",
  "ZipnetNoParticipants",
  "ZipnetTdxTicketExpiring",
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

export type Severity = "critical" | "warning";

export interface AlertRulesInput {
  /** ZIPNET_INSTANCE, e.g. `acme.mainnet`. */
  instance: string;
  /** Number of committee servers N (bonds per server are expected to be N-1). */
  committeeSize: number;
  /** ZIPNET_ROUND_PERIOD in seconds. */
  roundPeriodSeconds: number;
  /** ZIPNET_ROUND_DEADLINE in seconds. */
  roundDeadlineSeconds: number;
  /** Warn this many hours before a node's TDX ticket expires. */
  ticketExpiryWarningHours: number;
  /** Prefix for runbook links (e.g. a repository URL ending in `/blob/main/`); default "" (repo-relative paths). */
  runbookBase?: string;
}

export interface AlertRule {
  alert: AlertName;
  expr: string;
  for: string;
  labels: { severity: Severity; zipnet_instance: string };
  annotations: { summary: string; runbook: string };
}

export interface RulesFile {
  groups: Array<{ name: string; rules: AlertRule[] }>;
}

/** Windows (seconds) derived from the inputs; exported so callers and tests share one formula. */
export function alertWindows(input: Pick<AlertRulesInput, "roundPeriodSeconds" | "roundDeadlineSeconds" | "ticketExpiryWarningHours">): {
  /** 3 x ROUND_PERIOD + ROUND_DEADLINE: no round finalized in this long = stalled. */
  stallSeconds: number;
  /** 2 x ROUND_PERIOD: zero participants over two rounds. */
  twoRoundsSeconds: number;
  /** The ticket expiry warning window. */
  ticketWarningSeconds: number;
} {
  return {
    stallSeconds: 3 * input.roundPeriodSeconds + input.roundDeadlineSeconds,
    twoRoundsSeconds: 2 * input.roundPeriodSeconds,
    ticketWarningSeconds: Math.round(input.ticketExpiryWarningHours * 3600),
  };
}

function checkInput(input: AlertRulesInput): void {
  const bad = (what: string, value: unknown) => {
    throw new RangeError(`alertRules: ${what}, found ${JSON.stringify(value)}`);
  };
  if (typeof input.instance !== "string" || input.instance === "") bad("instance must be a non-empty string", input.instance);
  if (!Number.isInteger(input.committeeSize) || input.committeeSize < 1) bad("committeeSize must be an integer >= 1", input.committeeSize);
  if (!Number.isInteger(input.roundPeriodSeconds) || input.roundPeriodSeconds < 1) bad("roundPeriodSeconds must be an integer >= 1", input.roundPeriodSeconds);
  if (!Number.isInteger(input.roundDeadlineSeconds) || input.roundDeadlineSeconds < 0) bad("roundDeadlineSeconds must be an integer >= 0", input.roundDeadlineSeconds);
  if (!(typeof input.ticketExpiryWarningHours === "number" && input.ticketExpiryWarningHours > 0 && Number.isFinite(input.ticketExpiryWarningHours))) {
    bad("ticketExpiryWarningHours must be a positive number", input.ticketExpiryWarningHours);
  }
}

/** A PromQL string literal (double-quoted, escaped). */
function promString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** The rules as data (what `alertRules` serialises). */
export function alertRulesData(input: AlertRulesInput): RulesFile {
  checkInput(input);
  const { instance, committeeSize: n } = input;
  const { stallSeconds, twoRoundsSeconds, ticketWarningSeconds } = alertWindows(input);
  const sel = `${INSTANCE_LABEL}=${promString(instance)}`;
  const base = input.runbookBase ?? "";
  const rule = (alert: AlertName, severity: Severity, expr: string, forSeconds: number, summary: string, runbook: string): AlertRule => ({
    alert,
    expr,
    for: `${forSeconds}s`,
    labels: { severity, zipnet_instance: instance },
    annotations: { summary, runbook: `${base}${runbook}` },
  });
  const hours = input.ticketExpiryWarningHours;
  const rules: AlertRule[] = [
    rule(
      "ZipnetNoRoundFinalized",
      "critical",
      // Fires when the counters exist and did not move, and when they are absent altogether.
      `sum(increase(${METRICS.roundsFinalized}{${sel}}[${stallSeconds}s])) == 0 or absent_over_time(${METRICS.roundsFinalized}{${sel}}[${stallSeconds}s])`,
      0,
      `${instance}: no round finalized for ${stallSeconds}s (3 x ROUND_PERIOD + ROUND_DEADLINE): the instance is stalled (in v1 every committee server must be up)`,
      "docs/operator-guide.md",
    ),
    rule(
      "ZipnetLeaderCountNotOne",
      "critical",
      `sum(${METRICS.leaderIsLocal}{${sel}}) != 1`,
      stallSeconds,
      `${instance}: {{ $value }} committee leaders, expected exactly one (partition, or a removed server still running)`,
      "docs/decommissioning.md",
    ),
    rule(
      "ZipnetBondsBelowQuorum",
      "critical",
      `${METRICS.bonds}{${sel},${ROLE_LABEL}!="aggregator"} < ${n - 1}`,
      stallSeconds,
      `${instance}: {{ $labels.instance }} has {{ $value }} bonds, expected ${n - 1} (N-1): a partition or an expired TDX ticket`,
      "docs/rotation.md",
    ),
    rule(
      "ZipnetRaftLag",
      "warning",
      `${METRICS.raftLag}{${sel}} > ${RAFT_LAG_THRESHOLD}`,
      stallSeconds,
      `${instance}: {{ $labels.instance }} is {{ $value }} Raft indices behind (more than ${RAFT_LAG_THRESHOLD})`,
      "docs/operator-guide.md",
    ),
    rule(
      "ZipnetNoParticipants",
      "warning",
      `max_over_time(${METRICS.roundParticipants}{${sel}}[${twoRoundsSeconds}s]) == 0`,
      0,
      `${instance}: zero participants for two rounds (${twoRoundsSeconds}s): clients cannot reach the instance, or none are running`,
      "docs/operator-guide.md",
    ),
    rule(
      "ZipnetTdxTicketExpiring",
      "warning",
      `${METRICS.ticketExpiry}{${sel}} - time() < ${ticketWarningSeconds}`,
      0,
      `${instance}: {{ $labels.instance }}'s TDX ticket expires within ${hours}h: renew it (restart the node, one server at a time) before its bonds drop`,
      "docs/rotation.md",
    ),
  ];
  return { groups: [{ name: `zipnet-${instance}`, rules }] };
}

/** The Prometheus rules file (YAML) of an instance: one group `zipnet-<instance>`, six alerts. */
export function alertRules(input: AlertRulesInput): string {
  const data = alertRulesData(input);
  const header = [
    `# Prometheus alert rules of zipnet instance ${input.instance}. Generated by zipnet-infra: do not edit.`,
    "# Metric names must match the zipnet build's exporter (src/deployRecord/alerts.ts METRICS);",
    `# the scrape config must attach ${INSTANCE_LABEL}="${input.instance}" to every target of the instance.`,
  ].join("\n");
  return `${header}\n${stringify(data, { lineWidth: 0 })}`;
}

/**
 * A small PromQL sanity check (not a parser): balanced (), [], {} outside string literals,
 * closed string literals, range selectors `[<duration>]` with valid durations, and a non-empty
 * expression. Returns the problems found (empty = looks well-formed).
 */
export function checkPromql(expr: string): string[] {
  const problems: string[] = [];
  if (expr.trim() === "") return ["empty expression"];
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  let quote: string | undefined;
  let rangeStart = -1;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "{") stack.push(c);
    else if (c === "[") {
      stack.push(c);
      rangeStart = i + 1;
    } else if (c === ")" || c === "]" || c === "}") {
      const open = stack.pop();
      if (open !== pairs[c]) {
        problems.push(`unbalanced '${c}' at ${i}`);
        return problems;
      }
      if (c === "]") {
        const range = expr.slice(rangeStart, i);
        // `[5m]`, `[1h30m]`, or a subquery `[5m:30s]`.
        if (!/^(\d+(ms|[smhdwy]))+(:((\d+(ms|[smhdwy]))+)?)?$/.test(range)) problems.push(`bad range duration [${range}]`);
      }
    }
  }
  if (quote) problems.push("unterminated string literal");
  if (stack.length > 0) problems.push(`unclosed '${stack.join("")}'`);
  return problems;
}
