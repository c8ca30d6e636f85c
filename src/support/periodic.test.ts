import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const MODULE = new URL('./periodic.ts', import.meta.url).href;

/** Runs `every` in a process of its own with a task that throws `thrown`, for 200 ms. */
function runWithFailingTask(thrown: string) {
  const script = `
    import assert from 'node:assert/strict';
    import { every } from ${JSON.stringify(MODULE)};
    const log = { error: (fields, message) => { console.log('logged: ' + message + ' ' + fields.task); } };
    const stop = every(20, async () => { ${thrown} }, log, 'probe');
    setTimeout(() => { stop(); console.log('still running'); }, 200);
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
}

test('a periodic task that fails on the database is logged and runs again; the process goes on', () => {
  const child = runWithFailingTask(`throw Object.assign(new Error('connection lost'), { code: 'ECONNRESET' });`);
  assert.equal(child.status, 0, child.stderr);
  assert.ok(child.stdout.split('\n').filter((line) => line === 'logged: periodic task failed probe').length >= 2);
  assert.match(child.stdout, /still running/);
});

test('a periodic task that fails an assertion (a programmer error) crashes the process', () => {
  const child = runWithFailingTask(`assert.ok(false, 'a reserved transfer without its reservation');`);
  assert.notEqual(child.status, 0);
  assert.match(child.stderr, /AssertionError.*a reserved transfer without its reservation/s);
  assert.doesNotMatch(child.stdout, /still running|logged/);
});
