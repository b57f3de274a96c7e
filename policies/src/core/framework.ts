/**
 * One deserialization per request instead of one per policy.
 *
 * `@pulumi/policy`'s server deserializes a resource's protobuf property Struct again for every
 * policy it runs (analyze: per resource policy; analyzeStack: every resource per stack policy).
 * The Struct of one request is one object (protobuf caches message wrappers), so we memoize
 * `deserializeProperties(struct, false)` by the Struct's identity: every policy of one call then
 * sees the same (never mutated) deserialized object, which also lets the resource-view and
 * stack-model caches hit. Only real protobuf Structs (with `toJavaScript`) are memoized; the
 * secrets-preserving variant (`proxySecrets`) is left alone. Nothing is loaded here: the
 * framework module is patched only when the framework already loaded it (the pack process).
 */
const shared = new WeakMap<object, unknown>();
const PATCHED = Symbol.for("zipnet-posture.sharedDeserialize");

let done = false;

export function shareDeserialization(): void {
  if (done) return;
  try {
    const cache = (typeof require === "function" ? require.cache : undefined) ?? {};
    for (const [file, mod] of Object.entries(cache)) {
      if (!/[\\/]@pulumi[\\/]policy[\\/]deserialize\.js$/.test(file)) continue;
      const exp = mod?.exports as Record<string | symbol, any> | undefined;
      const orig = exp?.deserializeProperties;
      if (typeof orig !== "function" || orig[PATCHED]) continue;
      const wrapped = function deserializeProperties(struct: any, proxySecrets?: boolean): unknown {
        if (proxySecrets || struct === null || typeof struct !== "object" || typeof struct.toJavaScript !== "function") {
          return orig(struct, proxySecrets);
        }
        let v = shared.get(struct);
        if (v === undefined) {
          v = orig(struct, proxySecrets);
          shared.set(struct, v);
        }
        return v;
      };
      (wrapped as any)[PATCHED] = true;
      exp!.deserializeProperties = wrapped;
      done = true;
    }
  } catch {
    // not patched: the framework deserializes as usual
  }
}
