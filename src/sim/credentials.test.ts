// A simulator's TLS certificate is kept between runs, but only while it comes
// from the scheme CA the hub's admin API answers for: against a hub started
// afresh (a new CA), it enrols again instead of presenting a certificate that
// hub would refuse.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createPkiService } from '../pki/index.ts';
import { createTestPki, type TestPki } from '../pki/testing.ts';
import type { Storage } from '../storage/index.ts';
import { freshStorage } from '../testing/engines.ts';
import { enrolDfspTls, type CertificateRequester } from './credentials.ts';

const disposals: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const dispose of disposals.reverse()) await dispose();
});

/** The admin API of a hub whose scheme CA is `pki`, as far as enrolment uses it. */
async function hubWith(pki: TestPki): Promise<CertificateRequester & { issued: number }> {
  const { storage, dispose }: { storage: Storage; dispose: () => Promise<void> } = await freshStorage('sqlite');
  disposals.push(dispose);
  const clock = { nowMs: () => Date.now() };
  const service = createPkiService({ db: storage.db, engine: storage.engine, clock, ca: pki.ca, settings: { leafLifetimeDays: 365, leafLifetimeDaysMax: 397, crlNextUpdateHours: 48 } });
  const hub = {
    issued: 0,
    async call(method: string, path: string, body?: unknown) {
      assert.equal(`${method} ${path}`, 'POST /pki/csr');
      const request = body as { fspId: string; csr: string; profile: 'both'; hosts: string[] };
      const issued = await service.issue({ fspId: request.fspId, csrPem: request.csr, profile: request.profile, hosts: request.hosts, createdBy: 'test' });
      assert.ok(issued.ok);
      hub.issued += 1;
      return { status: 201, body: { certificate: issued.value.record.certificate_pem, chain: issued.value.chainPem } };
    },
    text(path: string) {
      assert.equal(path, '/pki/ca');
      return Promise.resolve({ status: 200, text: service.chainPem });
    },
  };
  return hub;
}

test('a kept certificate is used again with its own scheme, and replaced against a hub with another CA', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-sim-tls-'));
  disposals.push(() => { rmSync(dir, { recursive: true, force: true }); });
  const [first, second] = [await createTestPki({ schemeName: 'Scheme A' }), await createTestPki({ schemeName: 'Scheme B' })];
  disposals.push(() => { first.dispose(); }, () => { second.dispose(); });

  const hubA = await hubWith(first);
  const enrolled = await enrolDfspTls(hubA, 'simfsp', dir);
  const again = await enrolDfspTls(hubA, 'simfsp', dir);
  assert.equal(hubA.issued, 1, 'the same scheme: the kept certificate serves');
  assert.equal(again.certificateChainPem, enrolled.certificateChainPem);

  const hubB = await hubWith(second);
  const renewed = await enrolDfspTls(hubB, 'simfsp', dir);
  assert.equal(hubB.issued, 1, 'another scheme: enrolled anew');
  assert.equal(renewed.caPems[0], second.rootPem);
  assert.equal(new X509Certificate(renewed.certificateChainPem).issuer, new X509Certificate(second.caPems[1] ?? '').subject, 'issued by the new scheme\'s intermediate');
  assert.notEqual(renewed.certificateChainPem, enrolled.certificateChainPem);
});
