// The scheme's deny and watch lists: party keys (keyed digests, never clear
// identifiers) an operator put there, each with its reason, who added it and,
// once the admin API's maker-checker exists, the change request that did.
// A deny entry makes the payerDenied/payeeDenied feature true, a watch entry
// payerWatched/payeeWatched; what a rule set does with them is its own.
// The allow list is an override: an allow-listed payer or payee gets ALLOW
// whatever the LIVE rule set decided (overrideByAllowList), sanctions aside.
//
// A list file holds one entry a line: a party key as it is, or
// `partyIdType:partyIdentifier`, which the caller's key function turns into
// the key (the scheme's risk key never comes here). Blank lines and lines
// starting with # are skipped. A file with one bad line is refused whole,
// with every bad line's number, so that a list is never half loaded.
import type { Kysely } from 'kysely';
import type { Tx } from '../ledger/index.ts';
import { runRefusable, type Db, type Engine } from '../storage/index.ts';
import { isPartyIdType, partyIdentifierProblem, type PartyIdType } from '../fspiop/index.ts';
import { err, ok, type Clock, type Result } from '../support/index.ts';
import { riskTables, type RiskList } from './tables.ts';
import type { Decision, Features, PartyKey, PaymentFacts } from './types.ts';

export type { RiskList } from './tables.ts';
export const RISK_LISTS: readonly RiskList[] = ['deny', 'watch', 'allow'];
/** The lists the features read (payerDenied, payeeWatched, …); the allow list is an override, applied to the verdict. */
const FEATURE_LISTS: readonly RiskList[] = ['deny', 'watch'];

/** Entries one list may hold. */
export const LIST_ENTRIES_MAX = 1_000_000;
/** A list file's lines (the entries plus blanks and comments) and its size in characters. */
export const LIST_FILE_LINES_MAX = LIST_ENTRIES_MAX;
export const LIST_FILE_LENGTH_MAX = 64 * 1024 * 1024;
/** Bad lines a refusal names (the count is always given). */
const PROBLEMS_NAMED_MAX = 20;
/** Rows per insert statement when a file is loaded. */
const INSERT_CHUNK_ROWS = 500;
export const LIST_PAGE_MAX = 1_000;
const REASON_LENGTH_MAX = 512;
const ACTOR_LENGTH_MAX = 256;

/** A party key as the hub makes them: HMAC-SHA256, base64url without padding (43 characters). */
const PARTY_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function isPartyKey(value: unknown): value is PartyKey {
  return typeof value === 'string' && PARTY_KEY_PATTERN.test(value);
}

export type ListLineKeyOf = (partyIdType: PartyIdType, partyIdentifier: string) => PartyKey;

export interface ListEntryInput {
  readonly list: RiskList;
  readonly partyKey: PartyKey;
  readonly reason: string;
  readonly addedBy: string;
  readonly nowMs: number;
  readonly changeRequestId?: string | null;
}

export interface ListEntry {
  readonly list: RiskList;
  readonly partyKey: PartyKey;
  readonly reason: string;
  readonly addedAtMs: number;
  readonly addedBy: string;
  readonly changeRequestId: string | null;
}

export type ListRefusal =
  | { readonly kind: 'invalid'; readonly detail: string }
  | { readonly kind: 'full'; readonly detail: string };

function entryProblem(input: Omit<ListEntryInput, 'partyKey'>): string | undefined {
  if (!RISK_LISTS.includes(input.list)) return `list must be one of ${RISK_LISTS.join(', ')}`;
  if (input.reason.length === 0 || input.reason.length > REASON_LENGTH_MAX) return `reason must be 1..${REASON_LENGTH_MAX} characters`;
  if (input.addedBy.length === 0 || input.addedBy.length > ACTOR_LENGTH_MAX) return `addedBy must be 1..${ACTOR_LENGTH_MAX} characters`;
  if (!Number.isSafeInteger(input.nowMs)) return 'nowMs must be an integer';
  return undefined;
}

