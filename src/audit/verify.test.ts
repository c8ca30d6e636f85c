// The verifier on an export whose files were changed after it was made: the
// copy handed to auditors is as open to tampering as the database.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freshStorage } from '../testing/engines.ts';
import { CHECKPOINTS_FILE_NAME, createCosigner, describeSubject, directorySource, parseNote, signText, verifyLog, type VerifyOptions, type VerifyReport } from '../translog/index.ts';
import { cosignatureVerifier } from '../translog/cosignature.ts';
import { exportLog } from './export.ts';
import { logKeys, pendingEntry, testEntry, TEST_ORIGIN } from './log_fixture.ts';
import { createSequencer } from './sequencer.ts';
import { readCheckpoints } from './store.ts';
import { testTables } from '../testing/tables.ts';

const keys = logKeys();
const witnessKey = generateKeyPairSync('ed25519');
const witness = cosignatureVerifier('witness.example', witnessKey.publicKey);
const clock = { nowMs: () => 1_760_000_000_000 };

describe('audit verify on a tampered export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-verify-'));
  const pristine = join(dir, 'pristine');
  let copies = 0;

  before(async () => {
    const { storage, dispose } = await freshStorage('sqlite');
    try {
      const sequencer = await createSequencer({ db: storage.db, engine: storage.engine, clock, origin: TEST_ORIGIN, signer: keys.signer, verifier: keys.verifier });
      for (const size of [100, 300, 600]) {
        await Promise.all(Array.from({ length: size - sequencer.size() }, (_, i) => sequencer.append(pendingEntry(testEntry(sequencer.size() + i)))));
        await sequencer.checkpoint();
      }
      await sequencer.close();
      // The witness cosigned every checkpoint.
      const cosigner = createCosigner(witness.name, witnessKey.privateKey, clock);
      for (const checkpoint of await readCheckpoints(storage.db, 0, 10)) {
        const note = parseNote(checkpoint.note);
        assert.ok(note.ok);
        const [cosignature] = signText(note.value.text, [cosigner]);
        await testTables(storage.db).insertInto('audit_cosignatures').values({ checkpoint_seq: checkpoint.seq, witness: cosigner.name, key_id: cosigner.keyId, signature: cosignature!.signature, received_at_ms: clock.nowMs() }).execute();
      }
      await exportLog(storage.db, pristine);
    } finally {
      await dispose();
    }
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  /** A copy of the export with one file changed. */
  function tampered(file: string, change: (bytes: Buffer) => Buffer | string): string {
    const copy = join(dir, `copy-${copies++}`);
    cpSync(pristine, copy, { recursive: true });
    writeFileSync(join(copy, file), change(readFileSync(join(copy, file))));
    return copy;
  }
  const verify = (exportDir: string, options: Partial<VerifyOptions> = {}) => verifyLog(directorySource(exportDir), { logKey: keys.verifier, witnessKeys: [witness], ...options });
  const firstOf = (report: VerifyReport) => {
    assert.equal(report.ok, false);
    return `${describeSubject(report.problems[0]!.subject)}: ${report.problems[0]!.message}`;
  };
  const historyLines = (copy: string) => readFileSync(join(copy, CHECKPOINTS_FILE_NAME), 'utf8').trim().split('\n');

  it('passes the export as made, with the witness\'s cosignatures', async () => {
    const report = await verify(pristine);
    assert.deepEqual(report.problems, []);
    assert.deepEqual([report.size, report.checkpoints, report.cosignatures], [600, 3, 3]);
  });

  it('names a checkpoint of the history whose text was altered', async () => {
    const copy = tampered(CHECKPOINTS_FILE_NAME, (bytes) => {
      const lines = bytes.toString('utf8').trim().split('\n');
      lines[1] = lines[1]!.replace('\\n300\\n', '\\n299\\n');
      return `${lines.join('\n')}\n`;
    });
    assert.match(firstOf(await verify(copy)), /^checkpoint #2: its signature does not verify under the pinned log key/);
  });

  it('names a checkpoint whose witness cosignature was altered', async () => {
    const copy = tampered('checkpoint', (bytes) => {
      const lines = bytes.toString('utf8').split('\n');
      const at = lines.findIndex((line) => line.startsWith(`\u2014 ${witness.name} `));
      const signature = Buffer.from(lines[at]!.split(' ')[2]!, 'base64');
      signature[20] = (signature[20] ?? 0) ^ 1;
      lines[at] = `\u2014 ${witness.name} ${signature.toString('base64')}`;
      return lines.join('\n');
    });
    const report = await verify(copy);
    assert.match(firstOf(report), /^checkpoint latest: the cosignature of witness witness\.example does not verify/);
  });

  it('names the checkpoint that goes back, when the history is reordered', async () => {
    const copy = tampered(CHECKPOINTS_FILE_NAME, (bytes) => {
      const [a = '', b = '', c = ''] = bytes.toString('utf8').trim().split('\n');
      return `${b}\n${a}\n${c}\n`;
    });
    assert.match(firstOf(await verify(copy)), /^checkpoint #2: signs 100 entries, fewer than checkpoint #1 before it \(300\): the log went back/);
    assert.equal(historyLines(copy).length, 3);
  });

  it('names the entries of a damaged entry bundle', async () => {
    const copy = tampered('tile/entries/001', (bytes) => bytes.subarray(0, bytes.length - 7));
    const report = await verify(copy);
    assert.ok(report.problems.some((p) => describeSubject(p.subject) === 'entries 256–511' && p.message.includes('unreadable: entry 255 is truncated')), JSON.stringify(report.problems));
  });

  it('names a hash tile above the entries that does not match them', async () => {
    const copy = tampered('tile/1/000.p/2', (bytes) => {
      const changed = Buffer.from(bytes);
      changed[0] = (changed[0] ?? 0) ^ 0xff;
      return changed;
    });
    assert.equal(firstOf(await verify(copy)), 'tile/1/000.p/2: hash 0 does not match the entries under it');
  });

  it('refuses a checkpoint file from another log key', async () => {
    const other = logKeys();
    const report = await verifyLog(directorySource(pristine), { logKey: other.verifier });
    assert.match(firstOf(report), /^checkpoint latest: not a checkpoint signed by the pinned log key/);
  });
});
