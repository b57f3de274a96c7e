/**
 * The Pulumi engine's wire encoding, and the one component type token the offline audit and the
 * policy pack look for. Pure: the program, the mock engine, the audit and the pack share it.
 */

/** Key marking a special value in a wire property (`{ [SECRET_SIG_KEY]: SECRET_SIG, value }`). */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
/** The signature of a secret value. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** A value not known yet (preview): the engine's generic unknown string. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Type token of the ZipnetInstance component: its inputs are the instance's posture record. */
export const INSTANCE_TYPE = "zipnet:index:ZipnetInstance";

/** Provider config values reach the engine as strings, JSON text for non-strings: decoded. */
export function providerConfigValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const t = value.trim();
  if (!t.startsWith("[") && !t.startsWith("{")) return value;
  try {
    return JSON.parse(t);
  } catch {
    return value;
  }
}
