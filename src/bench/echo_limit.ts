// The machine's limit: exchanges per second between a client in this process
// and a bare echo server in its own process, over the same transport the hub
// uses (mutual TLS under the hub's TLS policy, keep-alive), with the same
// concurrency the benchmark drives the hub with.
import { spawn } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { TLS_POLICY } from '../support/index.ts';
import { createInterface } from 'node:readline';
import { runLoad, type LoadResult } from './load.ts';

/** About the size of an FSPIOP transfer prepare with its headers' worth of body. */
const ECHO_BODY = JSON.stringify({ padding: 'x'.repeat(900) });

type Agent = HttpAgent | HttpsAgent;

/** Key, certificate chain and trusted CAs of one side. */
export interface EchoTls {
  readonly key: string;
  readonly cert: string;
  readonly ca: string[];
}

function post(agent: Agent, port: number, path: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const request = agent instanceof HttpsAgent ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (response) => {
      response.resume();
      response.on('end', () => { resolve(response.statusCode ?? 0); });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function measureEchoLimit(concurrency: number, durationMs: number, tls?: { server: EchoTls; client: EchoTls }): Promise<LoadResult> {
  const child = spawn(process.execPath, [new URL('./echo_server.ts', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...(tls === undefined ? {} : { ECHO_TLS: JSON.stringify(tls.server) }) },
  });
  try {
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', () => { reject(new Error('echo server exited')); });
    });
    const port = Number(firstLine);
    const agent = tls === undefined
      ? new HttpAgent({ keepAlive: true, maxSockets: concurrency })
      : new HttpsAgent({ keepAlive: true, maxSockets: concurrency, ...TLS_POLICY, ...tls.client });
    try {
      return await runLoad(concurrency, durationMs, async () => {
        const status = await post(agent, port, '/echo', ECHO_BODY);
        if (status !== 202) throw new Error(`echo answered ${status}`);
      });
    } finally {
      agent.destroy();
    }
  } finally {
    child.kill('SIGTERM');
  }
}
