// The scheme PKI of a test process: one throwaway CA (pki/testing.ts) that the
// hubs of the process are configured with (pki.dir), and each test DFSP's TLS
// certificate from it, made once. Callback servers share one server
// certificate: the hub checks a DFSP server's certificate against the scheme
// CA and the endpoint's host name, not against the recipient's fspId.
import { createTestPki, type TestPki } from '../pki/testing.ts';

export interface TestTls {
  readonly keyPem: string;
  /** The certificate then the issuing CA. */
  readonly certificateChainPem: string;
  /** The scheme's root and issuing CA: what a peer's certificate is verified against. */
  readonly caPems: readonly string[];
  readonly serialHex: string;
}

let pki: Promise<TestPki> | undefined;
const issued = new Map<string, Promise<TestTls>>();

/** This process's test CA (made at first use, removed when the process exits). */
export function testSchemePki(): Promise<TestPki> {
  if (pki === undefined) {
    pki = createTestPki({ schemeName: 'Interlock Test Scheme' });
    void pki.then((made) => { process.once('exit', () => { made.dispose(); }); });
  }
  return pki;
}

/** The TLS credentials of test DFSP `name` (client and server, localhost and 127.0.0.1). */
export function testTlsOf(name: string): Promise<TestTls> {
  let found = issued.get(name);
  if (found === undefined) {
    found = (async () => {
      const testPki = await testSchemePki();
      const credentials = await testPki.issue(name, { profile: 'both', lifetimeDays: 30 });
      return { keyPem: credentials.keyPem, certificateChainPem: credentials.certificateChainPem, caPems: testPki.caPems, serialHex: credentials.serialHex };
    })();
    issued.set(name, found);
  }
  return found;
}

/** Configuration overrides that make a hub use this process's test CA. */
export async function testPkiSettings(): Promise<{ 'pki.dir': string }> {
  return { 'pki.dir': (await testSchemePki()).dir };
}
