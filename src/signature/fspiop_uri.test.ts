// The FSPIOP-URI the SDK signs for a URL; parity with the SDK itself on
// random URLs is in sdk_interop.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fspiopUriOf } from './fspiop_uri.ts';

test('the path from the resource name on, whatever host and prefix come before it', () => {
  assert.equal(fspiopUriOf('http://hub:3000/transfers'), '/transfers');
  assert.equal(fspiopUriOf('https://gw.example/fspiop/v1/transfers/0194d5c8-3b0e-7c7a-9d7e-1f2a3b4c5d6e/error'), '/transfers/0194d5c8-3b0e-7c7a-9d7e-1f2a3b4c5d6e/error');
  assert.equal(fspiopUriOf('/parties/MSISDN/27713803912'), '/parties/MSISDN/27713803912');
  assert.equal(fspiopUriOf('http://dfsp/callbacks/fxQuotes/1'), '/fxQuotes/1');
});

test('the SDK\'s quirks, kept: the last resource name wins, a trailing "/" gives "/", a query stays', () => {
  assert.equal(fspiopUriOf('http://hub/parties/MSISDN/transfers'), '/transfers');
  assert.equal(fspiopUriOf('http://hub/transfers/'), '/');
  assert.equal(fspiopUriOf('http://hub/participants/MSISDN/1?currency=USD'), '/participants/MSISDN/1?currency=USD');
  assert.equal(fspiopUriOf('http://hub'), '//hub');
});

test('where the SDK throws "URI not valid", nothing', () => {
  assert.equal(fspiopUriOf(''), undefined);
  assert.equal(fspiopUriOf('transfers'), undefined);
  assert.equal(fspiopUriOf('/transfers\n'), undefined);
});

test('linear time on the inputs that make the SDK\'s regular expression backtrack', () => {
  const hostile = `${'/'.repeat(50_000)}\u2028`;
  const startedMs = performance.now();
  assert.equal(fspiopUriOf(hostile), undefined);
  assert.equal(fspiopUriOf(`a${'/x'.repeat(50_000)}`), undefined);
  assert.equal(fspiopUriOf(`http://hub${'/x'.repeat(50_000)}`), `//hub${'/x'.repeat(50_000)}`);
  assert.ok(performance.now() - startedMs < 1_000);
});
