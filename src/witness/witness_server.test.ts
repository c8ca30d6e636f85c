// The witness server (interlock audit witness) and the hub's client for it,
// over loopback: every status tlog-witness defines, and the state it keeps.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Hash, leafHash, nodesOfLeafHashes, parseCosignatureVerifierKey, parseNote, requestCosignature, signCheckpoint, TLOG_SIZE_CONTENT_TYPE, treeHead } from '../translog/index.ts';
import { cosignatureVerifier } from '../translog/cosignature.ts';
import { capturedLogger, logKeys, TEST_ORIGIN } from '../audit/log_fixture.ts';
import { consistencyProof } from '../translog/merkle.ts';
import { createWitnessServer, type WitnessServer } from './witness_server.ts';
import { formatAddCheckpointRequest } from '../translog/witness_protocol.ts';
import { readWitnessState } from './witness_state.ts';

const keys = logKeys();
const stranger = logKeys();
const witnessKeys = generateKeyPairSync('ed25519');
const leaves: Hash[] = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const forkedLeaves: Hash[] = leaves.map((h, i) => (i === 3 ? leafHash(Buffer.from('rewritten')) : h));
const clock = { nowMs: () => 1_760_000_000_000 };

const checkpointOf = (size: number, tree = leaves, signer = keys.signer) =>
  signCheckpoint({ origin: TEST_ORIGIN, size, rootHash: treeHead(size, nodesOfLeafHashes(tree)), extensions: [] }, [signer]);
const proofOf = (from: number, to: number, tree = leaves) => (from === 0 || from === to ? [] : consistencyProof(from, to, nodesOfLeafHashes(tree)));

