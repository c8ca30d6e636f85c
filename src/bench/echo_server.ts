// A bare echo server, the benchmark's yardstick: the fastest exchange this
// machine can do with the hub's transport settings (loopback, keep-alive, and
// mutual TLS under the hub's TLS policy when ECHO_TLS is given). Run as its own
// process; prints its port on stdout.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { CLIENT_CERTIFICATE_REQUIRED, TLS_POLICY } from '../support/index.ts';

const BODY_BYTES_MAX = 65_536;

/** JSON {key, cert, ca[]}: the echo server's certificate and the CA its clients' certificates come from. */
const tls = process.env['ECHO_TLS'] === undefined ? undefined : JSON.parse(process.env['ECHO_TLS']) as { key: string; cert: string; ca: string[] };

const echo = (request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= BODY_BYTES_MAX) chunks.push(chunk);
  });
  request.on('end', () => {
    response.statusCode = request.method === 'PUT' ? 200 : 202;
    response.setHeader('content-type', 'application/json');
    response.end(Buffer.concat(chunks));
  });
};
const options = { keepAliveTimeout: 60_000, maxHeaderSize: 16_384 };
const server = tls === undefined ? createServer(options, echo) : createHttpsServer({ ...options, ...TLS_POLICY, ...CLIENT_CERTIFICATE_REQUIRED, ...tls }, echo);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
process.on('SIGTERM', () => { server.close(() => process.exit(0)); });
