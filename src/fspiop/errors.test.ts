import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorInformation, fail, httpStatusFor, httpStatusOf, type ErrorCode } from './errors.ts';

describe('the error catalogue', () => {
  it('knows the codes Mojaloop added to the specification, with their usual statuses', () => {
    const expected: [ErrorCode, number, RegExp][] = [
      ['2006', 503, /Party resolution failure/], ['3040', 400, /Delete Party information error/], ['3209', 404, /Bulk quote/],
      ['3210', 404, /Bulk transfer/], ['4100', 400, /Payer rejection/], ['4400', 400, /Payer blocked/], ['5001', 400, /insufficient liquidity/],
      ['5101', 400, /Payee rejected quote/], ['5102', 400, /unsupported transaction type/], ['5103', 400, /Payee FSP rejected quote/],
      ['5105', 400, /Payee FSP rejected transaction/], ['5106', 400, /Payee unsupported currency/], ['5107', 400, /no longer valid/],
      ['5200', 400, /Payee limit/], ['5300', 400, /Payee permission/], ['5400', 400, /Payee blocked/],
    ];
    for (const [code, status, name] of expected) {
      assert.equal(httpStatusFor(code), status, code);
      assert.match(errorInformation({ code, detail: '' }).errorInformation.errorDescription, name);
    }
  });

  it('keeps a plain failure as it was: code and detail only', () => {
    assert.deepEqual(fail('3100', 'x'), { ok: false, error: { code: '3100', detail: 'x' } });
    assert.deepEqual(errorInformation({ code: '3100', detail: 'x' }), { errorInformation: { errorCode: '3100', errorDescription: 'Generic validation error - x' } });
  });

  it('lets a failure carry its own HTTP status (3000 as 405) without changing the code\'s', () => {
    const { error } = fail('3000', 'Method Not Allowed', { httpStatus: 405 });
    assert.equal(httpStatusOf(error), 405);
    assert.equal(httpStatusFor('3000'), 400);
    assert.equal(httpStatusOf(fail('3000', '').error), 400);
  });

  it('sends extensions as the errorInformation extensionList, at most sixteen', () => {
    const extensions = Array.from({ length: 20 }, (_, i) => ({ key: String(i), value: 'v' }));
    const { error } = fail('3001', '', { extensions });
    const list = errorInformation(error).errorInformation.extensionList;
    assert.equal(list?.extension.length, 16);
    assert.deepEqual(list.extension[0], { key: '0', value: 'v' });
    assert.equal(fail('3001', '', { extensions: [] }).error.extensions, undefined, 'an empty list is left out');
  });
});
