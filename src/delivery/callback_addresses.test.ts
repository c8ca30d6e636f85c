// The callback network policy against the addresses a hostile endpoint names.
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { DEFAULT_CALLBACK_NETWORKS } from '../config/index.ts';
import { checkCallbackNetworks, createCallbackAddressPolicy, endpointAddressRefusal, type OwnListener } from './callback_addresses.ts';

const listeners: OwnListener[] = [{ name: 'admin', host: '127.0.0.1', port: 3001 }, { name: 'FSPIOP', host: '0.0.0.0', port: 3000 }];
const names: Record<string, string[]> = { 'metadata.test': ['169.254.169.254'], 'mapped.test': ['::ffff:169.254.169.254'], 'dfsp.test': ['10.1.2.3'], 'mixed.test': ['10.1.2.3', 'fe80::1'] };
const resolveAll = (hostname: string) => {
  const found = names[hostname];
  return found === undefined ? Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' })) : Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};
const policyWith = (allowLoopback: boolean, networks = DEFAULT_CALLBACK_NETWORKS) => createCallbackAddressPolicy({ networks, allowLoopback }, () => listeners, resolveAll);

test('link-local, unspecified, multicast and broadcast are refused whatever the configuration, mapped forms too', () => {
  const permissive = policyWith(true, ['0.0.0.0/0', '::/0']);
  for (const address of ['169.254.169.254', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', 'fe80::1', '0.0.0.0', '::', '224.0.0.1', 'ff02::1', '255.255.255.255']) {
    assert.match(permissive.refusal(address, 80) ?? 'allowed', /never a callback address/, address);
  }
});

test('loopback only when allowed; the hub\'s own listeners never, even with loopback allowed', () => {
  const strict = policyWith(false);
  const demo = policyWith(true);
  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.9.9.9']) {
    assert.match(strict.refusal(address, 8444) ?? 'allowed', /loopback and delivery.allowLoopbackCallbacks is off/, address);
    assert.equal(demo.refusal(address, 8444), undefined, address);
  }
  assert.match(demo.refusal('127.0.0.1', 3001) ?? 'allowed', /hub's own admin listener/);
  assert.match(demo.refusal('::ffff:127.0.0.1', 3001) ?? 'allowed', /hub's own admin listener/);
  // Bound to all addresses: every local address with that port is the listener.
  assert.match(demo.refusal('127.0.0.1', 3000) ?? 'allowed', /hub's own FSPIOP listener/);
  assert.match(demo.refusal('::1', 3000) ?? 'allowed', /hub's own FSPIOP listener/);
  // Another port on loopback is not the hub.
  assert.equal(demo.refusal('127.0.0.1', 3002), undefined);
});

test('outside the configured networks is refused; inside is allowed', () => {
  const narrow = policyWith(false, ['10.0.0.0/8']);
  assert.equal(narrow.refusal('10.9.8.7', 443), undefined);
  assert.match(narrow.refusal('192.168.1.1', 443) ?? 'allowed', /outside delivery.callbackNetworks/);
  assert.equal(policyWith(false).refusal('2001:db8::1', 443), undefined);
  assert.equal(policyWith(false).refusal('203.0.113.9', 443), undefined);
  assert.throws(() => { checkCallbackNetworks(['10.0.0.1/8']); }, /host bits/);
  assert.throws(() => { checkCallbackNetworks(['example']); }, /no prefix length/);
});

test('an endpoint is checked at its literal address, or at every address its name resolves to', async () => {
  const policy = policyWith(false);
  assert.match(await endpointAddressRefusal(policy, 'https://169.254.169.254/latest/meta-data') ?? 'allowed', /link-local/);
  assert.match(await endpointAddressRefusal(policy, 'https://[::ffff:169.254.169.254]/x') ?? 'allowed', /link-local/);
  assert.match(await endpointAddressRefusal(policy, 'https://[::1]:8444/x') ?? 'allowed', /loopback/);
  assert.match(await endpointAddressRefusal(policy, 'http://127.0.0.1:8444/x') ?? 'allowed', /loopback/);
  assert.match(await endpointAddressRefusal(policyWith(true), 'https://127.0.0.1:3001/participants') ?? 'allowed', /own admin listener/);
  assert.match(await endpointAddressRefusal(policy, 'https://metadata.test/x') ?? 'allowed', /metadata.test resolves to 169.254.169.254 is link-local/);
  assert.match(await endpointAddressRefusal(policy, 'https://mapped.test/x') ?? 'allowed', /link-local/);
  assert.match(await endpointAddressRefusal(policy, 'https://mixed.test/x') ?? 'allowed', /fe80::1 is link-local/);
  assert.match(await endpointAddressRefusal(policy, 'https://nowhere.test/x') ?? 'allowed', /does not resolve \(ENOTFOUND\)/);
  assert.equal(await endpointAddressRefusal(policy, 'https://dfsp.test:8444/x'), undefined);
});

const externalAddress = Object.values(networkInterfaces()).flat().find((i) => i !== undefined && !i.internal && i.family === 'IPv4')?.address;
test('a listener bound to all addresses is reached on this machine\'s other addresses too', { skip: externalAddress === undefined ? 'no non-loopback IPv4 interface here' : false }, () => {
  const address = externalAddress ?? '';
  const permissive = policyWith(true, ['0.0.0.0/0']);
  assert.match(permissive.refusal(address, 3000) ?? 'allowed', /hub's own FSPIOP listener/);
  // The admin listener is bound to 127.0.0.1 only: its port on another address is not the hub.
  assert.equal(permissive.refusal(address, 3001), undefined);
});
