/**
 * The one place the pack reaches into @pulumi/policy's internals (its version is pinned exactly in
 * package.json; test/policies/sdkCanary.test.ts fails loudly when any of these change):
 *  - the unknown-checking proxy's target key, to read a resource's props without the proxy;
 *  - the framework's UnknownValueError class: a check that cannot judge a value unknown during
 *    preview throws it, and the framework reports an advisory "can't run <policy> during preview";
 *  - the framework's `deserializeProperties`, memoized per request (one deserialization per
 *    request instead of one per policy: the pack's speed at large N).
 */

/** Key under which the framework's proxy exposes its target (`@pulumi/policy/proxy.js`). */
export const PROXY_TARGET = "__getSpecialProxyTarget";

/** The object behind the framework's unknown-checking proxy (or the value itself). */
export function proxyTarget(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  try {
    const target = (value as Record<string, unknown>)[PROXY_TARGET];
    if (target !== undefined && target !== null && typeof target === "object") return target;
  } catch {
    // an exotic object: use it as is
  }
  return value;
}

type UnknownValueErrorClass = new (sentinel: string, props: string[]) => Error;

let unknownClass: UnknownValueErrorClass | undefined;

/** The framework's UnknownValueError, loaded on first use (so pure imports of the pack load no SDK). */
function frameworkUnknown(): UnknownValueErrorClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  unknownClass ??= (require("@pulumi/policy/proxy") as { UnknownValueError: UnknownValueErrorClass }).UnknownValueError;
  return unknownClass;
}

/** The string-typed unknown sentinel the framework names in its message ("string value at ..."). */
const STRING_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** An error the framework reports as an advisory "can't run <policy> during preview: <what>". */
export function cannotJudgeYet(what: string[]): Error {
  return new (frameworkUnknown())(STRING_UNKNOWN, [what.join(", ")]);
}

/** Whether `error` is the framework's UnknownValueError (reading an unknown through its proxy). */
export function isFrameworkUnknown(error: unknown): boolean {
  return (error as { constructor?: { name?: string } } | null)?.constructor?.name === "UnknownValueError" || error instanceof frameworkUnknown();
}

const shared = new WeakMap<object, unknown>();
const PATCHED = Symbol.for("zipnet-posture.sharedDeserialize");
let done = false;
let scannedOnce = false;
let resolvedModule: string | null | undefined;

/** The framework's deserialize module as this file resolves it, or null when it cannot be resolved. */
function resolveDeserialize(): string | null {
  try {
    return require.resolve("@pulumi/policy/deserialize.js");
  } catch {
    return null;
  }
}

/**
 * One deserialization per request instead of one per policy: the framework deserializes a
 * resource's protobuf Struct again for every policy; the Struct of one request is one object, so
 * `deserializeProperties(struct, false)` is memoized by its identity. Patched only when the
 * framework already loaded the module (the pack process); when the module changed shape, nothing
 * is patched and the canary test fails.
 */
export function shareDeserialization(): void {
  if (done) return;
  const cache = (typeof require === "function" ? require.cache : undefined) ?? {};
  // This runs once per stack-policy call. Where the framework is not loaded (in-process tests) a
  // scan of the module cache each time costs milliseconds: scan it once, then look up only the
  // module this file resolves (the framework's own copy) until it appears.
  if (resolvedModule === undefined) resolvedModule = resolveDeserialize();
  const files = resolvedModule && cache[resolvedModule] ? [resolvedModule] : [];
  if (!scannedOnce) {
    scannedOnce = true;
    for (const file of Object.keys(cache)) if (file !== resolvedModule && /[\\/]@pulumi[\\/]policy[\\/]deserialize\.js$/.test(file)) files.push(file);
  }
  for (const file of files) {
    const mod = cache[file];
    const exp = mod?.exports as Record<string | symbol, any> | undefined;
    const orig = exp?.deserializeProperties;
    if (typeof orig !== "function" || orig[PATCHED]) continue;
    const wrapped = function deserializeProperties(struct: any, proxySecrets?: boolean): unknown {
      if (proxySecrets || struct === null || typeof struct !== "object" || typeof struct.toJavaScript !== "function") return orig(struct, proxySecrets);
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
}

/** Whether the deserialization patch is in place (the canary test). */
export function deserializationShared(): boolean {
  return done;
}
