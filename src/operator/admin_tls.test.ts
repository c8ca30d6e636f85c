// The admin API over TLS: plain HTTP only on loopback; with a key and
// certificate it serves TLS 1.3 only, and its authorization server names an
// https issuer.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { after, before, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { createTestPki, type TestPki } from '../pki/testing.ts';
import { freshStorage } from '../testing/engines.ts';
import type { Storage } from '../storage/index.ts';
import { createTestAdminApi, type TestAdminApi } from '../testing/admin_api.ts';

let storage: Storage;
let dispose: () => Promise<void>;
let pki: TestPki;
let api: TestAdminApi | undefined;

before(async () => {
  ({ storage, dispose } = await freshStorage('sqlite'));
  pki = await createTestPki();
});
after(async () => {
  await api?.close();
  pki.dispose();
  await dispose();
});

test('without TLS material the admin API refuses to bind anywhere but loopback', async () => {
  await assert.rejects(createTestAdminApi(storage, { host: '0.0.0.0', publicUrl: 'http://127.0.0.1:0' }), /only with TLS/);
});

test('with a key and certificate it serves TLS 1.3 only, and its issuer is https', async () => {
  const server = await pki.issue('hub-admin', { profile: 'server' });
  api = await createTestAdminApi(storage, { host: '0.0.0.0', publicUrl: 'http://127.0.0.1:0', https: { key: server.keyPem, cert: server.certificateChainPem } });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = api.app.server.address() as AddressInfo;
  const discovery = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/oidc/.well-known/openid-configuration', ca: [...pki.caPems], minVersion: 'TLSv1.3' }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => { resolve({ status: response.statusCode ?? 0, body }); });
    });
    req.on('error', reject).end();
  });
  assert.equal(discovery.status, 200);
  assert.equal((JSON.parse(discovery.body) as { issuer: string }).issuer, `https://127.0.0.1:${port}/oidc`);
  const refused = await new Promise<Error | undefined>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: [...pki.caPems], maxVersion: 'TLSv1.2', servername: 'localhost' }, () => { socket.end(); resolve(undefined); });
    socket.on('error', resolve);
  });
  assert.ok(refused instanceof Error, 'a TLS 1.2 client is refused');
});
