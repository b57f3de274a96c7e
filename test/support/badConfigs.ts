/**
 * Bad instance configs, one mistake each, with the key the error must name and what it must say:
 * judged in-process (test/config.test.ts) and through the spawned CLI (test/cliSafety.test.ts).
 */
export const MAINNET = "acme.mainnet";
export const PREVIEW = "acme.preview";

export interface BadCase {
  why: string;
  stack: string;
  mutate: (raw: any) => void;
  /** The key path the error must name (after `zipnet-infra:instance`). */
  path: string;
  /** Text the message must contain (what was expected / found). */
  says: RegExp;
}

const node = (over: Record<string, unknown>) => ({ id: "c9", cloud: "gcp", account: "acme-zipnet-c9", region: "europe-west4", oncall: "pagerduty:c9", ...over });

export const BAD: BadCase[] = [
  { why: "name without a dot", stack: MAINNET, mutate: (r) => (r.name = "acme"), path: ".name", says: /at least one dot.*found "acme"/ },
  { why: "uppercase name", stack: MAINNET, mutate: (r) => (r.name = "Acme.Mainnet"), path: ".name", says: /lowercase/ },
  { why: "name with an empty label", stack: MAINNET, mutate: (r) => (r.name = "acme..mainnet"), path: ".name", says: /dot-separated/ },
  { why: "name with underscores", stack: MAINNET, mutate: (r) => (r.name = "acme_main.net"), path: ".name", says: /found "acme_main.net"/ },
  { why: "name too long for a label", stack: MAINNET, mutate: (r) => (r.name = `${"a".repeat(40)}.${"b".repeat(30)}`), path: ".name", says: /at most 63/ },
  { why: "unknown posture", stack: MAINNET, mutate: (r) => (r.posture = "prod"), path: ".posture", says: /production or devtest.*found "prod"/ },
  { why: "even committee in production", stack: MAINNET, mutate: (r) => r.committee.push(node({})), path: ".committee", says: /at least 3.*odd.*found "4 servers"/ },
  { why: "two committee servers in production", stack: MAINNET, mutate: (r) => r.committee.pop(), path: ".committee", says: /found "2 servers"/ },
  { why: "one committee server in production", stack: MAINNET, mutate: (r) => (r.committee = r.committee.slice(0, 1)), path: ".committee", says: /at least 3/ },
  { why: "empty committee", stack: PREVIEW, mutate: (r) => (r.committee = []), path: ".committee", says: /at least one committee server/ },
  {
    why: "AWS committee server in production",
    stack: MAINNET,
    mutate: (r) => (r.committee[2] = { id: "c3", cloud: "aws", account: "345678901234", region: "eu-west-1", size: "m6a.large", oncall: "x@acme" }),
    path: ".committee[2].cloud",
    says: /AWS has no Intel TDX.*found "aws"/,
  },
  { why: "non-confidential committee server in production", stack: MAINNET, mutate: (r) => (r.committee[0].confidential = false), path: ".committee[0].confidential", says: /TDX guests/ },
  { why: "no reference set for a committee server's machine type", stack: MAINNET, mutate: (r) => (r.committee[0].size = "c3-standard-22"), path: ".committee[0]", says: /reference set for gcp-tdx and machine type c3-standard-22 \(node c1\)/ },
  { why: "no committee reference sets in production", stack: MAINNET, mutate: (r) => (r.tdx.committee = []), path: ".committee[1]", says: /reference set for gcp-tdx.*found none \(sets: none\)/ },
  { why: "no client reference set in production", stack: MAINNET, mutate: (r) => delete r.tdx.clients, path: ".tdx.clients", says: /published client image/ },
  { why: "short MR_TD", stack: MAINNET, mutate: (r) => (r.tdx.committee[0].registers.mrtd.value = "abcd"), path: ".tdx.committee[0].registers.mrtd.value", says: /64 or 96 hex/ },
  { why: "MR_TD with non-hex", stack: MAINNET, mutate: (r) => (r.tdx.clients[0].registers.mrtd.value = "z".repeat(96)), path: ".tdx.clients[0].registers.mrtd.value", says: /hex/ },
  { why: "a PCR-sized value for an RTMR", stack: MAINNET, mutate: (r) => (r.tdx.committee[0].registers.rtmr2.value = "ab".repeat(32)), path: ".tdx.committee[0].registers.rtmr2.value", says: /96 hex characters \(48 bytes\) for rtmr2 on gcp-tdx/ },
  { why: "a register the platform has not", stack: MAINNET, mutate: (r) => (r.tdx.committee[0].registers.pcr4 = { value: "ab".repeat(32), enforce: true }), path: ".tdx.committee[0].registers.pcr4", says: /a register of gcp-tdx/ },
  { why: "a reference set without an MR_TD", stack: MAINNET, mutate: (r) => delete r.tdx.clients[0].registers.mrtd, path: ".tdx.clients[0].registers.mrtd", says: /the set's MR_TD/ },
  { why: "an image register not enforced in production", stack: MAINNET, mutate: (r) => (r.tdx.committee[0].registers.rtmr1.enforce = false), path: ".tdx.committee[0].registers.rtmr1", says: /an enforced rtmr1 \(production: it binds the image on gcp-tdx\)/ },
  { why: "a gcp-tdx set for any machine type (RTMR0 differs per type)", stack: MAINNET, mutate: (r) => (r.tdx.committee[0].machineTypes = []), path: ".tdx.committee[0].machineTypes", says: /RTMR0 differs per machine type/ },
  { why: "a gcp-tdx set naming a machine type that has no TDX", stack: MAINNET, mutate: (r) => r.tdx.committee[0].machineTypes.push("n2-standard-4"), path: ".tdx.committee[0].machineTypes[1]", says: /c3-standard.*found "n2-standard-4"/ },
  { why: "a machine type twice in one set", stack: MAINNET, mutate: (r) => r.tdx.committee[0].machineTypes.push("c3-standard-4"), path: ".tdx.committee[0].machineTypes[1]", says: /each machine type once/ },
  { why: "two reference sets of one name", stack: MAINNET, mutate: (r) => (r.tdx.committee[1].name = r.tdx.committee[0].name), path: ".tdx.committee[1].name", says: /unique in tdx\.committee \(tdx\.committee\[0\] has it\)/ },
  { why: "an unknown platform", stack: MAINNET, mutate: (r) => (r.tdx.clients[0].platform = "sgx"), path: ".tdx.clients[0].platform", says: /gcp-tdx, azure-tdx, qemu-tdx.*found "sgx"/ },
  { why: "the retired tdx.committeeMrtds list", stack: MAINNET, mutate: (r) => (r.tdx.committeeMrtds = []), path: ".tdx", says: /unknown: committeeMrtds/ },
  {
    why: "an Azure committee server in production (no mosaik TDX ticket there)",
    stack: MAINNET,
    mutate: (r) => Object.assign(r.committee[1], { cloud: "azure", account: "4f1c2b3a-8d7e-4c6b-9a5f-1e2d3c4b5a69", region: "westeurope" }),
    path: ".committee[1].cloud",
    says: /expected gcp for committee server c2: an Azure TDX guest has no configfs-tsm tdx_guest provider .*found "azure"/,
  },
  { why: "duplicate committee node ids", stack: MAINNET, mutate: (r) => (r.committee[1].id = "c1"), path: ".committee[1].id", says: /unique.*committee\[0\]/ },
  { why: "aggregator id reused", stack: MAINNET, mutate: (r) => (r.aggregator.id = "c2"), path: ".aggregator.id", says: /unique/ },
  { why: "bad node id", stack: MAINNET, mutate: (r) => (r.committee[0].id = "C_1"), path: ".committee[0].id", says: /\[a-z0-9-\]/ },
  { why: "unknown cloud", stack: MAINNET, mutate: (r) => (r.committee[0].cloud = "oracle"), path: ".committee[0].cloud", says: /gcp, azure, aws.*found "oracle"/ },
  { why: "missing oncall", stack: MAINNET, mutate: (r) => delete r.committee[1].oncall, path: ".committee[1].oncall", says: /required/ },
  { why: "blank oncall", stack: PREVIEW, mutate: (r) => (r.aggregator.oncall = "  "), path: ".aggregator.oncall", says: /on-call/ },
  { why: "bad CIDR", stack: MAINNET, mutate: (r) => (r.network.metricsSources = ["10.20.0.0/33"]), path: ".network.metricsSources[0]", says: /CIDR.*found "10.20.0.0\/33"/ },
  { why: "CIDR with host bits", stack: MAINNET, mutate: (r) => (r.network.metricsSources = ["10.20.0.1/16"]), path: ".network.metricsSources[0]", says: /zero host bits/ },
  { why: "metrics open to the internet", stack: MAINNET, mutate: (r) => r.network.metricsSources.push("0.0.0.0/0"), path: ".network.metricsSources[2]", says: /never public.*found "0.0.0.0\/0"/ },
  { why: "metrics open to all IPv6", stack: PREVIEW, mutate: (r) => (r.network.metricsSources = ["::/0"]), path: ".network.metricsSources[0]", says: /never public/ },
  { why: "metrics open to a wide public range", stack: PREVIEW, mutate: (r) => (r.network.metricsSources = ["8.0.0.0/8"]), path: ".network.metricsSources[0]", says: /narrow/ },
  { why: "no metrics sources", stack: PREVIEW, mutate: (r) => (r.network.metricsSources = []), path: ".network.metricsSources", says: /at least one scraper/ },
  { why: "privileged iroh port", stack: MAINNET, mutate: (r) => (r.network.irohPort = 53), path: ".network.irohPort", says: /1024-65535.*found 53/ },
  { why: "port as text", stack: MAINNET, mutate: (r) => (r.network.metricsPort = "9464"), path: ".network.metricsPort", says: /integer port.*found "9464"/ },
  { why: "two servers in one account", stack: MAINNET, mutate: (r) => (r.committee[2].account = "acme-zipnet-c1"), path: ".committee[2].account", says: /distinct from committee\[0\]/ },
  { why: "two servers in one region", stack: MAINNET, mutate: (r) => (r.committee[2].region = "us-east4"), path: ".committee[2].region", says: /region distinct/ },
  { why: "Azure account is not a subscription id", stack: PREVIEW, mutate: (r) => (r.committee[1].account = "acme-sub"), path: ".committee[1].account", says: /subscription id/ },
  { why: "AWS account id not 12 digits", stack: MAINNET, mutate: (r) => (r.aggregator.account = "1234"), path: ".aggregator.account", says: /12-digit/ },
  { why: "GCP zone outside its region", stack: MAINNET, mutate: (r) => (r.committee[0].zone = "us-central1-a"), path: ".committee[0].zone", says: /zone of us-east4/ },
  { why: "GCP size that has no TDX", stack: MAINNET, mutate: (r) => (r.committee[0].size = "n2-standard-4"), path: ".committee[0].size", says: /c3-standard/ },
  { why: "Azure v5 confidential size (retired)", stack: PREVIEW, mutate: (r) => (r.committee[1].size = "Standard_DC4es_v5"), path: ".committee[1].size", says: /DCesv6/ },
  { why: "GCP region with no TDX zone and no zone given", stack: MAINNET, mutate: (r) => (r.committee[2].region = "southamerica-east1"), path: ".committee[2].zone", says: /C3 TDX capacity/ },
  { why: "missing image for a cloud in use", stack: PREVIEW, mutate: (r) => delete r.images.azure, path: ".images.azure", says: /azure server image/ },
  { why: "bad AMI", stack: PREVIEW, mutate: (r) => (r.images.aws = "ubuntu-22.04"), path: ".images.aws", says: /AMI id/ },
  { why: "low min participants in production", stack: MAINNET, mutate: (r) => (r.minParticipants = 1), path: ".minParticipants", says: /at least 3 in production/ },
  { why: "no Vault CA fingerprint in production", stack: MAINNET, mutate: (r) => delete r.vault.caSha256, path: ".vault.caSha256", says: /SHA-256 of Vault's CA/ },
  { why: "a Vault CA fingerprint that is not SHA-256 hex", stack: MAINNET, mutate: (r) => (r.vault.caSha256 = "AB:CD"), path: ".vault.caSha256", says: /64 lowercase hex/ },
  { why: "http Vault in production", stack: MAINNET, mutate: (r) => (r.vault.address = "http://vault.acme.example:8200"), path: ".vault.address", says: /https/ },
  { why: "existing audit device without attestation", stack: MAINNET, mutate: (r) => (r.vault.auditDevice = "existing"), path: ".vault.existingAudit", says: /attestation/ },
  { why: "epoch for an unknown node", stack: MAINNET, mutate: (r) => (r.rotation.nodeEpochs = { c7: 1 }), path: ".rotation.nodeEpochs.c7", says: /node id of this instance/ },
  { why: "negative epoch", stack: MAINNET, mutate: (r) => (r.rotation.committeeEpoch = -1), path: ".rotation.committeeEpoch", says: /non-negative/ },
  { why: "attestation for an enforced item", stack: MAINNET, mutate: (r) => (r.attestations["committee.tdx"] = { statement: "trust me", by: "x", date: "2026-01-01" }), path: ".attestations.committee.tdx", says: /attestable/ },
  { why: "unknown acknowledged risk", stack: MAINNET, mutate: (r) => r.acknowledgedRisks.push("risk.none"), path: ".acknowledgedRisks[4]", says: /acknowledgeable/ },
  { why: "production without an archive", stack: MAINNET, mutate: (r) => delete r.archive, path: ".archive", says: /audit\.broadcast-archive/ },
  { why: "production without a registry key", stack: MAINNET, mutate: (r) => delete r.registry, path: ".registry.publicKey", says: /audit\.peer-registry/ },
  { why: "archive on a cloud without retention locks", stack: MAINNET, mutate: (r) => (r.archive.cloud = "azure"), path: ".archive.cloud", says: /aws or gcp/ },
  { why: "archive on another cloud with no runner", stack: MAINNET, mutate: (r) => Object.assign(r.archive, { cloud: "gcp", account: "acme-archive", region: "us-east4" }), path: ".archive.runner", says: /principal that runs the archiver/ },
  { why: "archive retention of zero days", stack: MAINNET, mutate: (r) => (r.archive.retentionDays = 0), path: ".archive.retentionDays", says: /at least 1 day/ },
  { why: "misspelt key", stack: MAINNET, mutate: (r) => (r.comittee = []), path: "", says: /unknown: comittee/ },
  { why: "assume-role in another account", stack: PREVIEW, mutate: (r) => (r.aggregator.assumeRoleArn = "arn:aws:iam::999999999999:role/deployer"), path: ".aggregator.assumeRoleArn", says: /own account/ },
];

