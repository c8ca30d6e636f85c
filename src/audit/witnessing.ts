// Sending the log's checkpoints to its witnesses and keeping their
// cosignatures. Each witness has at most one request in flight; a newer
// checkpoint arriving meanwhile replaces any waiting one (a witness needs only
// the latest: the proof carries it forward from whatever it saw last).
//
// The old size sent is the largest this hub knows the witness cosigned; when
// the witness says otherwise (409, with its size), the request is made again
// once from that size. A 409 at the same size means the witness holds a
// different tree of that size: a fork, reported as loudly as the log can.
// A witness that is down is tried again at the next checkpoint tick.
import type { Clock, Logger } from '../support/index.ts';
import { runTransaction, withCommitHook, type Engine } from '../storage/index.ts';
import { consistencyProofPlan, type CosignatureOutcome, type Fetch, type Hash, proofFromPlan, requestCosignature, type Witness } from '../translog/index.ts';
import { nodeReader, type AuditDb, type StoredCheckpoint } from './store.ts';
import { auditTables } from './tables.ts';

export interface WitnessingDeps {
  readonly db: AuditDb;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
  readonly witnesses: readonly Witness[];
  readonly fetch?: Fetch;
  readonly timeoutMs?: number;
}

export interface Witnessing {
  /** Sends the checkpoint to every witness that has not cosigned it (without waiting). */
  submit(checkpoint: StoredCheckpoint): void;
  /** Settles when no request is in flight or waiting. */
  drained(): Promise<void>;
}

interface WitnessTrack {
  readonly witness: Witness;
  /** The size the witness last cosigned, as far as this hub knows. */
  knownSize: number | undefined;
  running: Promise<void> | undefined;
  waiting: StoredCheckpoint | undefined;
  /** The last problem reported, so that a witness that stays down is reported once, not every second. */
  lastProblem: string | undefined;
}

/** The witnessing under way: its dependencies (with the log its reports go to) and a track per witness. */
interface Context {
  readonly deps: WitnessingDeps;
  readonly log: Logger;
}

async function proofFrom({ deps }: Context, oldSize: number, checkpoint: StoredCheckpoint): Promise<Hash[]> {
  if (oldSize === 0 || oldSize === checkpoint.size) return [];
  const plan = consistencyProofPlan(oldSize, checkpoint.size);
  return proofFromPlan(plan, await nodeReader(deps.db, checkpoint.size)(plan.nodes));
}

async function cosignedSize({ deps: { db } }: Context, witness: Witness): Promise<{ size: number; hasThis: (seq: number) => Promise<boolean> }> {
  const row = await auditTables(db).selectFrom('audit_cosignatures').innerJoin('audit_checkpoints', 'audit_checkpoints.seq', 'audit_cosignatures.checkpoint_seq')
    .select((eb) => eb.fn.max('audit_checkpoints.size').as('size'))
    .where('audit_cosignatures.witness', '=', witness.verifier.name).where('audit_cosignatures.key_id', '=', witness.verifier.keyId)
    .executeTakeFirst();
  const hasThis = async (seq: number) => (await auditTables(db).selectFrom('audit_cosignatures').select('checkpoint_seq').where('checkpoint_seq', '=', seq)
    .where('witness', '=', witness.verifier.name).where('key_id', '=', witness.verifier.keyId).executeTakeFirst()) !== undefined;
  return { size: row?.size ?? 0, hasThis };
}

function report({ log }: Context, track: WitnessTrack, problem: string | undefined, fields: Record<string, unknown> = {}): void {
  if (problem === track.lastProblem) return;
  const { url, verifier } = track.witness;
  if (problem === undefined) log.info({ witness: verifier.name, url }, 'witness cosigns again');
  else log.warn({ witness: verifier.name, url, ...fields }, `witness did not cosign: ${problem}`);
  track.lastProblem = problem;
}

