/**
 * The provider SDKs, loaded when a stack first uses them, each from its service modules.
 *
 * A package's index (`@pulumi/gcp`, `@pulumi/aws`, `@pulumi/vault`) requires every one of its
 * service indexes: about 75 ms for gcp, 120 ms for aws and 20 ms for vault on the reference
 * machine, where the services this program uses take a few ms each (bench/README.md). Loading per
 * cloud on first use means a stack loads only its own clouds' SDKs: a GCP-only stack loads no
 * `@pulumi/aws` or `@pulumi/azure-native` module. Types come from the packages themselves
 * (`import type`), erased at compile time.
 */
/* eslint-disable @typescript-eslint/no-require-imports */

export interface AwsSdk {
  Provider: typeof import("@pulumi/aws/provider").Provider;
  ec2: typeof import("@pulumi/aws/ec2");
  iam: typeof import("@pulumi/aws/iam");
  kms: typeof import("@pulumi/aws/kms");
  s3: typeof import("@pulumi/aws/s3");
}

export interface AzureSdk {
  Provider: typeof import("@pulumi/azure-native/provider").Provider;
  compute: typeof import("@pulumi/azure-native/compute");
  managedidentity: typeof import("@pulumi/azure-native/managedidentity");
  network: typeof import("@pulumi/azure-native/network");
  resources: typeof import("@pulumi/azure-native/resources");
}

export interface GcpSdk {
  Provider: typeof import("@pulumi/gcp/provider").Provider;
  compute: typeof import("@pulumi/gcp/compute");
  kms: typeof import("@pulumi/gcp/kms");
  organizations: typeof import("@pulumi/gcp/organizations");
  serviceaccount: typeof import("@pulumi/gcp/serviceaccount");
  storage: typeof import("@pulumi/gcp/storage");
}

export interface VaultSdk {
  Provider: typeof import("@pulumi/vault/provider").Provider;
  Audit: typeof import("@pulumi/vault/audit").Audit;
  Mount: typeof import("@pulumi/vault/mount").Mount;
  Policy: typeof import("@pulumi/vault/policy").Policy;
  aws: typeof import("@pulumi/vault/aws");
  azure: typeof import("@pulumi/vault/azure");
  gcp: typeof import("@pulumi/vault/gcp");
  jwt: typeof import("@pulumi/vault/jwt");
  kv: typeof import("@pulumi/vault/kv");
}

let aws: AwsSdk | undefined;
let azure: AzureSdk | undefined;
let gcp: GcpSdk | undefined;
let vault: VaultSdk | undefined;

export function awsSdk(): AwsSdk {
  return (aws ??= {
    Provider: require("@pulumi/aws/provider").Provider,
    ec2: require("@pulumi/aws/ec2"),
    iam: require("@pulumi/aws/iam"),
    kms: require("@pulumi/aws/kms"),
    s3: require("@pulumi/aws/s3"),
  });
}

export function azureSdk(): AzureSdk {
  return (azure ??= {
    Provider: require("@pulumi/azure-native/provider").Provider,
    compute: require("@pulumi/azure-native/compute"),
    managedidentity: require("@pulumi/azure-native/managedidentity"),
    network: require("@pulumi/azure-native/network"),
    resources: require("@pulumi/azure-native/resources"),
  });
}

export function gcpSdk(): GcpSdk {
  return (gcp ??= {
    Provider: require("@pulumi/gcp/provider").Provider,
    compute: require("@pulumi/gcp/compute"),
    kms: require("@pulumi/gcp/kms"),
    organizations: require("@pulumi/gcp/organizations"),
    serviceaccount: require("@pulumi/gcp/serviceaccount"),
    storage: require("@pulumi/gcp/storage"),
  });
}

export function vaultSdk(): VaultSdk {
  return (vault ??= {
    Provider: require("@pulumi/vault/provider").Provider,
    Audit: require("@pulumi/vault/audit").Audit,
    Mount: require("@pulumi/vault/mount").Mount,
    Policy: require("@pulumi/vault/policy").Policy,
    aws: require("@pulumi/vault/aws"),
    azure: require("@pulumi/vault/azure"),
    gcp: require("@pulumi/vault/gcp"),
    jwt: require("@pulumi/vault/jwt"),
    kv: require("@pulumi/vault/kv"),
  });
}
