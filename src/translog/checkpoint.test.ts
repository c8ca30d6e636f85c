import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.ts';
import { leafHash } from './merkle.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from './note_key.ts';
import { formatNote, parseNote, signText } from './signed_note.ts';
import { TREE_SIZE_MAX } from './tree_size.ts';

const ORIGIN = 'hub.example/audit';
const root = leafHash(Buffer.from('root'));
const rootBase64 = Buffer.from(root).toString('base64');
const checkpoint: Checkpoint = { origin: ORIGIN, size: 20852163, rootHash: root, extensions: [] };

function keyPair(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: ed25519NoteSigner(name, privateKey), verifier: ed25519NoteVerifier(name, publicKey) };
}
const log = keyPair(ORIGIN);

describe('checkpoint: body', () => {
  it('is origin, decimal size and base64 root, one per line', () => {
    assert.equal(formatCheckpoint(checkpoint), `${ORIGIN}\n20852163\n${rootBase64}\n`);
    assert.equal(formatCheckpoint({ ...checkpoint, size: 0, extensions: ['ext one', 'two'] }), `${ORIGIN}\n0\n${rootBase64}\next one\ntwo\n`);
  });

  it('reads the C2SP example, and reads back what it writes', () => {
    const example = parseCheckpoint('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
    assert.ok(example.ok);
    assert.equal(example.value.origin, 'example.com/behind-the-sofa');
    assert.equal(example.value.size, 20852163);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: TREE_SIZE_MAX }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(fc.stringMatching(/^[a-z0-9 ]{1,20}$/)), (size, rootHash, extensions) => {
        const parsed = parseCheckpoint(formatCheckpoint({ origin: ORIGIN, size, rootHash, extensions }));
        assert.ok(parsed.ok);
        assert.equal(parsed.value.size, size);
        assert.deepEqual(Buffer.from(parsed.value.rootHash), Buffer.from(rootHash));
        assert.deepEqual(parsed.value.extensions, extensions);
      }),
    );
  });

  it('refuses sizes that are not canonical decimals, or past 2^53 − 1', () => {
    for (const size of ['007', '00', '+7', '-1', ' 7', '7 ', '7\t', '0x10', '1e3', '7.0', '', '٣', '9007199254740992', '18446744073709551615']) {
      const parsed = parseCheckpoint(`${ORIGIN}\n${size}\n${rootBase64}\n`);
      assert.equal(parsed.ok, false, JSON.stringify(size));
    }
    assert.ok(parseCheckpoint(`${ORIGIN}\n9007199254740991\n${rootBase64}\n`).ok);
  });

  it('refuses other root hashes, missing lines, an empty origin or extension, and a missing final newline', () => {
    const short = Buffer.alloc(31).toString('base64');
    const nonCanonical = `${rootBase64.slice(0, 42)}${rootBase64.charAt(42) === 'B' ? 'C' : 'B'}=`;
    for (const text of [
      `${ORIGIN}\n1\n${short}\n`,
      `${ORIGIN}\n1\n${rootBase64.slice(0, -1)}\n`,
      `${ORIGIN}\n1\n${Buffer.from(root).toString('base64url')}\n`,
      `${ORIGIN}\n1\n${nonCanonical}\n`,
      `${ORIGIN}\n1\n`,
      `\n1\n${rootBase64}\n`,
      `${ORIGIN}\n1\n${rootBase64}\n\n`,
      `${ORIGIN}\n1\n${rootBase64}`,
      `${ORIGIN}\r\n1\n${rootBase64}\n`,
    ]) {
      assert.equal(parseCheckpoint(text).ok, false, JSON.stringify(text));
    }
  });
});

describe('checkpoint: signed', () => {
  it('opens with the log key and the expected origin', () => {
    const opened = openCheckpoint(signCheckpoint(checkpoint, [log.signer]), ORIGIN, [log.verifier]);
    assert.ok(opened.ok);
    assert.equal(opened.value.checkpoint.size, 20852163);
    assert.deepEqual(Buffer.from(opened.value.checkpoint.rootHash), Buffer.from(root));
  });

  it('refuses a checkpoint of another log, a changed size, and one signed only by others', () => {
    const other = keyPair('other.example/log');
    const fromOther = openCheckpoint(signCheckpoint({ ...checkpoint, origin: 'other.example/log' }, [log.signer]), ORIGIN, [log.verifier]);
    assert.ok(!fromOther.ok && fromOther.error.problem === 'wrong-origin');
    const changed = signCheckpoint(checkpoint, [log.signer]).replace('\n20852163\n', '\n20852164\n');
    const tampered = openCheckpoint(changed, ORIGIN, [log.verifier]);
    assert.ok(!tampered.ok && tampered.error.problem === 'bad-signature');
    const unsigned = openCheckpoint(signCheckpoint(checkpoint, [other.signer]), ORIGIN, [log.verifier]);
    assert.ok(!unsigned.ok && unsigned.error.problem === 'unverified');
  });

  it('refuses a correctly signed note whose body is not a checkpoint', () => {
    const note = formatNote({ text: `${ORIGIN}\n+5\n${rootBase64}\n`, signatures: signText(`${ORIGIN}\n+5\n${rootBase64}\n`, [log.signer]) });
    const opened = openCheckpoint(note, ORIGIN, [log.verifier]);
    assert.ok(!opened.ok && opened.error.problem === 'malformed');
  });

  it('keeps signature lines it does not know (witness cosignatures) for the caller to count', () => {
    const witness = keyPair('witness.example/w1');
    const text = formatCheckpoint(checkpoint);
    const logSigned = parseNote(signCheckpoint(checkpoint, [log.signer]));
    assert.ok(logSigned.ok);
    const note = formatNote({ text, signatures: [...logSigned.value.signatures, ...signText(text, [witness.signer])] });
    const opened = openCheckpoint(note, ORIGIN, [log.verifier]);
    assert.ok(opened.ok);
    assert.equal(opened.value.note.signatures.length, 2);
    assert.equal(opened.value.note.verified.length, 1);
  });
});
