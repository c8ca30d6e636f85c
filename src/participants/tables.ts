// The participants module's own tables: participants, their callback
// endpoints and their registered signing keys. Other modules call the queries
// this module exports (index.ts), not these tables.
import type { Generated, Selectable } from 'kysely';
import { ownTables } from '../storage/index.ts';
import type { SigningAlg } from './signing_keys_policy.ts';

export interface ParticipantsTable {
  id: Generated<number>;
  name: string;
  /** Lower-case name; unique, so that no two participants differ only in case. */
  name_folded: string;
  is_active: number;
  is_proxy: number;
  /** 1 for the hub's own participant (named "Hub"), which holds the hub accounts. */
  is_hub: number;
  created_at_ms: number;
  created_by: string;
}

export interface ParticipantEndpointsTable {
  participant_id: number;
  type: string;
  value: string;
  changed_at_ms: number;
}

export interface ParticipantSigningKeysTable {
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  kid: string;
  participant: string;
  alg: SigningAlg;
  /** SPKI PEM, re-exported from the parsed key whatever form it was registered in. */
  public_key: string;
  not_before_ms: number;
  /** Null: no expiry of its own (revocation still ends it). */
  not_after_ms: number | null;
  revoked_at_ms: number | null;
  created_at_ms: number;
  created_by: string;
}

export interface ParticipantTables {
  participants: ParticipantsTable;
  participant_endpoints: ParticipantEndpointsTable;
  participant_signing_keys: ParticipantSigningKeysTable;
}

export const participantTables = ownTables<ParticipantTables>();

export type Participant = Selectable<ParticipantsTable>;
