// The audit log's tables (migration 0030_audit_log) and its own view of them
// (auditTables). Every table but the one-row sequence is append-only, on both
// engines (see the migration): the hub only ever inserts.
//
// Hash and entry columns are bytes (BLOB, bytea); a row read back is a
// Uint8Array on SQLite and a Buffer on PostgreSQL.
import { ownTables } from '../storage/index.ts';

/** The log's sequence: one row (id 1), whose lock every append and checkpoint takes, holding the tree size. */
export interface AuditLogStateTable {
  id: number;
  size: number;
}

/** One entry per leaf, at its index. The columns after `entry` copy fields of the entry, for search only. */
export interface AuditEntriesTable {
  idx: number;
  /** SHA-256(0x00 ‖ entry): the leaf hash, so that level-0 tiles and proofs need not rehash entries. */
  leaf_hash: Uint8Array;
  /** The canonical encoding (RFC 8785 JSON, UTF-8): the leaf. */
  entry: Uint8Array;
  kind: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  time_ms: number;
}

/**
 * Full tlog tiles (256 hashes), written once when complete. A partial tile is never stored: level 0's comes
 * from the entries' leaf hashes, and level L's from the roots of the full tiles of level L − 1.
 */
export interface AuditTilesTable {
  level: number;
  idx: number;
  /** 256 hashes of tree level 8·level, 8,192 bytes. */
  hashes: Uint8Array;
  /** The root of those hashes: the node at tree level 8·(level + 1), i.e. one hash of the tile above. */
  root: Uint8Array;
}

/** Every checkpoint the hub signed, in the order it signed them (seq 1, 2, …). */
export interface AuditCheckpointsTable {
  seq: number;
  size: number;
  root_hash: Uint8Array;
  /** The signed note as the hub signed it (its own signature only; witnesses' are in audit_cosignatures). */
  note: string;
  created_at_ms: number;
}

/** A witness's cosignature of a checkpoint, verified with the witness's pinned key before it was stored. */
export interface AuditCosignaturesTable {
  checkpoint_seq: number;
  /** The witness's key name. */
  witness: string;
  key_id: number;
  /** The signature after the key ID: the 8-byte timestamp and the Ed25519 signature. */
  signature: Uint8Array;
  received_at_ms: number;
}

export interface AuditTables {
  audit_log_state: AuditLogStateTable;
  audit_entries: AuditEntriesTable;
  audit_tiles: AuditTilesTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_cosignatures: AuditCosignaturesTable;
}

export const auditTables = ownTables<AuditTables>();

/** The append-only tables, for the migration's triggers and grants and the tests that prove them. */
export const AUDIT_APPEND_ONLY_TABLES = ['audit_entries', 'audit_tiles', 'audit_checkpoints', 'audit_cosignatures'] as const;

/**
 * The PostgreSQL role the migration grants exactly the log's needs on these tables (SELECT and INSERT; on the
 * sequence row, SELECT and UPDATE of its size), and never UPDATE, DELETE or TRUNCATE of an entry. The hub's
 * runtime login role is made a member of it (see the migration and README).
 */
export const AUDIT_WRITER_ROLE = 'interlock_audit_writer';
