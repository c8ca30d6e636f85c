// Sanctions screening of party names (issue 16), against a list the operator
// loads from a local file (never the network).
//
// The file, UTF-8:
//   - `*.csv`: a header row with a column named `name` (any case; other columns are ignored), then one row
//     per entry; fields may be double-quoted ("Smith, John"; "" is a quote inside a quoted field); a quoted
//     field cannot span lines.
//   - any other name: one name per line.
//   In both, blank lines and lines whose first non-blank character is `#` are skipped. A name that
//   normalises to nothing (only punctuation or honorifics) refuses the file with its line number.
//   Bounds: at most 1,000,000 entries, 256 MiB, 512 characters per name.
//
// Normalisation (both the list and the screened name): Unicode NFKD (full-width and compatibility forms
// to their plain letters), combining marks removed (diacritics: "Müller" → "muller"), format characters
// removed (zero-width spaces and joiners cannot split a token), case folded (upper then lower: "ß" →
// "ss"), the usual Latin-looking Cyrillic and Greek letters and a few Latin letters NFKD leaves alone
// ("ø", "ł", "đ", "æ", dotless "ı"…) mapped to their Latin skeleton, everything not a letter or a digit
// to a space, spaces collapsed, honorifics (MR, MRS, DR, …) dropped as tokens.
//
// Matching, by token sets (order never matters: "Smith John" is "John Smith"):
//   - exact: the name's set of tokens equals an entry's;
//   - subset: an entry of two tokens or more whose every token is in the name ("John Smith" matches
//     "John Albert Smith": added middle names do not evade the list);
//   - compact: the name's letters and digits, in order, without the separators, equal an entry's
//     ("Iv-an Pet.rov" and "IvanPetrov" are "Ivan Petrov": separators inserted or removed do not evade).
//   Not the reverse (a name whose tokens are a part of a longer entry): a common two-token name would hit
//   every long entry that contains it, and false positives block innocent payments. Single-token entries
//   (organisations, mononyms) match only exactly, for the same reason. No fuzzy (edit-distance) matching:
//   it multiplies false positives on short names; the normalisation above removes the evasions that cost
//   nothing (accents, case, punctuation, homoglyphs, invisible characters, word order, titles).
import { readFile, stat } from 'node:fs/promises';
import { err, ok, type Result } from '../support/index.ts';

export const SANCTIONS_ENTRIES_MAX = 1_000_000;
export const SANCTIONS_FILE_BYTES_MAX = 256 * 1024 * 1024;
export const NAME_CHARS_MAX = 512;

const HONORIFICS: ReadonlySet<string> = new Set([
  'mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'dame', 'madam', 'madame', 'mme', 'mlle', 'herr', 'frau',
  'sr', 'sra', 'srta', 'jr', 'hon', 'rev', 'lord', 'lady',
]);

/**
 * Letters that look Latin but are not, and Latin letters NFKD does not decompose: their Latin skeleton,
 * taken in the letter's own case (Greek capital Η looks like H, its small η like n), before case folding.
 */
const SKELETON: ReadonlyMap<string, string> = new Map([
  // Cyrillic capitals and smalls
  ...pairs('АВЕКМНОРСТУХЅІЈҺԚԜ', 'abekmhopctyxsijhqw'),
  ...pairs('авекмнорстухѕіјһԁԛԝ', 'abekmhopctyxsijhdqw'),
  // Greek capitals and smalls
  ...pairs('ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ', 'abezhikmnoptyx'),
  ...pairs('αεηικνορτυχμ', 'aenikvoptuxu'),
  // Latin letters without a decomposition
  ...pairs('ØøŁłĐđĦħıĿŀÐðŦŧ', 'oollddhhillddtt'),
  ['Þ', 'th'], ['þ', 'th'], ['Æ', 'ae'], ['æ', 'ae'], ['Œ', 'oe'], ['œ', 'oe'],
]);

/** Any character SKELETON maps (one code point each), to replace them in one pass. */
// eslint-disable-next-line security/detect-non-literal-regexp -- built once from the constant table above, letters only
const SKELETON_PATTERN = new RegExp(`[${[...SKELETON.keys()].join('')}]`, 'gu');

