// Party identifiers as the FRMS keeps and shares them: a keyed digest
// (HMAC-SHA256 under the scheme's risk key), never the clear value. Every hub
// process of a scheme uses the same key (a file the operator controls, made
// at first start like the hub's other keys), so one party has one key across
// processes and DFSPs; without the key a digest reveals nothing, and no DFSP
// learns another's customers from the lists or features it is told about.
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isMissingKeyFile, readOwnerOnlyKeyFile, writeNewKeyFile } from '../support/index.ts';
import type { PartyKey } from './types.ts';

export const RISK_KEY_FILE_NAME = 'risk_party.key';
const KEY_BYTES = 32;
const KEY_FILE_BYTES_MAX = 1024;
const HEADER = 'interlock risk party key v1\n';

/** The identity of a Mojaloop party, as a partyIdInfo gives it. */
export interface PartyIdentity {
  readonly partyIdType: string;
  readonly partyIdentifier: string;
  readonly partySubIdOrType?: string | undefined;
}

export type PartyKeyOf = (party: PartyIdentity) => PartyKey;

/** The key function under `key` (32 bytes): the same party always gives the same key, whatever its case of type. */
export function partyKeys(key: Buffer): PartyKeyOf {
  if (key.length !== KEY_BYTES) throw new Error(`the risk party key is ${key.length} bytes; it must be ${KEY_BYTES}`);
  return (party) => createHmac('sha256', key)
    .update(`${party.partyIdType.toUpperCase()}\n${party.partyIdentifier}\n${party.partySubIdOrType ?? ''}`)
    .digest('base64url');
}

function parseKeyFile(text: string, path: string): Buffer {
  const key = text.startsWith(HEADER) ? Buffer.from(text.slice(HEADER.length).trim(), 'base64url') : Buffer.alloc(0);
  if (key.length !== KEY_BYTES) throw new Error(`${path} is not an Interlock risk party key (a header line and ${KEY_BYTES} bytes of base64url)`);
  return key;
}

/**
 * The scheme's party key function: from `keyFile` if given (it must exist), else from
 * `<dataDir>/risk_party.key`, made at first start (0600). Losing or replacing the key makes every stored
 * feature and list entry unreadable as the same party: keep it with the hub's other keys.
 */
export function loadOrCreatePartyKeys(options: { readonly keyFile?: string | undefined; readonly dataDir: string }): { partyKeyOf: PartyKeyOf; path: string; created: boolean } {
  const path = options.keyFile ?? join(options.dataDir, RISK_KEY_FILE_NAME);
  try {
    return { partyKeyOf: partyKeys(parseKeyFile(readOwnerOnlyKeyFile(path, 'risk party key', KEY_FILE_BYTES_MAX), path)), path, created: false };
  } catch (error) {
    if (options.keyFile !== undefined || !isMissingKeyFile(error)) throw error;
  }
  const created = writeNewKeyFile(path, `${HEADER}${randomBytes(KEY_BYTES).toString('base64url')}\n`);
  // Another hub process may have made it first: its key is the one every process uses.
  return { partyKeyOf: partyKeys(parseKeyFile(readOwnerOnlyKeyFile(path, 'risk party key', KEY_FILE_BYTES_MAX), path)), path, created };
}
