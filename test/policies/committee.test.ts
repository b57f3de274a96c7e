import { describe, expect, it } from "vitest";
import { addResource, byName, caught, editBootContract, loadPlan, ofType, record, remove, show, type Plan, AZURE_MAINNET } from "./harness";

const GCP_FW = "gcp:compute/firewall:Firewall";

function fw(plan: Plan, like: string, name: string, inputs: Record<string, any>) {
  const base = byName(plan, like);
  return addResource(plan, base, GCP_FW, name, { network: base.inputs.network, direction: "INGRESS", priority: 1000, ...inputs });
}

describe("committee.fault-domains", () => {
  it("passes the unmutated plans; in production no cloud advice (only GCP can host a TDX-gated committee)", async () => {
    for (const stack of ["acme.mainnet", AZURE_MAINNET]) {
      const plan = await loadPlan(stack);
      expect(await caught(plan, "committee.fault-domains"), stack).toEqual([]);
      expect(await caught(plan, "committee.fault-domains", "advisory"), stack).toEqual([]);
    }
    expect(await caught(await loadPlan("acme.preview"), "committee.fault-domains", "advisory")).toEqual([]);
  });

  it("catches two committee servers in one account (the VM's provider) and one region (the VM's zone)", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c3-provider").inputs.project = "acme-zipnet-c1";
    const ds = await caught(plan, "committee.fault-domains");
    expect(ds.map((d) => d.message)).toEqual(['c3-vm: account: expected a cloud account no other committee server uses (committee server c3 vs c1), found "acme-zipnet-c1"']);

    const region = await loadPlan(AZURE_MAINNET);
    byName(region, "c3-vm").inputs.zone = "us-east4-c";
    expect((await caught(region, "committee.fault-domains")).map((d) => d.message)).toEqual([
      'c3-vm: region: expected a region no other committee server uses (committee server c3 vs c1), found "us-east4"',
    ]);
  });

  it("judges accounts from the posture record when no VM says otherwise (devtest: advisory)", async () => {
    const plan = await loadPlan("acme.preview");
    remove(plan, "p3-vm");
    const nodes = record(plan).nodes;
    nodes.find((n: any) => n.id === "p3").account = nodes.find((n: any) => n.id === "p1").account;
    expect((await caught(plan, "committee.fault-domains", "advisory")).map((d) => d.policy)).toContain("committee.fault-domains:devtest");
  });

  it("advises on one physical geography across clouds (GCP europe-west4 ~ Azure westeurope) and one operator", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c3-vm").inputs.zone = "europe-west4-a";
    const nodes = record(plan).nodes;
    nodes.find((n: any) => n.id === "c3").operator = "Acme Labs Inc.";
    const ds = await caught(plan, "committee.fault-domains", "advisory");
    expect(ds.map((d) => d.message)).toEqual(expect.arrayContaining([
      'c3-vm: region: expected a physical geography other than committee server c2\'s (westeurope), found "europe-west4" (both in netherlands)',
      'c3-vm: operator: expected an operator organisation other than committee server c1\'s, found "Acme Labs Inc."',
    ]));
  });

  it("requires at least 3 committee servers, an odd count", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    record(plan).nodes = record(plan).nodes.filter((n: any) => n.id !== "c3");
    remove(plan, "c3-vm");
    expect((await caught(plan, "committee.fault-domains")).map((d) => d.message)).toEqual([
      "acme.mainnet: committee: expected at least 3 committee servers, an odd count, found 2 (c1, c2)",
    ]);
  });
});