function pairs(from: string, to: string): [string, string][] {
  const sources = Array.from(from);
  const targets = Array.from(to);
  if (sources.length !== targets.length) throw new Error(`sanctions skeleton: ${from} and ${to} differ in length`);
  return sources.map((character, index) => [character, targets[index] ?? character]);
}

/** The tokens of a name after normalisation (see the file's head), in order, repeats kept. */
function tokensInOrder(name: string): string[] {
  const skeleton = name.normalize('NFKD').replace(/[\p{M}\p{Cf}]/gu, '').replace(SKELETON_PATTERN, (character) => SKELETON.get(character) ?? character);
  const folded = skeleton.toUpperCase().toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '');
  const tokens = folded.replace(/[^\p{L}\p{N}]+/gu, ' ').trim().split(' ');
  return tokens.filter((token) => token !== '' && !HONORIFICS.has(token));
}

/** The tokens of a name after normalisation (see the file's head), distinct, in order of first appearance. */
export function nameTokens(name: string): string[] {
  return [...new Set(tokensInOrder(name))];
}

/** A name's letters and digits after normalisation, in order, without separators (the compact match key). */
export function compactName(name: string): string {
  return tokensInOrder(name).join('');
}

/** A name's normalised form: its distinct tokens, sorted, joined by one space (the match key). */
export function normaliseName(name: string): string {
  return nameTokens(name).sort().join(' ');
}

export interface SanctionsEntry {
  /** The name as the list gives it (for the trace). */
  readonly name: string;
  /** Where in the file (1-based line). */
  readonly line: number;
}

export interface SanctionsList {
  readonly size: number;
  /** Exact match: normalised key → entry. */
  readonly byKey: ReadonlyMap<string, SanctionsEntry>;
  /** Compact match: the tokens in order, joined without separators → entry. */
  readonly byCompact: ReadonlyMap<string, SanctionsEntry>;
  /** Subset match: entries of ≥ 2 tokens, filed under their rarest token. */
  readonly byAnchor: ReadonlyMap<string, readonly { readonly tokens: readonly string[]; readonly entry: SanctionsEntry }[]>;
}

export type SanctionsMatch =
  | { readonly matched: false }
  | { readonly matched: true; readonly how: 'exact' | 'subset' | 'compact'; readonly entry: SanctionsEntry }
  /** A name over NAME_CHARS_MAX is not screened but treated as a match (fail closed: no FSPIOP name is that long). */
  | { readonly matched: true; readonly how: 'too-long'; readonly entry: null };

/** Builds a list from entries already read. Refuses an entry that normalises to nothing, or too many. */
export function buildSanctionsList(entries: readonly SanctionsEntry[]): Result<SanctionsList, string> {
  if (entries.length > SANCTIONS_ENTRIES_MAX) return err(`the sanctions list has ${String(entries.length)} entries; at most ${String(SANCTIONS_ENTRIES_MAX)}`);
  const byKey = new Map<string, SanctionsEntry>();
  const byCompact = new Map<string, SanctionsEntry>();
  const tokenised: { tokens: string[]; entry: SanctionsEntry }[] = [];
  const frequency = new Map<string, number>();
  for (const entry of entries) {
    if (entry.name.length > NAME_CHARS_MAX) return err(`line ${String(entry.line)}: a name of more than ${String(NAME_CHARS_MAX)} characters`);
    const inOrder = tokensInOrder(entry.name);
    const tokens = [...new Set(inOrder)].sort();
    if (tokens.length === 0) return err(`line ${String(entry.line)}: ${JSON.stringify(entry.name)} has no letters or digits once titles and punctuation are removed`);
    const key = tokens.join(' ');
    const compact = inOrder.join('');
    if (!byCompact.has(compact)) byCompact.set(compact, entry);
    if (byKey.has(key)) continue;
    byKey.set(key, entry);
    if (tokens.length < 2) continue;
    tokenised.push({ tokens, entry });
    for (const token of tokens) frequency.set(token, (frequency.get(token) ?? 0) + 1);
  }
  const byAnchor = new Map<string, { tokens: string[]; entry: SanctionsEntry }[]>();
  for (const item of tokenised) {
    const anchor = item.tokens.reduce((rarest, token) => ((frequency.get(token) ?? 0) < (frequency.get(rarest) ?? 0) ? token : rarest));
    const bucket = byAnchor.get(anchor) ?? [];
    bucket.push(item);
    byAnchor.set(anchor, bucket);
  }
  return ok({ size: byKey.size, byKey, byCompact, byAnchor });
}

