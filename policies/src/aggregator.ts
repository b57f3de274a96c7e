/**
 * aggregator.*: the aggregator cannot read the committee secret, is hardened, and has an
 * identity (instance label, ZIPNET_SECRET, Vault role) of its own.
 */
import { bootOf } from "./core/boot";
import { type StackModel, type Vm } from "./core/model";
import { anyAdmits, ruleLocation, judgedPaths } from "./core/network";
import { raw, resourcePolicies, stackPolicies, type StackContext } from "./core/policy";
import { AWS_VM, AZURE_VM, GCP_VM, instanceFromLabel, type ResourceView } from "./core/resources";
import { accessOfRoles, grantingPolicies, nodeAccess } from "./core/vault";
import { secretValues } from "./secrets";
import { arr, at, bool, isUnknown, lastSegment, str, strings } from "./core/values";
import { committeeSecretPath, nodeSecretPath } from "../contract/vault";

function roleOf(r: ResourceView): string | undefined {
  return r.zipnet.role ?? str(bootOf(r).contract?.role);
}

export const [noCommitteeSecret, noCommitteeSecretDevtest] = resourcePolicies({
  checklistId: "aggregator.no-committee-secret",
  description:
    "The aggregator's boot contract / user-data never names the committee secret: no ZIPNET_COMMITTEE_SECRET(_FILE) variable and no read of <mount>/data/committee.",
  levels: "split",
  types: [GCP_VM, AZURE_VM, AWS_VM],
  check(r, ctx) {
    if (roleOf(r) !== "aggregator") return;
    const boot = bootOf(r);
    for (const src of boot.sources) {
      const text = src.text;
      if (/ZIPNET_COMMITTEE_SECRET/i.test(text)) ctx.fail(src.path, "no mention of ZIPNET_COMMITTEE_SECRET on the aggregator", raw("a ZIPNET_COMMITTEE_SECRET variable"));
      if (/\/data\/committee\b/.test(text)) ctx.fail(src.path, "no read of the committee secret on the aggregator", raw(text.match(/[\w./-]*\/data\/committee\b/)?.[0] ?? "<mount>/data/committee"));
    }
  },
});

function identityBound(m: StackModel, role: ResourceView, vm: Vm): boolean {
  const p = role.props;
  if (vm.cloud === "gcp") {
    const email = at(vm.r.props, "serviceAccount", "email");
    return typeof email === "string" && strings(p.boundServiceAccounts).includes(email);
  }
  if (vm.cloud === "aws") {
    const profileRef = vm.r.props.iamInstanceProfile;
    const profile = m.resolve(profileRef, ["aws:iam/instanceProfile:InstanceProfile"], vm.r);
    const roleRef = profile?.props.role;
    const iamRole = m.resolve(roleRef, ["aws:iam/role:Role"], vm.r);
    const names = [str(roleRef), iamRole?.name, str(iamRole?.props.name)].filter((x): x is string => !!x).map(lastSegment);
    return strings(p.boundIamPrincipalArns).some((arn) => names.includes(lastSegment(arn)));
  }
  if (vm.cloud === "azure") {
    const ids = strings(at(vm.r.props, "identity", "userAssignedIdentities"));
    const principals = ids
      .map((id) => m.resolve(id, ["azure-native:managedidentity:UserAssignedIdentity"], vm.r))
      .map((x) => str(x?.props.principalId))
      .filter((x): x is string => !!x);
    return strings(p.boundServicePrincipalIds).some((x) => principals.includes(x));
  }
  return false;
}

export function checkAggregatorVault(m: StackModel, ctx: StackContext): void {
  ctx.each(m.vms.filter((v) => v.role === "aggregator"), (vm) => {
    const mount = m.mount(vm.instance);
    if (!mount) return;
    const committeePath = committeeSecretPath(mount);
    const posture = m.postureOf(vm.r);
    const access = nodeAccess(m, vm);
    if (access) {
      for (const res of grantingPolicies(access, committeePath, "read")) {
        ctx.fail(res, "policy", `no read on the committee secret ${committeePath} for aggregator ${vm.node ?? vm.r.name}`, raw(`read granted on ${committeePath}`), { posture });
      }
    }
    // Any auth role whose policies reach the committee secret must not be bound to the aggregator's identity.
    ctx.each(m.authRoles(), (role) => {
      if (access?.roles.includes(role) || !identityBound(m, role, vm)) return;
      const other = accessOfRoles(m, [role], String(role.props.role ?? role.name));
      if (grantingPolicies(other, committeePath, "read").length) {
        const path = vm.cloud === "gcp" ? "boundServiceAccounts" : vm.cloud === "aws" ? "boundIamPrincipalArns" : "boundServicePrincipalIds";
        ctx.fail(role, path, `no role that can read ${committeePath} bound to aggregator ${vm.r.name}'s identity`, raw(`role ${String(role.props.role ?? role.name)} is bound to it`), { posture });
      }
    });
  });
}

