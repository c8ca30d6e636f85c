import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackAddress, isLoopbackHost } from './loopback.ts';

test('loopback addresses', () => {
  for (const address of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(address), address);
  for (const address of ['169.254.169.254', '10.0.0.1', '::ffff:169.254.169.254', 'fe80::1', '128.0.0.1', '::']) assert.ok(!isLoopbackAddress(address), address);
});

test('loopback hosts: localhost or a loopback address, never a name that merely starts like one', () => {
  for (const host of ['localhost', '127.0.0.1', '::1', '[::1]', new URL('http://[::1]:8080/').hostname, new URL('http://127.0.0.1/').hostname]) assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', 'example.com', '127.example.com', 'localhost.example.com', '']) assert.ok(!isLoopbackHost(host), host);
});
