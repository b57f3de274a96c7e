/**
 * `@pulumi/pulumi`'s `debuggablePromise` formats `new Error().stack` for every promise it makes
 * (four per output property of every resource class, ~10^4 per plan of acme.mainnet), through
 * cmd/run's source-map-support, and reads it only under `PULUMI_DEBUG_PROMISE_LEAKS`
 * (runtime/debuggable.js, @pulumi/pulumi 3.248.0). That was a third of the program's time
 * (bench/README.md). Resource source positions are unaffected: `Resource.callsites` raises the
 * limit itself for its one capture per registration.
 */

/**
 * Turns the captures off and returns how to restore them. The program's own errors then carry no
 * frames either: `ZIPNET_STACK_TRACES=on` (or the SDK's leak debugger) keeps them, at about a
 * second per plan of acme.mainnet.
 */
export function withoutPromiseStacks(): () => void {
  const limit = Error.stackTraceLimit;
  if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS && process.env.ZIPNET_STACK_TRACES !== "on") Error.stackTraceLimit = 0;
  return () => {
    Error.stackTraceLimit = limit;
  };
}
