/**
 * secret.*: ZIPNET_COMMITTEE_SECRET / ZIPNET_SECRET live only in Vault (never inline in
 * user-data, metadata, tags, labels or any other input), one committee secret per instance in
 * the instance's own mount, reads recorded by an audit device, rotation rehearsed.
 */
import { ageDays, parseDate, recordOfView } from "./core/checks";
import { NOW_CONFIG, raw, resourcePolicies, stackPolicies } from "./core/policy";
import { ZIPNET_INSTANCE_TYPE, packageOfType, type ResourceView } from "./core/resources";
import { at, decodeBase64Text, isObject, isUnknown, parseJson, str, walkStrings } from "./core/values";
import { COMMITTEE_KEY } from "../contract/vault";

/** A key naming the secret itself (not its `_FILE` form). */
const SECRET_KEY = /^zipnet[-_](committee[-_])?secret$/i;
/** `ZIPNET_SECRET=x`, `ZIPNET_COMMITTEE_SECRET: x`, `"ZIPNET_SECRET":"x"` in free text. */
const SECRET_ASSIGN = /\bZIPNET_(?:COMMITTEE_)?SECRET\b["']?\s*[=:]\s*["']?([^\s"',}]+)/i;

/** Packages whose resources legitimately hold secret values (the secret manager and the RNG). */
export function holdsSecretsLegitimately(type: string): boolean {
  const pkg = packageOfType(type);
  return pkg === "vault" || pkg === "random";
}

type Hit = { path: string; what: string };

function scanValue(v: unknown, path: string, hits: Hit[], depth = 0): void {
  if (depth > 6) return;
  if (isObject(v)) {
    for (const [k, e] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      if (SECRET_KEY.test(k) && typeof e === "string" && e.trim() !== "") hits.push({ path: p, what: `${k} with an inline value` });
      scanValue(e, p, hits, depth + 1);
    }
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((e, i) => scanValue(e, `${path}[${i}]`, hits, depth + 1));
    return;
  }
  if (typeof v !== "string") return;
  const text = decodeBase64Text(v) ?? v;
  const parsed = parseJson(text);
  if (parsed !== undefined) {
    scanValue(parsed, path, hits, depth + 1);
    return;
  }
  const m = text.match(SECRET_ASSIGN);
  if (m && m[1] !== "") hits.push({ path, what: `${m[0].split(/[=:]/)[0].replace(/["'\s]/g, "")} assigned inline` });
}

export const [committeeInManager, committeeInManagerDevtest] = resourcePolicies({
  checklistId: "secret.committee-in-manager",
  description:
    "ZIPNET_COMMITTEE_SECRET and ZIPNET_SECRET never appear with an inline value in any input outside Vault (user-data, metadata, tags, labels, env): only the *_FILE forms, filled from the secret manager at boot.",
  levels: "split",
  check(r, ctx) {
    if (holdsSecretsLegitimately(r.type)) return;
    const hits: Hit[] = [];
    scanValue(r.props, "", hits);
    for (const h of hits) ctx.fail(h.path, "only the *_FILE form (a tmpfs path the image fills from Vault)", raw(h.what));
  },
});

/** The string values of a secretV2's data (`dataJson` is JSON text), long enough to search for. */
export function secretValues(r: ResourceView): string[] {
  const data = r.props.dataJson;
  const parsed = typeof data === "string" ? parseJson(data) : isObject(data) ? data : undefined;
  const out: string[] = [];
  walkStrings(parsed, (_p, s) => {
    if (s.length >= 12) out.push(s);
  });
  return out;
}

export const [committeeValueLeak, committeeValueLeakDevtest] = stackPolicies({
  checklistId: "secret.committee-in-manager",
  aspect: "value",
  description:
    "The value of every Vault KV secret of the stack (committee and node secrets), when known, appears in no input of any non-Vault, non-random resource (plain or base64-decoded).",
  levels: "split",
  check(m, ctx) {
    const secrets = m.ofType("vault:kv/secretV2:SecretV2").map((s) => ({ s, values: secretValues(s) })).filter((x) => x.values.length);
    if (secrets.length === 0) return;
    ctx.each(m.resources, (r) => {
      if (holdsSecretsLegitimately(r.type)) return;
      walkStrings(r.props, (path, text) => {
        const decoded = decodeBase64Text(text);
        for (const { s, values } of secrets) {
          if (values.some((v) => text.includes(v) || (decoded !== undefined && decoded.includes(v)))) {
            const where = `${str(s.props.mount) ?? "?"}/${str(s.props.name) ?? s.name}`;
            ctx.fail(r, path, "no secret value outside the secret manager", raw(`the value of Vault secret ${where} (${s.name})`));
          }
        }
      });
    });
  },
});

