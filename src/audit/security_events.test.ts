import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshStorage } from '../testing/engines.ts';
import type { SecurityEvent } from '../support/security_events.ts';
import { createAuditLog } from './audit_log.ts';
import { encodeEntry, type AuditEntry } from './entry.ts';
import { capturedLogger, logKeys, TEST_ORIGIN } from './log_fixture.ts';
import { auditSecurityEvents, securityEventEntry } from './security_events.ts';
import type { AppendResult } from './sequencer.ts';
import { readEntries } from './store.ts';

const mismatch: SecurityEvent = {
  kind: 'tls-identity-mismatch',
  reason: 'FSPIOP-Source is not the participant of the client certificate',
  participant: 'payerfsp',
  claimed: 'payeefsp',
  sourceAddress: '10.0.0.7',
  certificateSerial: '4f2a',
};

describe('security events in the audit log', () => {
  it('become refused security-event entries: the established participant acted, the claimed one is the target', () => {
    const entry = securityEventEntry(mismatch, 1_760_000_000_000);
    assert.deepEqual(entry, {
      kind: 'security-event',
      actor: 'payerfsp',
      actorRole: 'participant',
      action: 'security.tls-identity-mismatch',
      target: { type: 'participant', id: 'payeefsp' },
      before: null,
      after: { kind: 'tls-identity-mismatch', participant: 'payerfsp', claimed: 'payeefsp', certificateSerial: '4f2a' },
      result: { outcome: 'refused', reason: 'FSPIOP-Source is not the participant of the client certificate' },
      sourceAddress: '10.0.0.7',
      timeMs: 1_760_000_000_000,
    });
    const anonymous = securityEventEntry({ kind: 'tls-handshake-refused', reason: 'no client certificate' }, 1);
    assert.deepEqual([anonymous.actor, anonymous.actorRole, anonymous.target, anonymous.sourceAddress], ['unauthenticated', 'anonymous', { type: 'fspiop-api', id: 'hub' }, null]);
  });

  it('keeps hostile input to a bounded, well-formed entry', () => {
    const entry = securityEventEntry({
      kind: 'tls-identity-mismatch', reason: `bad\u0000${'x'.repeat(100_000)}`, participant: 'has spaces\nand newline', claimed: `\ud800${'y'.repeat(10_000)}`, sourceAddress: 'not an address',
    }, 1);
    const encoded = encodeEntry(entry);
    assert.ok(encoded.ok, 'it encodes');
    assert.ok(encoded.value.length < 2_000);
    assert.equal(entry.actor, 'unnamed-participant');
    assert.equal(entry.sourceAddress, null);
  });

  it('records without waiting, and the events land in the log', async () => {
    const { storage, dispose } = await freshStorage('sqlite');
    const captured = capturedLogger();
    const auditLog = await createAuditLog({ db: storage.db, engine: storage.engine, clock: { nowMs: () => Date.now() }, log: captured.log, origin: TEST_ORIGIN, privateKey: logKeys().privateKey, checkpointIntervalMs: 60_000, witnesses: [] });
    try {
      const sink = auditSecurityEvents(auditLog, captured.log);
      const started = process.hrtime.bigint();
      for (let i = 0; i < 50; i++) sink.record({ ...mismatch, participant: `dfsp${i}`, reason: `attempt ${i}` });
      assert.ok(process.hrtime.bigint() - started < 50_000_000n, 'record returns at once');
      await sink.drained();
      const stored = await readEntries(storage.db, 0, 100);
      assert.equal(stored.length, 50);
      assert.equal(sink.dropped(), 0);
    } finally {
      await auditLog.close();
      await dispose();
    }
  });

  it('drops, counts and reports loudly what it cannot store: past its bound, refused, or failed', async () => {
    const captured = capturedLogger();
    const stuck: Promise<AppendResult>[] = [];
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let calls = 0;
    const log = {
      append: () => {
        calls += 1;
        if (calls === 1) throw new Error('a bug');
        if (calls === 2) return Promise.resolve<AppendResult>({ ok: false, problem: 'overloaded', reason: 'full' });
        if (calls === 3) return Promise.reject(new Error('database is down'));
        const answer = gate.then<AppendResult>(() => ({ ok: true, index: calls }));
        stuck.push(answer);
        return answer;
      },
    };
    let nowMs = 0;
    const sink = auditSecurityEvents(log, captured.log, { nowMs: () => nowMs }, { inFlightMax: 4, dropReportIntervalMs: 1_000, coalesceIntervalMs: 60_000, sourcesMax: 64, reasonSamplesMax: 4 });
    // Ten sources: each event is the first of its source, so each is appended (not counted).
    for (let i = 0; i < 10; i++) sink.record({ ...mismatch, participant: `dfsp${i}` });
    // Event 1 threw, 2 was refused, 3 failed, 4 and 5 wait; the in-flight bound (4) drops 6 to 10.
    await sleep(10);
    const reports = () => captured.lines().filter((l) => String(l['msg']).startsWith('SECURITY EVENTS NOT AUDITED'));
    assert.equal(reports().length, 1, 'the first drop is reported at once; the rest of the burst waits for the interval');
    nowMs = 2_000;
    release?.();
    await sink.drained();
    assert.equal(sink.dropped(), 8);
    assert.equal(stuck.length, 2);
    const total = reports().reduce((sum, l) => sum + Number(l['dropped']), 0);
    assert.equal(total, 8, 'every drop is reported');
    assert.ok(reports().every((l) => l['level'] === 50));
  });
});

