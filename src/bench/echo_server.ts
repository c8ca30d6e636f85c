// A bare HTTP echo server, the benchmark's yardstick: the fastest exchange
// this machine can do with the hub's transport settings (loopback, keep-alive).
// Run as its own process; prints its port on stdout.
import { createServer } from 'node:http';

const BODY_BYTES_MAX = 65_536;

const server = createServer({ keepAliveTimeout: 60_000, maxHeaderSize: 16_384 }, (request, response) => {
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
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
process.on('SIGTERM', () => { server.close(() => process.exit(0)); });
