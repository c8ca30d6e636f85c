// Duplicate member names in JSON text. JSON.parse keeps the last of two
// members with one name; other parsers keep the first, or refuse. A body the
// hub reads one way and forwards as bytes that its recipient reads another
// way (two "amount"s: the hub reserves one, the payee credits the other) is
// refused instead: RFC 8259 says names SHOULD be unique, and an I-JSON
// (RFC 7493) receiver MUST refuse duplicates.
//
// JSON.parse stays the parser (native, and the one every other check relies
// on); this is a check beside it, on every request, so it is made cheap:
//
//   - parseStrictJson counts. In text without a backslash every '"' delimits
//     a string, so the text holds (quotes / 2) strings; each becomes a name or
//     a string value of the parsed value, except where a member was dropped
//     for a later one of the same name (its name at least is lost). The counts
//     are equal exactly when no name repeats. Counting the quotes is one
//     native indexOf per quote; counting the parsed strings, one walk.
//   - findDuplicateMember scans the structure: a string is skipped with
//     indexOf to its closing quote, each object's names are compared after
//     unescaping ("\u0061mount" is "amount"), and the repeated name and the
//     object holding it are named. parseStrictJson uses it for text with a
//     backslash, and to name what its count found.
import { err, ok, type Result } from './result.ts';

/** A member name given twice in one object, and where that object is (an RFC 6901 JSON Pointer, "" for the root). */
export interface DuplicateMember {
  readonly name: string;
  readonly objectPointer: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Up to this many names an object's names are compared in a list; past it, in a set. */
const LINEAR_NAMES_MAX = 16;

/** An open object (its names so far, the last one) or array (the index of its current item). */
type Frame =
  | { readonly kind: 'object'; names: string[]; set: Set<string> | undefined; last: string }
  | { readonly kind: 'array'; index: number };

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** The index of the quote that closes the string opening at `start`: the next quote preceded by an even number of backslashes. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    if (end === -1) throw new SyntaxError('findDuplicateMember: unterminated string (the text is not JSON)');
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

function pointerOf(stack: readonly Frame[]): string {
  // The open object itself is the last frame; the frames before it say how it was reached.
  return stack.slice(0, -1).map((frame) => '/' + (frame.kind === 'array' ? String(frame.index) : frame.last.replaceAll('~', '~0').replaceAll('/', '~1'))).join('');
}

/** Whether `name` was already given in the object of `frame`; records it if not. */
function seenBefore(frame: Extract<Frame, { kind: 'object' }>, name: string): boolean {
  frame.last = name;
  if (frame.set !== undefined) {
    if (frame.set.has(name)) return true;
    frame.set.add(name);
    return false;
  }
  if (frame.names.includes(name)) return true;
  frame.names.push(name);
  if (frame.names.length > LINEAR_NAMES_MAX) frame.set = new Set(frame.names);
  return false;
}

/**
 * The first member name that occurs twice in one object of `text`, at any
 * depth, compared after unescaping; undefined when every object's names are
 * distinct. `text` must be JSON that JSON.parse accepts (call this after it):
 * the scan trusts the grammar and does not re-check it.
 */
export function findDuplicateMember(text: string): DuplicateMember | undefined {
  const stack: Frame[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const end = stringEnd(text, i);
      let next = end + 1;
      while (next < length && isWhitespace(text.charCodeAt(next))) next++;
      const frame = stack.at(-1);
      // In JSON a string followed by ':' is a member name, and every member name is.
      if (text.charCodeAt(next) === COLON && frame?.kind === 'object') {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? JSON.parse(text.slice(i, end + 1)) as string : raw;
        if (seenBefore(frame, name)) return { name, objectPointer: pointerOf(stack) };
      }
      i = next;
      continue;
    }
    switch (code) {
      case OPEN_OBJECT: stack.push({ kind: 'object', names: [], set: undefined, last: '' }); break;
      case OPEN_ARRAY: stack.push({ kind: 'array', index: 0 }); break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY: stack.pop(); break;
      case COMMA: {
        const frame = stack.at(-1);
        if (frame?.kind === 'array') frame.index++;
        break;
      }
      default: break;
    }
    i++;
  }
  return undefined;
}

/** Why a text is not strict JSON: not JSON at all, or a member named twice in one object. */
export type StrictJsonRefusal =
  | { readonly problem: 'not-json'; readonly detail: string }
  | { readonly problem: 'duplicate-member'; readonly detail: string; readonly duplicate: DuplicateMember };

export type StrictJson = Result<unknown, StrictJsonRefusal>;

/** A clear, short refusal for a duplicate (the name is cut: it is the sender's text). */
export function describeDuplicate(duplicate: DuplicateMember): string {
  const shown = (value: string): string => JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  return `member ${shown(duplicate.name)} is given twice in the object at ${duplicate.objectPointer === '' ? 'the root' : shown(duplicate.objectPointer)}`;
}

/** The number of strings (member names and string values) in a parsed JSON value; a walk with its own stack, so any depth JSON.parse built is walked. */
function stringsIn(value: unknown): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      count++;
    } else if (Array.isArray(item)) {
      for (const element of item as unknown[]) if (typeof element === 'string') count++; else if (typeof element === 'object' && element !== null) pending.push(element);
    } else if (typeof item === 'object' && item !== null) {
      for (const name of Object.keys(item)) {
        count++;
        const member = (item as Record<string, unknown>)[name];
        if (typeof member === 'string') count++; else if (typeof member === 'object' && member !== null) pending.push(member);
      }
    }
  }
  return count;
}

/** The number of '"' in `text`. */
function quotesIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf('"'); at !== -1; at = text.indexOf('"', at + 1)) count++;
  return count;
}

/** findDuplicateMember for `text` that JSON.parse read as `value`: the count when it can decide, the scan otherwise. */
export function findDuplicateMemberOf(text: string, value: unknown): DuplicateMember | undefined {
  if (!text.includes('\\') && quotesIn(text) === 2 * stringsIn(value)) return undefined;
  return findDuplicateMember(text);
}

/** JSON.parse, refusing text with a duplicate member name in any object (see findDuplicateMember). */
export function parseStrictJson(text: string): StrictJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err({ problem: 'not-json', detail: 'the text is not valid JSON' });
  }
  const duplicate = findDuplicateMemberOf(text, value);
  if (duplicate !== undefined) return err({ problem: 'duplicate-member', detail: describeDuplicate(duplicate), duplicate });
  return ok(value);
}
