/**
 * The generated Prometheus rules: parsed back with `yaml`, one group per instance, the six
 * alerts with windows computed from the inputs, instance-scoped expressions, valid labels,
 * and well-formed PromQL (bracket balance, durations).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { toolSuite } from "../support/tools";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ALERT_NAMES, INSTANCE_LABEL, METRICS, alertRules, alertRulesData, alertWindows, checkPromql, type AlertRulesInput } from "../../src/deployRecord/alerts";

const INPUT: AlertRulesInput = { instance: "acme.mainnet", committeeSize: 3, roundPeriodSeconds: 10, roundDeadlineSeconds: 5, ticketExpiryWarningHours: 24 };

const rulesOf = (input: AlertRulesInput) => {
  const doc = parse(alertRules(input));
  expect(Object.keys(doc)).toEqual(["groups"]);
  expect(doc.groups).toHaveLength(1);
  return { group: doc.groups[0], byName: Object.fromEntries(doc.groups[0].rules.map((r: any) => [r.alert, r])) as Record<string, any> };
};

/** Prometheus duration: one or more <int><unit> parts. */
const DURATION = /^(\d+(ms|[smhdwy]))+$/;

describe("alertRules", () => {
  it("writes one group zipnet-<instance> holding the six alerts", () => {
    const { group } = rulesOf(INPUT);
    expect(group.name).toBe("zipnet-acme.mainnet");
    expect(group.rules.map((r: any) => r.alert)).toEqual([...ALERT_NAMES]);
    for (const rule of group.rules) expect(Object.keys(rule).sort()).toEqual(["alert", "annotations", "expr", "for", "labels"]);
  });

  it("computes windows and thresholds from the inputs (period 10, deadline 5 -> 35s)", () => {
    const { byName } = rulesOf(INPUT);
    const sel = `${INSTANCE_LABEL}="acme.mainnet"`;
    expect(byName.ZipnetNoRoundFinalized.expr).toBe(`sum(increase(${METRICS.roundsFinalized}{${sel}}[35s])) == 0 or absent_over_time(${METRICS.roundsFinalized}{${sel}}[35s])`);
    expect(byName.ZipnetNoRoundFinalized.for).toBe("0s");
    expect(byName.ZipnetLeaderCountNotOne.expr).toBe(`sum(mosaik_groups_leader_is_local{${sel}}) != 1`);
    expect(byName.ZipnetLeaderCountNotOne.for).toBe("35s");
    expect(byName.ZipnetBondsBelowQuorum.expr).toBe(`mosaik_bonds{${sel},zipnet_role!="aggregator"} < 2`);
    expect(byName.ZipnetBondsBelowQuorum.for).toBe("35s");
    expect(byName.ZipnetRaftLag.expr).toBe(`${METRICS.raftLag}{${sel}} > 5`);
    expect(byName.ZipnetRaftLag.for).toBe("35s");
    expect(byName.ZipnetNoParticipants.expr).toBe(`max_over_time(zipnet_round_participants{${sel}}[20s]) == 0`);
    expect(byName.ZipnetNoParticipants.for).toBe("0s");
    expect(byName.ZipnetTdxTicketExpiring.expr).toBe(`zipnet_tdx_ticket_expiry_timestamp_seconds{${sel}} - time() < 86400`);
    expect(byName.ZipnetTdxTicketExpiring.annotations.summary).toMatch(/within 24h/);
  });

  it("follows other inputs (N=5, period 30, deadline 12, 6h warning)", () => {
    const input = { instance: "beta.testnet", committeeSize: 5, roundPeriodSeconds: 30, roundDeadlineSeconds: 12, ticketExpiryWarningHours: 6 };
    const { group, byName } = rulesOf(input);
    expect(alertWindows(input)).toEqual({ stallSeconds: 102, twoRoundsSeconds: 60, ticketWarningSeconds: 21600 });
    expect(group.name).toBe("zipnet-beta.testnet");
    expect(byName.ZipnetNoRoundFinalized.expr).toContain("[102s]");
    expect(byName.ZipnetLeaderCountNotOne.for).toBe("102s");
    expect(byName.ZipnetBondsBelowQuorum.expr).toMatch(/ < 4$/);
    expect(byName.ZipnetNoParticipants.expr).toContain("[60s]");
    expect(byName.ZipnetTdxTicketExpiring.expr).toMatch(/ < 21600$/);
  });

  it("labels every alert with a valid severity and the instance, and links a runbook", () => {
    const { group } = rulesOf(INPUT);
    for (const rule of group.rules) {
      expect(Object.keys(rule.labels).sort()).toEqual(["severity", "zipnet_instance"]);
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.labels.zipnet_instance).toBe("acme.mainnet");
      for (const name of Object.keys(rule.labels)) expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
      expect(rule.annotations.summary).toContain("acme.mainnet");
      expect(rule.annotations.runbook).toMatch(/^docs\/(rotation|decommissioning|operator-guide)\.md$/);
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    }
    const withBase = rulesOf({ ...INPUT, runbookBase: "https://github.com/acme/zipnet-infra/blob/main/" }).group.rules;
    expect(withBase[0].annotations.runbook).toBe("https://github.com/acme/zipnet-infra/blob/main/docs/operator-guide.md");
  });

  it("scopes every expression to the instance and writes well-formed PromQL and durations", () => {
    const { group } = rulesOf(INPUT);
    for (const rule of group.rules) {
      expect(rule.expr).toContain(`${INSTANCE_LABEL}="acme.mainnet"`);
      // every selector of the expression carries the instance matcher
      for (const selector of rule.expr.match(/\{[^}]*\}/g) ?? []) expect(selector).toContain(`${INSTANCE_LABEL}="acme.mainnet"`);
      expect(checkPromql(rule.expr), rule.expr).toEqual([]);
      expect(rule.for).toMatch(DURATION);
      for (const [, range] of rule.expr.matchAll(/\[([^\]]*)\]/g)) expect(range).toMatch(DURATION);
    }
  });

  it("starts with a comment naming the metric contract, and matches its data form", () => {
    const text = alertRules(INPUT);
    expect(text.split("\n")[0]).toMatch(/^# Prometheus alert rules of zipnet instance acme\.mainnet/);
    expect(text).toContain("must match the zipnet build's exporter");
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(alertRulesData(INPUT))));
  });

  it("refuses nonsensical inputs", () => {
    expect(() => alertRules({ ...INPUT, committeeSize: 0 })).toThrow(/committeeSize/);
    expect(() => alertRules({ ...INPUT, roundPeriodSeconds: 2.5 })).toThrow(/roundPeriodSeconds/);
    expect(() => alertRules({ ...INPUT, roundDeadlineSeconds: -1 })).toThrow(/roundDeadlineSeconds/);
    expect(() => alertRules({ ...INPUT, ticketExpiryWarningHours: 0 })).toThrow(/ticketExpiryWarningHours/);
    expect(() => alertRules({ ...INPUT, instance: "" })).toThrow(/instance/);
  });

  it("escapes the instance in PromQL string literals", () => {
    const { group } = rulesOf({ ...INPUT, instance: 'we"ird' });
    expect(group.rules[1].expr).toBe('sum(mosaik_groups_leader_is_local{zipnet_instance="we\\"ird"}) != 1');
    for (const rule of group.rules) expect(checkPromql(rule.expr)).toEqual([]);
  });
});

