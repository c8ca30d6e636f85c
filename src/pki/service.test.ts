import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeOnEachEngine } from '../testing/engines.ts';
import { crlNumberOf, revokedSerialsOf } from './crl.ts';
import { DAY_MS, HOUR_MS } from './limits.ts';
import { pemToDer } from './pem.ts';
import { certificateState, createPkiService, type PkiService } from './service.ts';
import { createTestPki, makeCsr, type TestPki } from './testing.ts';
import { x509 } from './x509.ts';

let testPki: TestPki;
before(async () => { testPki = await createTestPki(); });
after(() => { testPki.dispose(); });

describeOnEachEngine('pki service', (ctx) => {
  let now = Date.now();
  const clock = { nowMs: () => now };
  let pki: PkiService;
  before(() => {
    pki = createPkiService({
      db: ctx.storage.db, engine: ctx.storage.engine, clock, ca: testPki.ca,
      settings: { leafLifetimeDays: 365, leafLifetimeDaysMax: 397, crlNextUpdateHours: 48 },
    });
  });

  const issue = async (fspId: string, options: { lifetimeDays?: number; profile?: string; hosts?: string[]; csrPem?: string } = {}) =>
    pki.issue({ fspId, csrPem: options.csrPem ?? (await makeCsr()).csrPem, profile: options.profile ?? 'client', hosts: options.hosts, lifetimeDays: options.lifetimeDays, createdBy: 'test' });

  test('an issued certificate is recorded with its facts, and listed', async () => {
    const issued = await issue('recorded', { lifetimeDays: 30 });
    assert.ok(issued.ok);
    const { record } = issued.value;
    assert.equal(record.fsp_id, 'recorded');
    assert.equal(record.profile, 'client');
    assert.equal(record.status, 'ISSUED');
    assert.equal(record.subject, 'CN=recorded');
    assert.equal(record.key_description, 'ECDSA P-256');
    assert.equal(record.issuer_key_id, testPki.ca.intermediateKeyId);
    assert.equal(record.not_after_ms - record.not_before_ms, 30 * DAY_MS);
    assert.equal(new x509.X509Certificate(record.certificate_pem).serialNumber.toLowerCase(), record.serial_hex);
    assert.match(record.fingerprint_sha256, /^[0-9a-f]{64}$/);
    assert.equal(issued.value.chainPem, testPki.ca.chainPem);
    assert.deepEqual((await pki.get(record.serial_hex.toUpperCase()))?.serial_hex, record.serial_hex);
    assert.deepEqual((await pki.list({ fspId: 'recorded' })).map((r) => r.serial_hex), [record.serial_hex]);
    // The default lifetime applies when none is asked for.
    const defaulted = await issue('recorded');
    assert.ok(defaulted.ok);
    assert.equal(defaulted.value.record.not_after_ms - defaulted.value.record.not_before_ms, 365 * DAY_MS);
  });

  test('a key is certified once only, for any participant', async () => {
    const { csrPem } = await makeCsr();
    assert.ok((await issue('firstowner', { csrPem })).ok);
    const again = await issue('secondowner', { csrPem });
    assert.ok(!again.ok);
    assert.match(again.error.detail, /already certified/);
    assert.equal((await pki.list({ fspId: 'secondowner' })).length, 0);
  });

  test('renewal: a new key, same participant, profile and hosts; both certificates valid during the rollover', async () => {
    const first = await issue('rotating', { profile: 'both', hosts: ['rotating.example', '10.1.2.3'], lifetimeDays: 20 });
    assert.ok(first.ok);
    const renewed = await pki.renew({ serialHex: first.value.record.serial_hex, csrPem: (await makeCsr()).csrPem, lifetimeDays: 90, createdBy: 'test' });
    assert.ok(renewed.ok);
    const next = renewed.value.record;
    assert.equal(next.fsp_id, 'rotating');
    assert.equal(next.profile, 'both');
    assert.equal(next.renews_serial_hex, first.value.record.serial_hex);
    assert.match(new x509.X509Certificate(next.certificate_pem).getExtension(x509.SubjectAlternativeNameExtension)?.toString('text') ?? '', /rotating\.example[\s\S]*10\.1\.2\.3/);
    const states = (await pki.list({ fspId: 'rotating' })).map((r) => certificateState(r, now));
    assert.deepEqual(states, ['VALID', 'VALID']);

    const again = await pki.renew({ serialHex: next.serial_hex, csrPem: (await makeCsr()).csrPem, createdBy: 'test' });
    assert.ok(again.ok);
    const unknown = await pki.renew({ serialHex: 'ab'.repeat(16), csrPem: (await makeCsr()).csrPem, createdBy: 'test' });
    assert.equal(unknown.ok ? '' : unknown.error.code, '3200');
  });

  test('renewing with the old key is refused: rotation means a new key', async () => {
    const { csrPem } = await makeCsr();
    const first = await issue('samekey', { csrPem });
    assert.ok(first.ok);
    const renewed = await pki.renew({ serialHex: first.value.record.serial_hex, csrPem, createdBy: 'test' });
    assert.ok(!renewed.ok);
    assert.match(renewed.error.detail, /needs a new key/);
  });

  test('revocation records the reason and date, and signs a CRL listing it, numbered after the last', async () => {
    const issued = await issue('revoked');
    assert.ok(issued.ok);
    const serial = issued.value.record.serial_hex;
    const before = (await pki.currentCrl()).crlNumber;
    const revoked = await pki.revoke(serial, 'keyCompromise');
    assert.ok(revoked.ok);
    assert.equal(revoked.value.record.status, 'REVOKED');
    assert.equal(revoked.value.record.revocation_reason, 'keyCompromise');
    assert.ok(revoked.value.record.revoked_at_ms !== null);
    assert.equal(revoked.value.crl.crlNumber, before + 1);
    assert.equal(crlNumberOf(revoked.value.crl.pem), before + 1);
    assert.ok(revokedSerialsOf(revoked.value.crl.pem).has(serial));
    const entry = new x509.X509Crl(pemToDer(revoked.value.crl.pem)).findRevoked(serial);
    assert.equal(entry?.reason, x509.X509CrlReason.keyCompromise);
    // The revocation's CRL is the current one.
    assert.equal((await pki.currentCrl()).crlNumber, before + 1);
    assert.equal(certificateState(revoked.value.record, now), 'REVOKED');

    const twice = await pki.revoke(serial);
    assert.match(twice.ok ? '' : twice.error.detail, /already revoked/);
    const unknown = await pki.revoke('cd'.repeat(16));
    assert.equal(unknown.ok ? '' : unknown.error.code, '3200');
    const badReason = await pki.revoke(serial, 'cACompromise');
    assert.equal(badReason.ok ? '' : badReason.error.code, '3100');
    const renewRevoked = await pki.renew({ serialHex: serial, csrPem: (await makeCsr()).csrPem, createdBy: 'test' });
    assert.match(renewRevoked.ok ? '' : renewRevoked.error.detail, /is revoked/);
  });

  test('expiring(N) lists issued certificates expiring within N days, not later ones, not revoked or expired ones', async () => {
    const soon = await issue('expiringsoon', { lifetimeDays: 10 });
    const later = await issue('expiringlater', { lifetimeDays: 200 });
    const revokedSoon = await issue('expiringrevoked', { lifetimeDays: 10 });
    assert.ok(soon.ok && later.ok && revokedSoon.ok);
    assert.ok((await pki.revoke(revokedSoon.value.record.serial_hex, 'superseded')).ok);
    const within30 = (await pki.expiring(30)).map((r) => r.fsp_id);
    assert.ok(within30.includes('expiringsoon'));
    assert.ok(!within30.includes('expiringlater'));
    assert.ok(!within30.includes('expiringrevoked'));
    assert.ok((await pki.expiring(365)).some((r) => r.fsp_id === 'expiringlater'));
    // Once expired it is no longer "expiring", and its state says so.
    const savedNow = now;
    now += 11 * DAY_MS;
    try {
      assert.ok(!(await pki.expiring(30)).some((r) => r.fsp_id === 'expiringsoon'));
      assert.equal(certificateState(soon.value.record, now), 'EXPIRED');
    } finally {
      now = savedNow;
    }
  });

  test('the current CRL is reused until half its interval has passed, then a newer one is signed', async () => {
    const first = await pki.currentCrl();
    assert.equal((await pki.currentCrl()).crlNumber, first.crlNumber);
    const savedNow = now;
    now += 25 * HOUR_MS;
    try {
      const next = await pki.currentCrl();
      assert.equal(next.crlNumber, first.crlNumber + 1);
      assert.ok(next.nextUpdateMs > first.nextUpdateMs);
      assert.equal(next.nextUpdateMs - next.thisUpdateMs > 47 * HOUR_MS, true);
    } finally {
      now = savedNow;
    }
    const forTls = await pki.crlsForTls();
    assert.equal(forTls.length, 2);
    assert.equal(forTls[1], testPki.ca.rootCrlPem);
  });

  test('revocations racing each other all end up in the newest CRL', async () => {
    const issued = await Promise.all(['race1', 'race2', 'race3', 'race4', 'race5', 'race6'].map((fsp) => issue(fsp)));
    const serials = issued.map((r) => (r.ok ? r.value.record.serial_hex : assert.fail('issue failed')));
    const results = await Promise.all(serials.map((serial) => pki.revoke(serial, 'cessationOfOperation')));
    const numbers = results.map((r) => {
      assert.ok(r.ok);
      return r.value.crl.crlNumber;
    });
    assert.equal(new Set(numbers).size, numbers.length, 'each revocation signed its own CRL number');
    const newest = await pki.currentCrl();
    const listed = revokedSerialsOf(newest.pem);
    for (const serial of serials) assert.ok(listed.has(serial), serial);
  });
});
