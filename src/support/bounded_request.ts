// One HTTP(S) request whose answer is bounded in time and size: a peer that
// never answers, or answers without end, costs at most `timeoutMs` and
// `answerBytesMax` bytes of memory. Used where a raw request is the point
// (the simulator signs exact bytes; `interlock assess` sends hostile ones);
// ordinary calls go through trusted_fetch.ts.
import type { Agent as HttpAgent, IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import https from 'node:https';

export interface BoundedAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as UTF-8, cut at answerBytesMax bytes. */
  readonly text: string;
}

export interface BoundedRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer | string | undefined;
  readonly agent: HttpAgent;
  readonly timeoutMs: number;
  readonly answerBytesMax: number;
}

/** Sends `request` to `url` (https: or http:); rejects when no whole answer came within timeoutMs. */
export function boundedRequest(url: URL, request: BoundedRequest): Promise<BoundedAnswer> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, { method: request.method, headers: request.headers, agent: request.agent });
    const timer = setTimeout(() => { req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)); }, request.timeoutMs);
    const failed = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    req.on('error', failed);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (bytes < request.answerBytesMax) chunks.push(chunk.subarray(0, request.answerBytesMax - bytes));
        bytes += chunk.length;
      });
      res.on('error', failed);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(request.body);
  });
}
