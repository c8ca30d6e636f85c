// What a database reader (a replica, a backup, a DBA) gets of operators'
// sessions: after a real sign-in through the portal and a refresh-token
// rotation, no column of portal_sessions or oidc_payloads holds a token, a
// code, a cookie or a session id in any form; what can be read there does not
// work when presented; and a sealed row moved to another row does not open.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kysely } from 'kysely';
import * as oauth from 'oauth4webapi';
import { describeOnEachEngine } from '../testing/engines.ts';
import type { Storage } from '../storage/index.ts';
import { PORTAL_CLIENT_ID } from '../operator/iam/authorization_server.ts';
import { createBrowser, injectTransport, signIn, type Browser } from '../operator/iam/browser.ts';
import { totpCode } from '../operator/iam/totp.ts';
import { authorizationServerOf, createTestAdminApi, inProcess, type TestAdminApi } from '../testing/admin_api.ts';
import { SESSION_COOKIE } from './cookies.ts';
import { createPortalSessions, type PortalSession } from './sessions.ts';
import { up as dropClearSessions } from '../migrations/0050_sealed_sessions.ts';
import { testTables } from '../testing/tables.ts';

const PUBLIC_URL = 'http://hub.test';
const isPortalCallback = (url: URL) => url.pathname === '/portal/callback';

/** oidc-provider's models this file looks values up in (its declarations leave some out). */
interface Finder { find(value: string): Promise<unknown> }
const modelsOf = (provider: unknown) => provider as { Session: Finder; Grant: Finder; RefreshToken: Finder };