describe('witness server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-witness-'));
  const statePath = join(dir, 'state.json');
  const captured = capturedLogger();
  let server: WitnessServer;
  let url: string;
  const start = async () => {
    server = createWitnessServer({
      name: 'witness.regulator.example', privateKey: witnessKeys.privateKey, publicKey: witnessKeys.publicKey,
      logs: new Map([[TEST_ORIGIN, [keys.verifier]]]), statePath, clock, log: captured.log,
    });
    url = await server.listen('127.0.0.1', 0);
  };
  before(start);
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (body: string) => {
    const response = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  };
  const witness = () => {
    const verifier = parseCosignatureVerifierKey(server.verifierKey);
    assert.ok(verifier.ok);
    return { url, verifier: verifier.value };
  };

  it('cosigns a first checkpoint (old 0), persisting its state first, and its verifier key checks the cosignature', async () => {
    const outcome = await requestCosignature(witness(), { oldSize: 0, proof: [], checkpoint: checkpointOf(10) });
    assert.ok(outcome.ok);
    const state = readWitnessState(statePath);
    assert.deepEqual(state.get(TEST_ORIGIN)?.size, 10);
    assert.equal(statSync(statePath).mode & 0o777, 0o600);
    // The cosigned note verifies under the witness's key, as a log's clients check it.
    const text = parseNote(checkpointOf(10));
    assert.ok(text.ok);
    assert.equal(outcome.value.name, 'witness.regulator.example');
    const cosigner = cosignatureVerifier('witness.regulator.example', witnessKeys.publicKey);
    assert.ok(cosigner.verify(Buffer.from(text.value.text), outcome.value.signature));
  });

  it('cosigns a checkpoint that extends it, with the consistency proof', async () => {
    const outcome = await requestCosignature(witness(), { oldSize: 10, proof: proofOf(10, 25), checkpoint: checkpointOf(25) });
    assert.ok(outcome.ok);
    assert.equal(readWitnessState(statePath).get(TEST_ORIGIN)?.size, 25);
  });

  it('answers 409 with its size (text/x.tlog.size) when the old size is not the one it cosigned', async () => {
    const answer = await post(formatAddCheckpointRequest({ oldSize: 10, proof: proofOf(10, 30), checkpoint: checkpointOf(30) }));
    assert.deepEqual([answer.status, answer.type, answer.body], [409, TLOG_SIZE_CONTENT_TYPE, '25\n']);
    const outcome = await requestCosignature(witness(), { oldSize: 10, proof: proofOf(10, 30), checkpoint: checkpointOf(30) });
    assert.deepEqual(outcome, { ok: false, error: { problem: 'conflict', size: 25 } });
  });

  it('answers 422 to a checkpoint that does not extend the one it cosigned (a fork), and keeps it as evidence', async () => {
    const forked = checkpointOf(30, forkedLeaves);
    const answer = await post(formatAddCheckpointRequest({ oldSize: 25, proof: proofOf(25, 30, forkedLeaves), checkpoint: forked }));
    assert.equal(answer.status, 422);
    assert.ok(captured.lines().some((line) => line['level'] === 50 && line['checkpoint'] === forked));
    assert.equal(readWitnessState(statePath).get(TEST_ORIGIN)?.size, 25, 'nothing cosigned, nothing remembered');
  });

  it('answers 409 to a different tree of the size it cosigned', async () => {
    const answer = await post(formatAddCheckpointRequest({ oldSize: 25, proof: [], checkpoint: checkpointOf(25, forkedLeaves) }));
    assert.deepEqual([answer.status, answer.body], [409, '25\n']);
    // The same tree again is fine (a hub resending after a lost answer).
    assert.equal((await post(formatAddCheckpointRequest({ oldSize: 25, proof: [], checkpoint: checkpointOf(25) }))).status, 200);
  });

  it('answers 404 to a log it does not follow, 403 to a checkpoint its log did not sign, 400 to nonsense', async () => {
    const otherOrigin = logKeys('other.example/log');
    const otherCheckpoint = signCheckpoint({ origin: 'other.example/log', size: 1, rootHash: leaves[0]!, extensions: [] }, [otherOrigin.signer]);
    assert.equal((await post(formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: otherCheckpoint }))).status, 404);
    assert.equal((await post(formatAddCheckpointRequest({ oldSize: 25, proof: proofOf(25, 30), checkpoint: checkpointOf(30, leaves, stranger.signer) }))).status, 403);
    assert.equal((await post('old 25\n\nnot a checkpoint\n')).status, 400);
    assert.equal((await post(formatAddCheckpointRequest({ oldSize: 31, proof: proofOf(25, 30), checkpoint: checkpointOf(30) }))).status, 400, 'old size past the checkpoint');
    const outcome = await requestCosignature(witness(), { oldSize: 25, proof: proofOf(25, 30), checkpoint: checkpointOf(30, leaves, stranger.signer) });
    assert.ok(!outcome.ok && outcome.error.problem === 'refused' && outcome.error.reason.includes('403'));
  });

  it('serves add-checkpoint only, by POST, and refuses an oversized body', async () => {
    assert.equal((await fetch(`${url}/add-checkpoint`)).status, 405);
    assert.equal((await fetch(`${url}/checkpoint`)).status, 404);
    const huge = await fetch(`${url}/add-checkpoint`, { method: 'POST', body: 'x'.repeat(400 * 1024) }).then((r) => r.status, () => 413);
    assert.equal(huge, 413);
  });

  it('remembers after a restart what it cosigned', async () => {
    await server.close();
    await start();
    const answer = await post(formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: checkpointOf(30) }));
    assert.deepEqual([answer.status, answer.body], [409, '25\n']);
    const outcome = await requestCosignature(witness(), { oldSize: 25, proof: proofOf(25, 30), checkpoint: checkpointOf(30) });
    assert.ok(outcome.ok);
    assert.match(readFileSync(statePath, 'utf8'), /"size": 30/);
  });

  it('the client ignores cosignatures from keys it did not pin', async () => {
    const pinned = { url, verifier: cosignatureVerifier('witness.regulator.example', generateKeyPairSync('ed25519').publicKey) };
    const outcome = await requestCosignature(pinned, { oldSize: 30, proof: proofOf(30, 35), checkpoint: checkpointOf(35) });
    assert.ok(!outcome.ok && outcome.error.problem === 'bad-answer');
  });

  it('the client reports an unreachable witness as a value', async () => {
    const outcome = await requestCosignature({ url: 'http://127.0.0.1:1', verifier: witness().verifier }, { oldSize: 0, proof: [], checkpoint: checkpointOf(1) }, { timeoutMs: 1000 });
    assert.ok(!outcome.ok && outcome.error.problem === 'unreachable');
  });
});
