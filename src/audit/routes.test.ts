// The audit routes on an app of their own (the admin API registers them in
// the hub): tlog-tiles reads, proofs, search, and every route's privilege.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { describeOnEachEngine } from '../testing/engines.ts';
import { decodeCanonicalBase64 } from '../support/base64.ts';
import { leafHash, nodesOfLeafHashes, openCheckpoint, treeHead, urlSource, verifyConsistency, verifyLog } from '../translog/index.ts';
import { capturedLogger, logKeys, pendingEntry, testEntry, TEST_ORIGIN } from './log_fixture.ts';
import { verifyInclusion } from '../translog/merkle.ts';
import { readEntries } from './store.ts';
import { createAuditQueries } from './queries.ts';
import { AUDIT_READ, registerAuditRoutes } from './routes.ts';
import { createSequencer } from './sequencer.ts';
import { parseEntryBundle } from '../translog/tiles.ts';

const keys = logKeys();
const clock = { nowMs: () => 1_760_000_000_000 };
const ENTRIES = 300;

describeOnEachEngine('audit routes', (ctx) => {
  let app: FastifyInstance;
  const routeConfigs = new Map<string, unknown>();
  let root: Uint8Array;

  before(async () => {
    const sequencer = await createSequencer({ db: ctx.storage.db, engine: ctx.storage.engine, clock, origin: TEST_ORIGIN, signer: keys.signer, verifier: keys.verifier });
    await Promise.all(Array.from({ length: ENTRIES }, (_, i) => sequencer.append(pendingEntry(testEntry(i)))));
    const checkpoint = await sequencer.checkpoint();
    // Appended after the checkpoint: no reader sees these until the next one.
    await sequencer.append(pendingEntry(testEntry(ENTRIES)));
    await sequencer.close();
    assert.ok(checkpoint !== undefined);
    root = checkpoint.rootHash;
    // The admin API's ajv options: unknown properties refused, never removed; no coercion.
    app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } } });
    app.addHook('onRoute', (route) => { routeConfigs.set(`${String(route.method)} ${route.url}`, route.config); });
    registerAuditRoutes(app, { queries: createAuditQueries({ db: ctx.storage.db, log: capturedLogger().log }) });
    await app.ready();
  });
  after(async () => { await app.close(); });

  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, type: response.headers['content-type'], raw: response.rawPayload, json: () => response.json<Record<string, unknown>>() };
  };

  it('declares the privilege AUDIT_READ on every route', () => {
    assert.ok(routeConfigs.size >= 7);
    for (const [route, config] of routeConfigs) {
      if (route.startsWith('HEAD')) continue;
      assert.deepEqual(config, { privilege: AUDIT_READ }, route);
    }
  });

  it('serves the latest checkpoint as tlog-tiles does: the signed note, as text', async () => {
    const answer = await get('/audit/checkpoint');
    assert.equal(answer.status, 200);
    assert.match(String(answer.type), /^text\/plain/);
    const opened = openCheckpoint(answer.raw.toString('utf8'), TEST_ORIGIN, [keys.verifier]);
    assert.ok(opened.ok);
    assert.equal(opened.value.checkpoint.size, ENTRIES);
  });

  it('serves full and partial tiles and entry bundles of the checkpointed tree, and nothing past it', async () => {
    const full = await get('/audit/tile/0/000');
    assert.deepEqual([full.status, full.raw.length], [200, 8192]);
    const partial = await get('/audit/tile/0/001.p/44');
    assert.deepEqual([partial.status, partial.raw.length], [200, 44 * 32]);
    const bundle = await get('/audit/tile/entries/001.p/44');
    const entries = parseEntryBundle(bundle.raw);
    assert.ok(entries.ok);
    assert.equal(entries.value.length, 44);
    assert.deepEqual(leafHash(entries.value[0]!), partial.raw.subarray(0, 32));
    // A narrower prefix is an older tree's tile: served. Wider, or beyond the checkpoint: not found.
    assert.equal((await get('/audit/tile/0/001.p/10')).status, 200);
    assert.equal((await get('/audit/tile/0/001.p/45')).status, 404);
    assert.equal((await get('/audit/tile/1/000.p/1')).status, 200);
    assert.equal((await get('/audit/tile/0/x001/000')).status, 404);
    assert.equal((await get('/audit/tile/0/01')).status, 404, 'a malformed path');
  });

  it('proves inclusion by index and by entry hash, against the latest checkpoint', async () => {
    const byIndex = (await get('/audit/proof/inclusion?index=123')).json();
    const proof = (byIndex['proof'] as string[]).map((h) => decodeCanonicalBase64(h)!);
    const leaf = decodeCanonicalBase64(byIndex['leafHash'] as string)!;
    assert.deepEqual(leaf, leafHash(Buffer.from(byIndex['entryText'] as string, 'utf8')));
    assert.ok(verifyInclusion({ index: 123, size: ENTRIES, leafHash: leaf, proof, root }).ok);
    const byHash = (await get(`/audit/proof/inclusion?hash=${Buffer.from(leaf).toString('hex')}`)).json();
    assert.equal(byHash['index'], 123);
    const older = (await get('/audit/proof/inclusion?index=5&size=10')).json();
    assert.equal(older['size'], 10);
    assert.equal((await get(`/audit/proof/inclusion?index=${ENTRIES}`)).status, 404, 'not yet checkpointed');
    assert.equal((await get('/audit/proof/inclusion?index=1&hash=00')).status, 400);
  });

  it('proves consistency between sizes', async () => {
    const answer = (await get('/audit/proof/consistency?from=100')).json();
    assert.equal(answer['to'], ENTRIES);
    const leaves = (await readEntries(ctx.storage.db, 0, 100)).map((e) => e.leafHash);
    const root100 = treeHead(100, nodesOfLeafHashes(leaves));
    const proof = (answer['proof'] as string[]).map((h) => decodeCanonicalBase64(h)!);
    assert.ok(verifyConsistency({ size1: 100, size2: ENTRIES, root1: root100, root2: root, proof }).ok);
    assert.equal((await get('/audit/proof/consistency?from=301')).status, 400);
    assert.equal((await get('/audit/proof/consistency?from=0')).status, 400);
  });

  it('searches by actor, action, target and time, each result with its inclusion proof, in pages', async () => {
    const first = (await get('/audit/entries?actor=operator-1&action=participant.endpoint.set&limit=10')).json();
    const results = first['entries'] as { index: number; entry: { actor: string; action: string }; leafHash: string; proof: string[] }[];
    assert.equal(results.length, 10);
    for (const r of results) {
      assert.deepEqual([r.entry.actor, r.entry.action], ['operator-1', 'participant.endpoint.set']);
      assert.ok(verifyInclusion({ index: r.index, size: ENTRIES, leafHash: decodeCanonicalBase64(r.leafHash)!, proof: r.proof.map((h) => decodeCanonicalBase64(h)!), root }).ok);
    }
    const next = first['next'] as { after: number };
    const second = (await get(`/audit/entries?actor=operator-1&action=participant.endpoint.set&limit=10&after=${next.after}`)).json();
    assert.ok((second['entries'] as { index: number }[]).every((r) => r.index > next.after));
    const byTarget = (await get('/audit/entries?targetType=participant&targetId=dfsp3')).json();
    assert.ok((byTarget['entries'] as { entry: { target: { id: string } } }[]).every((r) => r.entry.target.id === 'dfsp3'));
    const timeFrom = new Date(1_760_000_000_000 + 10_000).toISOString();
    const timeTo = new Date(1_760_000_000_000 + 13_000).toISOString();
    const byTime = (await get(`/audit/entries?timeFrom=${timeFrom}&timeTo=${timeTo}`)).json();
    assert.deepEqual((byTime['entries'] as { index: number }[]).map((r) => r.index), [10, 11, 12]);
    assert.equal((await get('/audit/entries?timeFrom=2025-02-30T00:00:00Z')).status, 400);
    assert.equal((await get('/audit/entries?color=red')).status, 400);
  });

  it('lists the checkpoints the hub signed, and serves the whole log to `audit verify --url`', async () => {
    const list = (await get('/audit/checkpoints')).json();
    assert.equal((list['checkpoints'] as unknown[]).length, 1);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const report = await verifyLog(urlSource(`${url}/audit`), { logKey: keys.verifier });
    assert.deepEqual(report.problems, []);
    assert.equal(report.size, ENTRIES);
  });
});