async function ask(context: Context, track: WitnessTrack, checkpoint: StoredCheckpoint, oldSize: number): Promise<CosignatureOutcome> {
  const { deps } = context;
  return requestCosignature(track.witness, { oldSize, proof: await proofFrom(context, oldSize, checkpoint), checkpoint: checkpoint.note }, {
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
  });
}

/**
 * Asks the witness, and once more from the size it answers with if it says its size is another (409). Undefined
 * when there is nothing more to do: it holds a larger tree, or a different tree of this size (a fork, reported).
 */
async function askFrom(context: Context, track: WitnessTrack, checkpoint: StoredCheckpoint, from: number): Promise<CosignatureOutcome | undefined> {
  let oldSize = from;
  let outcome: CosignatureOutcome | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    outcome = await ask(context, track, checkpoint, oldSize);
    if (outcome.ok || outcome.error.problem !== 'conflict') break;
    if (outcome.error.size === oldSize) {
      // Its size is the one sent, so it refused a different root at that size: it holds a tree of this log's
      // size that is not this tree. Someone was shown another history.
      context.log.fatal({ witness: track.witness.verifier.name, url: track.witness.url, size: outcome.error.size },
        'AUDIT LOG FORK: a witness holds a checkpoint of this log that differs from the stored tree at the same size; investigate at once');
      track.lastProblem = 'fork';
      return undefined;
    }
    track.knownSize = outcome.error.size;
    if (outcome.error.size > checkpoint.size) return undefined;
    oldSize = outcome.error.size;
  }
  return outcome;
}

async function send(context: Context, track: WitnessTrack, checkpoint: StoredCheckpoint): Promise<void> {
  const { db, engine, clock } = context.deps;
  const stored = await cosignedSize(context, track.witness);
  if (await stored.hasThis(checkpoint.seq)) return;
  const oldSize = Math.max(track.knownSize ?? 0, stored.size);
  if (oldSize > checkpoint.size) return; // it has cosigned a larger tree (another hub process sent it)
  const outcome = await askFrom(context, track, checkpoint, oldSize);
  if (outcome === undefined) return;
  if (!outcome.ok) {
    report(context, track, outcome.error.problem === 'conflict' ? 'its size kept changing (another hub process is sending too)' : `${outcome.error.problem}: ${outcome.error.reason}`, { size: checkpoint.size });
    track.knownSize = undefined;
    return;
  }
  const { name, keyId, signature } = outcome.value;
  await withCommitHook(undefined, () => runTransaction(db, engine, (tx) => auditTables(tx).insertInto('audit_cosignatures')
    .values({ checkpoint_seq: checkpoint.seq, witness: name, key_id: keyId, signature, received_at_ms: clock.nowMs() })
    .onConflict((oc) => oc.columns(['checkpoint_seq', 'witness', 'key_id']).doNothing())
    .execute()));
  track.knownSize = checkpoint.size;
  report(context, track, undefined);
}

function run(context: Context, track: WitnessTrack, checkpoint: StoredCheckpoint): void {
  track.running = send(context, track, checkpoint)
    .catch((error: unknown) => { report(context, track, `the hub could not send the checkpoint: ${error instanceof Error ? error.message : String(error)}`); })
    .finally(() => {
      track.running = undefined;
      const next = track.waiting;
      track.waiting = undefined;
      if (next !== undefined) run(context, track, next);
    });
}

export function createWitnessing(deps: WitnessingDeps): Witnessing {
  const context: Context = { deps, log: deps.log.child({ component: 'audit-witnessing' }) };
  const tracks: WitnessTrack[] = deps.witnesses.map((witness) => ({ witness, knownSize: undefined, running: undefined, waiting: undefined, lastProblem: undefined }));
  return {
    submit(checkpoint) {
      for (const track of tracks) {
        if (track.running === undefined) run(context, track, checkpoint);
        else if (track.waiting === undefined || track.waiting.size <= checkpoint.size) track.waiting = checkpoint;
      }
    },
    async drained() {
      for (;;) {
        const running = tracks.map((t) => t.running).filter((p) => p !== undefined);
        if (running.length === 0) return;
        await Promise.all(running);
      }
    },
  };
}
