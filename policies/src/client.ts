/** client.*: the committee's Tdx validator admits the published client MR_TDs. */
import { isMrtd, recordOfView } from "./core/checks";
import { resourcePolicies } from "./core/policy";
import { ZIPNET_INSTANCE_TYPE } from "./core/resources";
import { arr, at, isUnknown } from "./core/values";

export const [mrtdAllowlist, mrtdAllowlistDevtest] = resourcePolicies({
  checklistId: "client.mrtd-allowlist",
  description:
    "The committee's Tdx validator lists the published client MR_TD(s): a production posture record has tdx.clientMrtds with at least one entry, each 96 hex characters; devtest records may list none but not malformed ones.",
  levels: "split",
  types: [ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec) return;
    const list = at(rec, "tdx", "clientMrtds");
    if (isUnknown(list)) return ctx.unknown("tdx.clientMrtds");
    const mrtds = arr(list) ?? [];
    if (ctx.posture === "production" && mrtds.length === 0) ctx.fail("tdx.clientMrtds", "at least one published client MR_TD (96 hex characters)", list ?? []);
    mrtds.forEach((x, i) => {
      if (!isUnknown(x) && !(typeof x === "string" && isMrtd(x))) ctx.fail(`tdx.clientMrtds[${i}]`, "96 hex characters (a 48-byte MR_TD)", x);
    });
  },
});
