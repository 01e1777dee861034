import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A CIDR (or a single address, taken as /32 or /128) an API key may be used from. */
export function isValidAllowedIp(entry: string): boolean {
  return ipaddr.isValidCIDR(entry) || ipaddr.isValid(entry);
}

/** Canonical text of an entry, so lists compare and display the same way they match. */
export function normaliseAllowedIp(entry: string): string {
  if (ipaddr.isValidCIDR(entry)) {
    const [range, bits] = ipaddr.parseCIDR(entry);
    return `${range.toString()}/${bits}`;
  }
  const address = ipaddr.process(entry);
  return `${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`;
}

function toRange(entry: string): Range {
  const [range, bits] = ipaddr.parseCIDR(entry);
  // An IPv4 range written as IPv4-mapped IPv6 matches IPv4 callers (ipaddr.process below).
  if (range.kind() === 'ipv6' && (range as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(range as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [range, bits];
}

/**
 * True when `ip` (the caller's address as resolved from trusted proxies only, see
 * http/client-ip.ts) lies inside one of `allowed`; an empty list allows every address.
 * An unparsable address never matches: a restricted key fails closed.
 */
export function ipAllowed(allowed: readonly string[], ip: string): boolean {
  if (allowed.length === 0) return true;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return false;
  }
  return allowed.some((entry) => {
    try {
      const [range, bits] = toRange(entry);
      return address.kind() === range.kind() && address.match(range, bits);
    } catch {
      return false;
    }
  });
}