async function entryCount<S>(db: Kysely<S>, list: RiskList): Promise<number> {
  const row = await riskTables(db).selectFrom('risk_lists').select((eb) => eb.fn.countAll<number>().as('entries')).where('list', '=', list).executeTakeFirstOrThrow();
  return row.entries;
}

/** Adds `partyKey` to the list: true when added, false when it was there already (its entry unchanged). */
export async function addToList<S>(db: Kysely<S>, input: ListEntryInput): Promise<Result<boolean, ListRefusal>> {
  const problem = entryProblem(input) ?? (isPartyKey(input.partyKey) ? undefined : 'partyKey must be a party key (43 base64url characters)');
  if (problem !== undefined) return err({ kind: 'invalid', detail: problem });
  if (await entryCount(db, input.list) >= LIST_ENTRIES_MAX) return err({ kind: 'full', detail: `the ${input.list} list holds its maximum of ${LIST_ENTRIES_MAX} entries` });
  const inserted = await riskTables(db).insertInto('risk_lists').values({
    list: input.list, party_key: input.partyKey, reason: input.reason, added_at_ms: input.nowMs, added_by: input.addedBy, change_request_id: input.changeRequestId ?? null,
  }).onConflict((oc) => oc.columns(['list', 'party_key']).doNothing()).executeTakeFirst();
  return ok(Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1);
}

/** Takes `partyKey` off the list: true when it was there. */
export async function removeFromList<S>(db: Kysely<S>, list: RiskList, partyKey: PartyKey): Promise<boolean> {
  const deleted = await riskTables(db).deleteFrom('risk_lists').where('list', '=', list).where('party_key', '=', partyKey).executeTakeFirst();
  return Number(deleted.numDeletedRows) === 1;
}

/** A page of the list in party key order, after `afterPartyKey` (exclusive). */
export async function listEntries<S>(db: Kysely<S>, list: RiskList, page: { afterPartyKey?: PartyKey | undefined; limit: number }): Promise<ListEntry[]> {
  const limit = Math.max(1, Math.min(LIST_PAGE_MAX, Math.trunc(page.limit)));
  let query = riskTables(db).selectFrom('risk_lists').selectAll().where('list', '=', list);
  if (page.afterPartyKey !== undefined) query = query.where('party_key', '>', page.afterPartyKey);
  const rows = await query.orderBy('party_key').limit(limit).execute();
  return rows.map(entryOf);
}

function entryOf(r: { list: RiskList; party_key: PartyKey; reason: string; added_at_ms: number; added_by: string; change_request_id: string | null }): ListEntry {
  return { list: r.list, partyKey: r.party_key, reason: r.reason, addedAtMs: r.added_at_ms, addedBy: r.added_by, changeRequestId: r.change_request_id };
}

export interface ListFlags {
  readonly payerDenied: boolean | null;
  readonly payeeDenied: boolean | null;
  readonly payerWatched: boolean | null;
  readonly payeeWatched: boolean | null;
}

/** Whether each party is on the deny and the watch list; null for a party without a key. */
export async function listFlags<S>(db: Kysely<S>, payer: PartyKey | null, payee: PartyKey | null): Promise<ListFlags> {
  const keys = [payer, payee].filter((k): k is PartyKey => k !== null);
  const rows = keys.length === 0 ? [] : await riskTables(db).selectFrom('risk_lists').select(['list', 'party_key']).where('list', 'in', FEATURE_LISTS).where('party_key', 'in', keys).execute();
  const on = (key: PartyKey | null, list: RiskList): boolean | null => (key === null ? null : rows.some((r) => r.list === list && r.party_key === key));
  return { payerDenied: on(payer, 'deny'), payeeDenied: on(payee, 'deny'), payerWatched: on(payer, 'watch'), payeeWatched: on(payee, 'watch') };
}

export interface ListFileLoad {
  readonly list: RiskList;
  readonly text: string;
  readonly keyOf: ListLineKeyOf;
  readonly reason: string;
  readonly addedBy: string;
  readonly nowMs: number;
}

export interface ListFileResult {
  /** Distinct keys in the file. */
  readonly entries: number;
  readonly added: number;
  /** Keys the list held already (their entries unchanged). */
  readonly present: number;
}

