// ESLint flat config for Interlock. Type-aware: every file linted here is also
// in tsconfig.json (allowJs + checkJs), so the typed rules see the same program
// that `npm run typecheck` checks. `npm run lint` runs with --max-warnings=0, so
// a warning (the security plugin reports at "warn") fails CI like an error.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';
import layers from './scripts/eslint-layers.mjs';

const moneyIsNeverAFloat =
  'Money is never a float: amounts are bigint minor units, parsed and formatted by src/support/money.ts.';

export default defineConfig(
  globalIgnores(['node_modules/', 'data/', 'coverage/', '.interlock/', 'sbom.cdx.json'], 'interlock/ignores'),

  {
    name: 'interlock/linter-options',
    linterOptions: {
      // A stale `eslint-disable` hides the next real finding on that line.
      reportUnusedDisableDirectives: 'error',
      reportUnusedInlineConfigs: 'error',
    },
  },

  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  security.configs.recommended,

  {
    name: 'interlock/all-files',
    languageOptions: {
      sourceType: 'module',
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // tsc (strict, checkJs) already reports undeclared names in .ts and .js;
      // the core rule does not know Node's globals without a globals list.
      'no-undef': 'off',

      // No code from strings. @typescript-eslint/no-implied-eval (in
      // strictTypeChecked) covers setTimeout("…") and friends.
      'no-eval': ['error', { allowIndirect: false }],
      'no-new-func': 'error',
      'no-script-url': 'error',
      // Prototype tampering: the usual road from a parsed body to a polluted object.
      'no-proto': 'error',
      'no-extend-native': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vm', message: 'node:vm is not a security boundary; do not run untrusted code.' },
            { name: 'node:vm', message: 'node:vm is not a security boundary; do not run untrusted code.' },
          ],
        },
      ],
      // Bracket access is kept for index signatures (process.env['X'], records
      // keyed by data): with noUncheckedIndexedAccess it marks a lookup that may
      // miss, which dot access would disguise as a declared property.
      '@typescript-eslint/dot-notation': ['error', { allowIndexSignaturePropertyAccess: true }],
      // Same convention as tsc's noUnusedLocals/noUnusedParameters: a leading
      // underscore marks a binding that is unused on purpose, and properties
      // destructured only to leave them out of a `...rest` count as used.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // `==` coerces; a coerced comparison of amounts, ids or states is a bug.
      eqeqeq: ['error', 'always'],

      // node:test's test()/describe()/it() return promises that the runner
      // itself tracks; awaiting them at top level is wrong. Every other
      // floating promise is still an error.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      // Numbers and bigints (amounts in minor units, counts, ports) read fine
      // in messages; `allowNumber` covers both (the rule tests NumberLike |
      // BigIntLike). Objects, nullish, booleans and `any` still need an explicit
      // String()/JSON.stringify so nothing prints as "[object Object]" or "undefined".
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: false, allowNullish: false, allowAny: false, allowRegExp: false, allowNever: false, allowArray: false },
      ],
      // stylisticTypeChecked's non-nullable-type-assertion-style turns
      // `x as T` (dropping undefined) into `x!`, which strictTypeChecked's
      // no-non-null-assertion then forbids outside tests. Both stay on: in src
      // the way out is a real check (narrowing, or assert for a programmer error).

      // State machines are tables and switches over unions of states: a state
      // added without its case must not compile through.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        // A defensive `default:` that throws stays allowed: values read back from
        // the database or the wire can be outside the union at run time.
        { allowDefaultCaseForExhaustiveSwitch: true, considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: true },
      ],

      // detect-object-injection flags every `obj[variable]`, including each
      // `array[i]` and every lookup in a typed Record, so in strict TypeScript
      // nearly all of its reports are false positives, and a rule that is
      // silenced line by line protects nothing. The risk it aims at,
      // prototype pollution through attacker-chosen keys, is handled where keys
      // come from: request bodies are parsed by a parser that refuses
      // __proto__/constructor/prototype keys (src/operator/exact_json.ts, and
      // Fastify's secure-json-parse by default) and validated by closed JSON
      // schemas (additionalProperties: false); dynamic key sets use Map; and
      // `no-proto` above forbids __proto__ in our own code. Keep it that way.
      'security/detect-object-injection': 'off',
    },
  },

  {
    name: 'interlock/src',
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'parseFloat', message: moneyIsNeverAFloat },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Number', property: 'parseFloat', message: moneyIsNeverAFloat },
        { object: 'globalThis', property: 'parseFloat', message: moneyIsNeverAFloat },
        { property: 'toFixed', message: moneyIsNeverAFloat },
        { property: 'toPrecision', message: moneyIsNeverAFloat },
      ],
    },
  },

  {
    name: 'interlock/src-not-tests',
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      // Ids, nonces and jitter that an attacker must not predict come from
      // node:crypto (randomUUID, randomBytes, randomInt). Repeats the list
      // above because a later block replaces a rule's options, it does not merge them.
      'no-restricted-properties': [
        'error',
        { object: 'Number', property: 'parseFloat', message: moneyIsNeverAFloat },
        { object: 'globalThis', property: 'parseFloat', message: moneyIsNeverAFloat },
        { property: 'toFixed', message: moneyIsNeverAFloat },
        { property: 'toPrecision', message: moneyIsNeverAFloat },
        { object: 'Math', property: 'random', message: 'Math.random is predictable; use node:crypto (randomUUID, randomBytes, randomInt).' },
      ],
    },
  },

  {
    // The architecture (src/README.md): imports point down the layers, and into
    // another folder only through its index.ts. Functions stay short enough to
    // hold in one's head; a factory returns named functions rather than being one.
    name: 'interlock/architecture',
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    plugins: { interlock: layers },
    rules: {
      'interlock/layers': 'error',
      'interlock/through-index': 'error',
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },

  {
    name: 'interlock/tests',
    files: ['**/*.test.ts'],
    rules: {
      // A test that reaches a missing value should crash at the `!`: the
      // failure is the assertion.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Negative tests feed hostile input on purpose ('javascript:' callback
      // URLs must be refused), and tests write and read files under the
      // mkdtemp() directories they create. Neither rule guards anything there.
      'no-script-url': 'off',
      'security/detect-non-literal-fs-filename': 'off',
    },
  },
);