describe('repeated security events', () => {
  const limits = { inFlightMax: 1024, dropReportIntervalMs: 1_000, coalesceIntervalMs: 60_000, sourcesMax: 512, reasonSamplesMax: 4 };
  const rateLimited = (participant: string | undefined, i: number): SecurityEvent => ({
    kind: 'rate-limited', reason: `over the limit for POST /transfers (${i % 6})`, sourceAddress: '127.0.0.9', ...(participant === undefined ? {} : { participant }),
  });
  function capturedAppends() {
    const entries: AuditEntry[] = [];
    return { entries, append: (entry: AuditEntry) => { entries.push(entry); return Promise.resolve<AppendResult>({ ok: true, index: entries.length - 1 }); } };
  }
  /** What the entries stand for: one event each, or a summary's count more. */
  const repeatedOf = (e: AuditEntry) => (e.after as unknown as { repeated?: number }).repeated;
  const eventsIn = (entries: readonly AuditEntry[]) => entries.reduce((sum, e) => sum + (repeatedOf(e) ?? 1), 0);

  it('407 rate-limited requests from one participant are its first entry at once and one summary of 406 at the interval\'s end; other sources are not merged', async () => {
    const captured = capturedLogger();
    const log = capturedAppends();
    let nowMs = 1_760_000_000_000;
    const sink = auditSecurityEvents(log, captured.log, { nowMs: () => nowMs }, limits);
    for (let i = 0; i < 407; i++) {
      nowMs += 10;
      sink.record(rateLimited('payerfsp', i));
      if (i % 80 === 0) sink.record(rateLimited('payeefsp', i));
      if (i % 200 === 0) sink.record(rateLimited(undefined, i));
    }
    // At once: the first of each source, so the attack is visible before the interval ends.
    assert.deepEqual(log.entries.map((e) => e.actor), ['payerfsp', 'payeefsp', 'unauthenticated']);
    assert.ok(log.entries.every((e) => e.result.outcome === 'refused' && e.action === 'security.rate-limited'));
    // The next interval's first event closes this one: one summary per source, then the new first.
    nowMs += limits.coalesceIntervalMs;
    sink.record(rateLimited('payerfsp', 0));
    await sink.close();
    assert.deepEqual(log.entries.map((e) => [e.actor, repeatedOf(e)]), [
      ['payerfsp', undefined], ['payeefsp', undefined], ['unauthenticated', undefined],
      ['payerfsp', 406], ['payeefsp', 6 - 1], ['unauthenticated', 3 - 1],
      ['payerfsp', undefined],
    ]);
    assert.equal(eventsIn(log.entries), 407 + 6 + 3 + 1);
    assert.equal(sink.coalesced(), 406 + 5 + 2);
    const summary = log.entries[3]!;
    const after = summary.after as unknown as { firstTimeMs: number; lastTimeMs: number; reasons: string[]; intervalMs: number };
    assert.ok(after.firstTimeMs < after.lastTimeMs);
    assert.equal(after.reasons.length, 4, 'a bounded sample of the distinct reasons');
    assert.equal(after.intervalMs, limits.coalesceIntervalMs);
    for (const entry of log.entries) assert.ok(encodeEntry(entry).ok);
  });

  it('sources past the bound are counted into one entry per kind, named as many sources; nothing is lost from the count', async () => {
    const captured = capturedLogger();
    const log = capturedAppends();
    const sink = auditSecurityEvents(log, captured.log, { nowMs: () => 1 }, { ...limits, sourcesMax: 2 });
    for (let round = 0; round < 3; round++) {
      for (let a = 0; a < 5; a++) sink.record({ kind: 'tls-handshake-refused', reason: 'no client certificate', sourceAddress: `127.0.0.${a + 1}` });
    }
    assert.equal(log.entries.length, 2);
    await sink.close();
    assert.deepEqual(log.entries.map((e) => [e.actor, e.sourceAddress, repeatedOf(e)]), [
      ['unauthenticated', '127.0.0.1', undefined], ['unauthenticated', '127.0.0.2', undefined],
      ['unauthenticated', '127.0.0.1', 2], ['unauthenticated', '127.0.0.2', 2],
      ['many-sources', null, 9],
    ]);
    assert.equal(eventsIn(log.entries), 15);
  });
});