describe("committee.tdx", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan("acme.mainnet"), "committee.tdx")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "committee.tdx", "advisory")).toEqual([]);
  });

  it("refuses an Azure committee server in production: no mosaik TDX ticket there (docs/measurements.md)", async () => {
    const ds = await caught(await loadPlan(AZURE_MAINNET), "committee.tdx");
    expect(ds.map((d) => [d.policy, d.message])).toEqual([
      ["committee.tdx:reference", expect.stringMatching(/^c2-vm: cloud: expected a platform whose guest produces mosaik TDX tickets \(gcp-tdx\): an Azure TDX guest has no configfs-tsm tdx_guest provider .*, found azure-tdx$/)],
      // and its Vault role cannot bind the image: no TDX token carries the vTPM PCRs its set enforces
      ["committee.tdx:vault-login", "secrets-c2-role-0: boundClaims: expected a reference set whose enforced registers an intel-trust-authority TDX token carries (server-v1.4.0-azure enforces pcr4, pcr9), found registers no token can show"],
    ]);
  });

  it("refuses a GCP committee server whose machine type has no reference set in the record", async () => {
    const plan = await loadPlan("acme.mainnet");
    byName(plan, "c1-vm").inputs.machineType = "c3-standard-22";
    expect((await caught(plan, "committee.tdx")).map((d) => d.message)).toEqual([
      'c1-vm: machineType: expected a machine type with a tdx.committee reference set for gcp-tdx in the posture record, found "c3-standard-22"',
      "secrets-c1-role-0: boundClaims: expected the registers of a tdx.committee reference set of c1's platform and machine type, found no such set in the posture record",
    ]);
    const resized = await loadPlan("acme.mainnet");
    byName(resized, "c1-vm").inputs.machineType = "c3-standard-8"; // the example has a set for it
    // Only the VM was edited: its attested role still binds the c3-standard-4 set's RTMR0 (the program regenerates it).
    expect((await caught(resized, "committee.tdx")).map((d) => d.message)).toEqual([
      expect.stringMatching(/^secrets-c1-role-0: boundClaims\["\/tdx\/tdx_rtmr0"\]: expected only "cf7664.*\(c1, reference set server-v1.4.0-c3-standard-8\), found "f48ced/),
    ]);
  });

  it("catches each GCP TDX setting removed", async () => {
    const plan = await loadPlan("acme.mainnet");
    const vm = byName(plan, "c1-vm").inputs;
    delete vm.confidentialInstanceConfig;
    vm.scheduling.onHostMaintenance = "MIGRATE";
    vm.machineType = "n2-standard-4";
    vm.shieldedInstanceConfig.enableVtpm = false;
    const ds = await caught(plan, "committee.tdx");
    expect(ds.map((d) => d.message)).toEqual([
      'c1-vm: confidentialInstanceConfig.confidentialInstanceType: expected "TDX", found nothing',
      'c1-vm: scheduling.onHostMaintenance: expected "TERMINATE" (TDX guests cannot live-migrate), found "MIGRATE"',
      'c1-vm: machineType: expected a c3-* machine type (GCP TDX), found "n2-standard-4"',
      "c1-vm: shieldedInstanceConfig.enableVtpm: expected true, found false",
      'c1-vm: machineType: expected a machine type with a tdx.committee reference set for gcp-tdx in the posture record, found "n2-standard-4"',
      // its attested Vault role can no longer bind a set the VM boots against
      "secrets-c1-role-0: boundClaims: expected the registers of a tdx.committee reference set of c1's platform and machine type, found no such set in the posture record",
    ]);
  });

  it("catches each Azure TDX setting removed (devtest: advisory; production refuses Azure anyway)", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const vm = byName(plan, "c2-vm").inputs;
    vm.securityProfile.securityType = "TrustedLaunch";
    vm.securityProfile.uefiSettings.secureBootEnabled = false;
    vm.hardwareProfile.vmSize = "Standard_DC4as_v5";
    delete vm.storageProfile.osDisk.managedDisk.securityProfile;
    // :reference and :vault-login refuse Azure in production whatever its settings (the baseline)
    const ds = (await caught(plan, "committee.tdx")).filter((d) => d.policy !== "committee.tdx:reference" && d.policy !== "committee.tdx:vault-login");
    expect(ds).toHaveLength(4);
    expect(ds.every((d) => d.message.startsWith("c2-vm: "))).toBe(true);
  });

  it("refuses an AWS committee server in production, allows it in devtest", async () => {
    const plan = await loadPlan("acme.mainnet");
    byName(plan, "agg-vm").inputs.tags["zipnet-role"] = "committee";
    expect((await caught(plan, "committee.tdx")).map((d) => d.message)).toEqual([
      'agg-vm: type: expected a GCP or Azure TDX VM (AWS offers no Intel TDX guests), found "aws:ec2/instance:Instance"',
      // a production committee server's secret, readable through its AWS identity
      "secrets-agg-role: type: expected an attestation-bound JWT role (vault:jwt/authBackendRole:AuthBackendRole) for zipnet/acme.mainnet/data/nodes/agg: a production committee secret is never readable through a cloud identity or any other login, found vault:aws/authBackendRole:AuthBackendRole",
    ]);
    expect(await caught(await loadPlan("acme.preview"), "committee.tdx", "advisory")).toEqual([]); // p3 is a devtest AWS committee server
  });

  it("catches a committee server not booting the released image", async () => {
    const plan = await loadPlan("acme.mainnet");
    byName(plan, "c3-vm").inputs.bootDisk.initializeParams.image = "projects/debian-cloud/global/images/family/debian-12";
    expect((await caught(plan, "committee.tdx")).map((d) => d.policy)).toEqual(["committee.tdx:image"]);
  });
});

