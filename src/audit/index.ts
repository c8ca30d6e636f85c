// The tamper-evident audit log (issue 7).
//
// Its pure core: the RFC 9162 Merkle tree and its proofs, the compact range
// the sequencer keeps in memory, C2SP signed notes, checkpoints and witness
// cosignatures, the tlog-tiles layout, and the canonical entry.
//
// Built on it: the durable log (createAuditLog: sequencer with group commit
// and cross-process indexes, checkpoints, witnesses), the security-event sink,
// the admin API's read routes, the export, the verifier and the witness
// server. `interlock audit …` is src/audit/cli.ts, loaded by src/cli.ts on demand.
export { TREE_SIZE_MAX, isTreeSize } from '../translog/tree_size.ts';
export { ACCEPTED, type Outcome, type Verdict } from '../translog/outcome.ts';
export {
  HASH_BYTES,
  consistencyProof,
  consistencyProofPlan,
  emptyTreeHash,
  foldRight,
  hashesEqual,
  inclusionProof,
  inclusionProofPlan,
  leafHash,
  nodeHash,
  nodesFromLeaves,
  nodesOfLeafHashes,
  proofFromPlan,
  rangeNodeIds,
  subtreeProofPlan,
  treeHead,
  verifyConsistency,
  verifyInclusion,
  type ConsistencyClaim,
  type Hash,
  type InclusionClaim,
  type LeafHashSource,
  type NodeHashSource,
  type NodeId,
  type ProofPlan,
} from '../translog/merkle.ts';
export {
  isSubtree,
  subtreeConsistencyProof,
  subtreeHash,
  subtreeInclusionProof,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
  type SubtreeConsistencyClaim,
  type SubtreeInclusionClaim,
} from '../translog/subtree.ts';
export { compactRangeNodeIds, createCompactRange, type CompactRange, type NodeVisitor } from '../translog/compact_range.ts';
export {
  ED25519_SIGNATURE_TYPE,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519PublicKeyBytes,
  formatVerifierKey,
  isKeyName,
  noteKeyId,
  parseEd25519VerifierKey,
  parseVerifierKey,
  type NoteSigner,
  type NoteVerifier,
  type VerifierKey,
} from '../translog/note_key.ts';
export {
  formatNote,
  openNote,
  parseNote,
  signNote,
  signText,
  type Note,
  type NoteOutcome,
  type NoteProblem,
  type NoteSignature,
  type OpenedNote,
} from '../translog/signed_note.ts';
export {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
  type CheckpointOutcome,
  type CheckpointProblem,
  type OpenedCheckpoint,
} from '../translog/checkpoint.ts';
export {
  COSIGNATURE_TYPE,
  cosignatureTimestampS,
  cosignatureVerifier,
  cosignatureVerifierKey,
  cosignedMessage,
  createCosigner,
  parseCosignatureVerifierKey,
} from '../translog/cosignature.ts';
export {
  TILE_HEIGHT,
  TILE_WIDTH,
  encodeEntryBundle,
  entryBundlePath,
  fullTileHash,
  nodesFromTiles,
  hashesOfTile,
  parseEntryBundle,
  parseTilePath,
  partialTiles,
  tileHashes,
  tileHashesFromLeaves,
  tilePath,
  tileWidth,
  type TileId,
  type TilePath,
} from '../translog/tiles.ts';
export {
  ENTRY_ENCODING_VERSION,
  auditText,
  decodeEntry,
  digestPersonalData,
  encodeEntry,
  isPersonalDataDigest,
  type AuditEntry,
  type AuditResult,
  type AuditTarget,
  type AuditText,
  type AuditValue,
  type EntryKind,
  type EntryOutcome,
  type PersonalDataDigest,
} from '../translog/entry.ts';
export { ENTRY_BYTES_MAX, NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX, PERSONAL_DATA_SALT_BYTES_MIN } from '../translog/limits.ts';

// The durable log, for main.ts and the rest of the hub.
export { createAuditLog, type AuditAppend, type AuditLog, type AuditLogDeps } from './audit_log.ts';
export { createAuditLogFromConfig, witnessesOf, type AuditLogFromConfigDeps } from './from_config.ts';
export { AuditAppendError, type AppendRefusal, type AppendResult, type SignedCheckpoint } from './sequencer.ts';
export { AuditIntegrityError } from './store.ts';
export { AUDIT_KEY_FILE_NAME, KeyFileError, loadOrCreateAuditKey } from './key_file.ts';
export { auditSecurityEvents, createAuditFeed, SECURITY_EVENT_LIMITS, securityEventEntry, type AuditFeed, type AuditedSecurityEvents } from './security_events.ts';
export { auditOperatorActions, auditValueOf, operatorActionEntry } from './operator_actions.ts';
export { AUDIT_READ, registerAuditRoutes, type AuditRouteDeps } from './routes.ts';
export { createAuditQueries, type AuditQueries } from './queries.ts';
export { exportLog, type ExportReport } from './export.ts';
export { describeSubject, verifyLog, type LogSource, type Problem, type VerifyOptions, type VerifyReport } from '../translog/verify.ts';
export { directorySource, urlSource } from '../translog/log_source.ts';
export { createWitnessServer, type WitnessServer } from './witness_server.ts';
export type { Witness } from '../translog/witness_client.ts';
export type { WitnessConfig } from './config_values.ts';
export { AUDIT_APPEND_ONLY_TABLES, AUDIT_WRITER_ROLE } from './tables.ts';
