/** CIDR parsing for firewall sources. Pure: the policy pack imports it too. */
import { isIPv4, isIPv6 } from "node:net";

export interface Cidr {
  family: 4 | 6;
  /** Address as a big integer (128 bits for IPv6). */
  address: bigint;
  prefix: number;
}

function ipv4ToBigInt(ip: string): bigint {
  return ip.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]);
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array(missing).fill("0"), ...tailParts];
  return parts.reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h, 16)), 0n);
}

/** Parses `a.b.c.d/n` or `x::/n`; undefined when malformed. Host bits are kept (see isValidCidr). */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== "string") return undefined;
  const m = text.match(/^([^/]+)\/(\d{1,3})$/);
  if (!m) return undefined;
  const [, ip, p] = m;
  const prefix = Number(p);
  if (isIPv4(ip) && prefix <= 32) return { family: 4, address: ipv4ToBigInt(ip), prefix };
  if (isIPv6(ip) && prefix <= 128) return { family: 6, address: ipv6ToBigInt(ip), prefix };
  return undefined;
}

function bits(c: Cidr): number {
  return c.family === 4 ? 32 : 128;
}

/** A well-formed CIDR whose host bits are zero (what every cloud firewall API accepts). */
export function isValidCidr(text: string): boolean {
  const c = parseCidr(text);
  if (!c) return false;
  const hostBits = BigInt(bits(c) - c.prefix);
  return (c.address & ((1n << hostBits) - 1n)) === 0n;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const shift = BigInt(bits(outer) - outer.prefix);
  return outer.address >> shift === inner.address >> shift;
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"].map(
  (t) => parseCidr(t)!,
);

/**
 * Whether a scraper source is too broad to count as "not publicly exposed": the whole
 * internet (`0.0.0.0/0`, `::/0`, or the cloud shorthands `*`, `Internet`, `Any`), or a
 * public range wider than /24 (IPv4) or /48 (IPv6). Private ranges of any size are fine.
 */
export function isPublicSource(text: string): boolean {
  if (["*", "internet", "any"].includes(String(text).trim().toLowerCase())) return true;
  const c = parseCidr(text);
  if (!c) return false;
  if (c.prefix === 0) return true;
  if (PRIVATE_RANGES.some((r) => cidrContains(r, c))) return false;
  return c.family === 4 ? c.prefix < 24 : c.prefix < 48;
}