describe("committee.node-secret", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "committee.node-secret")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "committee.node-secret", "advisory")).toEqual([]);
  });

  it("catches a node policy that reads another node's secret (glob or exact path)", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "secrets-c1-policy").inputs.policy += '\npath "zipnet/acme.mainnet/data/nodes/*" {\n  capabilities = ["read"]\n}\n';
    byName(plan, "secrets-c3-policy").inputs.policy += '\npath "zipnet/acme.mainnet/data/nodes/c2" {\n  capabilities = ["read", "list"]\n}\n';
    const ds = await caught(plan, "committee.node-secret");
    expect(ds.map((d) => d.message)).toEqual([
      "secrets-c1-policy: policy: expected read on no other node's secret (node c1 must not read zipnet/acme.mainnet/data/nodes/c2), found read granted on zipnet/acme.mainnet/data/nodes/c2",
      "secrets-c3-policy: policy: expected read on no other node's secret (node c3 must not read zipnet/acme.mainnet/data/nodes/c2), found read granted on zipnet/acme.mainnet/data/nodes/c2",
    ]);
  });

  it("respects Vault's ACL precedence: a more specific deny wins over a glob", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "secrets-c1-policy").inputs.policy += [
      'path "zipnet/acme.mainnet/data/nodes/*" { capabilities = ["read"] }',
      ...["c2", "c3", "agg", "c1-other", "other-node"].map((n) => `path "zipnet/acme.mainnet/data/nodes/${n}" { capabilities = ["deny"] }`),
    ].join("\n");
    expect(await caught(plan, "committee.node-secret")).toEqual([]);
  });

  it("catches a node that cannot read its own secret, and a boot contract reading another node's", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "secrets-c3-policy").inputs.policy = 'path "zipnet/acme.mainnet/data/committee" {\n  capabilities = ["read"]\n}\n';
    editBootContract(byName(plan, "c2-vm"), (c) => (c.vault.secrets[0].path = "zipnet/acme.mainnet/data/nodes/c1"));
    const ds = await caught(plan, "committee.node-secret");
    expect(ds.map((d) => d.message).sort()).toEqual([
      'c2-vm: userData vault.secrets[0].path: expected a secret path no other node reads (also read by c1-vm), found "zipnet/acme.mainnet/data/nodes/c1"',
      'c2-vm: userData vault.secrets[0].path: expected the node\'s own secret zipnet/acme.mainnet/data/nodes/c2, found "zipnet/acme.mainnet/data/nodes/c1"',
      'secrets-c3-role-0: tokenPolicies: expected policies granting read on the node\'s own secret zipnet/acme.mainnet/data/nodes/c3, found ["zipnet.acme.mainnet.c3"]',
    ]);
  });

  it("catches two nodes sharing an auth role, and two node secrets with one value", async () => {
    const plan = await loadPlan("acme.preview");
    editBootContract(byName(plan, "p2-vm"), (c) => (c.vault.role = "zipnet.acme.preview.p1"));
    byName(plan, "secrets-p3-secret").inputs.dataJson = structuredClone(byName(plan, "secrets-p1-secret").inputs.dataJson);
    const ds = await caught(plan, "committee.node-secret", "advisory");
    expect(show(ds)).toMatch(/p2-vm: userData vault.role: expected a Vault auth role of its own \(also used by p1-vm\)/);
    expect(show(ds)).toMatch(/secrets-p3-secret: dataJson: expected a value of its own \(equal to secrets-p1-secret's\)/);
  });
});

