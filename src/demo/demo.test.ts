// `npm run demo` as a user runs it: a child process that starts its own hub and
// two simulated DFSPs, pays, prints each hop and check, and exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

const DEMO = new URL('./run.ts', import.meta.url).pathname;

test('the demo runs lookup → quote → transfer end to end, prints each hop and check, and exits 0', async () => {
  const child = spawn(process.execPath, [DEMO], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const timer = setTimeout(() => { child.kill('SIGKILL'); }, 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, stdout + stderr);

  // Each hop, in the order of the protocol, with who sent it to whom.
  const hops = [
    /payerfsp → hub +GET \/parties\/MSISDN\/27713803912/,
    /hub → payeefsp +GET \/parties\/MSISDN\/27713803912 .*\(payerfsp's message, forwarded\)/,
    /payeefsp → hub +PUT \/parties\/MSISDN\/27713803912 +Henrik Karlsson/,
    /hub → payerfsp +PUT \/parties\/MSISDN\/27713803912/,
    /payerfsp → hub +POST \/quotes +quote .*: SEND 100 USD to MSISDN 27713803912/,
    /hub → payeefsp +POST \/quotes/,
    /payeefsp → hub +PUT \/quotes\/[0-9a-f-]{36} +transfer amount 100 USD/,
    /hub → payerfsp +PUT \/quotes\/[0-9a-f-]{36}/,
    /payerfsp → hub +POST \/transfers +transfer .*: 100 USD/,
    /hub → payeefsp +POST \/transfers/,
    /payeefsp → hub +PUT \/transfers\/[0-9a-f-]{36} +COMMITTED, fulfilment/,
    /hub → payerfsp +PUT \/transfers\/[0-9a-f-]{36} +COMMITTED/,
  ];
  let from = 0;
  for (const hop of hops) {
    const match = hop.exec(stdout.slice(from));
    assert.ok(match, `hop ${String(hop)} after position ${from} in:\n${stdout}`);
    from += match.index + match[0].length;
  }
  // The hub's decisions, as plain lines, not JSON logs.
  assert.match(stdout, /hub checked .* → forwarded/);
  assert.match(stdout, /hub checked .*reserved against liquidity and the net debit cap → reserved/);
  assert.match(stdout, /hub checked .*SHA-256\(fulfilment\) equals the condition; then committed → committed/);
  assert.doesNotMatch(stdout, /"level":/);
  for (const check of ['transfer committed (callback to the payer)', 'fulfilment matches the condition', 'the hub told the payee of the commit',
    'transfer state at the hub: GET /transfers/', 'payerfsp position: 0 USD → 100 USD', 'payeefsp position: 0 USD → -100 USD', 'ledger check',
    // Maker-checker: two operators sign in through the portal; the funds-in waits for the second.
    'the funds-in waits for a second person', 'nothing moved yet', 'the maker cannot approve their own request', 'the checker sees it waiting',
    'the checker\'s approval runs it: FUNDS_IN is now EXECUTED', 'funds in applied once: payerfsp settlement -100000 USD → -100500 USD',
    // Settlement: the window closes, nets to zero, and settles through maker-checker; the positions are reset.
    'the window closes and the next opens: window 1 CLOSED with 1 USD transfer(s) of 100 USD',
    'the settlement nets the window: settlement 1: payerfsp owes 100 USD, payeefsp is owed 100 USD (the net amounts sum to 0)',
    'reserving the net amounts waits for a second person', 'the checker\'s approval runs committing them',
    'the settlement bank\'s confirmation closes it: settlement 1 SETTLED; window 1 SETTLED',
    'positions reset by the settlement: payerfsp position 100 USD → 0 USD, payeefsp position -100 USD → 0 USD', 'ledger and settlement check']) {
    assert.ok(stdout.includes(`✓ ${check}`), `check "${check}" in:\n${stdout}`);
  }
  assert.match(stdout, /\nPASSED: /);
  assert.doesNotMatch(stdout, /✗|FAILED/);
});
