import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AUDIT_KEY_FILE_NAME, KeyFileError, createEd25519Key, loadEd25519Key, loadOrCreateAuditKey } from './key_file.ts';
import { ed25519PublicKeyBytes } from '../translog/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'interlock-audit-key-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });

describe('key_file', () => {
  it('makes the audit key at first start, 0600, and reads the same key after', () => {
    const dataDir = join(dir, 'data');
    const made = loadOrCreateAuditKey({ dataDir });
    assert.equal(made.created, true);
    assert.equal(made.path, join(dataDir, AUDIT_KEY_FILE_NAME));
    assert.equal(statSync(made.path).mode & 0o777, 0o600);
    const again = loadOrCreateAuditKey({ dataDir });
    assert.equal(again.created, false);
    assert.deepEqual(ed25519PublicKeyBytes(again.publicKey), ed25519PublicKeyBytes(made.publicKey));
  });

  it('refuses a key file group or others may read, naming the mode', () => {
    const path = join(dir, 'open.pem');
    createEd25519Key(path, 'audit log key');
    chmodSync(path, 0o640);
    assert.throws(() => loadEd25519Key(path, 'audit log key'), (error: unknown) =>
      error instanceof KeyFileError && error.message.includes('mode 0640') && !error.message.includes('PRIVATE'));
  });

  it('refuses a key that is not Ed25519, and a configured key file that does not exist', () => {
    const path = join(dir, 'ec.pem');
    writeFileSync(path, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    assert.throws(() => loadEd25519Key(path, 'audit log key'), /not Ed25519/);
    assert.throws(() => loadOrCreateAuditKey({ keyFile: join(dir, 'missing.pem'), dataDir: dir }), /cannot be opened: ENOENT/);
  });

  it('never replaces a key that exists', () => {
    const path = join(dir, 'kept.pem');
    createEd25519Key(path, 'witness key');
    const before = readFileSync(path, 'utf8');
    const second = createEd25519Key(path, 'witness key');
    assert.equal(readFileSync(path, 'utf8'), before);
    assert.equal(second.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), before);
  });
});
