import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX } from './limits.ts';
import { PETER_NOTE, PETER_SIGNER_KEY, PETER_TEXT, PETER_VERIFIER_KEY, privateKeyOfGoSignerKey } from './note_fixture.ts';
import { ed25519NoteSigner, ed25519NoteVerifier, parseEd25519VerifierKey, type NoteVerifier } from './note_key.ts';
import { formatNote, openNote, parseNote, signNote } from './signed_note.ts';

function keyPair(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: ed25519NoteSigner(name, privateKey), verifier: ed25519NoteVerifier(name, publicKey) };
}

const peterVerifier = (): NoteVerifier => {
  const parsed = parseEd25519VerifierKey(PETER_VERIFIER_KEY);
  assert.ok(parsed.ok);
  return parsed.value;
};

const log = keyPair('hub.example/audit');
const stranger = keyPair('stranger.example/log');

describe('signed_note: interoperability', () => {
  it('signs the Go example text into the Go example note, byte for byte', () => {
    assert.equal(signNote(PETER_TEXT, [ed25519NoteSigner('PeterNeumann', privateKeyOfGoSignerKey(PETER_SIGNER_KEY))]), PETER_NOTE);
  });

  it('opens the Go example note with its pinned verifier key, from text or bytes', () => {
    for (const input of [PETER_NOTE, Buffer.from(PETER_NOTE)]) {
      const opened = openNote(input, [peterVerifier()]);
      assert.ok(opened.ok);
      assert.equal(opened.value.text, PETER_TEXT);
      assert.equal(opened.value.verified.length, 1);
    }
  });
});

describe('signed_note: verification', () => {
  it('refuses a note whose text was changed: the pinned signature fails', () => {
    const tampered = PETER_NOTE.replace('cryptography', 'cryptographY');
    assert.deepEqual(openNote(tampered, [peterVerifier()]), {
      ok: false,
      error: { problem: 'bad-signature', reason: 'the signature of PeterNeumann does not verify' },
    });
  });

  it('refuses a note signed only by keys it does not pin (wrong key, or unknown key only)', () => {
    const note = signNote('hello\n', [stranger.signer]);
    assert.equal(openNote(note, [log.verifier]).ok, false);
    const opened = openNote(note, [log.verifier]);
    assert.ok(!opened.ok && opened.error.problem === 'unverified');
    // Same name as a pinned key, other key: a different key ID, so an unknown key, not a failed signature.
    const impostor = keyPair('hub.example/audit');
    const forged = openNote(signNote('hello\n', [impostor.signer]), [log.verifier]);
    assert.ok(!forged.ok && forged.error.problem === 'unverified');
  });

  it('refuses a signature by a pinned name and key ID that does not verify', () => {
    const colliding: NoteVerifier = { name: log.verifier.name, keyId: log.verifier.keyId, verify: () => false };
    const opened = openNote(signNote('hello\n', [log.signer]), [colliding]);
    assert.ok(!opened.ok && opened.error.problem === 'bad-signature');
  });

  it('ignores unknown keys beside a pinned one, and keeps their lines', () => {
    const opened = openNote(signNote('hello\n', [stranger.signer, log.signer]), [log.verifier]);
    assert.ok(opened.ok);
    assert.deepEqual(
      opened.value.signatures.map((s) => s.name),
      ['stranger.example/log', 'hub.example/audit'],
    );
    assert.deepEqual(
      opened.value.verified.map((s) => s.name),
      ['hub.example/audit'],
    );
  });

  it('keeps blank lines inside the text and a leading byte order mark', () => {
    for (const text of ['first\n\nthird\n', '\ufeffmarked\n', 'trailing blank\n\n']) {
      const opened = openNote(Buffer.from(signNote(text, [log.signer])), [log.verifier]);
      assert.ok(opened.ok, text);
      assert.equal(opened.value.text, text);
    }
  });

  it('pinning one key twice is a programmer error', () => {
    assert.throws(() => openNote(PETER_NOTE, [peterVerifier(), peterVerifier()]));
  });
});

