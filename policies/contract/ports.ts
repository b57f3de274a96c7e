/**
 * Ports the nodes talk on, besides the instance's own (network.irohPort, network.metricsPort):
 * what the firewalls open and what the pack checks they open. Pure.
 */

/** iroh relays: QUIC address discovery (UDP). */
export const RELAY_QUIC_PORT = 7842;
/** iroh relays over HTTPS, and Vault on its default port (TCP). */
export const HTTPS_PORT = 443;
/** NTP (UDP). */
export const NTP_PORT = 123;
/** NTS key establishment (TCP). */
export const NTS_KE_PORT = 4460;
