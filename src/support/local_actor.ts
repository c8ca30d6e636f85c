// Who ran a command on the hub's host (the CLI has no sign-in): the operating
// system's user and the host, as the actor of the audit entry of a local
// change (interlock pki issue|renew|revoke, interlock operator reset-credential).
import { hostname, userInfo } from 'node:os';

/** Longest local actor id: an audit entry's identifiers are bounded. */
const LOCAL_ACTOR_LENGTH_MAX = 64;

/** `local:<user>@<host>`, in the printable ASCII without spaces an audit entry's identifiers hold. */
export function localActorId(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = 'unknown';
  }
  return `local:${user}@${hostname()}`.replace(/[^\x21-\x7e]/g, '_').slice(0, LOCAL_ACTOR_LENGTH_MAX);
}
