import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshStorage } from '../testing/engines.ts';
import type { SecurityEvent } from '../edge/security_events.ts';
import { createAuditLog } from './audit_log.ts';
import { encodeEntry } from './entry.ts';
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
      for (let i = 0; i < 50; i++) sink.record({ ...mismatch, reason: `attempt ${i}` });
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
    const sink = auditSecurityEvents(log, captured.log, { nowMs: () => nowMs }, { inFlightMax: 4, dropReportIntervalMs: 1_000 });
    for (let i = 0; i < 10; i++) sink.record(mismatch);
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