describeOnEachEngine('operators\' sessions at rest', (context) => {
  let storage: Storage;
  let api: TestAdminApi;
  let offsetMs = 0;
  const clock = { nowMs: () => Date.now() + offsetMs };
  /** Every bearer value the sign-in and the refresh produced, by what it is. */
  const secrets = new Map<string, string>();
  let browser: Browser;
  /** Every refresh token issued in this file, rotated or not. */
  const refreshTokens = new Set<string>();

  async function sessionOf(handle: string): Promise<PortalSession | undefined> {
    return createPortalSessions({ db: storage.db, clock, secretBox: api.iam.secretBox }).find(handle);
  }

  async function rowsOf(table: 'portal_sessions' | 'oidc_payloads'): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = await testTables(storage.db).selectFrom(table).selectAll().execute();
    return rows;
  }

  before(async () => {
    storage = context.storage;
    api = await createTestAdminApi(storage, { clock, publicUrl: PUBLIC_URL });
    const iam = api.iam;
    const created = await iam.operators.create({ username: 'robin', displayName: 'Robin Reader' }, 'test');
    assert.ok(created.ok);
    browser = createBrowser(injectTransport(api.app), PUBLIC_URL);
    const outcome = await signIn(browser, '/portal/login', {
      username: 'robin', password: created.value.oneTimePassword, newPassword: 'a long enough passphrase 42',
      totp: (secret) => totpCode(secret ?? '', clock.nowMs()),
    }, isPortalCallback);
    assert.ok('callback' in outcome);
    assert.equal((await browser.get(outcome.callback)).status, 303, 'the portal takes the code and opens a session');
    const handle = browser.cookie(SESSION_COOKIE) ?? '';
    const first = await sessionOf(handle);
    assert.ok(first !== undefined);
    // The access token is close to expiry: the next page renews it by refresh-token rotation.
    offsetMs += 4.8 * 60_000;
    assert.match((await browser.get('/portal')).body, /Signed in as robin/);
    const second = await sessionOf(handle);
    assert.ok(second !== undefined);
    assert.notEqual(second.refreshToken, first.refreshToken);
    const collected: [string, string | undefined][] = [
      ['portal session cookie', handle],
      ['form token', second.formToken],
      ['first access token', first.accessToken], ['first refresh token', first.refreshToken], ['first ID token', first.idToken],
      ['access token', second.accessToken], ['refresh token', second.refreshToken], ['ID token', second.idToken],
      ['authorization code', outcome.callback.searchParams.get('code') ?? undefined],
      ['authorization server session cookie', browser.cookie('_session')],
    ];
    for (const [name, value] of collected) {
      assert.ok(value !== undefined && value.length >= 20, `${name} was seen`);
      secrets.set(name, value);
    }
    // The grant id travels inside every access token; the grant's row must not be findable by it either.
    const grantId = (JSON.parse(Buffer.from(second.accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { grant_id: string }).grant_id;
    secrets.set('grant id', grantId);
    refreshTokens.add(first.refreshToken).add(second.refreshToken);
  });
  after(async () => {
    await api.close();
  });

  test('no stored column holds a token, code, cookie or session id, nor its bytes in base64', async () => {
    for (const table of ['portal_sessions', 'oidc_payloads'] as const) {
      const rows = await rowsOf(table);
      assert.ok(rows.length > 0, `${table} has rows`);
      for (const row of rows) {
        for (const [column, stored] of Object.entries(row)) {
          if (typeof stored !== 'string') continue;
          for (const [name, value] of secrets) {
            const forms = [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url'), Buffer.from(value).toString('hex')];
            assert.ok(!forms.some((form) => stored.includes(form)), `${table}.${column} holds the ${name}`);
          }
        }
      }
    }
  });

  test('values read from portal_sessions do not open a session when presented as the cookie', async () => {
    for (const row of await rowsOf('portal_sessions')) {
      for (const stored of Object.values(row)) {
        if (typeof stored !== 'string') continue;
        const home = await api.app.inject({ method: 'GET', url: '/portal', headers: { host: 'hub.test', cookie: `${SESSION_COOKIE}=${stored}` } });
        assert.match(home.body, /Not signed in/, 'a stored value is not a session');
      }
    }
  });

  test('values read from oidc_payloads are not refresh tokens, sessions or grants at the authorization server', async () => {
    const { provider, issuer, keys } = await api.iam.started();
    const as = await authorizationServerOf(api.app, issuer);
    const client: oauth.Client = { client_id: PORTAL_CLIENT_ID };
    const auth = oauth.PrivateKeyJwt({ key: await crypto.subtle.importKey('jwk', keys.portalClient.privateJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']), kid: keys.portalClient.kid });
    const rows = await rowsOf('oidc_payloads');
    const refreshRows = rows.filter((row) => row['model'] === 'RefreshToken');
    assert.ok(refreshRows.length >= 2, 'the rotated and the current refresh token are stored');
    for (const row of rows) {
      for (const column of ['id', 'grant_id', 'uid'] as const) {
        const stored = row[column];
        if (typeof stored !== 'string') continue;
        const response = await oauth.refreshTokenGrantRequest(as, client, auth, stored, inProcess(api.app));
        assert.equal(response.status, 400, `oidc_payloads.${column} of a ${String(row['model'])} is refused as a refresh token`);
        assert.equal((await response.json() as { error: string }).error, 'invalid_grant');
        assert.equal(await modelsOf(provider).Session.find(stored), undefined);
        assert.equal(await modelsOf(provider).Grant.find(stored), undefined);
      }
    }
    // The real one still works (the refusals above were for the values, not for the client).
    const current = await sessionOf(secrets.get('portal session cookie') ?? '');
    assert.ok(current !== undefined);
    const rotated = await oauth.refreshTokenGrantRequest(as, client, auth, current.refreshToken, inProcess(api.app));
    assert.equal(rotated.status, 200);
    refreshTokens.add((await rotated.json() as { refresh_token: string }).refresh_token);
  });

  test('a sealed row copied over another row does not open there', async () => {
    // A second session of the same operator, then the first's sealed data moved onto it.
    const sessions = createPortalSessions({ db: storage.db, clock, secretBox: api.iam.secretBox });
    const handle = secrets.get('portal session cookie') ?? '';
    const mine = await sessions.find(handle);
    assert.ok(mine !== undefined);
    const other = await sessions.create({ ...mine, accessToken: 'another.access.token' });
    const rows = await testTables(storage.db).selectFrom('portal_sessions').selectAll().where('kind', '=', 'SESSION').execute();
    assert.equal(rows.length, 2);
    const [first, second] = rows as [typeof rows[number], typeof rows[number]];
    await testTables(storage.db).updateTable('portal_sessions').set({ data: first.data }).where('id_hash', '=', second.id_hash).execute();
    const opened = await Promise.all([sessions.find(handle), sessions.find(other)]);
    assert.equal(opened.filter((s) => s === undefined).length, 1, 'the session whose row received another row\'s data does not open');

    // The same at the authorization server: one refresh token's sealed payload moved onto every other refresh token's row.
    const { provider } = await api.iam.started();
    const refresh = await testTables(storage.db).selectFrom('oidc_payloads').selectAll().where('model', '=', 'RefreshToken').execute();
    const [source] = refresh;
    assert.ok(source !== undefined && refresh.length >= 3);
    await testTables(storage.db).updateTable('oidc_payloads').set({ payload: source.payload, consumed_at_ms: null }).where('model', '=', 'RefreshToken').execute();
    const values = [...refreshTokens];
    const found = (await Promise.all(values.map((value) => modelsOf(provider).RefreshToken.find(value)))).filter((t) => t !== undefined);
    assert.equal(found.length, 1, 'only the row the payload was sealed for opens it');
  });

  test('upgrading drops what an earlier version stored in clear; such a row would not open anyway', async () => {
    const nowMs = clock.nowMs();
    const clearSession = { operatorId: 'x', username: 'robin', formToken: 'f', accessToken: 'clear.access.token', accessExpiresAtMs: nowMs + 60_000, refreshToken: 'clear-refresh', idToken: 'clear.id.token' };
    await testTables(storage.db).insertInto('portal_sessions').values({ id_hash: 'clear-row', kind: 'SESSION', operator_id: 'x', data: JSON.stringify(clearSession), created_at_ms: nowMs, last_used_at_ms: nowMs, expires_at_ms: nowMs + 60_000 }).execute();
    await testTables(storage.db).insertInto('oidc_payloads').values({ model: 'RefreshToken', id: 'clear-refresh', payload: '{"jti":"clear-refresh"}', grant_id: null, uid: null, user_code: null, account_id: 'x', expires_at_ms: nowMs + 60_000, consumed_at_ms: null }).execute();
    const { provider } = await api.iam.started();
    assert.equal(await modelsOf(provider).RefreshToken.find('clear-refresh'), undefined, 'a clear row is not found by its value');
    await dropClearSessions(storage.db as unknown as Kysely<unknown>, context.engine);
    assert.deepEqual(await rowsOf('portal_sessions'), []);
    assert.deepEqual(await rowsOf('oidc_payloads'), []);
  });
});
