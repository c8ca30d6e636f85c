// Loaded into every test process (`npm test` passes it with --import): no
// test may send traffic to anything but this machine. The hostile tests of the
// callback network policy name link-local, private and metadata addresses on
// purpose; while the policy holds they are refused before any connection, and
// if it ever regressed this guard makes the test fail here instead of a packet
// leaving for 169.254.169.254. Every outbound TCP connection of the process
// goes through net.Socket#connect (undici, pg, tls.connect, http), so the
// guard sits there: an IP literal outside loopback is refused at once, and a
// name's looked-up addresses are refused before the socket connects to them.
import { isIP, Socket } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isLoopbackAddress } from '../support/loopback.ts';


function refusal(target: string): Error {
  return Object.assign(new Error(`test guard: a connection to ${target} was attempted; tests may reach loopback addresses only`), { code: 'ETESTNONLOOPBACK' });
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type LookupFunction = (hostname: string, options: object, callback: LookupCallback) => void;

function guardedLookup(original: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    original(hostname, options, (error, address, family) => {
      if (error !== null) { callback(error, address, family); return; }
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const outside = addresses.find((a) => !isLoopbackAddress(a));
      if (outside !== undefined) { callback(refusal(`${hostname} (${outside})`), address, family); return; }
      callback(null, address, family);
    });
  };
}

interface ConnectOptions { host?: string; path?: string; lookup?: LookupFunction }

/** The connect options with the guard applied; throws for a literal outside loopback. */
function guarded(options: ConnectOptions): ConnectOptions {
  if (options.path !== undefined) return options; // a Unix socket: this machine
  const host = options.host ?? 'localhost';
  if (isIP(host) !== 0) {
    if (!isLoopbackAddress(host)) throw refusal(host);
    return options;
  }
  return { ...options, lookup: guardedLookup(options.lookup ?? dnsLookup) };
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with the socket as `this`, below
const originalConnect = Socket.prototype.connect as (this: Socket, ...args: unknown[]) => Socket;
function guardedConnect(this: Socket, ...args: unknown[]): Socket {
  const first = args[0];
  if (Array.isArray(first)) {
    // net.connect() and http's agents pass node's normalised [options, listener], marked by an
    // internal symbol that must stay on the array: the options are replaced in place.
    first[0] = guarded(first[0] as ConnectOptions);
  } else if (first !== null && typeof first === 'object') {
    args[0] = guarded(first);
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const hostGiven = typeof args[1] === 'string';
    args.splice(0, hostGiven ? 2 : 1, guarded({ port: Number(first), host: hostGiven ? args[1] as string : 'localhost' } as ConnectOptions));
  }
  return originalConnect.apply(this, args);
}
// Installed once per process, however often the module is loaded (the --import and a test's own import).
const INSTALLED = Symbol.for('interlock.test.loopbackOnly');
const registry = globalThis as { [INSTALLED]?: true };
if (registry[INSTALLED] !== true) {
  registry[INSTALLED] = true;
  Socket.prototype.connect = guardedConnect;
}
