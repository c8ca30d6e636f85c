import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, test } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { describeOnEachEngine } from '../testing/engines.ts';
import { createParticipantRegistry } from './registry.ts';
import { createSigningKeyRegistry, signingKeyState, type SigningKeyRegistry } from './signing_keys.ts';
import { SIGNING_KEY_LIMITS } from './signing_keys_policy.ts';
import { testTables } from '../testing/tables.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR_MS = 3_600_000;

const pemOf = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) => key.export({ type: 'spki', format: 'pem' }).toString();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaNext = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describeOnEachEngine('participant signing keys', (ctx) => {
  let keys: SigningKeyRegistry;
  let nowMs = T0;
  const clock = { nowMs: () => nowMs };

  before(async () => {
    const { db, engine } = ctx.storage;
    await createParticipantRegistry({ db, engine, clock }).ensureHub();
    for (const name of ['payerfsp', 'payeefsp', 'busyfsp']) {
      await testTables(db).insertInto('participants').values({ name, name_folded: name, is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: T0, created_by: 'test' }).execute();
    }
    keys = createSigningKeyRegistry({ db, engine, clock });
  });

  test('a key is registered under its RFC 7638 thumbprint, stored as SPKI PEM, active from now', async () => {
    nowMs = T0;
    const registered = await keys.register({ participant: 'payerfsp', publicKey: rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) }, 'operator');
    assert.ok(registered.ok, registered.ok ? '' : registered.error.detail);
    const { key, created } = registered.value;
    assert.equal(created, true);
    assert.equal(key.kid, await calculateJwkThumbprint(rsa.publicKey.export({ format: 'jwk' }), 'sha256'));
    assert.equal(key.alg, 'RS256');
    assert.equal(key.publicKeyPem, pemOf(rsa.publicKey));
    assert.deepEqual([key.notBeforeMs, key.notAfterMs, key.revokedAtMs, key.createdAtMs, key.createdBy], [T0, null, null, T0, 'operator']);
    const active = await keys.activeKeysOf('payerfsp', T0);
    assert.deepEqual(active.map((k) => [k.kid, k.alg]), [[key.kid, 'RS256']]);
    assert.ok(active[0]!.publicKey.equals(rsa.publicKey));
  });

  test('registering the same key again is harmless: the key as it stands, not created', async () => {
    nowMs = T0 + 1_000;
    const again = await keys.register({ participant: 'payerfsp', publicKey: rsa.publicKey.export({ format: 'jwk' }) }, 'operator');
    assert.ok(again.ok && !again.value.created && again.value.key.createdAtMs === T0);
    const listed = await keys.list('payerfsp');
    assert.ok(listed.ok && listed.value.length === 1);
  });

  test('a rollover: the next key is staged, both are valid together, then the old one is revoked', async () => {
    nowMs = T0 + HOUR_MS;
    const next = await keys.register({ participant: 'payerfsp', publicKey: ec.publicKey.export({ format: 'jwk' }), notBeforeMs: T0 + 2 * HOUR_MS, notAfterMs: T0 + 1000 * HOUR_MS }, 'operator');
    assert.ok(next.ok);
    const old = (await keys.list('payerfsp'));
    assert.ok(old.ok);
    const oldKid = old.value[0]!.kid;
    const nextKid = next.value.key.kid;
    assert.equal(signingKeyState(next.value.key, nowMs), 'PENDING');
    assert.deepEqual((await keys.activeKeysOf('payerfsp', T0 + HOUR_MS)).map((k) => k.kid), [oldKid]);
    assert.deepEqual(new Set((await keys.activeKeysOf('payerfsp', T0 + 3 * HOUR_MS)).map((k) => k.kid)), new Set([oldKid, nextKid]));

    nowMs = T0 + 4 * HOUR_MS;
    const revoked = await keys.revoke('payerfsp', oldKid);
    assert.ok(revoked.ok && revoked.value.revokedAtMs === nowMs);
    assert.equal(signingKeyState(revoked.value, nowMs), 'REVOKED');
    assert.deepEqual((await keys.activeKeysOf('payerfsp', nowMs)).map((k) => k.kid), [nextKid]);
    // A message signed before the revocation can still be checked against the keys of its time.
    assert.deepEqual(new Set((await keys.activeKeysOf('payerfsp', T0 + 3 * HOUR_MS)).map((k) => k.kid)), new Set([oldKid, nextKid]));
    // Revoking again keeps the first revocation's time.
    nowMs = T0 + 5 * HOUR_MS;
    const twice = await keys.revoke('payerfsp', oldKid);
    assert.ok(twice.ok && twice.value.revokedAtMs === T0 + 4 * HOUR_MS);
    // And past its notAfter the staged key is no longer active either.
    assert.deepEqual(await keys.activeKeysOf('payerfsp', T0 + 1000 * HOUR_MS), []);
    assert.equal(signingKeyState(next.value.key, T0 + 1000 * HOUR_MS), 'EXPIRED');
  });

  test('a revoked key can never be registered again, by anyone', async () => {
    nowMs = T0 + 6 * HOUR_MS;
    for (const participant of ['payerfsp', 'payeefsp']) {
      const again = await keys.register({ participant, publicKey: pemOf(rsa.publicKey) }, 'operator');
      assert.ok(!again.ok && again.error.code === '3000', again.ok ? '' : again.error.detail);
    }
  });

  test('one key belongs to one participant', async () => {
    nowMs = T0 + 6 * HOUR_MS;
    const theirs = await keys.register({ participant: 'payeefsp', publicKey: pemOf(ec.publicKey) }, 'operator');
    assert.ok(!theirs.ok && theirs.error.code === '3000' && theirs.error.detail.includes('another participant'));
  });

  test('refusals: unknown participant 3200, the hub 3000, bad keys and windows 3100', async () => {
    nowMs = T0 + 6 * HOUR_MS;
    const code = async (input: Parameters<SigningKeyRegistry['register']>[0]) => {
      const result = await keys.register(input, 'operator');
      return result.ok ? 'ok' : result.error.code;
    };
    assert.equal(await code({ participant: 'nobody', publicKey: pemOf(rsaNext.publicKey) }), '3200');
    assert.equal(await code({ participant: 'Hub', publicKey: pemOf(rsaNext.publicKey) }), '3000');
    assert.equal(await code({ participant: 'payeefsp', publicKey: rsaNext.privateKey.export({ type: 'pkcs8', format: 'pem' }) }), '3100');
    assert.equal(await code({ participant: 'payeefsp', publicKey: pemOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey) }), '3100');
    assert.equal(await code({ participant: 'payeefsp', publicKey: pemOf(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey) }), '3100');
    assert.equal(await code({ participant: 'payeefsp', publicKey: pemOf(rsaNext.publicKey), notBeforeMs: nowMs, notAfterMs: nowMs }), '3100');
    assert.equal(await code({ participant: 'payeefsp', publicKey: pemOf(rsaNext.publicKey), notBeforeMs: nowMs - 2 * HOUR_MS, notAfterMs: nowMs - HOUR_MS }), '3100');
    const listed = await keys.list('payeefsp');
    assert.ok(listed.ok && listed.value.length === 0, 'nothing refused was stored');
    assert.ok(!(await keys.list('nobody')).ok);
    const unknownKid = await keys.revoke('payeefsp', 'A'.repeat(43));
    assert.ok(!unknownKid.ok && unknownKid.error.code === '3200');
    const otherOwner = await keys.revoke('payeefsp', (await keys.activeKeysOf('payerfsp', nowMs))[0]!.kid);
    assert.ok(!otherOwner.ok && otherOwner.error.code === '3200', 'a participant\'s key is not revoked through another');
    assert.deepEqual(await keys.activeKeysOf('nobody', nowMs), []);
  });

  test(`at most ${SIGNING_KEY_LIMITS.keysPerParticipantMax} keys not revoked or expired at once`, async () => {
    nowMs = T0;
    const made = Array.from({ length: SIGNING_KEY_LIMITS.keysPerParticipantMax + 1 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    const kids: string[] = [];
    for (const key of made.slice(0, -1)) {
      const result = await keys.register({ participant: 'busyfsp', publicKey: pemOf(key) }, 'operator');
      assert.ok(result.ok);
      kids.push(result.value.key.kid);
    }
    const one = await keys.register({ participant: 'busyfsp', publicKey: pemOf(made.at(-1)!) }, 'operator');
    assert.ok(!one.ok && one.error.code === '3000' && one.error.detail.includes('revoke one first'));
    assert.ok((await keys.revoke('busyfsp', kids[0]!)).ok);
    assert.ok((await keys.register({ participant: 'busyfsp', publicKey: pemOf(made.at(-1)!) }, 'operator')).ok);
    assert.equal((await keys.activeKeysOf('busyfsp', nowMs)).length, SIGNING_KEY_LIMITS.keysPerParticipantMax);
  });

  test('the table refuses what the registry never writes', async () => {
    const { db } = ctx.storage;
    const row = { kid: 'B'.repeat(43), participant: 'payeefsp', alg: 'RS256' as const, public_key: 'x', not_before_ms: T0, not_after_ms: null, revoked_at_ms: null, created_at_ms: T0, created_by: 't' };
    await assert.rejects(testTables(db).insertInto('participant_signing_keys').values({ ...row, alg: 'HS256' as 'RS256' }).execute());
    await assert.rejects(testTables(db).insertInto('participant_signing_keys').values({ ...row, not_after_ms: T0 }).execute());
    await assert.rejects(testTables(db).insertInto('participant_signing_keys').values({ ...row, kid: 'short' }).execute());
    await assert.rejects(testTables(db).insertInto('participant_signing_keys').values({ ...row, participant: 'nobody' }).execute());
  });
});
