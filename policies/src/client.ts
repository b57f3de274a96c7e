/** client.*: the committee's Tdx validator admits the published client MR_TDs. */
import { checkReferenceMrtds, recordOfView } from "./core/checks";
import { resourcePolicies } from "./core/policy";
import { ZIPNET_INSTANCE_TYPE } from "./core/resources";

export const [mrtdAllowlist, mrtdAllowlistDevtest] = resourcePolicies({
  checklistId: "client.mrtd-allowlist",
  description:
    "The committee's Tdx validator lists the published client measurements: a production posture record holds at least one tdx.clients reference set, each with an enforced MR_TD of 96 hex characters and the image registers of its platform enforced; devtest records may hold none but not malformed ones.",
  levels: "split",
  types: [ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec) return;
    checkReferenceMrtds(rec, "clients", ctx, "published client reference set");
  },
});