describe("committee.ingress", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "committee.ingress")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "committee.ingress", "advisory")).toEqual([]);
  });

  it("GCP: catches SSH opened by a rule with no targets on the VM's network", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    fw(plan, "c1-fw-iroh", "c1-fw-ssh", { allows: [{ protocol: "tcp", ports: ["22"] }], sourceRanges: ["0.0.0.0/0"] });
    expect((await caught(plan, "committee.ingress")).map((d) => d.message)).toEqual([
      "c1-fw-ssh: allows[0]: expected inbound only UDP 41641 (iroh) and TCP 9464 (metrics) to committee server c1-vm, found allow TCP 22 from 0.0.0.0/0 at priority 1000",
    ]);
  });

  it("GCP: a rule targeting other tags, or shadowed by a higher-priority deny, or disabled, does not apply", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    fw(plan, "c1-fw-iroh", "c1-fw-ssh-tagged", { allows: [{ protocol: "tcp", ports: ["22"] }], sourceRanges: ["0.0.0.0/0"], targetTags: ["bastion"] });
    fw(plan, "c1-fw-iroh", "c1-fw-ssh-disabled", { allows: [{ protocol: "tcp", ports: ["22"] }], sourceRanges: ["0.0.0.0/0"], disabled: true });
    fw(plan, "c1-fw-iroh", "c1-fw-all-late", { allows: [{ protocol: "all" }], sourceRanges: ["0.0.0.0/0"], priority: 65535 });
    expect(await caught(plan, "committee.ingress")).toEqual([]); // the pack's deny-ingress at 65534 shadows the 65535 allow
    byName(plan, "c1-vm").inputs.tags = ["bastion"];
    expect(await caught(plan, "committee.ingress")).toHaveLength(1);
  });

  it("GCP: a VM on the default network gets its permissive default rules", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c3-vm").inputs.networkInterfaces = [{ network: "default" }];
    const ds = await caught(plan, "committee.ingress");
    expect(ds.map((d) => d.message)).toContain(
      "c3-vm: default rule default-allow-ssh: expected inbound only UDP 41641 (iroh) and TCP 9464 (metrics) to committee server c3-vm, found allow TCP 22 from 0.0.0.0/0 at priority 65534",
    );
  });

  it("Azure: an NSG without its own deny-all inbound admits the default VNet/load-balancer rules", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const nsg = byName(plan, "c2-nsg").inputs;
    nsg.securityRules = nsg.securityRules.filter((r: any) => r.name !== "deny-all-inbound");
    const ds = await caught(plan, "committee.ingress");
    expect(ds.map((d) => d.message)).toEqual([
      "c2-nsg: default rule AllowVnetInBound: expected inbound only UDP 41641 (iroh) and TCP 9464 (metrics) to committee server c2-vm, found allow all protocols all ports from VirtualNetwork at priority 65000 (add an explicit deny-all inbound rule below the allows)",
      "c2-nsg: default rule AllowAzureLoadBalancerInBound: expected inbound only UDP 41641 (iroh) and TCP 9464 (metrics) to committee server c2-vm, found allow all protocols all ports from AzureLoadBalancer at priority 65001 (add an explicit deny-all inbound rule below the allows)",
    ]);
  });

  it("Azure: catches a standalone SecurityRule opening RDP, and a VM with no NSG at all", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const nsg = byName(plan, "c2-nsg");
    addResource(plan, nsg, "azure-native:network:SecurityRule", "c2-rdp", {
      networkSecurityGroupName: "c2-nsg", resourceGroupName: "c2-rg", priority: 200, direction: "Inbound", access: "Allow",
      protocol: "Tcp", sourceAddressPrefix: "Internet", destinationPortRange: "3389", sourcePortRange: "*", destinationAddressPrefix: "*",
    });
    expect((await caught(plan, "committee.ingress")).map((d) => d.message)).toEqual([
      "c2-rdp: rule: expected inbound only UDP 41641 (iroh) and TCP 9464 (metrics) to committee server c2-vm, found allow TCP 3389 from Internet at priority 200",
    ]);
    const bare = await loadPlan(AZURE_MAINNET);
    delete byName(bare, "c2-nic").inputs.networkSecurityGroup;
    for (const s of byName(bare, "c2-vnet").inputs.subnets) delete s.networkSecurityGroup;
    expect((await caught(bare, "committee.ingress")).map((d) => d.message)).toEqual([
      "c2-nic: networkSecurityGroup: expected inbound only UDP 41641 (iroh) and TCP 9464 (metrics) to committee server c2-vm, found no network security group on the NIC or its subnet",
    ]);
  });

  it("Azure: one clean NSG on the path (subnet or NIC) is enough", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    delete byName(plan, "c2-nic").inputs.networkSecurityGroup; // the subnet's NSG still filters
    expect(await caught(plan, "committee.ingress")).toEqual([]);
  });

  it("AWS (devtest committee server): inline and standalone security-group rules, and the VPC default group", async () => {
    const plan = await loadPlan("acme.preview");
    const sg = byName(plan, "p3-sg");
    sg.inputs.ingress.push({ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] });
    addResource(plan, sg, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "p3-all", { securityGroupId: "p3-sg", ipProtocol: "-1", cidrIpv4: "10.0.0.0/8" });
    const ds = await caught(plan, "committee.ingress", "advisory");
    expect(ds.map((d) => d.message)).toEqual([
      "p3-sg: ingress[2]: expected inbound only UDP 41642 (iroh) and TCP 9464 (metrics) to committee server p3-vm, found allow TCP 22 from 0.0.0.0/0 at priority 0",
      "p3-all: rule: expected inbound only UDP 41642 (iroh) and TCP 9464 (metrics) to committee server p3-vm, found allow all protocols all ports from 10.0.0.0/8 at priority 0",
    ]);
    expect(ds.every((d) => d.policy === "committee.ingress:devtest")).toBe(true);
    const nosg = await loadPlan("acme.preview");
    delete byName(nosg, "p3-vm").inputs.vpcSecurityGroupIds;
    expect((await caught(nosg, "committee.ingress", "advisory")).map((d) => d.message)).toEqual([
      "p3-vm: default rule the VPC's default security group: expected inbound only UDP 41642 (iroh) and TCP 9464 (metrics) to committee server p3-vm, found allow all protocols all ports from sg:default at priority 0",
    ]);
  });

  it("does not judge a VM whose firewall references are unknown (preview)", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "c1-vm").inputs.networkInterfaces = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    fw(plan, "c1-fw-iroh", "c1-fw-ssh", { allows: [{ protocol: "tcp", ports: ["22"] }], sourceRanges: ["0.0.0.0/0"] });
    expect(await caught(plan, "committee.ingress")).toEqual([]);
  });
});

