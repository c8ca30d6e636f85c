// Every bound the audit log's core works within, with its unit and reason.
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

// ---- The durable log: sequencer, checkpoints, witnesses, reads ----

/**
 * How long the sequencer waits after the first entry of a batch for others to join it. Every append waits for
 * a commit anyway (one fsync); a few milliseconds more lets a burst share that commit, and an operator's
 * action is acknowledged no later than this after its entry is durable.
 */
export const AUDIT_BATCH_WINDOW_MS = 2;

/** Entries committed in one transaction: bounds the time the log's sequence lock is held, and the work one failed commit loses. */
export const AUDIT_BATCH_ENTRIES_MAX = 1024;

/**
 * Entries waiting for a batch. Past it an append is refused at once ('overloaded'): the log is behind storage,
 * and a queue without end would only turn that into memory exhaustion.
 */
export const AUDIT_QUEUE_ENTRIES_MAX = 16_384;

/** Rows in one INSERT: 9 parameters each, far under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
export const AUDIT_INSERT_ROWS_MAX = 256;
const AUDIT_ENTRY_COLUMNS = 9;

/** Leaf hashes read per query when a sequencer catches up with entries another hub process appended. */
export const AUDIT_CATCH_UP_ROWS_MAX = 4096;

/** tlog-witness: a client sends at most 63 consistency proof lines (a tree of 2^63 leaves needs no more). */
export const WITNESS_PROOF_LINES_MAX = 63;

/** A whole add-checkpoint request: the old size line, the proof lines (45 bytes each) and a checkpoint note. */
export const WITNESS_REQUEST_BYTES_MAX = NOTE_BYTES_MAX + 64 * 64;

/** A witness's answer: a few cosignature lines (about 150 bytes each), or its size. */
export const WITNESS_RESPONSE_BYTES_MAX = 64 * 1024;

/** How long the hub waits for one witness to answer an add-checkpoint; a silent witness is tried again at the next checkpoint tick. */
export const WITNESS_REQUEST_TIMEOUT_MS = 5_000;

/** How long a witness server allows to receive one whole request (a slow client cannot hold its one state lock). */
export const WITNESS_SERVER_REQUEST_TIMEOUT_MS = 10_000;

/** Results in one page of an audit search, each with its inclusion proof. */
export const AUDIT_SEARCH_RESULTS_MAX = 100;

/** Checkpoints in one page of the checkpoint history. */
export const AUDIT_CHECKPOINTS_PAGE_MAX = 1000;

/**
 * Security events appended and not yet durable. A flood of refused handshakes (which anyone on the network can
 * cause) must not fill the log's queue and starve operator actions of room, so events beyond this are dropped,
 * counted and reported.
 */
export const SECURITY_EVENTS_IN_FLIGHT_MAX = 1024;

/** How often, at most, dropped security events are reported while they are being dropped. */
export const SECURITY_EVENT_DROP_REPORT_INTERVAL_MS = 1_000;

/**
 * Sources (a participant, or an address when none was established) tracked per interval. Anyone on the
 * network can be a new address; beyond this, events are counted into one summary entry per kind.
 */
export const SECURITY_EVENT_SOURCES_MAX = 512;

/** Distinct reasons kept as a sample in a summary entry (the count says how many events there were). */
export const SECURITY_EVENT_REASON_SAMPLES_MAX = 8;

/** Longest text taken from a security event into an entry (its reason, a claimed participant name): headers are attacker-chosen. */
export const SECURITY_EVENT_TEXT_LENGTH_MAX = 256;

assert.ok(NOTE_BYTES_MAX >= 16 * 7 * 1024, 'room for 16 post-quantum signature lines');
assert.ok(AUDIT_INSERT_ROWS_MAX * AUDIT_ENTRY_COLUMNS <= 32_766, 'one INSERT stays under SQLite\'s bound parameters');
assert.ok(SECURITY_EVENTS_IN_FLIGHT_MAX * 4 <= AUDIT_QUEUE_ENTRIES_MAX, 'security events leave most of the queue to operator actions');
assert.ok(SECURITY_EVENT_SOURCES_MAX * 2 <= SECURITY_EVENTS_IN_FLIGHT_MAX, 'the summaries of one interval (one per source, one per kind) fit in flight at once');

