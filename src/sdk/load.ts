/**
 * The provider SDKs, loaded when a stack first uses them, the cloud ones from their service modules.
 *
 * A cloud package's index (`@pulumi/gcp`, `@pulumi/aws`) requires every one of its service
 * indexes: about 75 ms for gcp and 120 ms for aws on the reference machine, where the services
 * this program uses take a few ms each (measured with a require timer, 2026-11-27). Loading per
 * cloud on first use means a stack loads only its own clouds' SDKs: a GCP-only stack loads no
 * `@pulumi/aws` or `@pulumi/azure-native` module. Types come from the packages themselves
 * (`import type`), erased at compile time.
 *
 * What an index does besides loading its services, these do too: each service's own index
 * registers its resource modules, and `providerOf` registers the provider package as the package
 * index does (so a provider reference the engine returns deserializes into a
 * Provider). Vault, which every stack uses, is loaded through its index (its top-level resources,
 * Mount, Policy, Audit, are registered there).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import * as pulumi from "@pulumi/pulumi";

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

export type VaultSdk = typeof import("@pulumi/vault");

type ProviderClass = new (name: string, args: undefined, opts: { urn: string }) => pulumi.ProviderResource;

/**
 * A package's provider class, registered as `@pulumi/<pkg>/index.js` registers it, word for word
 * (gcp 9.37, aws 7.48, azure-native 3.28): a provider reference the engine returns deserializes
 * into a Provider.
 */
function providerOf(pkg: "aws" | "azure-native" | "gcp"): ProviderClass {
  const { Provider } = require(`@pulumi/${pkg}/provider`) as { Provider: ProviderClass };
  const { getVersion } = require(`@pulumi/${pkg}/utilities`) as { getVersion(): string };
  pulumi.runtime.registerResourcePackage(pkg, {
    version: getVersion(),
    constructProvider: (name: string, type: string, urn: string) => {
      if (type !== `pulumi:providers:${pkg}`) throw new Error(`unknown provider type ${type}`);
      return new Provider(name, undefined, { urn });
    },
  });
  return Provider;
}

let aws: AwsSdk | undefined;
let azure: AzureSdk | undefined;
let gcp: GcpSdk | undefined;
let vault: VaultSdk | undefined;

export function awsSdk(): AwsSdk {
  return (aws ??= {
    Provider: providerOf("aws") as AwsSdk["Provider"],
    ec2: require("@pulumi/aws/ec2"),
    iam: require("@pulumi/aws/iam"),
    kms: require("@pulumi/aws/kms"),
    s3: require("@pulumi/aws/s3"),
  });
}

export function azureSdk(): AzureSdk {
  return (azure ??= {
    Provider: providerOf("azure-native") as AzureSdk["Provider"],
    compute: require("@pulumi/azure-native/compute"),
    managedidentity: require("@pulumi/azure-native/managedidentity"),
    network: require("@pulumi/azure-native/network"),
    resources: require("@pulumi/azure-native/resources"),
  });
}

export function gcpSdk(): GcpSdk {
  return (gcp ??= {
    Provider: providerOf("gcp") as GcpSdk["Provider"],
    compute: require("@pulumi/gcp/compute"),
    kms: require("@pulumi/gcp/kms"),
    organizations: require("@pulumi/gcp/organizations"),
    serviceaccount: require("@pulumi/gcp/serviceaccount"),
    storage: require("@pulumi/gcp/storage"),
  });
}

export function vaultSdk(): VaultSdk {
  return (vault ??= require("@pulumi/vault"));
}
