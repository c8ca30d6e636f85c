// The guard every test process runs under (npm test --import): loopback is reached, anything else is
// refused before a packet leaves. Imported here too, so that this file never sends traffic outside the
// machine even when run on its own without the --import.
import './loopback_only.ts';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';

let server: Server;
let port = 0;
before(async () => {
  server = createServer((socket) => socket.end('here'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(() => { server.close(); });

function read(socket: ReturnType<typeof connect>): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    socket.on('end', () => { resolve(text); });
    socket.on('error', reject);
  });
}

test('loopback is reached: by literal, by port and host, and by a name that resolves to it', async () => {
  assert.equal(await read(connect(port, '127.0.0.1')), 'here');
  assert.equal(await read(connect({ port, host: 'localhost', family: 4 })), 'here');
});

test('an address outside loopback is refused before connecting: literal, IPv4-mapped, through fetch', async () => {
  assert.throws(() => connect(80, '169.254.169.254'), /test guard: a connection to 169\.254\.169\.254/);
  assert.throws(() => connect({ port: 80, host: '::ffff:169.254.169.254' }), /test guard/);
  assert.throws(() => connect({ port: 443, host: '10.0.0.1' }), /test guard/);
  await assert.rejects(fetch('http://169.254.169.254/latest/meta-data'), (error: Error) => String(error.cause).includes('test guard'));
});

test('a name whose lookup gives an address outside loopback is refused before connecting', async () => {
  const lookup = (_host: string, _options: object, callback: (error: Error | null, address: string, family: number) => void) => { callback(null, '169.254.169.254', 4); };
  await assert.rejects(read(connect({ port: 80, host: 'metadata.test', lookup })), /test guard: a connection to metadata\.test \(169\.254\.169\.254\)/);
});
