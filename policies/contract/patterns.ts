/** Grammar the config, the program and the pack share. Pure. */

/** ZIPNET_INSTANCE: lowercase DNS-like labels, at least one dot (`acme.mainnet`). */
export const INSTANCE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** It becomes a GCP label value (dots as underscores), at most 63 characters. */
export const INSTANCE_NAME_MAX = 63;

export function isValidInstanceName(name: string): boolean {
  return name.length <= INSTANCE_NAME_MAX && INSTANCE_NAME.test(name);
}

/** A TDX measurement register (MR_TD) as text: 48 bytes, 96 hex characters, canonically lowercase. */
export const MRTD_HEX = /^[0-9a-f]{96}$/;

/** A 96-hex MR_TD in either case. */
export function isMrtd(value: string): boolean {
  return MRTD_HEX.test(value.toLowerCase());
}

/** Names compared as people mean them (organizations, accounts): case and spacing do not make two differ. */
export function normalName(name: string): string {
  return name.trim().replace(/\s+/g, " ").toLowerCase();
}
