// A transparency log as a library: the RFC 9162 Merkle tree and its proofs,
// the compact range and tree state an appender keeps in memory, the C2SP
// tlog-tiles layout, signed notes, checkpoints and witness cosignatures, the
// tlog-witness protocol (both sides' messages, and the client's request), the
// canonical entry encoding, and the verifier of a published log. It knows no
// storage, configuration or HTTP server: src/audit/ builds the hub's durable
// log on it, src/witness/ the witness server.
export { isTreeSize } from './tree_size.ts';
export {
  HASH_BYTES,
  consistencyProofPlan,
  hashesEqual,
  inclusionProofPlan,
  leafHash,
  nodesOfLeafHashes,
  proofFromPlan,
  treeHead,
  verifyConsistency,
  type Hash,
  type NodeId,
} from './merkle.ts';
export { compactRangeNodeIds, createCompactRange } from './compact_range.ts';
export { createTreeState, type FullTile, type TreeState } from './tree_state.ts';
export {
  ED25519_SIGNATURE_TYPE,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519PublicKeyBytes,
  formatVerifierKey,
  isKeyName,
  parseEd25519VerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from './note_key.ts';
export { formatNote, openNote, parseNote, signText, type NoteSignature } from './signed_note.ts';
export { openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.ts';
export { cosignatureVerifierKey, createCosigner, parseCosignatureVerifierKey } from './cosignature.ts';
export { TILE_HEIGHT, TILE_WIDTH, encodeEntryBundle, entryBundlePath, hashesOfTile, parseTilePath, tilePath, tileWidth } from './tiles.ts';
export { auditText, decodeEntry, encodeEntry, type AuditEntry, type AuditText, type AuditValue } from './entry.ts';
export { AUDIT_CHECKPOINTS_PAGE_MAX, ENTRY_IDENTIFIER_LENGTH_MAX, NOTE_BYTES_MAX, WITNESS_REQUEST_BYTES_MAX } from './limits.ts';
export { ADD_CHECKPOINT_PATH, TLOG_SIZE_CONTENT_TYPE, formatSizeBody, parseAddCheckpointRequest } from './witness_protocol.ts';
export { requestCosignature, type CosignatureOutcome, type Fetch, type Witness } from './witness_client.ts';
export { describeSubject, verifyLog, type VerifyOptions, type VerifyReport } from './verify.ts';
export { CHECKPOINTS_FILE_NAME, directorySource, urlSource } from './log_source.ts';
