/**
 * Before any test: the compiled program and pack (dist/, policies/dist/) are what spawned
 * programs and packs run, as under the Pulumi CLI; rebuild them when a source changed.
 */
export default function setup(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("../../scripts/build.js") as { ensureBuilt(): boolean }).ensureBuilt();
}
