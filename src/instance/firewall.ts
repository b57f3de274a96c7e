/**
 * What a node's firewall admits, cloud-neutral. Every cloud's builder renders these rules;
 * nothing else is opened. Inbound: the pinned iroh UDP port from anywhere, the metrics TCP
 * port from the scrapers only. Outbound: UDP (iroh direct paths, relay QUIC address
 * discovery on 7842, NTP on 123), TCP 443 (relays, Vault), NTS-KE (TCP 4460), and Vault's
 * own port when it is not 443. Everything else is denied in both directions.
 */
import type { InstanceConfig } from "../config/schema";

export interface FirewallRule {
  /** Short rule name, unique per node and direction. */
  name: string;
  direction: "ingress" | "egress";
  protocol: "udp" | "tcp";
  /** Inclusive port range. */
  fromPort: number;
  toPort: number;
  /** Peer CIDRs (sources for ingress, destinations for egress). */
  cidrs: string[];
  /** Why the rule exists. */
  description: string;
}

import { HTTPS_PORT, NTS_KE_PORT, RELAY_QUIC_PORT } from "../../policies/contract/ports";

export const ANY_IPV4 = "0.0.0.0/0";
export const ANY_IPV6 = "::/0";
export { NTS_KE_PORT };

/** The TCP port of the Vault address (443 when the URL has none). */
export function vaultPort(address: string): number {
  const m = address.match(/^https?:\/\/[^/:]+:(\d+)/);
  return m ? Number(m[1]) : address.startsWith("http://") ? 80 : 443;
}

export function firewallRules(config: Pick<InstanceConfig, "network" | "vault">): FirewallRule[] {
  const { irohPort, metricsPort, metricsSources } = config.network;
  const rules: FirewallRule[] = [
    { name: "iroh", direction: "ingress", protocol: "udp", fromPort: irohPort, toPort: irohPort, cidrs: [ANY_IPV4, ANY_IPV6], description: "iroh QUIC (pinned UDP port), from anywhere" },
    { name: "metrics", direction: "ingress", protocol: "tcp", fromPort: metricsPort, toPort: metricsPort, cidrs: [...metricsSources], description: "Prometheus scrape, from the configured scrapers only" },
    { name: "udp-out", direction: "egress", protocol: "udp", fromPort: 1, toPort: 65535, cidrs: [ANY_IPV4, ANY_IPV6], description: `iroh direct paths and relays (QUIC address discovery ${RELAY_QUIC_PORT}), NTP` },
    { name: "https-out", direction: "egress", protocol: "tcp", fromPort: HTTPS_PORT, toPort: HTTPS_PORT, cidrs: [ANY_IPV4, ANY_IPV6], description: "iroh relays over HTTPS, Vault" },
    { name: "nts-out", direction: "egress", protocol: "tcp", fromPort: NTS_KE_PORT, toPort: NTS_KE_PORT, cidrs: [ANY_IPV4, ANY_IPV6], description: "NTS key establishment for authenticated time" },
  ];
  const vault = vaultPort(config.vault.address);
  if (vault !== HTTPS_PORT) {
    rules.push({ name: "vault-out", direction: "egress", protocol: "tcp", fromPort: vault, toPort: vault, cidrs: [ANY_IPV4, ANY_IPV6], description: "Vault API (secrets are fetched at boot)" });
  }
  return rules;
}

/** Splits a rule's CIDRs by family: several clouds want one family per rule. */
export function cidrsByFamily(rule: FirewallRule): { v4: string[]; v6: string[] } {
  return { v4: rule.cidrs.filter((c) => !c.includes(":")), v6: rule.cidrs.filter((c) => c.includes(":")) };
}
