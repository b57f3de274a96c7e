/**
 * The components under pulumi.runtime.setMocks (via the offline engine), for both example
 * stacks: TDX settings, firewall rules, labels, explicit providers, disk deletion, URNs.
 */
import { describe, expect, it } from "vitest";
import { instanceNodes } from "../src/config/validate";
import { firewallRules } from "../src/instance/firewall";
import { AZURE_MAINNET, EXAMPLE_STACKS, examplePlan, labelsOf, ofType, ownerOf } from "./support/plans";

const GCP_VM = "gcp:compute/instance:Instance";
const AZURE_VM = "azure-native:compute:VirtualMachine";
const AWS_VM = "aws:ec2/instance:Instance";

/** Types that accept labels/tags on their cloud, so the contract applies to them. */
const TAGGABLE = new Set([
  GCP_VM,
  "gcp:kms/cryptoKey:CryptoKey",
  AZURE_VM,
  "azure-native:resources:ResourceGroup",
  "azure-native:network:NetworkSecurityGroup",
  "azure-native:network:VirtualNetwork",
  "azure-native:network:PublicIPAddress",
  "azure-native:network:NetworkInterface",
  "azure-native:managedidentity:UserAssignedIdentity",
  AWS_VM,
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/internetGateway:InternetGateway",
  "aws:ec2/routeTable:RouteTable",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:iam/role:Role",
  "aws:iam/instanceProfile:InstanceProfile",
  "aws:kms/key:Key",
  "aws:s3/bucket:Bucket",
  "gcp:storage/bucket:Bucket",
]);