describe("checkPromql", () => {
  it("accepts well-formed expressions", () => {
    for (const ok of ['rate(x{a="b"}[5m])', 'sum by (a) (x{a="]"})', "max_over_time(x[1h30m])", "avg_over_time(rate(x[1m])[10m:30s])", "x > 5"]) {
      expect(checkPromql(ok), ok).toEqual([]);
    }
  });

  it("finds unbalanced brackets, bad durations and open strings", () => {
    expect(checkPromql("sum(x{a=\"b\"}[5m]")).toEqual(["unclosed '('"]);
    expect(checkPromql("x{a=\"b\"]")[0]).toMatch(/unbalanced '\]'/);
    expect(checkPromql("rate(x[5])")).toEqual(["bad range duration [5]"]);
    expect(checkPromql("rate(x[35 s])")).toEqual(["bad range duration [35 s]"]);
    expect(checkPromql('x{a="b}')).toEqual(["unterminated string literal", "unclosed '{'"]);
    expect(checkPromql("  ")).toEqual(["empty expression"]);
  });
});

/** Prometheus' own rule checker and unit tester (Debian package `prometheus`): skipped, and said so, where it is not installed; required in CI. */
const promtool = toolSuite("promtool (Prometheus' checker and rule unit tests)", "promtool");

describe.skipIf(promtool.skip)(promtool.title, () => {
  const run = (files: Record<string, string>, args: (dir: string) => string[]) => {
    const dir = mkdtempSync(path.join(tmpdir(), "zipnet-rules-"));
    try {
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      const result = spawnSync("promtool", args(dir), { encoding: "utf8" });
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("`promtool check rules` accepts the generated file", () => {
    const result = run({ "rules.yml": alertRules(INPUT) }, (dir) => ["check", "rules", path.join(dir, "rules.yml")]);
    expect(result.output).toContain("SUCCESS: 6 rules found");
    expect(result.status).toBe(0);
  });

  it("the alerts fire exactly when the signals say so (`promtool test rules`)", () => {
    const data = alertRulesData(INPUT);
    const byName = Object.fromEntries(data.groups[0].rules.map((r) => [r.alert, r]));
    const I = 'zipnet_instance="acme.mainnet"';
    /** An expected alert: rule labels + series labels, annotations with the templates expanded. */
    const fired = (alert: string, labels: Record<string, string>, value?: string) => {
      const rule = byName[alert];
      const expand = (t: string) => t.replace("{{ $value }}", value ?? "").replace("{{ $labels.instance }}", labels.instance ?? "");
      return {
        exp_labels: { ...rule.labels, ...labels },
        exp_annotations: { summary: expand(rule.annotations.summary), runbook: rule.annotations.runbook },
      };
    };
    const none = (alertname: string, eval_time: string) => ({ eval_time, alertname, exp_alerts: [] });
    const tests = [
      {
        name: "stall: rounds finalize for 60s, then stop (35s window)",
        interval: "5s",
        input_series: [{ series: `zipnet_rounds_finalized_total{${I},instance="c1"}`, values: "0+1x12 12x40" }],
        alert_rule_test: [
          none("ZipnetNoRoundFinalized", "60s"),
          none("ZipnetNoRoundFinalized", "90s"),
          { eval_time: "2m", alertname: "ZipnetNoRoundFinalized", exp_alerts: [fired("ZipnetNoRoundFinalized", {})] },
        ],
      },
      {
        name: "healthy rounds and one leader: silent",
        interval: "5s",
        input_series: [
          { series: `zipnet_rounds_finalized_total{${I},instance="c1"}`, values: "0+1x60" },
          { series: `mosaik_groups_leader_is_local{${I},instance="c1"}`, values: "1x60" },
          { series: `mosaik_groups_leader_is_local{${I},instance="c2"}`, values: "0x60" },
          { series: `zipnet_rounds_finalized_total{zipnet_instance="other.instance",instance="x1"}`, values: "0x60" },
        ],
        alert_rule_test: [none("ZipnetNoRoundFinalized", "4m"), none("ZipnetLeaderCountNotOne", "4m")],
      },
      {
        name: "no round metrics at all: the stall alert fires (absent)",
        interval: "5s",
        input_series: [{ series: `up{${I},instance="c1"}`, values: "1x20" }],
        alert_rule_test: [{ eval_time: "10s", alertname: "ZipnetNoRoundFinalized", exp_alerts: [fired("ZipnetNoRoundFinalized", { zipnet_instance: "acme.mainnet" })] }],
      },
      {
        name: "two leaders: pending for 35s, then firing",
        interval: "5s",
        input_series: [
          { series: `mosaik_groups_leader_is_local{${I},instance="c1"}`, values: "1x20" },
          { series: `mosaik_groups_leader_is_local{${I},instance="c2"}`, values: "1x20" },
        ],
        alert_rule_test: [
          none("ZipnetLeaderCountNotOne", "30s"),
          { eval_time: "1m", alertname: "ZipnetLeaderCountNotOne", exp_alerts: [fired("ZipnetLeaderCountNotOne", {}, "2")] },
        ],
      },
      {
        name: "bonds: only the committee server below N-1 fires (aggregator excluded)",
        interval: "5s",
        input_series: [
          { series: `mosaik_bonds{${I},instance="c1",zipnet_role="committee"}`, values: "2x20" },
          { series: `mosaik_bonds{${I},instance="c2",zipnet_role="committee"}`, values: "1x20" },
          { series: `mosaik_bonds{${I},instance="agg",zipnet_role="aggregator"}`, values: "0x20" },
        ],
        alert_rule_test: [
          none("ZipnetBondsBelowQuorum", "30s"),
          { eval_time: "1m", alertname: "ZipnetBondsBelowQuorum", exp_alerts: [fired("ZipnetBondsBelowQuorum", { instance: "c2", zipnet_instance: "acme.mainnet", zipnet_role: "committee" }, "1")] },
        ],
      },
      {
        name: "raft lag above 5",
        interval: "5s",
        input_series: [
          { series: `mosaik_groups_raft_lag{${I},instance="c1"}`, values: "5x20" },
          { series: `mosaik_groups_raft_lag{${I},instance="c2"}`, values: "6x20" },
        ],
        alert_rule_test: [{ eval_time: "1m", alertname: "ZipnetRaftLag", exp_alerts: [fired("ZipnetRaftLag", { instance: "c2", zipnet_instance: "acme.mainnet" }, "6")] }],
      },
      {
        name: "participants drop to zero at 15s: fires once two rounds (20s) are all zero",
        interval: "5s",
        input_series: [{ series: `zipnet_round_participants{${I},instance="c1"}`, values: "5 5 5 0x20" }],
        alert_rule_test: [
          none("ZipnetNoParticipants", "30s"),
          { eval_time: "40s", alertname: "ZipnetNoParticipants", exp_alerts: [fired("ZipnetNoParticipants", { instance: "c1", zipnet_instance: "acme.mainnet" })] },
        ],
      },
      {
        name: "ticket expiring within 24h",
        interval: "5s",
        input_series: [
          { series: `zipnet_tdx_ticket_expiry_timestamp_seconds{${I},instance="c1"}`, values: "86500x40" },
          { series: `zipnet_tdx_ticket_expiry_timestamp_seconds{${I},instance="c2"}`, values: "1000000000x40" },
        ],
        alert_rule_test: [
          none("ZipnetTdxTicketExpiring", "50s"),
          { eval_time: "2m", alertname: "ZipnetTdxTicketExpiring", exp_alerts: [fired("ZipnetTdxTicketExpiring", { instance: "c1", zipnet_instance: "acme.mainnet" })] },
        ],
      },
    ];
    const result = run(
      { "rules.yml": alertRules(INPUT), "tests.yml": stringify({ rule_files: ["rules.yml"], evaluation_interval: "5s", tests }) },
      (dir) => ["test", "rules", path.join(dir, "tests.yml")],
    );
    expect(result.output).toContain("SUCCESS");
    expect(result.status, result.output).toBe(0);
  });
});
