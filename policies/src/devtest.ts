/**
 * devtest.*: ZIPNET_MIN_PARTICIPANTS is set (and at least 3 in production); the TDX-less
 * devtest posture never serves a production instance.
 */
import { bootEnv, bootOf, envFromText } from "./core/boot";
import { recordOfView, tdxProblems } from "./core/checks";
import { resourcePolicies, stackPolicies } from "./core/policy";
import { AWS_VM, AZURE_VM, GCP_VM, ZIPNET_INSTANCE_TYPE, instanceFromLabel } from "./core/resources";
import { arr, isObject, isUnknown, num } from "./core/values";

/** Production floor: with fewer participants a client is identifiable by elimination. */
export const PRODUCTION_MIN_PARTICIPANTS = 3;

export const [minParticipants, minParticipantsDevtest] = resourcePolicies({
  checklistId: "devtest.min-participants",
  description: `Committee servers' boot contracts set ZIPNET_MIN_PARTICIPANTS (default 1 lets a lone client broadcast); production posture requires at least ${PRODUCTION_MIN_PARTICIPANTS}, in the boot contracts and in the posture record's minParticipants.`,
  levels: "split",
  types: [GCP_VM, AZURE_VM, AWS_VM, ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const floor = ctx.posture === "production" ? PRODUCTION_MIN_PARTICIPANTS : 1;
    const rec = recordOfView(r);
    if (r.type === ZIPNET_INSTANCE_TYPE) {
      if (!rec) return;
      const v = rec.minParticipants;
      if (isUnknown(v)) return;
      const n = num(v);
      if (n === undefined || n < floor) ctx.fail("minParticipants", `an integer of at least ${floor}${floor > 1 ? " in production" : ""}`, v);
      return;
    }
    const boot = bootOf(r);
    const role = r.zipnet.role ?? boot.contract?.role;
    if (role !== "committee") return;
    let value: unknown;
    let path: string;
    const env = bootEnv(boot);
    if (env) {
      value = env.ZIPNET_MIN_PARTICIPANTS;
      path = `${boot.contractPath} env.ZIPNET_MIN_PARTICIPANTS`;
    } else {
      if (boot.unreadable && boot.sources.length === 0) return ctx.unknown("user-data (unknown, or hashed in the state)");
      path = boot.sources[0]?.path ?? "user-data";
      for (const s of boot.sources) {
        value = envFromText(s.text, "ZIPNET_MIN_PARTICIPANTS");
        if (value !== undefined) {
          path = `${s.path} ZIPNET_MIN_PARTICIPANTS`;
          break;
        }
      }
    }
    if (isUnknown(value)) return ctx.unknown(path);
    const n = num(value);
    if (value === undefined) ctx.fail(path, `ZIPNET_MIN_PARTICIPANTS set on the committee server (at least ${floor})`, undefined);
    else if (n === undefined || !Number.isInteger(n) || n < floor) ctx.fail(path, `an integer of at least ${floor}${floor > 1 ? " in production" : ""}`, value);
  },
});

export const [notProduction] = stackPolicies({
  checklistId: "devtest.not-production",
  description:
    "The TDX-less devtest posture never serves a production instance: in a production-posture stack every committee VM is a TDX guest, and no resource of the instance is labelled devtest.",
  levels: [{ posture: "production", level: "mandatory" }],
  check(m, ctx) {
    ctx.each(m.committeeVms(), (vm) => {
      if (m.postureOf(vm.r) !== "production") return;
      const verdict = tdxProblems(vm.r);
      if (verdict.tdx === false) {
        const p = verdict.problems[0];
        ctx.fail(vm.r, p ? p.path : "type", "a TDX guest (production instance)", p ? p.found : vm.r.type, { note: "a TDX-less committee server is the devtest posture" });
      }
    });
    ctx.each(m.records.filter((x) => x.posture === "production"), (rec) => {
      for (const r of m.resources) {
        if (r.zipnet.posture === "devtest" && (!r.zipnet.instance || !rec.name || instanceFromLabel(r.zipnet.instance) === rec.name)) {
          ctx.fail(r, "zipnet-posture", `"production" (instance ${rec.name ?? "?"} is production)`, "devtest", { posture: "production" });
        }
      }
    });
  },
});

export const [notProductionRecord] = resourcePolicies({
  checklistId: "devtest.not-production",
  aspect: "record",
  description: "A production posture record has no non-confidential (TDX-less) node.",
  levels: [{ posture: "production", level: "mandatory" }],
  types: [ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec) return;
    (arr(rec.nodes) ?? []).forEach((n, i) => {
      if (isObject(n) && n.confidential === false && n.role === "committee") ctx.fail(`nodes[${i}].confidential`, "true (production committee servers are TDX guests)", false, `node ${String(n.id)}`);
    });
  },
});

const PRODUCTION_NAME = /(^|[.\-_])(prod|production|mainnet|main)([.\-_]|$)/i;

export const [notProductionName] = resourcePolicies({
  checklistId: "devtest.not-production",
  aspect: "name",
  description: "Advice: an instance whose name says production (prod, production, mainnet, main) should not run the devtest posture.",
  levels: "advisory",
  types: [ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec || rec.posture !== "devtest") return;
    const name = rec.name;
    if (typeof name === "string" && PRODUCTION_NAME.test(name)) ctx.fail("posture", `production for an instance named ${name}`, "devtest");
  },
});