function isCommitteeSecret(r: ResourceView): boolean {
  const name = r.props.name;
  return typeof name === "string" && (name === COMMITTEE_KEY || name.endsWith(`/${COMMITTEE_KEY}`));
}

export const [committeeUnique, committeeUniqueDevtest] = stackPolicies({
  checklistId: "secret.committee-unique",
  description:
    "Exactly one committee secret (KV v2 key `committee`) per instance, in the instance's own mount: a secret store scope of its own, filled from a per-instance random.",
  levels: "split",
  check(m, ctx) {
    const committees = m.ofType("vault:kv/secretV2:SecretV2").filter(isCommitteeSecret);
    const mount = m.mount();
    const hasVault = m.resources.some((r) => packageOfType(r.type) === "vault" && !r.type.startsWith("pulumi:providers:"));
    if (committees.length === 0) {
      if (hasVault && m.records.length && mount) {
        ctx.fail(m.records[0].r, "vault.mount", `one committee secret (vault:kv/secretV2 "committee") in mount ${mount}`, raw("none in the stack"));
      }
      return;
    }
    if (committees.length > 1) {
      ctx.each(committees.slice(1), (c) =>
        ctx.fail(c, "name", `exactly one committee secret per instance (already ${committees[0].name})`, c.props.name, { note: `${committees.length} committee secrets in the stack` }));
    }
    if (mount) {
      ctx.each(committees, (c) => {
        const cm = c.props.mount;
        if (typeof cm === "string" && cm.replace(/\/+$/, "") !== mount) ctx.fail(c, "mount", `the instance's own mount "${mount}"`, cm);
      });
    }
  },
});

export const [accessAudited, accessAuditedDevtest] = stackPolicies({
  checklistId: "secret.access-audited",
  description:
    "Reads of the secrets are audited: the stack enables a Vault audit device (vault:index/audit:Audit, secrets hashed: log_raw off), or the posture record names an existing device (auditDevice existing + existingAudit {device, by, date}).",
  levels: "split",
  check(m, ctx) {
    const audits = m.ofType("vault:index/audit:Audit");
    ctx.each(audits, (a) => {
      const logRaw = at(a.props, "options", "log_raw");
      if (logRaw === true || (typeof logRaw === "string" && logRaw.toLowerCase() === "true")) {
        ctx.fail(a, "options.log_raw", "false (secret values hashed in the audit log)", logRaw);
      }
    });
    if (audits.length) return;
    const rec = m.records[0];
    if (rec) {
      const vault = rec.rec.vault;
      if (isUnknown(vault)) return;
      const existing = at(vault, "existingAudit");
      if (at(vault, "auditDevice") === "existing" && isObject(existing) && str(existing.device) && str(existing.by) && parseDate(existing.date)) return;
      ctx.fail(rec.r, "vault.auditDevice", "a vault:index/audit:Audit in the stack, or auditDevice existing with existingAudit {device, by, date}", at(vault, "auditDevice") ?? raw("no audit device"));
      return;
    }
    if (m.ofType(ZIPNET_INSTANCE_TYPE).length) return; // the record is not visible (component outputs): cannot judge
    const secret = m.ofType("vault:kv/secretV2:SecretV2")[0];
    if (secret) ctx.fail(secret, "audit", "a Vault audit device recording secret reads (vault:index/audit:Audit)", raw("none in the stack"));
  },
});

export const [rotation, rotationDevtest] = resourcePolicies({
  checklistId: "secret.rotation",
  description:
    "Rotation is rehearsed: the posture record's rotation.lastRehearsal is a date within the last 180 days (policy config maxAgeDays; now is injectable with config now).",
  levels: "split",
  types: [ZIPNET_INSTANCE_TYPE],
  configSchema: { properties: { ...NOW_CONFIG.properties, maxAgeDays: { type: "integer", default: 180 } } },
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec) return;
    const last = at(rec, "rotation", "lastRehearsal");
    if (isUnknown(last)) return;
    const maxAge = typeof ctx.config.maxAgeDays === "number" ? ctx.config.maxAgeDays : 180;
    const date = parseDate(last);
    if (!date) {
      ctx.fail("rotation.lastRehearsal", "the date (YYYY-MM-DD) of the last rotation rehearsal", last);
      return;
    }
    const age = ageDays(date, ctx.now);
    if (age > maxAge) ctx.fail("rotation.lastRehearsal", `a rehearsal within the last ${maxAge} days`, last, `${age} days ago`);
    else if (age < -1) ctx.fail("rotation.lastRehearsal", "a date that is not in the future", last);
  },
});
