/** Per-cloud defaults and the facts the config rules check against (see ../shared/facts.md). */
import type { Cloud, NodeConfig, NodeRole } from "./schema";

/** GCP zones with C3 TDX capacity (facts.md); the first is the default for its region. */
export const GCP_TDX_ZONES: Record<string, string[]> = {
  "us-central1": ["us-central1-a", "us-central1-b", "us-central1-c"],
  "us-east1": ["us-east1-c", "us-east1-d"],
  "us-east4": ["us-east4-a", "us-east4-c"],
  "us-west1": ["us-west1-a", "us-west1-b"],
  "europe-west4": ["europe-west4-a", "europe-west4-b", "europe-west4-c"],
  "europe-west9": ["europe-west9-a", "europe-west9-b"],
  "asia-southeast1": ["asia-southeast1-a", "asia-southeast1-b", "asia-southeast1-c"],
  "asia-northeast1": ["asia-northeast1-b"],
};

/** AWS regions where SEV-SNP guests are documented (facts.md). */
export const AWS_SEV_SNP_REGIONS = ["us-east-2", "eu-west-1"];
/** AWS instance families that offer SEV-SNP. */
export const AWS_SEV_SNP_FAMILIES = ["m6a", "c6a", "r6a"];

export const ACCOUNT_FORMAT: Record<Cloud, { pattern: RegExp; expected: string }> = {
  gcp: { pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, expected: "a GCP project id (6-30 chars of [a-z0-9-])" },
  azure: {
    pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    expected: "an Azure subscription id (a lowercase GUID)",
  },
  aws: { pattern: /^\d{12}$/, expected: "a 12-digit AWS account id" },
};

export const REGION_FORMAT: Record<Cloud, { pattern: RegExp; expected: string }> = {
  gcp: { pattern: /^[a-z]+-[a-z]+\d+$/, expected: "a GCP region like us-central1" },
  azure: { pattern: /^[a-z][a-z0-9]+$/, expected: "an Azure location like westeurope" },
  aws: { pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/, expected: "an AWS region like us-east-2" },
};

/** Sizes a confidential (TDX / SEV-SNP) node may use, per cloud. */
export const CONFIDENTIAL_SIZE: Record<Cloud, { pattern: RegExp; expected: string }> = {
  gcp: { pattern: /^c3-standard-\d+$/, expected: "a c3-standard-* machine type (GCP TDX)" },
  azure: {
    pattern: /^Standard_(DC|EC)\d+e(d)?s_v6$/,
    expected: "a DCesv6/DCedsv6/ECesv6/ECedsv6 size such as Standard_DC4es_v6 (Azure TDX)",
  },
  aws: { pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, expected: "an EC2 instance type such as m6a.large" },
};

export const ANY_SIZE: Record<Cloud, { pattern: RegExp; expected: string }> = {
  gcp: { pattern: /^[a-z][a-z0-9]*-[a-z0-9-]+$/, expected: "a GCP machine type such as e2-standard-2" },
  azure: { pattern: /^Standard_[A-Za-z0-9_]+$/, expected: "an Azure VM size such as Standard_D2s_v5" },
  aws: { pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, expected: "an EC2 instance type such as m6a.large" },
};

export function defaultSize(cloud: Cloud, confidential: boolean, role: NodeRole): string {
  switch (cloud) {
    case "gcp":
      return confidential ? "c3-standard-4" : role === "committee" ? "e2-standard-4" : "e2-standard-2";
    case "azure":
      return confidential ? "Standard_DC4es_v6" : "Standard_D4s_v5";
    case "aws":
      return "m6a.large";
  }
}

/** The node's zone: configured, or the cloud's default for its region (undefined = cloud picks). */
export function defaultZone(node: Pick<NodeConfig, "cloud" | "region" | "zone">): string | undefined {
  if (node.zone) return node.zone;
  switch (node.cloud) {
    case "gcp":
      return GCP_TDX_ZONES[node.region]?.[0];
    case "aws":
      return `${node.region}a`;
    case "azure":
      return undefined;
  }
}

/** Whether an AWS node boots as a SEV-SNP guest: SEV-SNP size family in a documented region. */
export function awsSevSnp(node: Pick<NodeConfig, "region" | "confidential">, size: string): boolean {
  return node.confidential && AWS_SEV_SNP_FAMILIES.includes(size.split(".")[0]) && AWS_SEV_SNP_REGIONS.includes(node.region);
}
