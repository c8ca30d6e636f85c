// The hub's listener ports, taken before it creates anything. A start whose
// port is busy used to find out only at listen, after the first start had
// made the database, the PKI and the bootstrap administrator's one-time
// credential. Now each port is bound first (net.BoundSocket: bound, not yet
// listening, so nothing is accepted and no connection waits on a hub that is
// not ready) and the listener adopts that very socket once the hub is ready to
// serve. Checking a port by binding and releasing it would leave a window in
// which another process could take it; holding the bound socket leaves none.
import { lookup } from 'node:dns/promises';
import { BoundSocket, isIP } from 'node:net';

export interface ListenerPort {
  /** What listens there, for messages ("the admin API"). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Where the operator sets it ("admin.port (INTERLOCK_ADMIN_PORT)"). */
  readonly setting: string;
}

/** A listener port that cannot be bound, and what to do. */
export class ListenerPortError extends Error {
  override readonly name = 'ListenerPortError';
  readonly code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export interface ReservedPorts {
  /** The bound socket for listener `index` (in the order given), for net.Server.listen({ handle }). */
  socket(index: number): BoundSocket;
  /** Closes every socket no listener adopted (after a start that failed); adopted ones are the listeners'. */
  release(): void;
}

async function numericHost(host: string): Promise<string> {
  // BoundSocket does no name resolution; the configuration allows "localhost".
  return isIP(host) !== 0 ? host : (await lookup(host)).address;
}

/** Binds every port in `ports`, or none: the first that cannot be bound is a ListenerPortError, and the others are released. */
export async function reserveListenerPorts(ports: readonly ListenerPort[]): Promise<ReservedPorts> {
  const sockets: BoundSocket[] = [];
  const release = () => { for (const socket of sockets) socket[Symbol.dispose](); };
  for (const wanted of ports) {
    try {
      sockets.push(new BoundSocket({ host: await numericHost(wanted.host), port: wanted.port }));
    } catch (error) {
      release();
      const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
      const why = code === 'EADDRINUSE' ? 'another process holds it' : code === 'EACCES' ? 'this user may not bind it' : code === 'EADDRNOTAVAIL' ? 'the address is not this host\'s' : code;
      throw new ListenerPortError(`${wanted.name} cannot listen on ${wanted.host}:${wanted.port}: ${why}. Nothing was created; set ${wanted.setting} to a port this hub may use`, code, { cause: error });
    }
  }
  return {
    socket(index) {
      const socket = sockets[index];
      if (socket === undefined) throw new RangeError(`no listener port ${index} was reserved`);
      return socket;
    },
    release,
  };
}