describe("committee.disk-wipe", () => {
  it("passes the unmutated plans", async () => {
    expect(await caught(await loadPlan(AZURE_MAINNET), "committee.disk-wipe")).toEqual([]);
    expect(await caught(await loadPlan("acme.preview"), "committee.disk-wipe", "advisory")).toEqual([]);
  });

  it("GCP: a boot disk kept after delete, a missing per-node key, protect on the VM", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const vm = byName(plan, "c1-vm");
    vm.inputs.bootDisk.autoDelete = false;
    delete vm.inputs.bootDisk.kmsKeySelfLink;
    vm.protect = true;
    expect((await caught(plan, "committee.disk-wipe")).map((d) => d.message)).toEqual([
      "c1-vm: bootDisk.autoDelete: expected true (the boot disk dies with the VM), found false",
      "c1-vm: bootDisk.kmsKeySelfLink: expected the node's own Cloud KMS key (crypto-shredded on decommission), found nothing",
      "c1-vm: protect: expected false (a committee VM must be destroyable on decommission), found true",
    ]);
  });

  it("GCP: a key with a long or default destroy delay, or protected; a key shared by two nodes", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    delete byName(plan, "c1-disk-key").inputs.destroyScheduledDuration;
    byName(plan, "c3-disk-key").protect = true;
    const ds = await caught(plan, "committee.disk-wipe");
    expect(ds.map((d) => d.message)).toEqual(expect.arrayContaining([
      "c1-disk-key: destroyScheduledDuration: expected at most 604800s (7 days; unset means 30 days), found nothing",
      "c3-disk-key: protect: expected false (a node's key is destroyed with the node), found true",
    ]));
    const shared = await loadPlan(AZURE_MAINNET);
    byName(shared, "c3-vm").inputs.bootDisk.kmsKeySelfLink = byName(shared, "c1-vm").inputs.bootDisk.kmsKeySelfLink;
    expect((await caught(shared, "committee.disk-wipe")).map((d) => d.message)).toEqual([
      `c3-vm: bootDisk.kmsKeySelfLink: expected a key of its own (also used by c1-vm), found "${byName(shared, "c1-vm").inputs.bootDisk.kmsKeySelfLink}"`,
    ]);
  });

  it("GCP: a snapshot schedule attached to a committee disk", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const vm = byName(plan, "c1-vm");
    addResource(plan, vm, "gcp:compute/resourcePolicy:ResourcePolicy", "c1-snapshots", { region: "us-east4", snapshotSchedulePolicy: { schedule: { dailySchedule: { daysInCycle: 1, startTime: "04:00" } } } });
    addResource(plan, vm, "gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment", "c1-snap-attach", { disk: "c1-vm", name: "c1-snapshots", zone: "us-east4-a" });
    const ds = await caught(plan, "committee.disk-wipe");
    expect(ds.map((d) => d.message)).toEqual([
      'c1-snapshots: snapshotSchedulePolicy: expected no snapshot schedule for committee disks, found {"schedule":{"dailySchedule":{"daysInCycle":1,"startTime":"04:00"}}}',
      'c1-snap-attach: type: expected no snapshot, image or backup of a committee server\'s disks, found "gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment"',
      'c1-snap-attach: disk: expected no snapshot schedule on a committee server\'s disk, found "c1-vm"',
    ]);
  });

  it("Azure: OS disk detached on delete, a confidential disk without per-VM key material, a backup", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    const vm = byName(plan, "c2-vm");
    vm.inputs.storageProfile.osDisk.deleteOption = "Detach";
    // A detached NIC holds no data and is a resource of the stack (deleted with the node): not a finding.
    vm.inputs.networkProfile.networkInterfaces[0].deleteOption = "Detach";
    vm.inputs.storageProfile.osDisk.managedDisk.securityProfile.securityEncryptionType = "DiskWithVMGuestState";
    const ds = await caught(plan, "committee.disk-wipe");
    expect(ds.map((d) => d.message)).toEqual([
      'c2-vm: storageProfile.osDisk.deleteOption: expected "Delete" (the default Detach keeps the disk), found "Detach"',
      'c2-vm: storageProfile.osDisk.managedDisk: expected securityEncryptionType NonPersistedTPM (key material dies with the VM) or a per-node disk encryption set, found "DiskWithVMGuestState"',
    ]);
    const backup = await loadPlan(AZURE_MAINNET);
    const bvm = byName(backup, "c2-vm");
    addResource(backup, bvm, "azure-native:recoveryservices:ProtectedItem", "c2-backup", { properties: { protectedItemType: "Microsoft.Compute/virtualMachines", sourceResourceId: "/subscriptions/x/resourceGroups/c2-rg/providers/Microsoft.Compute/virtualMachines/c2-vm" } });
    expect((await caught(backup, "committee.disk-wipe")).map((d) => d.policy)).toContain("committee.disk-wipe:stack");
  });

  it("AWS (devtest): root volume kept on termination, key deletion window, DLM policy on committee tags", async () => {
    const plan = await loadPlan("acme.preview");
    byName(plan, "p3-vm").inputs.rootBlockDevice.deleteOnTermination = false;
    byName(plan, "p3-disk-key").inputs.deletionWindowInDays = 30;
    addResource(plan, byName(plan, "p3-vm"), "aws:dlm/lifecyclePolicy:LifecyclePolicy", "p3-dlm", { policyDetails: { resourceTypes: ["VOLUME"], targetTags: { "zipnet-role": "committee" } } });
    const ds = await caught(plan, "committee.disk-wipe", "advisory");
    expect(ds.map((d) => d.message)).toEqual(expect.arrayContaining([
      "p3-vm: rootBlockDevice.deleteOnTermination: expected true (the root volume dies with the instance), found false",
      "p3-disk-key: deletionWindowInDays: expected at most 7 (unset means 30 days), found 30",
      'p3-dlm: policyDetails.targetTags: expected no snapshot/backup policy targeting committee resources, found {"zipnet-role":"committee"}',
    ]));
    expect(ds.every((d) => d.policy.endsWith(":devtest"))).toBe(true);
    const nokey = await loadPlan("acme.preview");
    delete byName(nokey, "p3-vm").inputs.rootBlockDevice.kmsKeyId;
    expect((await caught(nokey, "committee.disk-wipe", "advisory")).map((d) => d.message)).toEqual([
      "p3-vm: rootBlockDevice.kmsKeyId: expected the node's own KMS key (crypto-shredded on decommission), found nothing",
    ]);
  });

  it("does not judge aggregator disks as committee disks", async () => {
    const plan = await loadPlan(AZURE_MAINNET);
    byName(plan, "agg-vm").inputs.rootBlockDevice.deleteOnTermination = false;
    expect(await caught(plan, "committee.disk-wipe")).toEqual([]);
    expect(ofType(plan, "aws:kms/key:Key")).toHaveLength(1);
  });
});
