/**
 * The posture record: the ZipnetInstance component's inputs (what `pulumi policy analyze` and
 * Analyze see), nested under `postureRecord` in its outputs (what AnalyzeStack sees). One reader
 * for the pack, the audit and the CLI. Pure.
 */
function isObject(v: unknown): v is Record<string, any> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The record a ZipnetInstance's props carry (inputs or outputs), or undefined. */
export function postureRecordOf(props: unknown): Record<string, any> | undefined {
  if (!isObject(props)) return undefined;
  if (isObject(props.postureRecord)) return props.postureRecord;
  if (props.name !== undefined && (props.posture !== undefined || props.nodes !== undefined)) return props;
  return undefined;
}