function keyOfLine(line: string, keyOf: ListLineKeyOf): Result<PartyKey, string> {
  const colon = line.indexOf(':');
  if (colon < 0) return isPartyKey(line) ? ok(line) : err('neither a party key (43 base64url characters) nor partyIdType:partyIdentifier');
  const type = line.slice(0, colon);
  const identifier = line.slice(colon + 1);
  if (!isPartyIdType(type)) return err(`${JSON.stringify(type.slice(0, 32))} is not an FSPIOP partyIdType`);
  const problem = partyIdentifierProblem(type, identifier);
  if (problem !== undefined) return err(problem);
  const key = keyOf(type, identifier);
  return isPartyKey(key) ? ok(key) : err('the key function gave no party key');
}

/** The distinct keys of a list file, or the problems of its bad lines ("line 3: …"). */
export function parseListFile(text: string, keyOf: ListLineKeyOf): Result<PartyKey[], { count: number; lines: string[] }> {
  if (text.length > LIST_FILE_LENGTH_MAX) return err({ count: 1, lines: [`the file is longer than ${LIST_FILE_LENGTH_MAX} characters`] });
  const lines = text.split(/\r?\n/);
  if (lines.length > LIST_FILE_LINES_MAX) return err({ count: 1, lines: [`the file has more than ${LIST_FILE_LINES_MAX} lines`] });
  const keys = new Set<PartyKey>();
  const problems: string[] = [];
  let count = 0;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const key = keyOfLine(line, keyOf);
    if (key.ok) keys.add(key.value);
    else if (++count <= PROBLEMS_NAMED_MAX) problems.push(`line ${index + 1}: ${key.error}`);
  });
  return count > 0 ? err({ count, lines: problems }) : ok([...keys]);
}

