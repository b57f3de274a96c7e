/** Labels/tags for a node's resources, rendered per cloud (see src/contract/labels.ts). */
import type { Cloud, InstanceConfig, InstanceNode } from "../config/schema";
import { LABEL_INSTANCE, LABEL_NODE, LABEL_ONCALL, LABEL_POSTURE, LABEL_ROLE, gcpLabelValue, instanceLabel, type ZipnetRole } from "../../policies/contract/labels";

/** AWS tag values allow letters, digits, spaces and `_ . : / = + - @`. */
function awsTagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, "_").slice(0, 256);
}

export function renderLabels(cloud: Cloud, labels: Record<string, string>): Record<string, string> {
  const render = cloud === "gcp" ? gcpLabelValue : cloud === "aws" ? awsTagValue : (v: string) => v.slice(0, 256);
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, render(v)]));
}

/** Labels of a resource that serves `role` for `node` (instance-wide resources pass no node). */
export function zipnetLabels(config: Pick<InstanceConfig, "name" | "posture">, role: ZipnetRole, nodeId?: string): Record<string, string> {
  return {
    [LABEL_INSTANCE]: instanceLabel(config.name),
    [LABEL_ROLE]: role,
    ...(nodeId ? { [LABEL_NODE]: nodeId } : {}),
    [LABEL_POSTURE]: config.posture,
  };
}

/** Labels of a node's resources, rendered for its cloud; VMs also carry the on-call. */
export function nodeLabels(config: Pick<InstanceConfig, "name" | "posture">, node: InstanceNode, opts: { vm?: boolean } = {}): Record<string, string> {
  const labels = zipnetLabels(config, node.role, node.id);
  if (opts.vm) labels[LABEL_ONCALL] = node.oncall;
  return renderLabels(node.cloud, labels);
}
