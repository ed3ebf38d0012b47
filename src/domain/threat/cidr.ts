import { isIPv4, isIPv6 } from 'node:net';

/** An address range in CIDR notation (RiskExceptionConfiguration's lists), IPv4 or IPv6. */
export interface Cidr {
  v6: boolean;
  network: bigint;
  bits: number;
}

function v4(ip: string): bigint {
  return ip.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function v6(ip: string): bigint {
  let text = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const n = v4(tail[1]);
    text = `${text.slice(0, -tail[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An address as a number, with its family; undefined when it is not an address. */
export function parseIp(ip: string): { v6: boolean; value: bigint } | undefined {
  // An IPv4-mapped IPv6 address (how a dual-stack socket reports IPv4 peers) counts as IPv4.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return { v6: false, value: v4(mapped[1]) };
  if (isIPv4(ip)) return { v6: false, value: v4(ip) };
  if (isIPv6(ip)) return { v6: true, value: v6(ip) };
  return undefined;
}

/** Parses `192.0.2.0/24`, `2001:db8::/32`, or a bare address (one host); undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.v6 ? 128 : 32;
  const bitsText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > max) return undefined;
  return { v6: ip.v6, network: ip.value >> BigInt(max - bits), bits };
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const a = parseIp(ip);
  if (!a || a.v6 !== c.v6) return false;
  const max = c.v6 ? 128 : 32;
  return a.value >> BigInt(max - c.bits) === c.network;
}

/** Whether any of the ranges (as stored, already validated) holds the address. */
export const inRanges = (ranges: readonly string[] | undefined, ip: string): boolean =>
  (ranges ?? []).some((r) => {
    const c = parseCidr(r);
    return !!c && cidrContains(c, ip);
  });
