// Every bound the transparency log library works within, with its unit and reason.
import assert from 'node:assert/strict';

/**
 * Largest canonical entry encoding. tlog-tiles entry bundles prefix each entry with a big-endian uint16
 * length, so an entry longer than this could not be exported for standard tools.
 */
export const ENTRY_BYTES_MAX = 65535;

/**
 * Largest signed note (checkpoint with its signatures) read. C2SP signed-note asks verifiers to accept at
 * least 16 signatures of up to ~5 kB (post-quantum) each; a checkpoint body is a few hundred bytes.
 */
export const NOTE_BYTES_MAX = 256 * 1024;

/** Most signature lines a note may carry: C2SP requires accepting at least 16 (the log's and a witness quorum's are far fewer). */
export const NOTE_SIGNATURES_MAX = 64;

/**
 * Shortest salt (an HMAC key) for personal-data digests. Party identifiers such as MSISDNs have little
 * entropy, so only a secret of full SHA-256 strength keeps their digests from being reversed by search.
 */
export const PERSONAL_DATA_SALT_BYTES_MIN = 32;

/** Longest actor, role, action or target identifier in an entry: ids and names the hub makes, never prose. */
export const ENTRY_IDENTIFIER_LENGTH_MAX = 256;

/** tlog-witness: a client sends at most 63 consistency proof lines (a tree of 2^63 leaves needs no more). */
export const WITNESS_PROOF_LINES_MAX = 63;

/** A whole add-checkpoint request: the old size line, the proof lines (45 bytes each) and a checkpoint note. */
export const WITNESS_REQUEST_BYTES_MAX = NOTE_BYTES_MAX + 64 * 64;

/** A witness's answer: a few cosignature lines (about 150 bytes each), or its size. */
export const WITNESS_RESPONSE_BYTES_MAX = 64 * 1024;

/** How long the hub waits for one witness to answer an add-checkpoint; a silent witness is tried again at the next checkpoint tick. */
export const WITNESS_REQUEST_TIMEOUT_MS = 5_000;

/** Checkpoints in one page of the checkpoint history. */
export const AUDIT_CHECKPOINTS_PAGE_MAX = 1000;

assert.ok(NOTE_BYTES_MAX >= 16 * 7 * 1024, 'room for 16 post-quantum signature lines');