/** Screens one name. A null or empty name is not a match (nothing to screen). */
export function screenName(list: SanctionsList, name: string | null): SanctionsMatch {
  if (name === null) return { matched: false };
  if (name.length > NAME_CHARS_MAX) return { matched: true, how: 'too-long', entry: null };
  const inOrder = tokensInOrder(name);
  const tokens = [...new Set(inOrder)];
  if (tokens.length === 0) return { matched: false };
  const exact = list.byKey.get([...tokens].sort().join(' '));
  if (exact !== undefined) return { matched: true, how: 'exact', entry: exact };
  const compact = list.byCompact.get(inOrder.join(''));
  if (compact !== undefined) return { matched: true, how: 'compact', entry: compact };
  const present = new Set(tokens);
  for (const token of tokens) {
    for (const candidate of list.byAnchor.get(token) ?? []) {
      if (candidate.tokens.length <= present.size && candidate.tokens.every((part) => present.has(part))) {
        return { matched: true, how: 'subset', entry: candidate.entry };
      }
    }
  }
  return { matched: false };
}

// ---- The file ----

/** Splits one CSV line into fields (RFC 4180 quoting, within the line). */
export function csvFields(line: string): Result<string[], string> {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let index = 0;
  let fieldStart = true;
  while (index < line.length) {
    const character = line.charAt(index);
    if (quoted) {
      if (character === '"' && line.charAt(index + 1) === '"') {
        field += '"';
        index++;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"' && fieldStart) quoted = true;
    else if (character === ',') {
      fields.push(field);
      field = '';
      fieldStart = true;
      index++;
      continue;
    } else field += character;
    fieldStart = false;
    index++;
  }
  if (quoted) return err('a quoted field is not closed on its line');
  fields.push(field);
  return ok(fields);
}

/** Parses the text of a list file: `csv` true for the CSV form. */
export function parseSanctionsText(text: string, csv: boolean): Result<SanctionsEntry[], string> {
  const entries: SanctionsEntry[] = [];
  let nameColumn: number | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (entries.length >= SANCTIONS_ENTRIES_MAX) return err(`more than ${String(SANCTIONS_ENTRIES_MAX)} entries`);
    if (!csv) {
      entries.push({ name: trimmed, line: index + 1 });
      continue;
    }
    const fields = csvFields(line);
    if (!fields.ok) return err(`line ${String(index + 1)}: ${fields.error}`);
    if (nameColumn === undefined) {
      nameColumn = fields.value.findIndex((header) => header.trim().toLowerCase() === 'name');
      if (nameColumn < 0) return err(`line ${String(index + 1)}: the header row has no column named "name"`);
      continue;
    }
    const name = fields.value[nameColumn]?.trim() ?? '';
    if (name === '') return err(`line ${String(index + 1)}: no name in column ${String(nameColumn + 1)}`);
    entries.push({ name, line: index + 1 });
  }
  if (csv && nameColumn === undefined) return err('the file has no header row');
  return ok(entries);
}

/** Loads a sanctions list from a local file (see the file's head for the format). */
export async function loadSanctionsList(path: string): Promise<Result<SanctionsList, string>> {
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's own list file, named in its configuration
    const info = await stat(path);
    if (!info.isFile()) return err(`${path} is not a file`);
    if (info.size > SANCTIONS_FILE_BYTES_MAX) return err(`${path} is ${String(info.size)} bytes; at most ${String(SANCTIONS_FILE_BYTES_MAX)}`);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's own list file, named in its configuration
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(path));
    const entries = parseSanctionsText(text, path.toLowerCase().endsWith('.csv'));
    if (!entries.ok) return err(`${path}: ${entries.error}`);
    const list = buildSanctionsList(entries.value);
    return list.ok ? list : err(`${path}: ${list.error}`);
  } catch (error) {
    return err(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