/** Loads a list file into the list (run it in a refusable transaction: it refuses the whole file or adds all of it). */
export async function loadListFile<S>(db: Kysely<S>, load: ListFileLoad): Promise<Result<ListFileResult, ListRefusal>> {
  const problem = entryProblem(load);
  if (problem !== undefined) return err({ kind: 'invalid', detail: problem });
  const parsed = parseListFile(load.text, load.keyOf);
  if (!parsed.ok) return err({ kind: 'invalid', detail: `${parsed.error.count} bad line(s): ${parsed.error.lines.join('; ')}` });
  let added = 0;
  for (let i = 0; i < parsed.value.length; i += INSERT_CHUNK_ROWS) {
    const rows = parsed.value.slice(i, i + INSERT_CHUNK_ROWS).map((partyKey) => ({
      list: load.list, party_key: partyKey, reason: load.reason, added_at_ms: load.nowMs, added_by: load.addedBy, change_request_id: null,
    }));
    const result = await riskTables(db).insertInto('risk_lists').values(rows).onConflict((oc) => oc.columns(['list', 'party_key']).doNothing()).executeTakeFirst();
    added += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  if (await entryCount(db, load.list) > LIST_ENTRIES_MAX) return err({ kind: 'full', detail: `the file would take the ${load.list} list over its maximum of ${LIST_ENTRIES_MAX} entries` });
  return ok({ entries: parsed.value.length, added, present: parsed.value.length - added });
}

export function isRiskList(value: unknown): value is RiskList {
  return typeof value === 'string' && (RISK_LISTS as readonly string[]).includes(value);
}


/** The entry of `partyKey` on `list`, if it is there. */
export async function listEntry<S>(db: Kysely<S>, list: RiskList, partyKey: PartyKey): Promise<ListEntry | undefined> {
  const row = await riskTables(db).selectFrom('risk_lists').selectAll().where('list', '=', list).where('party_key', '=', partyKey).executeTakeFirst();
  return row === undefined ? undefined : entryOf(row);
}

/** An addition or removal of one list entry, as the admin API asks it (the list store's write). */
export interface ListChange {
  readonly list: RiskList;
  readonly partyKey: PartyKey;
  readonly actor: string;
  readonly changeRequestId: string | null;
}

/**
 * The lists as the admin API reads and changes them, each change in a transaction of its own (which carries
 * the action's audit entry). The guards (operator/guarded_services.ts) split the writes: deny and watch are
 * one change function, allow (an override) another; `writesTo` keeps each to its own lists.
 */
export function createListStore({ db, engine, clock }: { db: Db; engine: Engine; clock: Clock }) {
  const entries = (list: RiskList, page: { afterPartyKey?: PartyKey | undefined; limit: number }): Promise<ListEntry[]> => listEntries(db, list, page);
  const entry = (list: RiskList, partyKey: PartyKey): Promise<ListEntry | undefined> => listEntry(db, list, partyKey);

  function writesTo(lists: readonly RiskList[]) {
    const refusal = (list: RiskList): ListRefusal | undefined =>
      (lists.includes(list) ? undefined : { kind: 'invalid', detail: `this change cannot write to the ${list} list` });
    return {
      /** Adds the party; refused when it is on the list already (nothing to approve twice). */
      async add(change: ListChange & { readonly reason: string }): Promise<Result<ListEntry, ListRefusal>> {
        const refused = refusal(change.list);
        if (refused !== undefined) return err(refused);
        return runRefusable(db, engine, async (tx) => {
          const input = { list: change.list, partyKey: change.partyKey, reason: change.reason, addedBy: change.actor, nowMs: clock.nowMs(), changeRequestId: change.changeRequestId };
          const added = await addToList(tx, input);
          if (!added.ok) return added;
          if (!added.value) return err({ kind: 'invalid', detail: `the party is on the ${change.list} list already` } satisfies ListRefusal);
          return ok({ list: input.list, partyKey: input.partyKey, reason: input.reason, addedAtMs: input.nowMs, addedBy: input.addedBy, changeRequestId: input.changeRequestId });
        });
      },
      /** Takes the party off; refused when it is not there. */
      async remove(change: ListChange): Promise<Result<ListEntry, ListRefusal>> {
        const refused = refusal(change.list);
        if (refused !== undefined) return err(refused);
        return runRefusable(db, engine, async (tx) => {
          const found = await listEntry(tx, change.list, change.partyKey);
          if (found === undefined || !(await removeFromList(tx, change.list, change.partyKey))) return err({ kind: 'invalid', detail: `the party is not on the ${change.list} list` } satisfies ListRefusal);
          return ok(found);
        });
      },
    };
  }

  return { entries, entry, writesTo };
}

export type ListStore = ReturnType<typeof createListStore>;

/**
 * The allow list's override of the LIVE decision: when the payer or the payee is allow-listed, the payment is
 * allowed, and the decision keeps its full trace with a note naming the entry and the verdict overridden.
 * A sanctions match is never overridden: the allow list is the scheme's own judgement of a party, and it
 * cannot set aside a legal obligation to stop payments to or from a sanctioned name.
 */
export async function overrideByAllowList(tx: Tx, facts: PaymentFacts, features: Features, decision: Decision): Promise<Decision> {
  if (decision.verdict === 'ALLOW' || features['payerSanctioned'] === true || features['payeeSanctioned'] === true) return decision;
  const sides = ([['payer', facts.payerParty], ['payee', facts.payeeParty]] as const).filter((side): side is readonly ['payer' | 'payee', PartyKey] => side[1] !== null);
  if (sides.length === 0) return decision;
  const rows = await riskTables(tx).selectFrom('risk_lists').selectAll().where('list', '=', 'allow').where('party_key', 'in', sides.map(([, key]) => key)).execute();
  const side = sides.find(([, key]) => rows.some((r) => r.party_key === key));
  const row = side === undefined ? undefined : rows.find((r) => r.party_key === side[1]);
  if (side === undefined || row === undefined) return decision;
  const by = row.change_request_id === null ? `added by ${row.added_by}` : `added by ${row.added_by}, change request ${row.change_request_id}`;
  return { ...decision, verdict: 'ALLOW', override: `allow list: the ${side[0]} party ${row.party_key} (${by}) overrides ${decision.verdict}` };
}
