import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  buildSanctionsList, csvFields, loadSanctionsList, NAME_CHARS_MAX, SANCTIONS_ENTRIES_MAX, nameTokens, normaliseName,
  parseSanctionsText, screenName, type SanctionsList,
} from './sanctions.ts';

function list(names: readonly string[]): SanctionsList {
  const built = buildSanctionsList(names.map((name, index) => ({ name, line: index + 1 })));
  assert.ok(built.ok, built.ok ? '' : built.error);
  return built.value;
}

const LIST = list(['Ivan Petrov', 'José María Álvarez-Núñez', 'ACME Shell Holdings Ltd', 'Hamas', 'Jørgen Łukasz Strauß', 'Abu Bakr Al-Baghdadi']);

function matched(name: string): string | null {
  const result = screenName(LIST, name);
  return result.matched ? (result.entry?.name ?? result.how) : null;
}

describe('normaliseName', () => {
  it('folds case, diacritics, punctuation, spacing, order and honorifics', () => {
    assert.equal(normaliseName('  Dr.  José-María   ÁLVAREZ '), 'alvarez jose maria');
    assert.equal(normaliseName('Mr Petrov, Ivan'), 'ivan petrov');
    assert.equal(normaliseName('STRAUSS'), normaliseName('Strauß'));
    assert.equal(normaliseName('Jørgen Łukasz'), 'jorgen lukasz');
    assert.equal(normaliseName('Ｉｖａｎ'), 'ivan', 'full-width letters (NFKD)');
    assert.equal(normaliseName('Dr. Mrs.'), '');
  });

  it('removes invisible characters rather than splitting on them', () => {
    assert.deepEqual(nameTokens('Iv\u200Ban Pe\u00ADtrov\u2060'), ['ivan', 'petrov']);
  });

  it('maps Latin-looking Cyrillic and Greek letters to their Latin skeleton', () => {
    assert.equal(normaliseName('Іvаn Реtrоv'), 'ivan petrov', 'Cyrillic І а Р е о');
    assert.equal(normaliseName('ΗΑΜΑΣ'.replace('Σ', 'S')), normaliseName('HAMAS'), 'Greek capitals');
  });

  it('property: idempotent, and blind to case and token order', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 }), (parts) => {
      const name = parts.join(' ');
      const once = normaliseName(name);
      assert.equal(normaliseName(once), once);
      assert.equal(normaliseName([...parts].reverse().join(' ')), once);
      assert.equal(normaliseName(name.toUpperCase()), normaliseName(name.toLowerCase()));
    }));
  });
});

describe('screenName', () => {
  it('matches by equal token sets, whatever the order, case and punctuation', () => {
    assert.equal(matched('PETROV, Ivan'), 'Ivan Petrov');
    assert.equal(matched('alvarez nunez jose maria'), 'José María Álvarez-Núñez');
    assert.equal(matched('hamas'), 'Hamas');
    assert.deepEqual(screenName(LIST, 'Ivan Petrov'), { matched: true, how: 'exact', entry: { name: 'Ivan Petrov', line: 1 } });
  });

  it('matches a name that adds tokens to an entry of two tokens or more', () => {
    assert.deepEqual(screenName(LIST, 'Ivan Sergeyevich Petrov'), { matched: true, how: 'subset', entry: { name: 'Ivan Petrov', line: 1 } });
    assert.equal(matched('Mr Abu Bakr al Baghdadi Ibrahim'), 'Abu Bakr Al-Baghdadi');
  });

  it('keeps false positives low: part of an entry, or a single-token entry inside a longer name, is no match', () => {
    assert.equal(matched('Ivan'), null);
    assert.equal(matched('Petrov'), null);
    assert.equal(matched('Maria Alvarez'), null, 'two tokens of a four-token entry');
    assert.equal(matched('Hamas Cafe'), null, 'a single-token entry matches only exactly');
    assert.equal(matched('Ivana Petrova'), null);
    assert.equal(matched(''), null);
    assert.equal(matched('Dr.'), null);
    assert.deepEqual(screenName(LIST, null), { matched: false });
  });

  it('hostile: diacritics, homoglyphs, zero-width characters and full-width letters do not evade', () => {
    assert.equal(matched('Ívân Pëtrőv'), 'Ivan Petrov');
    assert.equal(matched('Іvаn Реtrоv'), 'Ivan Petrov', 'Cyrillic look-alikes');
    assert.equal(matched('ΙVΑΝ PΕΤRΟV'), 'Ivan Petrov', 'Greek capitals Ι Α Ν Ε Τ Ο');
    assert.equal(matched('I\u200Bvan P\u200Detrov'), 'Ivan Petrov');
    assert.equal(matched('Ｉｖａｎ　Ｐｅｔｒｏｖ'), 'Ivan Petrov');
    assert.equal(matched('JORGEN LUKASZ STRAUSS'), 'Jørgen Łukasz Strauß');
    assert.equal(matched('Jose Maria Alvarez Nunez'), 'José María Álvarez-Núñez');
    assert.equal(matched('ACME Shell Holdings Ltd.'), 'ACME Shell Holdings Ltd');
  });

  it('hostile: separators inserted into or removed from a name do not evade', () => {
    assert.deepEqual(screenName(LIST, 'Iv-an Pet.rov'), { matched: true, how: 'compact', entry: { name: 'Ivan Petrov', line: 1 } });
    assert.equal(matched('IvanPetrov'), 'Ivan Petrov');
    assert.equal(matched('H.A.M.A.S.'), 'Hamas');
    assert.equal(matched('AbuBakr AlBaghdadi'), 'Abu Bakr Al-Baghdadi');
    assert.equal(matched('Ivan Petrovich'), null, 'a longer token is another name');
  });

  it('hostile: a name too long to be a party name is treated as a match (fail closed)', () => {
    assert.deepEqual(screenName(LIST, 'a '.repeat(NAME_CHARS_MAX)), { matched: true, how: 'too-long', entry: null });
  });

  it('property: a listed name with extra tokens appended is still found', () => {
    fc.assert(fc.property(fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 4 }), (extra) => {
      assert.equal(matched(['Petrov', ...extra, 'Ivan'].join(' ')), 'Ivan Petrov');
    }));
  });
});