export const [noCommitteeSecretVault, noCommitteeSecretVaultDevtest] = stackPolicies({
  checklistId: "aggregator.no-committee-secret",
  aspect: "vault",
  description:
    "The aggregator cannot read the committee secret: its Vault token policies (evaluated with Vault's ACL rules) deny read on <mount>/data/committee, and no auth role that can read it is bound to the aggregator's cloud identity.",
  levels: "split",
  check(m, ctx) {
    checkAggregatorVault(m, ctx);
  },
});

export const [hardened] = resourcePolicies({
  checklistId: "aggregator.hardened",
  description:
    "Advice (provisioned by construction): the aggregator host is hardened: GCP no serial port, project SSH keys blocked, shielded secure boot; Azure secure boot, no password login; AWS IMDSv2 only, encrypted root volume; secrets on tmpfs per the boot contract.",
  levels: "advisory",
  types: [GCP_VM, AZURE_VM, AWS_VM],
  check(r, ctx) {
    if (roleOf(r) !== "aggregator") return;
    const p = r.props;
    if (r.type === GCP_VM) {
      const md = p.metadata;
      if (!isUnknown(md)) {
        const serial = at(md, "serial-port-enable");
        if (bool(serial) === true) ctx.fail("metadata.serial-port-enable", '"FALSE"', serial);
        const ssh = at(md, "block-project-ssh-keys");
        if (!isUnknown(ssh) && bool(ssh) !== true) ctx.fail("metadata.block-project-ssh-keys", '"TRUE"', ssh);
        if (at(md, "ssh-keys") !== undefined) ctx.fail("metadata.ssh-keys", "no SSH keys on the aggregator", raw("SSH keys"));
      }
      const sb = at(p, "shieldedInstanceConfig", "enableSecureBoot");
      if (!isUnknown(sb) && bool(sb) !== true) ctx.fail("shieldedInstanceConfig.enableSecureBoot", "true", sb);
    } else if (r.type === AZURE_VM) {
      const sb = at(p, "securityProfile", "uefiSettings", "secureBootEnabled");
      if (!isUnknown(sb) && bool(sb) !== true) ctx.fail("securityProfile.uefiSettings.secureBootEnabled", "true", sb);
      const dpa = at(p, "osProfile", "linuxConfiguration", "disablePasswordAuthentication");
      if (bool(dpa) === false) ctx.fail("osProfile.linuxConfiguration.disablePasswordAuthentication", "true", dpa);
      if (at(p, "osProfile", "adminPassword") !== undefined) ctx.fail("osProfile.adminPassword", "no admin password", raw("an admin password"));
    } else if (r.type === AWS_VM) {
      const tokens = at(p, "metadataOptions", "httpTokens");
      if (!isUnknown(tokens) && tokens !== "required") ctx.fail("metadataOptions.httpTokens", '"required" (IMDSv2 only)', tokens);
      const enc = at(p, "rootBlockDevice", "encrypted");
      if (!isUnknown(enc) && bool(enc) !== true) ctx.fail("rootBlockDevice.encrypted", "true", enc);
      if (str(p.keyName)) ctx.fail("keyName", "no SSH key pair on the aggregator", p.keyName);
    }
    const boot = bootOf(r);
    if (boot.contract && at(boot.contract, "tmpfs") === undefined) ctx.fail(`${boot.contractPath} tmpfs`, "secrets rendered to tmpfs", undefined);
  },
});

