/**
 * audit.*: the Broadcasts archive (mandatory for production: a zipnet-role=archive resource)
 * and the PeerId registry (mandatory for production: the record names the registry key; the
 * signed registry file itself is verified by the program and the audit, the pack cannot read it).
 */
import { LABEL_ROLE } from "../../src/contract/labels";
import { recordOfView } from "./core/checks";
import { raw, resourcePolicies, stackPolicies } from "./core/policy";
import { ZIPNET_INSTANCE_TYPE, instanceFromLabel } from "./core/resources";
import { at, isObject, isUnknown, str } from "./core/values";

export const [broadcastArchive] = stackPolicies({
  checklistId: "audit.broadcast-archive",
  description:
    "A production instance has its Broadcasts archive: a resource labelled zipnet-role=archive for the instance (the job archiving the Broadcasts collection to durable storage, keyed by instance name). Devtest instances need none.",
  levels: [{ posture: "production", level: "mandatory" }],
  check(m, ctx) {
    const vms = m.nodeVms();
    const instances = m.records.length
      ? m.records.map((x) => ({ name: x.name, subject: x.r, posture: x.posture }))
      : [...new Set(vms.map((v) => v.instance))].map((name) => {
          const vm = vms.find((v) => v.instance === name)!;
          return { name, subject: vm.r, posture: m.postureOf(vm.r) };
        });
    ctx.each(instances, (inst) => {
      if (inst.posture !== "production") return;
      const archive = m.resources.find((r) => r.labels[LABEL_ROLE] === "archive" && (!inst.name || !r.zipnet.instance || instanceFromLabel(r.zipnet.instance) === inst.name));
      if (!archive) ctx.fail(inst.subject, "resources", `a resource labelled ${LABEL_ROLE}=archive for instance ${inst.name ?? "?"} (the Broadcasts archive)`, raw("none"), { posture: "production" });
    });
  },
});

export const [peerRegistry] = resourcePolicies({
  checklistId: "audit.peer-registry",
  description:
    "A production posture record names the key of the instance's signed PeerId-to-legal-entity registry (registry.publicKey, a base64 Ed25519 public key). The pack cannot read the registry file: its signature and its node coverage are verified by the program and the offline audit, not here.",
  levels: [{ posture: "production", level: "mandatory" }],
  types: [ZIPNET_INSTANCE_TYPE],
  check(r, ctx) {
    const rec = recordOfView(r);
    if (!rec) return;
    const reg = rec.registry;
    if (isUnknown(reg)) return;
    const key = at(reg, "publicKey");
    if (isUnknown(key)) return;
    if (!isObject(reg) || !str(key)) {
      ctx.fail("registry.publicKey", "the verification key of the instance's signed peer registry", key ?? reg);
      return;
    }
    let bytes = 0;
    try {
      bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, "base64").length : 0;
    } catch {
      bytes = 0;
    }
    if (bytes !== 32) ctx.fail("registry.publicKey", "a base64 Ed25519 public key (32 bytes)", key);
  },
});