describe('signed_note: malformed notes are refused before any signature is checked', () => {
  const good = signNote('hello\n', [log.signer]);
  const line = good.slice('hello\n\n'.length);
  const base64 = line.slice(line.lastIndexOf(' ') + 1, -1);

  const cases: [string, string | Uint8Array][] = [
    ['a duplicate signature line', `${good}${line}`],
    ['two signatures by one key', formatNote({ text: 'hello\n', signatures: [...(parseNoteOk(good)), { ...parseNoteOk(good)[0]!, signature: new Uint8Array(64) }] })],
    ['no blank line', `hello\n${line}`],
    ['no signature line', 'hello\n\n'],
    ['no final newline', good.slice(0, -1)],
    ['a hyphen for the em dash', good.replace('\u2014', '-')],
    ['an en dash for the em dash', good.replace('\u2014', '\u2013')],
    ['two spaces after the dash', good.replace('\u2014 ', '\u2014  ')],
    ['a name with "+"', good.replace('hub.example/audit', 'hub+example/audit')],
    ['a signature that is not base64', good.replace(base64, `${base64.slice(0, -4)}!!!=`)],
    ['unpadded base64', good.replace(base64, base64.replace(/=+$/, ''))],
    ['non-canonical base64 (padding bits set)', good.replace(base64, withPaddingBitSet(base64))],
    ['a key ID without signature', good.replace(base64, Buffer.from([1, 2, 3, 4]).toString('base64'))],
    ['a trailing space', good.replace(/\n$/, ' \n')],
    ['a blank line after the signatures', `${good}\n`],
    ['CRLF line ends', good.replaceAll('\n', '\r\n')],
    ['a control character', good.replace('hello', 'hel\u0007lo')],
    ['invalid UTF-8', Buffer.concat([Buffer.from([0xff]), Buffer.from(good)])],
    ['a lone surrogate', good.replace('hello', 'hel\ud800lo')],
    [`more than ${NOTE_SIGNATURES_MAX} signatures`, `${signNote('hello\n', Array.from({ length: NOTE_SIGNATURES_MAX }, (_, i) => keyPair(`k${i}`).signer))}${line}`],
    [`over ${NOTE_BYTES_MAX} bytes`, `${'x'.repeat(NOTE_BYTES_MAX)}\n\n${line}`],
  ];
  for (const [name, input] of cases) {
    it(`refuses ${name}`, () => {
      const opened = openNote(input, [log.verifier]);
      assert.ok(!opened.ok && opened.error.problem === 'malformed', opened.ok ? 'opened' : opened.error.reason);
    });
  }

  it(`accepts ${NOTE_SIGNATURES_MAX} signatures (C2SP asks for at least 16)`, () => {
    const signers = [...Array.from({ length: NOTE_SIGNATURES_MAX - 1 }, (_, i) => keyPair(`w${i}`).signer), log.signer];
    assert.ok(openNote(signNote('hello\n', signers), [log.verifier]).ok);
  });

  it('signing a text that cannot be a note is a programmer error', () => {
    for (const text of ['', 'no newline', 'tab\there\n', '\ud800\n']) assert.throws(() => signNote(text, [log.signer]), JSON.stringify(text));
  });
});

/** The same bytes in base64 with a padding bit set: decoders accept it, but it is not the canonical spelling. */
function withPaddingBitSet(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  // 68 bytes (key ID and signature) end in one '=': the last character carries 4 data bits and 2 zero bits.
  assert.ok(text.endsWith('=') && !text.endsWith('=='));
  const last = alphabet.indexOf(text.charAt(text.length - 2));
  return `${text.slice(0, -2)}${alphabet.charAt(last | 1)}=`;
}

function parseNoteOk(note: string) {
  const parsed = parseNote(note);
  assert.ok(parsed.ok);
  return parsed.value.signatures;
}
