/** ops.oncall: every node carries its on-call rotation (label/tag on the VM, and in the record). */
import { LABEL_ONCALL } from "../contract/labels";
import { labelProp, recordOfView } from "./core/checks";
import { resourcePolicies } from "./core/policy";
import { AWS_VM, AZURE_VM, GCP_VM, ZIPNET_INSTANCE_TYPE, isZipnetResource } from "./core/resources";
import { arr, isObject, isUnknown } from "./core/values";

/** A rotation name with substance (labels sanitise characters to `_`). */
function meaningful(v: unknown): boolean {
  return typeof v === "string" && /[A-Za-z0-9]/.test(v);
}

export const [oncall, oncallDevtest] = resourcePolicies({
  checklistId: "ops.oncall",
  description: `An on-call rotation is documented for each node: every zipnet VM carries a non-empty ${LABEL_ONCALL} label/tag, and every node of the posture record names its on-call.`,
  levels: "split",
  types: [GCP_VM, AZURE_VM, AWS_VM, ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (r.type === ZIPNET_INSTANCE_TYPE) {
      (arr(rec?.nodes) ?? []).forEach((n, i) => {
        if (isObject(n) && !isUnknown(n.oncall) && !meaningful(n.oncall)) ctx.fail(`nodes[${i}].oncall`, `the on-call rotation of node ${String(n.id)}`, n.oncall);
      });
      return;
    }
    if (!isZipnetResource(r)) return;
    if (isUnknown(r.ownLabels)) return;
    const own = isObject(r.ownLabels) ? r.ownLabels[LABEL_ONCALL] : undefined;
    if (isUnknown(own)) return;
    const v = r.labels[LABEL_ONCALL];
    if (!meaningful(v)) ctx.fail(`${labelProp(r.type)}.${LABEL_ONCALL}`, "the node's on-call rotation (non-empty)", v);
  },
});

