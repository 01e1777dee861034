import ipaddr from 'ipaddr.js';
import type { Context, Next } from 'koa';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

const normalise = (address: string) => {
  const parsed = ipaddr.process(address); // ::ffff:10.0.0.1 → 10.0.0.1
  return parsed;
};

/** Parses TRUSTED_PROXIES entries (addresses or CIDRs); a bad entry fails at start. */
export function parseTrustedProxies(entries: readonly string[]): Range[] {
  return entries.map((entry) => {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const address = normalise(entry);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  });
}

/**
 * Sets ctx.ip to the caller's address. X-Forwarded-For is believed only when the connection
 * comes from a configured proxy, and then read from the right, skipping further trusted hops,
 * so a client cannot choose its own address by sending the header itself.
 */
export function clientIp(trusted: Range[]) {
  const isTrusted = (address: string) => {
    try {
      const parsed = normalise(address);
      return trusted.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits));
    } catch {
      return false;
    }
  };
  // Peers repeat (keep-alive, load balancers): remember the last few normalised addresses.
  const normalised = new Map<string, string>();
  const normalisePeer = (peer: string) => {
    let known = normalised.get(peer);
    if (known === undefined) {
      try {
        known = normalise(peer).toString();
      } catch {
        known = peer;
      }
      if (normalised.size > 1_000) normalised.clear();
      normalised.set(peer, known);
    }
    return known;
  };
  return function resolveClientIp(ctx: Context, next: Next) {
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (trusted.length === 0) {
      ctx.request.ip = normalisePeer(peer);
      return next();
    }
    let ip = peer;
    if (isTrusted(peer)) {
      const hops = ctx.get('x-forwarded-for').split(',').map((hop) => hop.trim()).filter(Boolean);
      while (hops.length > 0) {
        const hop = hops.pop()!;
        ip = hop;
        if (!isTrusted(hop)) break;
      }
    }
    try {
      ip = normalise(ip).toString();
    } catch {
      ip = peer;
    }
    ctx.request.ip = ip;
    return next();
  };
}
