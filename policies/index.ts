/**
 * Entry point of the zipnet posture policy pack (`pulumi preview --policy-pack policies`).
 * It only constructs the PolicyPack: the policies live in pack.ts and src/ (a second
 * PolicyPack in one process exits it).
 */
import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES, PACK_NAME } from "./pack";

new PolicyPack(PACK_NAME, {
  description: "The zipnet security posture checklist (36 items) as CrossGuard policies.",
  enforcementLevel: "advisory",
  policies: ALL_POLICIES,
});
