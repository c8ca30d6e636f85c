// Listener ports are taken all or none, before a hub creates anything, and
// the socket taken is the one the listener then serves on.
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { test } from 'node:test';
import { ListenerPortError, reserveListenerPorts } from './listen_ports.ts';

function occupied(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  return new Promise((resolve) => { server.listen({ host: '127.0.0.1', port: 0 }, () => { resolve({ server, port: (server.address() as { port: number }).port }); }); });
}

const close = (server: Server) => new Promise<void>((resolve) => { server.close(() => { resolve(); }); });

test('a busy port is refused with what to set, and the ports taken before it are let go', async () => {
  const busy = await occupied();
  const first = await reserveListenerPorts([{ name: 'the probe', host: '127.0.0.1', port: 0, setting: 'probe.port' }]);
  const freePort = first.socket(0).address().port;
  first.release();
  await assert.rejects(reserveListenerPorts([
    { name: 'the admin API', host: '127.0.0.1', port: freePort, setting: 'admin.port (INTERLOCK_ADMIN_PORT)' },
    { name: 'the FSPIOP API', host: '127.0.0.1', port: busy.port, setting: 'fspiop.port (INTERLOCK_FSPIOP_PORT)' },
  ]), (error: unknown) => error instanceof ListenerPortError && error.code === 'EADDRINUSE'
    && error.message.includes(`the FSPIOP API cannot listen on 127.0.0.1:${busy.port}: another process holds it`) && error.message.includes('fspiop.port (INTERLOCK_FSPIOP_PORT)'));
  // The admin port taken first was released with the failure.
  const again = await reserveListenerPorts([{ name: 'the admin API', host: '127.0.0.1', port: freePort, setting: 'admin.port' }]);
  again.release();
  await close(busy.server);
});

test('a reserved port accepts nothing until a server adopts it, then that server answers on it', async () => {
  const ports = await reserveListenerPorts([{ name: 'the admin API', host: 'localhost', port: 0, setting: 'admin.port' }]);
  const { address, port } = ports.socket(0).address();
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => { resolve(true); });
  });
  assert.ok(refused, 'bound but not listening: a connection is refused, not left waiting');
  const server = createServer((socket) => { socket.end('hello'); });
  await new Promise<void>((resolve) => { server.listen({ handle: ports.socket(0) }, () => { resolve(); }); });
  ports.release();
  const answer = await new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = connect({ host: address, port });
    socket.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).once('end', () => { resolve(text); }).once('error', reject);
  });
  assert.equal(answer, 'hello', 'release() leaves an adopted socket to its server');
  await close(server);
});
