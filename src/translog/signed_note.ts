// C2SP signed notes: a UTF-8 text ending in a newline, a blank line, then one
// or more lines `— <key name> base64(key ID ‖ signature)`. Checkpoints and
// witness cosignatures travel in this format.
//
// Opening a note follows the specification and golang.org/x/mod/sumdb/note:
// signatures from keys the verifier does not hold (name and key ID must both
// match) are ignored; a signature from a held key that fails rejects the whole
// note; a note with no signature from a held key is rejected. Anything that is
// not exactly the format is rejected before a signature is looked at,
// including a key that signs twice.
import assert from 'node:assert/strict';
import { decodeCanonicalBase64, encodeBase64, err, ok, type Err, type Result } from '../support/index.ts';
import { NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX } from './limits.ts';
import { isKeyName, type NoteSigner, type NoteVerifier } from './note_key.ts';

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes after the 4-byte key ID. */
  readonly signature: Uint8Array;
}

export interface Note {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface OpenedNote extends Note {
  /** The signatures that verified under the given keys (unknown keys' signatures are in `signatures` only). */
  readonly verified: readonly NoteSignature[];
}

/**
 * Why a note was refused: it is not a signed note ('malformed'), no held key signed it ('unverified'), or a
 * held key's signature on it is wrong ('bad-signature': someone altered the text or forged a signature).
 */
export type NoteProblem = 'malformed' | 'unverified' | 'bad-signature';

export interface NoteRefusal {
  readonly problem: NoteProblem;
  readonly reason: string;
}

export type NoteOutcome<T> = Result<T, NoteRefusal>;

const SIGNATURE_LINE_PREFIX = '\u2014 ';
const KEY_ID_BYTES = 4;

// ASCII controls other than the newline (C2SP forbids those below U+0020; DEL is refused too).
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const CONTROL_CHARACTER = /[\u0000-\u0009\u000b-\u001f\u007f]/;

// BOM kept (ignoreBOM): silently dropping a leading U+FEFF would change the text that was signed.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

function malformed(reason: string): Err<NoteRefusal> {
  return err({ problem: 'malformed', reason });
}

/** Why `text` cannot be a note text, or undefined when it can. */
export function noteTextProblem(text: string): string | undefined {
  if (text.length === 0 || !text.endsWith('\n')) return 'the note text must end with a newline';
  if (!text.isWellFormed()) return 'the note text is not valid Unicode';
  if (CONTROL_CHARACTER.test(text)) return 'the note text has a control character';
  return undefined;
}

function signatureKey(name: string, keyId: number): string {
  return `${name}\n${keyId}`;
}

function parseSignatureLine(line: string): NoteSignature | string {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX)) return 'a signature line starts with an em dash and a space';
  const rest = line.slice(SIGNATURE_LINE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) return 'a signature line is "— <name> <signature>"';
  const name = rest.slice(0, space);
  if (!isKeyName(name)) return 'a signature line has an invalid key name';
  const bytes = decodeCanonicalBase64(rest.slice(space + 1));
  if (bytes === undefined) return `the signature of ${name} is not canonical base64`;
  if (bytes.length <= KEY_ID_BYTES) return `the signature of ${name} has no signature after its key ID`;
  return { name, keyId: Buffer.from(bytes).readUInt32BE(0), signature: bytes.subarray(KEY_ID_BYTES) };
}

/** Reads a signed note, refusing anything that is not exactly the format. Verifies nothing. */
export function parseNote(input: string | Uint8Array): NoteOutcome<Note> {
  const byteLength = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (byteLength > NOTE_BYTES_MAX) return malformed(`the note is over ${NOTE_BYTES_MAX} bytes`);
  let note: string;
  if (typeof input === 'string') {
    note = input;
  } else {
    try {
      note = utf8.decode(input);
    } catch {
      return malformed('the note is not UTF-8');
    }
  }
  if (!note.isWellFormed()) return malformed('the note is not valid Unicode');
  if (CONTROL_CHARACTER.test(note)) return malformed('the note has a control character');
  // The text ends at the last blank line; signature lines are never empty, so nothing after it is text.
  const blank = note.lastIndexOf('\n\n');
  if (blank < 0) return malformed('the note has no blank line before its signatures');
  const text = note.slice(0, blank + 1);
  const block = note.slice(blank + 2);
  if (!block.endsWith('\n')) return malformed('the note does not end with a signature line and a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > NOTE_SIGNATURES_MAX) return malformed(`the note has more than ${NOTE_SIGNATURES_MAX} signatures`);
  const signatures: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const signature = parseSignatureLine(line);
    if (typeof signature === 'string') return malformed(signature);
    const key = signatureKey(signature.name, signature.keyId);
    if (seen.has(key)) return malformed(`the key ${signature.name} signs the note twice`);
    seen.add(key);
    signatures.push(signature);
  }
  return ok({ text, signatures });
}

/** The note as text: its text, a blank line, and one line per signature. */
export function formatNote({ text, signatures }: Note): string {
  const problem = noteTextProblem(text);
  assert.ok(problem === undefined, `formatNote: ${problem ?? ''}`);
  assert.ok(signatures.length >= 1 && signatures.length <= NOTE_SIGNATURES_MAX, 'formatNote: 1 to NOTE_SIGNATURES_MAX signatures');
  const lines = signatures.map(({ name, keyId, signature }) => {
    assert.ok(isKeyName(name), `formatNote: ${JSON.stringify(name)} is not a key name`);
    const keyIdBytes = Buffer.alloc(KEY_ID_BYTES);
    keyIdBytes.writeUInt32BE(keyId);
    return `${SIGNATURE_LINE_PREFIX}${name} ${encodeBase64(Buffer.concat([keyIdBytes, signature]))}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** Each signer's signature of `text`. */
export function signText(text: string, signers: readonly NoteSigner[]): NoteSignature[] {
  const problem = noteTextProblem(text);
  assert.ok(problem === undefined, `signText: ${problem ?? ''}`);
  const message = encoder.encode(text);
  return signers.map((signer) => ({ name: signer.name, keyId: signer.keyId, signature: signer.sign(message) }));
}

/** `text` signed by every signer, as a note. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  return formatNote({ text, signatures: signText(text, signers) });
}

/**
 * Opens a note with the pinned keys: refused if it is malformed, if a pinned key's signature on it fails,
 * or if no pinned key signed it. Signatures from other keys are ignored (kept in `signatures`).
 */
export function openNote(input: string | Uint8Array, verifiers: readonly NoteVerifier[]): NoteOutcome<OpenedNote> {
  const byKey = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    const key = signatureKey(verifier.name, verifier.keyId);
    assert.ok(!byKey.has(key), `openNote: the key ${verifier.name} is pinned twice`);
    byKey.set(key, verifier);
  }
  const parsed = parseNote(input);
  if (!parsed.ok) return parsed;
  const { text, signatures } = parsed.value;
  const message = encoder.encode(text);
  const verified: NoteSignature[] = [];
  for (const signature of signatures) {
    const verifier = byKey.get(signatureKey(signature.name, signature.keyId));
    if (verifier === undefined) continue;
    if (!verifier.verify(message, signature.signature)) {
      return err({ problem: 'bad-signature', reason: `the signature of ${signature.name} does not verify` });
    }
    verified.push(signature);
  }
  if (verified.length === 0) return err({ problem: 'unverified', reason: 'no pinned key signed the note' });
  return ok({ text, signatures, verified });
}
