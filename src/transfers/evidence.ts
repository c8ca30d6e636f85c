// Evidence for disputes about a transfer: each signed message the hub received
// about it (prepare, fulfil, error) is kept as it arrived, in the transaction
// that acted on it, so that later anyone with the sender's public key can check
// that the sender, and no one else, sent exactly those terms.
import { createHash, createPublicKey } from 'node:crypto';
import type { Generated } from 'kysely';
import type { VerificationKey } from '../signature/index.ts';
import { verifySignature } from '../signature/index.ts';
import type { Inbound } from '../fspiop/index.ts';
import type { Db } from '../storage/index.ts';
import { transferTables } from './tables.ts';

export interface MessageEvidenceTable {
  id: Generated<number>;
  transfer_id: string;
  operation: string;
  source: string;
  method: string;
  fspiop_uri: string;
  headers: string;
  body: string;
  body_sha256: string;
  kid: string;
  alg: string;
  received_at_ms: number;
}

/** The headers a signature binds, and the signature: what re-verification needs besides the body. */
const EVIDENCE_HEADERS = ['content-type', 'date', 'fspiop-source', 'fspiop-destination', 'fspiop-uri', 'fspiop-http-method', 'fspiop-signature'];

/** Keeps a signed request about `transferId` as it arrived; a request without a verified signature leaves nothing to keep. */
export async function recordEvidence(tx: Db, transferId: string, inbound: Inbound, nowMs: number): Promise<void> {
  const arrival = inbound.signed;
  if (arrival === undefined) return;
  const headers = Object.fromEntries(EVIDENCE_HEADERS.flatMap((name) => (inbound.headers[name] === undefined ? [] : [[name, inbound.headers[name]]])));
  await transferTables(tx).insertInto('message_evidence').values({
    transfer_id: transferId, operation: arrival.operation, source: inbound.source, method: arrival.method, fspiop_uri: arrival.fspiopUri,
    headers: JSON.stringify(headers), body: inbound.rawBody, body_sha256: createHash('sha256').update(inbound.rawBody, 'utf8').digest('hex'),
    kid: arrival.kid, alg: arrival.alg, received_at_ms: nowMs,
  }).execute();
}

export interface EvidenceVerdict {
  readonly operation: string;
  readonly source: string;
  readonly receivedAt: string;
  readonly kid: string;
  readonly bodySha256: string;
  /** 'verified': the signature holds over the stored body and headers with the sender's key `kid`. */
  readonly verdict: 'verified' | 'failed';
  readonly reason?: string;
}

/**
 * Verifies every stored message about `transferId` again, with the public key each was signed with
 * (looked up by participant and kid; a key revoked since still shows what it signed then).
 */
export async function verifyEvidence(db: Db, transferId: string, keyOf: (participant: string, kid: string) => Promise<string | undefined>): Promise<EvidenceVerdict[]> {
  const rows = await transferTables(db).selectFrom('message_evidence').selectAll().where('transfer_id', '=', transferId).orderBy('id').execute();
  const verdicts: EvidenceVerdict[] = [];
  for (const row of rows) {
    const base = { operation: row.operation, source: row.source, receivedAt: new Date(row.received_at_ms).toISOString(), kid: row.kid, bodySha256: row.body_sha256 };
    const digest = createHash('sha256').update(row.body, 'utf8').digest('hex');
    if (digest !== row.body_sha256) {
      verdicts.push({ ...base, verdict: 'failed', reason: 'the stored body does not match its digest' });
      continue;
    }
    const pem = await keyOf(row.source, row.kid);
    if (pem === undefined) {
      verdicts.push({ ...base, verdict: 'failed', reason: `no key ${row.kid} registered for ${row.source}` });
      continue;
    }
    const keys: VerificationKey[] = [{ kid: row.kid, publicKey: createPublicKey(pem) }];
    const checked = await verifySignature({ method: row.method, fspiopUri: row.fspiop_uri, headers: JSON.parse(row.headers) as Record<string, string>, rawBody: Buffer.from(row.body, 'utf8') }, keys);
    verdicts.push(checked.ok ? { ...base, verdict: 'verified' } : { ...base, verdict: 'failed', reason: `${checked.reason}: ${checked.error.detail}` });
  }
  return verdicts;
}