export const [hardenedIngress] = stackPolicies({
  checklistId: "aggregator.hardened",
  aspect: "ingress",
  description: "Advice: no admin ingress (SSH 22, RDP 3389) reaches the aggregator through any firewall rule that applies to it, cloud defaults included.",
  levels: "advisory",
  check(m, ctx) {
    ctx.each(m.vms.filter((v) => v.role === "aggregator"), (vm) => {
      const paths = judgedPaths(m, vm, ctx);
      if (!paths) return;
      for (const path of paths) {
        for (const [port, what] of [[22, "SSH"], [3389, "RDP"]] as const) {
          const per = path.map((l) => anyAdmits(l, "tcp", port));
          if (per.some((x) => x.length === 0)) continue;
          for (const f of per.flat()) {
            const loc = f.rule ? ruleLocation(f.rule) : { subject: f.layer.owner ?? vm.r, path: "networkSecurityGroup" };
            ctx.fail(loc.subject, loc.path, `no ${what} (TCP ${port}) ingress to aggregator ${vm.r.name}`, raw(f.text));
          }
        }
      }
    });
  },
});

export const [ownIdentity, ownIdentityDevtest] = stackPolicies({
  checklistId: "aggregator.own-identity",
  description:
    "Each aggregator has its own identity: its zipnet-instance label and ZIPNET_INSTANCE name its instance, it reads its own <mount>/data/nodes/<id> secret, and its Vault auth role and node secret are shared with no other node.",
  levels: "split",
  check(m, ctx) {
    const aggs = m.vms.filter((v) => v.role === "aggregator");
    ctx.each(aggs, (vm) => {
      const name = m.records.find((x) => x.name && x.name === vm.instance)?.name ?? m.records[0]?.name;
      if (name) {
        const label = vm.r.zipnet.instance;
        if (label !== undefined && instanceFromLabel(label) !== name) ctx.fail(vm.r, "zipnet-instance", `"${name.replace(/\./g, "_")}" (its instance)`, label);
        const env = at(vm.boot.contract, "env", "ZIPNET_INSTANCE");
        if (typeof env === "string" && env !== name) ctx.fail(vm.r, `${vm.boot.contractPath} env.ZIPNET_INSTANCE`, `"${name}"`, env);
      }
      const mount = m.mount(vm.instance);
      if (!mount || !vm.node) return;
      const own = nodeSecretPath(mount, vm.node);
      const secrets = arr(at(vm.boot.contract, "vault", "secrets")) ?? [];
      const i = secrets.findIndex((s) => at(s, "env") === "ZIPNET_SECRET_FILE");
      const path = i >= 0 ? at(secrets[i], "path") : undefined;
      if (vm.boot.contract && i < 0) ctx.fail(vm.r, `${vm.boot.contractPath} vault.secrets`, `a ZIPNET_SECRET_FILE entry reading ${own}`, raw("none"));
      else if (typeof path === "string" && path !== own) ctx.fail(vm.r, `${vm.boot.contractPath} vault.secrets[${i}].path`, own, path);
      const access = nodeAccess(m, vm);
      if (access && !access.unknown && access.missing.length === 0 && grantingPolicies(access, own, "read").length === 0) {
        ctx.fail(access.roles[0], "tokenPolicies", `read on the aggregator's own secret ${own}`, access.policyNames);
      }
      const role = str(at(vm.boot.contract, "vault", "role"));
      if (role) {
        for (const other of m.nodeVms()) {
          if (other === vm) continue;
          if (str(at(other.boot.contract, "vault", "role")) === role) ctx.fail(vm.r, `${vm.boot.contractPath} vault.role`, `an auth role of its own (also used by ${other.r.name})`, role);
        }
      }
    });
    // The aggregator's KV secret must be distinct from every other node's.
    const secrets = m.ofType("vault:kv/secretV2:SecretV2");
    ctx.each(aggs, (vm) => {
      const mine = secrets.find((s) => s.props.name === `nodes/${vm.node}`);
      if (!mine) return;
      const values = secretValues(mine);
      for (const s of secrets) {
        if (s !== mine && secretValues(s).some((v) => values.includes(v))) {
          ctx.fail(mine, "dataJson", `a secret of its own (equal to ${s.name}'s)`, raw("a duplicate secret value"), { posture: m.postureOf(vm.r) });
        }
      }
    });
  },
});
