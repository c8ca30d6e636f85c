// The TLS policy against hostile clients, on a server with an RSA certificate
// (with an ECDSA one, static-RSA suites could not be chosen anyway, and their
// refusal would prove nothing about the policy).
import assert from 'node:assert/strict';
import { connect, createServer, type ConnectionOptions, type Server, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { createTestPki, type TestCredentials, type TestPki } from '../pki/testing.ts';
import { CLIENT_CERTIFICATE_REQUIRED, TLS_POLICY } from './tls_policy.ts';

/** How a handshake ended: the protocol and cipher agreed, or the error. */
async function handshake(port: number, options: ConnectionOptions): Promise<{ ok: true; protocol: string | null; cipher: string; socket: TLSSocket } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
    socket.once('secureConnect', () => { resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName, socket }); });
    socket.once('error', (error: NodeJS.ErrnoException) => { resolve({ ok: false, error: error.code ?? error.message }); });
  });
}

describe('the TLS policy', () => {
  let pki: TestPki;
  let server: Server;
  let port: number;
  let client: TestCredentials;
  const trusted = () => ({ ca: [...pki.caPems], key: client.keyPem, cert: client.certificateChainPem });

  before(async () => {
    pki = await createTestPki();
    const serverCredentials = await pki.issue('Hub', { profile: 'both', keyType: 'rsa-2048' });
    client = await pki.issue('payerfsp', { profile: 'client' });
    server = createServer({
      ...TLS_POLICY, ...CLIENT_CERTIFICATE_REQUIRED,
      key: serverCredentials.keyPem, cert: serverCredentials.certificateChainPem, ca: [...pki.caPems],
    }, (socket) => {
      socket.on('data', (data: Buffer) => { socket.write(data); });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
    const address = server.address();
    assert.ok(typeof address === 'object' && address !== null);
    port = address.port;
  });
  after(() => {
    server.close();
    pki.dispose();
  });

  test('TLS 1.3 by default, and TLS 1.2 with ECDHE and AEAD: both give forward secrecy', async () => {
    const modern = await handshake(port, trusted());
    assert.ok(modern.ok, JSON.stringify(modern));
    assert.equal(modern.protocol, 'TLSv1.3');
    modern.socket.destroy();
    const tls12 = await handshake(port, { ...trusted(), maxVersion: 'TLSv1.2' });
    assert.ok(tls12.ok, JSON.stringify(tls12));
    assert.equal(tls12.protocol, 'TLSv1.2');
    assert.match(tls12.cipher, /^TLS_ECDHE_RSA_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/);
    tls12.socket.destroy();
  });

  test('refuses TLS 1.0 and 1.1', async () => {
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const old = await handshake(port, { ...trusted(), minVersion: version, maxVersion: version, ciphers: 'ALL:@SECLEVEL=0' });
      // The server's protocol_version alert: refused for the version, not for something else.
      assert.deepEqual(old, { ok: false, error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' }, `${version} must be refused`);
    }
  });

  test('refuses static-RSA key exchange (no forward secrecy) and CBC suites, though the server key is RSA', async () => {
    for (const ciphers of ['AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA256', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384']) {
      const weak = await handshake(port, { ...trusted(), maxVersion: 'TLSv1.2', ciphers });
      // The server's handshake_failure alert: no suite in common, so refused for the suite offered.
      assert.deepEqual(weak, { ok: false, error: 'ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE' }, `${ciphers} must be refused`);
    }
  });

  test('refuses renegotiation on TLS 1.2', async () => {
    const tls12 = await handshake(port, { ...trusted(), maxVersion: 'TLSv1.2' });
    assert.ok(tls12.ok);
    const renegotiated = await new Promise<string>((resolve) => {
      tls12.socket.once('error', (error: NodeJS.ErrnoException) => { resolve(`refused: ${error.code ?? ''} ${error.message}`); });
      tls12.socket.renegotiate({ rejectUnauthorized: true }, (error) => { resolve(error === null ? 'renegotiated' : `refused: ${error.message}`); });
      // The new handshake runs with the next exchange of data.
      tls12.socket.write('x');
    });
    assert.match(renegotiated, /^refused: .*no renegotiation/, 'a server without the policy lets this renegotiation complete');
    tls12.socket.destroy();
  });

  test('refuses a client without a certificate', async () => {
    const anonymous = await handshake(port, { ca: [...pki.caPems] });
    // TLS 1.3 reports the server's refusal on the first read rather than at the handshake.
    if (anonymous.ok) {
      // The server echoes what it reads: this byte would come back if the server had let the client in.
      anonymous.socket.write('x');
      const closed = await new Promise<string>((resolve) => {
        anonymous.socket.once('error', (error: NodeJS.ErrnoException) => { resolve(error.code ?? error.message); });
        anonymous.socket.once('data', () => { resolve('data'); });
      });
      assert.equal(closed, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'no byte of the application reaches a client without a certificate');
      anonymous.socket.destroy();
    } else {
      assert.match(anonymous.error, /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/);
    }
  });
});
