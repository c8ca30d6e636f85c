// The architecture's lint rules (scripts/eslint-layers.mjs) refuse a wrong
// arrow, and the layers they enforce are the ones src/README.md shows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import plugin, { LAYERS } from '../scripts/eslint-layers.mjs';

const SRC = import.meta.dirname;

test('src/README.md lists the layers the lint rule enforces, in the same order', () => {
  const readme = readFileSync(join(SRC, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)].map((row) =>
    [...(row[2] ?? '').matchAll(/`([\w.]+?)(?:\/|\.ts)?`/g)].map((name) => name[1]));
  assert.deepEqual(rows, LAYERS.map((layer) => [...layer]));
});

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser, sourceType: 'module' } });
const file = (path: string) => join(SRC, path);

tester.run('interlock/layers', plugin.rules.layers, {
  valid: [
    { filename: file('transfers/prepare/reserve.ts'), code: "import { reserve } from '../../ledger/index.ts';" },
    { filename: file('edge/fspiop_api.ts'), code: "import type { TransferService } from '../transfers/index.ts';" },
    { filename: file('transfers/prepare/index.ts'), code: "import { reserve } from './reserve.ts';" },
    // Tests are not layers.
    { filename: file('ledger/ledger.test.ts'), code: "import { startHub } from '../main.ts';" },
  ],
  invalid: [
    { filename: file('ledger/funds.ts'), code: "import { fail } from '../transfers/index.ts';", errors: [{ message: /ledger\/ may not import transfers\/, which is in a higher layer/ }] },
    { filename: file('transfers/service.ts'), code: "import type { QuoteService } from '../quotes/index.ts';", errors: [{ message: /transfers\/ may not import quotes\/, which is in the same layer/ }] },
    { filename: file('storage/migrate.ts'), code: "export { CHANGE_REQUEST_STATES } from '../operator/index.ts';", errors: [{ message: /storage\/ may not import operator\// }] },
    { filename: file('fspiop/inbound.ts'), code: "const m = await import('../participants/index.ts');", errors: [{ message: /fspiop\/ may not import participants\// }] },
    { filename: file('ledger/funds.ts'), code: "import { x } from '../nowhere/index.ts';", errors: [{ message: /src\/nowhere is in no layer/ }] },
  ],
});

tester.run('interlock/through-index', plugin.rules['through-index'], {
  valid: [
    { filename: file('transfers/prepare/reserve.ts'), code: "import { reserve } from '../../ledger/index.ts';" },
    { filename: file('transfers/prepare/reserve.ts'), code: "import { step } from './step.ts';" },
    { filename: file('cli.ts'), code: "import { startHub } from './main.ts';" },
  ],
  invalid: [
    { filename: file('transfers/prepare/reserve.ts'), code: "import { reserve } from '../../ledger/reservations.ts';", errors: [{ message: /import ledger\/ through ledger\/index.ts, not ledger\/reservations.ts/ }] },
    { filename: file('operator/routes.ts'), code: "import type { ApiGrants } from '../edge/gateway/api_permissions.ts';", errors: [{ message: /through edge\/index.ts/ }] },
    { filename: file('ledger/funds.ts'), code: "import { openAccount } from './index.ts';", errors: [{ message: /ledger\/ must not import its own index.ts/ }] },
  ],
});