describe('the list file', () => {
  let directory = '';
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sanctions-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads one name per line, skipping comments and blank lines', async () => {
    const path = join(directory, 'list.txt');
    await writeFile(path, '# the scheme list, 2026-12-01\n\nIvan Petrov\r\n  # indented comment\nHamas\n');
    const loaded = await loadSanctionsList(path);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    assert.equal(loaded.value.size, 2);
    assert.deepEqual(screenName(loaded.value, 'hamas'), { matched: true, how: 'exact', entry: { name: 'Hamas', line: 5 } });
  });

  it('reads a CSV with a name column, quoted fields included', async () => {
    const path = join(directory, 'list.csv');
    await writeFile(path, '\uFEFFid,Name,program\n# comment\n1,"Petrov, Ivan",RUSSIA\n2,"The ""Quoted"" Company",X\n');
    const loaded = await loadSanctionsList(path);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error);
    assert.equal(screenName(loaded.value, 'Ivan Petrov').matched, true);
    assert.equal(screenName(loaded.value, 'the quoted company').matched, true);
  });

  it('refuses a CSV without a name column, an empty name, an unclosed quote, and a name of only titles', () => {
    assert.match(assertRefused(parseSanctionsText('id,program\n1,x\n', true)), /line 1: the header row has no column named "name"/);
    assert.match(assertRefused(parseSanctionsText('name,id\n,1\n', true)), /line 2: no name in column 1/);
    assert.match(assertRefused(parseSanctionsText('name\n"Ivan\n', true)), /line 2: a quoted field is not closed/);
    assert.match(assertRefused(parseSanctionsText('# only comments\n', true)), /no header row/);
    const built = buildSanctionsList([{ name: 'Dr. Mr.', line: 3 }]);
    assert.ok(!built.ok);
    assert.match(built.error, /line 3: "Dr\. Mr\." has no letters or digits/);
  });

  it('refuses a file that is not UTF-8, a directory, and a missing file, with the path', async () => {
    const path = join(directory, 'latin1.txt');
    await writeFile(path, Buffer.from([0x4a, 0xf8, 0x72, 0x67, 0x65, 0x6e]));
    assert.match(assertRefused(await loadSanctionsList(path)), /latin1\.txt/);
    assert.match(assertRefused(await loadSanctionsList(directory)), /is not a file/);
    assert.match(assertRefused(await loadSanctionsList(join(directory, 'missing.txt'))), /missing\.txt/);
  });

  it('bounds the entries', () => {
    const built = buildSanctionsList({ length: SANCTIONS_ENTRIES_MAX + 1 } as never);
    assert.ok(!built.ok);
    assert.match(built.error, /at most 1000000/);
  });

  it('splits CSV fields', () => {
    assert.deepEqual(csvFields('a,"b,c",,"d""e"'), { ok: true, value: ['a', 'b,c', '', 'd"e'] });
  });
});

function assertRefused(result: { ok: true; value: unknown } | { ok: false; error: string }): string {
  assert.ok(!result.ok, 'should be refused');
  return result.error;
}
