/** Keeps secret values out of what the audit prints: only values from secret sources count. */
import { SECRET_SIG, SECRET_SIG_KEY as SIG_KEY } from "../../../policies/contract/wire";
import { isObject } from "./input";
import type { AuditInput } from "./types";

/** Packages whose secret values are secrets by source: the secret store and the random generator. */
const SECRET_SOURCES = new Set(["vault", "random"]);
/** Shorter strings are not secret values of ours (32-byte secrets are 44 base64 characters). */
const MIN_SECRET_LENGTH = 16;

/**
 * Every string a secret holds (and the strings inside JSON-encoded secret text), walked with an
 * explicit stack: no nesting depth a state can hold makes it recurse.
 */
function secretStrings(root: unknown, out: Set<string>): void {
  const stack: Array<{ value: unknown; inSecret: boolean }> = [{ value: root, inSecret: false }];
  while (stack.length) {
    const { value, inSecret } = stack.pop()!;
    if (typeof value === "string") {
      if (!inSecret || value.length < MIN_SECRET_LENGTH) continue;
      out.add(value);
      const t = value.trim();
      if (t.startsWith("{") || t.startsWith("[") || t.startsWith('"')) {
        try {
          stack.push({ value: JSON.parse(t), inSecret: true });
        } catch {
          /* not JSON */
        }
      }
    } else if (Array.isArray(value)) {
      for (const v of value) stack.push({ value: v, inSecret });
    } else if (isObject(value)) {
      if (value[SIG_KEY] === SECRET_SIG) {
        stack.push({ value: value.value, inSecret: true }, { value: value.plaintext, inSecret: true });
      } else for (const v of Object.values(value)) stack.push({ value: v, inSecret });
    }
  }
}

/**
 * Replaces secret values in what the audit prints. Only values from secret sources count (the
 * secret store's and the random generator's resources): a provider that marks labels secret
 * must not turn policy names and messages into `[secret]`.
 */
export function scrubber(states: AuditInput[]): (text: string) => string {
  const found = new Set<string>();
  for (const { state } of states) {
    for (const r of state.deployment.resources) {
      const pkg = r.type.startsWith("pulumi:providers:") ? "" : r.type.split(":")[0];
      if (SECRET_SOURCES.has(pkg)) secretStrings([r.inputs, r.outputs], found);
    }
  }
  const secrets = [...found].sort((a, b) => b.length - a.length);
  if (!secrets.length) return (text) => text;
  return (text) => secrets.reduce((t, s) => (t.includes(s) ? t.split(s).join("[secret]") : t), text);
}