// AZURE_MAINNET: the production shape with an Azure committee server the config now refuses, so the Azure builder is also tested in production.
describe.each([...EXAMPLE_STACKS, AZURE_MAINNET])("%s", (stack) => {
  it("builds one VM per node on the node's cloud", async () => {
    const { config, resources } = await examplePlan(stack);
    const vms = resources.filter((r) => [GCP_VM, AZURE_VM, AWS_VM].includes(r.type));
    expect(vms.map((vm) => ownerOf(vm)).sort()).toEqual(instanceNodes(config).map((n) => n.id).sort());
    for (const node of instanceNodes(config)) {
      const vm = vms.find((v) => ownerOf(v) === node.id)!;
      expect(vm.type).toBe({ gcp: GCP_VM, azure: AZURE_VM, aws: AWS_VM }[node.cloud]);
    }
  });

  it("makes every GCP committee server a TDX Shielded VM with no serial port or SSH keys", async () => {
    const { resources } = await examplePlan(stack);
    const vms = ofType(resources, GCP_VM).filter((vm) => labelsOf(vm)?.["zipnet-role"] === "committee");
    expect(vms.length).toBeGreaterThan(0);
    for (const vm of vms) {
      const i = vm.inputs as any;
      expect(i.machineType).toMatch(/^c3-standard-\d+$/);
      expect(i.confidentialInstanceConfig).toEqual({ confidentialInstanceType: "TDX" });
      expect(i.scheduling.onHostMaintenance).toBe("TERMINATE");
      expect(i.shieldedInstanceConfig).toEqual({ enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true });
      expect(i.metadata["serial-port-enable"]).toBe("FALSE");
      expect(i.metadata["block-project-ssh-keys"]).toBe("TRUE");
      expect(i.metadata["enable-oslogin"]).toBe("FALSE");
      expect(i.bootDisk.autoDelete).toBe(true);
      expect(i.bootDisk.initializeParams.type).toBe("pd-balanced");
      expect(i.bootDisk.kmsKeySelfLink).toMatch(/cryptoKeys\//);
      expect(i.deletionProtection).toBe(false);
    }
  });

  it("makes every Azure committee server a confidential VM that dies with its disk and NIC", async () => {
    const { resources, config } = await examplePlan(stack);
    const vms = ofType(resources, AZURE_VM);
    expect(vms.length).toBe(instanceNodes(config).filter((n) => n.cloud === "azure").length);
    for (const vm of vms) {
      const i = vm.inputs as any;
      expect(i.hardwareProfile.vmSize).toMatch(/^Standard_(DC|EC)\d+e(d)?s_v6$/);
      expect(i.securityProfile).toEqual({ securityType: "ConfidentialVM", uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } });
      expect(i.storageProfile.osDisk.managedDisk.securityProfile.securityEncryptionType).toBe("NonPersistedTPM");
      expect(i.storageProfile.osDisk.deleteOption).toBe("Delete");
      // The NIC and its address are resources of the stack: Pulumi deletes them with the node.
      expect(i.networkProfile.networkInterfaces.map((n: any) => n.deleteOption)).toEqual(["Detach"]);
      // A specialized image: no osProfile, so no admin user, password or SSH key.
      expect(i.osProfile).toBeUndefined();
    }
    for (const nic of ofType(resources, "azure-native:network:NetworkInterface")) {
      expect((nic.inputs as any).ipConfigurations[0].publicIPAddress.deleteOption).toBe("Detach");
    }
  });

  it("boots AWS nodes with IMDSv2, an encrypted per-node-key root volume deleted on termination, SEV-SNP where offered", async () => {
    const { resources, config } = await examplePlan(stack);
    const vms = ofType(resources, AWS_VM);
    expect(vms.length).toBeGreaterThan(0);
    for (const vm of vms) {
      const i = vm.inputs as any;
      expect(i.metadataOptions.httpTokens).toBe("required");
      expect(i.rootBlockDevice).toMatchObject({ encrypted: true, deleteOnTermination: true });
      expect(i.rootBlockDevice.kmsKeyId).toMatch(/^arn:aws:kms:/);
      const node = instanceNodes(config).find((n) => n.id === ownerOf(vm))!;
      // Every example AWS node is an m6a/c6a in us-east-2: SEV-SNP applies.
      expect(node.region).toBe("us-east-2");
      expect(i.cpuOptions).toEqual({ amdSevSnp: "enabled" });
    }
  });

  it("admits only iroh UDP from anywhere and metrics TCP from the scrapers, and denies the rest", async () => {
    const { resources, config } = await examplePlan(stack);
    const { irohPort, metricsPort, metricsSources } = config.network;
    const v4Scrapers = metricsSources.filter((c) => !c.includes(":"));

    for (const node of instanceNodes(config)) {
      const mine = resources.filter((r) => ownerOf(r) === node.id);
      if (node.cloud === "gcp") {
        const rules = ofType(mine, "gcp:compute/firewall:Firewall").map((r) => r.inputs as any);
        const ingressAllows = rules
          .filter((r) => r.direction === "INGRESS" && r.allows)
          .map((r) => `${r.allows[0].protocol}/${r.allows[0].ports[0]} from ${r.sourceRanges.join(",")}`)
          .sort();
        expect(ingressAllows).toEqual([`tcp/${metricsPort} from ${v4Scrapers.join(",")}`, `udp/${irohPort} from 0.0.0.0/0`, `udp/${irohPort} from ::/0`].sort());
        const denies = rules.filter((r) => r.denies).map((r) => `${r.direction} ${r.priority} ${r.denies[0].protocol}`);
        expect(denies.sort()).toEqual(["EGRESS 65534 all", "INGRESS 65534 all"]);
        // Rules are network-wide on the node's own network.
        const network = ofType(mine, "gcp:compute/network:Network")[0];
        expect(new Set(rules.map((r) => r.network))).toEqual(new Set([network.id]));
        expect(rules.every((r) => r.priority < 65534 || r.denies)).toBe(true);
      }
      if (node.cloud === "azure") {
        const [nsg] = ofType(mine, "azure-native:network:NetworkSecurityGroup");
        const inbound = (nsg.inputs as any).securityRules.filter((r: any) => r.direction === "Inbound");
        expect(inbound.map((r: any) => [r.priority, r.access, r.protocol, r.destinationPortRange, r.sourceAddressPrefix ?? r.sourceAddressPrefixes])).toEqual([
          [100, "Allow", "Udp", `${irohPort}`, "*"],
          [110, "Allow", "Tcp", `${metricsPort}`, metricsSources],
          [4096, "Deny", "*", "*", "*"],
        ]);
        const outbound = (nsg.inputs as any).securityRules.filter((r: any) => r.direction === "Outbound");
        expect(outbound.at(-1)).toMatchObject({ access: "Deny", priority: 4096, destinationAddressPrefix: "*" });
        // The NSG guards both the NIC and the subnet.
        const [nic] = ofType(mine, "azure-native:network:NetworkInterface");
        const [vnet] = ofType(mine, "azure-native:network:VirtualNetwork");
        expect((nic.inputs as any).networkSecurityGroup.id).toBe(nsg.id);
        expect((vnet.inputs as any).subnets[0].networkSecurityGroup.id).toBe(nsg.id);
      }
      if (node.cloud === "aws") {
        const [sg] = ofType(mine, "aws:ec2/securityGroup:SecurityGroup");
        const ingress = (sg.inputs as any).ingress.map((r: any) => [r.protocol, r.fromPort, r.toPort, r.cidrBlocks ?? [], r.ipv6CidrBlocks ?? []]);
        expect(ingress).toEqual([
          ["udp", irohPort, irohPort, ["0.0.0.0/0"], ["::/0"]],
          ["tcp", metricsPort, metricsPort, v4Scrapers, []],
        ]);
        const [vm] = ofType(mine, AWS_VM);
        expect((vm.inputs as any).vpcSecurityGroupIds).toEqual([sg.id]);
      }
    }
  });

  it("declares egress for iroh (UDP), relays and Vault (TCP 443, Vault's port) and NTS on every node's firewall", async () => {
    const { config, resources } = await examplePlan(stack);
    const expected = ["udp/1-65535", "tcp/443-443", "tcp/4460-4460", "tcp/8200-8200"];
    expect(firewallRules(config).filter((r) => r.direction === "egress").map((r) => `${r.protocol}/${r.fromPort}-${r.toPort}`)).toEqual(expected);
    const range = (ports: string) => (ports.includes("-") ? ports : `${ports}-${ports}`);
    for (const node of instanceNodes(config)) {
      const mine = resources.filter((r) => ownerOf(r) === node.id);
      let rendered: string[] = [];
      if (node.cloud === "gcp") {
        rendered = ofType(mine, "gcp:compute/firewall:Firewall")
          .map((r) => r.inputs as any)
          .filter((r) => r.direction === "EGRESS" && r.allows && r.destinationRanges.includes("0.0.0.0/0"))
          .map((r) => `${r.allows[0].protocol}/${range(r.allows[0].ports[0])}`);
      }
      if (node.cloud === "azure") {
        rendered = (ofType(mine, "azure-native:network:NetworkSecurityGroup")[0].inputs as any).securityRules
          .filter((r: any) => r.direction === "Outbound" && r.access === "Allow")
          .map((r: any) => `${r.protocol.toLowerCase()}/${range(r.destinationPortRange)}`);
      }
      if (node.cloud === "aws") {
        rendered = (ofType(mine, "aws:ec2/securityGroup:SecurityGroup")[0].inputs as any).egress.map((r: any) => `${r.protocol}/${r.fromPort}-${r.toPort}`);
      }
      expect(rendered, node.id).toEqual(expected);
    }
  });

  it("labels every taggable resource with the instance, role and node (VMs also on-call)", async () => {
    const { resources, config } = await examplePlan(stack);
    const taggable = resources.filter((r) => TAGGABLE.has(r.type));
    expect(taggable.length).toBeGreaterThan(10);
    for (const r of taggable) {
      const labels = labelsOf(r);
      expect(labels, r.urn).toBeDefined();
      expect(labels!["zipnet-instance"], r.urn).toBe(config.name.replace(/\./g, "_"));
      if (ownerOf(r) === "archive") {
        expect(labels!["zipnet-role"], r.urn).toBe("archive");
        expect(labels!["zipnet-node"], r.urn).toBeUndefined();
      } else {
        expect(["committee", "aggregator"], r.urn).toContain(labels!["zipnet-role"]);
        expect(labels!["zipnet-node"], r.urn).toBe(ownerOf(r));
      }
      expect(labels!["zipnet-posture"], r.urn).toBe(config.posture);
    }
    for (const vm of resources.filter((r) => [GCP_VM, AZURE_VM, AWS_VM].includes(r.type))) {
      expect(labelsOf(vm)!["zipnet-oncall"]?.length, vm.urn).toBeGreaterThan(2);
    }
    // GCP label values allow only [a-z0-9_-].
    for (const r of resources.filter((x) => x.type.startsWith("gcp:") && labelsOf(x))) {
      for (const v of Object.values(labelsOf(r)!)) expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
    }
  });

  it("gives every cloud and Vault resource an explicit provider of its own package, for its own node's account and region", async () => {
    const { resources, config } = await examplePlan(stack);
    const providers = new Map(resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((p) => [p.urn, p]));
    for (const r of resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
      const providerUrn = r.provider.split("::").slice(0, -1).join("::");
      const pkg = r.type.split(":")[0];
      expect(providers.get(providerUrn)?.type, `${r.urn} uses ${r.provider}`).toBe(`pulumi:providers:${pkg}`);
      // random needs no account or credentials: its default provider is the right one.
      if (pkg === "random") expect(providerUrn, r.urn).toMatch(/::pulumi:providers:random::default_\d+_\d+_\d+$/);
      else expect(providerUrn, r.urn).not.toContain("default");
    }
    for (const node of instanceNodes(config)) {
      const provider = [...providers.values()].find((p) => ownerOf(p) === node.id)!;
      const i = provider.inputs as any;
      if (node.cloud === "gcp") expect([i.project, i.region]).toEqual([node.account, node.region]);
      if (node.cloud === "azure") expect([i.subscriptionId, i.location]).toEqual([node.account, node.region]);
      if (node.cloud === "aws") expect([JSON.parse(i.allowedAccountIds), i.region]).toEqual([[node.account], node.region]);
      // Each node's resources use that node's provider.
      for (const r of resources.filter((x) => x.custom && ownerOf(x) === node.id && x !== provider)) {
        expect(r.provider.startsWith(provider.urn), r.urn).toBe(true);
      }
    }
  });

  it("registers every URN once", async () => {
    const { resources } = await examplePlan(stack);
    const urns = resources.map((r) => r.urn);
    expect(new Set(urns).size).toBe(urns.length);
  });

  it("gives node identities no permissions (no IAM bindings beyond the disk key's service agent and the archiver's sts:AssumeRole)", async () => {
    const { resources, config } = await examplePlan(stack);
    const nodeIds = new Set(instanceNodes(config).map((n) => n.id));
    const grants = resources.filter((r) => nodeIds.has(ownerOf(r)) && /iam(Member|Binding|Policy)|RolePolicy|PolicyAttachment|roleAssignment/i.test(r.type));
    const keyGrants = grants.filter((g) => g.type === "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember");
    for (const g of keyGrants) expect((g.inputs as any).member).toMatch(/^serviceAccount:service-\d+@compute-system\.iam\.gserviceaccount\.com$/);
    // The only other grant: the aggregator that runs the archiver job may assume the archive's writer role, nothing else.
    const others = grants.filter((g) => !keyGrants.includes(g));
    const archiver = config.archive && !config.archive.runner && config.archive.cloud === "aws" && config.aggregator!.cloud === "aws";
    expect(others.map((g) => `${ownerOf(g)} ${g.type}`)).toEqual(archiver ? [`${config.aggregator!.id} aws:iam/rolePolicy:RolePolicy`] : []);
    for (const g of others) expect(JSON.parse((g.inputs as any).policy).Statement).toEqual([{ Effect: "Allow", Action: "sts:AssumeRole", Resource: expect.stringMatching(/:role\/zn-archiver-[0-9a-f]{8}$/) }]);
    for (const role of ofType(resources, "aws:iam/role:Role").filter((r) => nodeIds.has(ownerOf(r)))) {
      expect(JSON.parse((role.inputs as any).assumeRolePolicy).Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
      expect((role.inputs as any).managedPolicyArns).toBeUndefined();
    }
  });

  it("never protects or retains a node's VM, disk or key, and binds the wipe hooks to every VM", async () => {
    const { resources } = await examplePlan(stack);
    for (const r of resources) {
      expect(r.protect, r.urn).toBe(false);
      expect(r.retainOnDelete, r.urn).toBe(false);
    }
    for (const vm of resources.filter((r) => [GCP_VM, AZURE_VM, AWS_VM].includes(r.type))) {
      expect(Object.keys(vm.hooks).sort(), vm.urn).toEqual(["afterDelete", "beforeDelete"]);
    }
  });
});
