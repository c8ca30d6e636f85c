// Every bound the hub's durable audit log works within (sequencer, checkpoints,
// witnesses, reads, security events), with its unit and reason. The library's
// own bounds (entries, notes, the witness protocol) are src/translog/limits.ts.
import assert from 'node:assert/strict';

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


/** Results in one page of an audit search, each with its inclusion proof. */
export const AUDIT_SEARCH_RESULTS_MAX = 100;

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

assert.ok(AUDIT_INSERT_ROWS_MAX * AUDIT_ENTRY_COLUMNS <= 32_766, 'one INSERT stays under SQLite\'s bound parameters');
assert.ok(SECURITY_EVENTS_IN_FLIGHT_MAX * 4 <= AUDIT_QUEUE_ENTRIES_MAX, 'security events leave most of the queue to operator actions');
assert.ok(SECURITY_EVENT_SOURCES_MAX * 2 <= SECURITY_EVENTS_IN_FLIGHT_MAX, 'the summaries of one interval (one per source, one per kind) fit in flight at once');
