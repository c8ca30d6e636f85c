import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { openStorage } from '../storage/index.ts';
import { runPkiCommand } from './cli.ts';
import { revokedSerialsOf } from './crl.ts';
import { makeCsr } from './testing.ts';
import { testTables } from '../testing/tables.ts';

const dir = mkdtempSync(join(tmpdir(), 'interlock-pki-cli-'));
after(() => { rmSync(dir, { recursive: true, force: true }); });
const env = { INTERLOCK_DATA_DIR: join(dir, 'data') };
// An empty file of our own, so that no ./interlock.config.json in the working directory is read.
writeFileSync(join(dir, 'empty.json'), '{}');
const config = loadConfig({ env, file: join(dir, 'empty.json') });

async function pki(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runPkiCommand(args, config, { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; } });
  return { code, stdout, stderr };
}

async function csrFile(name: string, keyType: 'ec-p256' | 'rsa-1024' = 'ec-p256'): Promise<string> {
  const path = join(dir, `${name}.csr`);
  writeFileSync(path, (await makeCsr({ keyType })).csrPem);
  return path;
}

test('the operator\'s round: init, issue, list, renew, revoke, crl', async () => {
  const init = await pki('init', '--name', 'CLI Scheme');
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /MOVE THE ROOT KEY OFFLINE NOW: .*root-ca\.key\.pem/);
  assert.doesNotMatch(init.stdout, /PRIVATE KEY/);
  assert.equal(statSync(join(dir, 'data', 'pki', 'issuing-ca.key.pem')).mode & 0o777, 0o600);
  const again = await pki('init');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);

  const out = join(dir, 'payer.pem');
  const issued = await pki('issue', '--fsp', 'payerfsp', '--csr', await csrFile('payer'), '--days', '30', '--out', out);
  assert.equal(issued.code, 0, issued.stderr);
  const presented = readFileSync(out, 'utf8');
  assert.equal(presented.match(/BEGIN CERTIFICATE/g)?.length, 2, 'the certificate, then the issuing CA');
  const leaf = new X509Certificate(presented);
  assert.equal(leaf.subjectAltName, 'URI:urn:mojaloop:fspid:payerfsp');

  const server = await pki('issue', '--fsp', 'Hub', '--csr', await csrFile('hub'), '--profile', 'server', '--host', 'hub.example', '--host', '127.0.0.1');
  assert.equal(server.code, 0, server.stderr);
  assert.match(server.stdout, /^-----BEGIN CERTIFICATE-----/);
  assert.match(server.stderr, /^issued [0-9a-f]{32} to Hub \(server, ECDSA P-256\)/);

  const refused = await pki('issue', '--fsp', 'payerfsp', '--csr', await csrFile('weak', 'rsa-1024'));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /1024 bits/);
  const missing = await pki('issue', '--fsp', 'payerfsp', '--csr', join(dir, 'missing.csr'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read the CSR .*ENOENT/);
  // An existing --out is refused before anything is issued.
  const clobber = await pki('issue', '--fsp', 'clobberfsp', '--csr', await csrFile('clobber'), '--out', out);
  assert.equal(clobber.code, 1);
  assert.match(clobber.stderr, /exists; it is never overwritten/);

  const list = await pki('list', '--json');
  const { certificates } = JSON.parse(list.stdout) as { certificates: { serial: string; fspId: string; state: string; daysLeft: number }[] };
  assert.deepEqual(certificates.map((c) => [c.fspId, c.state]), [['payerfsp', 'VALID'], ['Hub', 'VALID']]);
  const serial = leaf.serialNumber.toLowerCase();
  assert.equal(certificates[0]?.serial, serial);
  assert.match((await pki('list', '--expiring-days', '31')).stdout, /payerfsp/);
  assert.doesNotMatch((await pki('list', '--expiring-days', '31')).stdout, /Hub/);

  const renewed = await pki('renew', '--serial', leaf.serialNumber, '--csr', await csrFile('payer2'));
  assert.equal(renewed.code, 0, renewed.stderr);
  assert.equal((await pki('list', '--fsp', 'payerfsp', '--json')).stdout.match(/"VALID"/g)?.length, 2);

  const revoked = await pki('revoke', '--serial', serial, '--reason', 'superseded');
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /revoked .* \(superseded\); CRL 1 signed/);

  const crlOut = join(dir, 'crl.pem');
  const crl = await pki('crl', '--out', crlOut);
  assert.equal(crl.code, 0, crl.stderr);
  assert.ok(revokedSerialsOf(readFileSync(crlOut, 'utf8')).has(serial));
  assert.match(crl.stdout, /CRL 2 written/);

  // Each change made locally is in the audit log, committed with it; reads are not changes.
  const storage = openStorage(config.storage.url);
  try {
    const entries = await testTables(storage.db).selectFrom('audit_entries').select(['action', 'actor', 'target_id']).orderBy('idx').execute();
    // The refused issues (a weak key, a missing CSR, an --out that exists) changed nothing and left no entry.
    assert.deepEqual(entries.map((e) => [e.action, e.target_id]), [['PKI_ISSUE', 'payerfsp'], ['PKI_ISSUE', 'Hub'], ['PKI_RENEW', leaf.serialNumber], ['PKI_REVOKE', serial]]);
    assert.ok(entries.every((e) => e.actor.startsWith('local:')));
  } finally {
    await storage.close();
  }
});

test('usage errors exit 2 with the pki usage', async () => {
  for (const args of [[], ['frobnicate'], ['issue', '--fsp', 'x'], ['list', '--expiring-days', 'soon'], ['issue', '--bogus']]) {
    const result = await pki(...args);
    assert.equal(result.code, 2, args.join(' '));
  }
  assert.equal((await pki('--help')).code, 0);
});

test('interlock pki is reachable from the main command line, with --config read there', () => {
  const cli = new URL('../cli.ts', import.meta.url).pathname;
  const configFile = join(dir, 'interlock.config.json');
  writeFileSync(configFile, JSON.stringify({ dataDir: join(dir, 'data') }));
  const result = spawnSync(process.execPath, [cli, 'pki', 'list', '--config', configFile], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, INTERLOCK_DATA_DIR: undefined } });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /payerfsp/);
});
