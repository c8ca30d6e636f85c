import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError, describeKeys, envName, loadConfig } from './config.ts';

const load = (env: Record<string, string> = {}, file?: string) => loadConfig({ env, file });

test('secure defaults: embedded SQLite in ./data, admin API on loopback and over TLS', () => {
  const config = load();
  assert.equal(config.dataDir, resolve('data'));
  assert.equal(config.storage.url, resolve('data/interlock.sqlite'));
  assert.equal(config.admin.host, '127.0.0.1');
  assert.equal(config.admin.port, 3001);
  assert.equal(config.admin.tls, 'on');
  assert.equal(config.admin.publicUrl, 'https://127.0.0.1:3001');
  assert.equal(config.fspiop.tls, 'mutual');
  assert.equal(config.admin.bodyBytesMax, 65_536);
  // Callbacks: no loopback unless asked for; the unicast ranges otherwise.
  assert.equal(config.delivery.allowLoopbackCallbacks, false);
  assert.deepEqual(config.delivery.callbackNetworks, ['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/3', '2000::/3', 'fc00::/7']);
});

test('callback networks and loopback callbacks are configured explicitly', () => {
  const config = load({ INTERLOCK_DELIVERY_CALLBACK_NETWORKS: '10.0.0.0/8, fd00::/8', INTERLOCK_DELIVERY_ALLOW_LOOPBACK_CALLBACKS: 'true' });
  assert.deepEqual(config.delivery.callbackNetworks, ['10.0.0.0/8', 'fd00::/8']);
  assert.equal(config.delivery.allowLoopbackCallbacks, true);
});

test('with TLS on, the admin API may listen beyond loopback', () => {
  const config = load({ INTERLOCK_ADMIN_HOST: '0.0.0.0' });
  assert.equal(config.admin.host, '0.0.0.0');
  assert.equal(config.admin.tls, 'on');
});

test('environment variables override the file, and the file overrides defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-config-'));
  const file = join(dir, 'interlock.config.json');
  writeFileSync(file, JSON.stringify({ admin: { port: 4001 }, log: { level: 'warn' } }));
  const config = load({ INTERLOCK_ADMIN_PORT: '5001', INTERLOCK_STORAGE_URL: 'postgres://hub:secret@127.0.0.1:5432/interlock' }, file);
  assert.equal(config.admin.port, 5001);
  assert.equal(config.log.level, 'warn');
  assert.equal(config.storage.url, 'postgres://hub:secret@127.0.0.1:5432/interlock');
});

test('environment names are derived from keys', () => {
  assert.equal(envName('admin.bodyBytesMax'), 'INTERLOCK_ADMIN_BODY_BYTES_MAX');
  assert.equal(envName('storage.url'), 'INTERLOCK_STORAGE_URL');
});

test('a bad value stops the start and names the key, its source and what is expected', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ INTERLOCK_ADMIN_PORT: 'abc' }, /admin\.port \(from INTERLOCK_ADMIN_PORT\): expected an integer from 0 to 65535, got "abc"/],
    [{ INTERLOCK_ADMIN_PORT: '70000' }, /admin\.port .*expected an integer from 0 to 65535/],
    [{ INTERLOCK_ADMIN_PORT: '1.5' }, /admin\.port/],
    [{ INTERLOCK_ADMIN_HOST: '0.0.0.0', INTERLOCK_ADMIN_TLS: 'off' }, /admin\.host \(0\.0\.0\.0\): with admin\.tls off .*loopback only/],
    [{ INTERLOCK_ADMIN_HOST: '10.1.2.3', INTERLOCK_ADMIN_TLS: 'off' }, /admin\.host .*loopback only/],
    [{ INTERLOCK_ADMIN_TLS: 'maybe' }, /admin\.tls .*expected one of on, off/],
    [{ INTERLOCK_STORAGE_URL: 'postgres://' }, /storage\.url .*expected a valid postgres:\/\/ URL|storage\.url .*host and a database/],
    [{ INTERLOCK_LOG_LEVEL: 'loud' }, /log\.level .*expected one of fatal, error/],
    [{ INTERLOCK_ADMIN_BODY_BYTES_MAX: '100' }, /admin\.bodyBytesMax .*from 1024/],
    [{ INTERLOCK_DELIVERY_CALLBACK_NETWORKS: '10.0.0.1/8' }, /delivery\.callbackNetworks .*host bits set/],
    [{ INTERLOCK_DELIVERY_CALLBACK_NETWORKS: '' }, /delivery\.callbackNetworks .*expected CIDR ranges/],
    [{ INTERLOCK_DELIVERY_ALLOW_LOOPBACK_CALLBACKS: 'yes' }, /delivery\.allowLoopbackCallbacks .*expected true or false/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => load(env), (error: unknown) => error instanceof ConfigError && message.test(error.message), JSON.stringify(env));
  }
});

test('unknown keys are refused, in the file and in the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ admin: { prot: 1 } }));
  assert.throws(() => load({}, file), /key admin\.prot is not a configuration key/);
  assert.throws(() => load({ INTERLOCK_ADMIN_PROT: '1' }), /INTERLOCK_ADMIN_PROT is not a configuration key/);
  writeFileSync(file, '{ not json');
  assert.throws(() => load({}, file), /is not valid JSON/);
  assert.throws(() => load({}, join(dir, 'missing.json')), /cannot be read/);
});

test('every key\'s environment variable is INTERLOCK_ and its path in upper snake case', () => {
  for (const { key, env } of describeKeys()) {
    assert.equal(env, 'INTERLOCK_' + key.split('.').map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_'), key);
  }
});

test('the configuration is frozen: no part of the hub can change another\'s', () => {
  const config = load();
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.admin) && Object.isFrozen(config.gateway.rateLimits.lookup) && Object.isFrozen(config.fspiop.certificateHosts));
  assert.throws(() => { (config.admin as { port: number }).port = 1; }, TypeError);
});
