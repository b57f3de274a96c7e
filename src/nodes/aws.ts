/**
 * A zipnet node on AWS: its own provider (account-pinned, region), a dedicated VPC with a
 * public subnet, a security group that admits only iroh and metrics and declares its egress
 * (the provider removes AWS's default allow-all egress), an IAM role whose only policy, on the
 * aggregator that runs the archiver job, lets it assume the archive's write-only role (Vault's aws
 * `iam` auth needs sts:GetCallerIdentity, which no policy gates), and an instance
 * with IMDSv2 required and an encrypted root volume deleted on termination.
 *
 * AWS has no Intel TDX: its confidential option is AMD SEV-SNP (m6a/c6a/r6a in us-east-2 and
 * eu-west-1). AWS hosts aggregators, and committee servers only in devtest.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import { awsSevSnp, defaultSize, defaultZone } from "../config/defaults";
import { cidrsByFamily, firewallRules } from "../instance/firewall";
import { renderBootContract } from "../instance/bootContract";
import { nodeLabels } from "../instance/labels";
import { wipeHooks } from "../lifecycle/wipe";
import { awsSdk } from "../sdk/load";
import { NODE_CIDR, SUBNET_CIDR, type NodeArgs, type ZipnetNode } from "./types";

export class AwsNode extends pulumi.ComponentResource implements ZipnetNode {
  public readonly identity: pulumi.Output<string>;
  public readonly publicAddress: pulumi.Output<string>;
  public readonly provider: aws.Provider;
  /** The VM. */
  public readonly vm: aws.ec2.Instance;

  constructor(name: string, args: NodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("zipnet:node:AwsNode", name, { node: args.node.id, cloud: "aws" }, opts);
    const sdk = awsSdk();
    const { instance, node } = args;
    const tags = nodeLabels(instance, node);

    this.provider = new sdk.Provider(
      `${name}-provider`,
      {
        region: node.region as aws.Region,
        allowedAccountIds: [node.account],
        ...(node.assumeRoleArn ? { assumeRoles: [{ roleArn: node.assumeRoleArn, sessionName: `zipnet-${node.id}` }] } : {}),
        defaultTags: { tags },
      },
      { parent: this },
    );
    const o = { parent: this, provider: this.provider };

    const vpc = new sdk.ec2.Vpc(`${name}-vpc`, { cidrBlock: NODE_CIDR, enableDnsHostnames: true, enableDnsSupport: true, tags }, o);
    const gateway = new sdk.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, o);
    const routes = new sdk.ec2.RouteTable(`${name}-rt`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }], tags }, o);
    const subnet = new sdk.ec2.Subnet(
      `${name}-subnet`,
      { vpcId: vpc.id, cidrBlock: SUBNET_CIDR, availabilityZone: defaultZone(node), mapPublicIpOnLaunch: true, tags },
      o,
    );
    new sdk.ec2.RouteTableAssociation(`${name}-rta`, { subnetId: subnet.id, routeTableId: routes.id }, o);

    const ingress: aws.types.input.ec2.SecurityGroupIngress[] = [];
    const egress: aws.types.input.ec2.SecurityGroupEgress[] = [];
    for (const rule of firewallRules(instance)) {
      const { v4, v6 } = cidrsByFamily(rule);
      (rule.direction === "ingress" ? ingress : egress).push({
        description: rule.description,
        protocol: rule.protocol,
        fromPort: rule.fromPort,
        toPort: rule.toPort,
        ...(v4.length ? { cidrBlocks: v4 } : {}),
        ...(v6.length ? { ipv6CidrBlocks: v6 } : {}),
      });
    }
    const securityGroup = new sdk.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: vpc.id, description: `zipnet ${instance.name} ${node.id}: iroh and metrics only`, ingress, egress, revokeRulesOnDelete: true, tags },
      o,
    );

    const role = new sdk.iam.Role(
      `${name}-role`,
      {
        description: `zipnet ${instance.name} ${node.id}: Vault iam login only; no policies`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags,
      },
      o,
    );
    const profile = new sdk.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags }, o);
    // The archiver job assumes the archive's write-only role. Across accounts the role's trust
    // policy is not enough: the caller also needs an identity policy allowing sts:AssumeRole on it
    // (AWS IAM cross-account policy evaluation).
    const writer = args.bootContract.archive?.cloud === "aws" ? args.bootContract.archive.writer : undefined;
    if (writer) {
      new sdk.iam.RolePolicy(
        `${name}-archive-assume`,
        { role: role.name, policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: writer }] }) },
        o,
      );
    }

    // Crypto-shredding by construction: the root volume is encrypted with this node's own key,
    // scheduled for deletion (unusable at once, gone after 7 days) when the node goes.
    const diskKey = new sdk.kms.Key(
      `${name}-disk-key`,
      { description: `zipnet ${instance.name} ${node.id}: root volume`, deletionWindowInDays: 7, enableKeyRotation: true, tags },
      o,
    );

    const size = node.size ?? defaultSize("aws", node.confidential, node.role);
    this.vm = new sdk.ec2.Instance(
      `${name}-vm`,
      {
        ami: instance.images.aws!,
        instanceType: size,
        ...(awsSevSnp(node, size) ? { cpuOptions: { amdSevSnp: "enabled" } } : {}),
        subnetId: subnet.id,
        vpcSecurityGroupIds: [securityGroup.id],
        iamInstanceProfile: profile.name,
        associatePublicIpAddress: true,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        rootBlockDevice: { encrypted: true, kmsKeyId: diskKey.arn, deleteOnTermination: true, volumeType: "gp3", volumeSize: 20, tags },
        userData: renderBootContract(args.bootContract),
        userDataReplaceOnChange: false,
        disableApiTermination: false,
        tags: nodeLabels(instance, node, { vm: true }),
      },
      { ...o, hooks: wipeHooks(name, { instance: instance.name, node: node.id, cloud: "aws" }) },
    );

    this.identity = role.arn;
    this.publicAddress = this.vm.publicIp;
    this.registerOutputs({ identity: this.identity, publicAddress: this.publicAddress });
  }
}
