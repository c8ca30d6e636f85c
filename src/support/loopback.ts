// Whether an address, a listener's host or a URL is this machine's loopback:
// where plain HTTP (no TLS) is allowed, where a simulator may listen, and the
// only place tests may connect to.
import { isIP } from 'node:net';

/** Whether `address` (an IP literal, IPv6 possibly in brackets) is on loopback: 127.0.0.0/8, ::1, or IPv4-mapped 127.0.0.0/8. */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  const lower = bare.toLowerCase();
  return lower === '::1' || (lower.startsWith('::ffff:') && lower.slice('::ffff:'.length).startsWith('127.'));
}

/** Whether a host name or IP literal (a listener's host, a URL's hostname) is on loopback: `localhost` or a loopback address. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}
