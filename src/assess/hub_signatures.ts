// Whether what the hub sends the test participants carries a valid
// FSPIOP-Signature: messages the hub forwards are verified with the sender's
// key, messages the hub originates (its error callbacks, its notices) with
// the hub's published keys (GET /hub/jwks), exactly as a DFSP would verify them.
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { verifySignature, type VerificationKey } from '../signature/index.ts';
import type { Arrival } from '../sim/index.ts';
import type { AssessContext } from './context.ts';
import { CONTROLS, fail, verdict, type Probe } from './probe.ts';

async function hubKeys(context: AssessContext): Promise<VerificationKey[]> {
  const answer = await context.admin.text('/hub/jwks');
  if (answer.status !== 200) throw new Error(`GET /hub/jwks answered HTTP ${answer.status}`);
  const { keys } = JSON.parse(answer.text) as { keys?: (JsonWebKey & { kid?: string })[] };
  return (keys ?? []).map((jwk) => ({ kid: jwk.kid ?? '', publicKey: createPublicKey({ key: jwk, format: 'jwk' }) }));
}

interface Checked { readonly path: string; readonly source: string; readonly ok: boolean; readonly reason?: string }

export const HUB_SIGNATURE_PROBE: Probe<AssessContext> = {
  id: 'messages.hub-signs-what-it-sends', family: 'messages', control: CONTROLS.jws, asvs: ['v5.0.0-4.1.5', 'v5.0.0-11.6.1'],
  expectation: 'every callback the test participants received with a body carries an FSPIOP-Signature that verifies: the sender\'s key for what the hub forwards, the hub\'s published key for what it originates',
  async run(context) {
    const own = new Map<string, VerificationKey[]>([context.payer, context.payee].map((p) => [p.name, [{ kid: p.credentials.signingKey.kid, publicKey: p.credentials.signingKey.publicKey }]]));
    const hub = await hubKeys(context);
    const arrivals: Arrival[] = [...context.payer.arrivals, ...context.payee.arrivals].filter((a) => a.rawBody !== undefined && a.rawBody !== '' && a.headers !== undefined);
    if (arrivals.length === 0) return fail('no callbacks with a body arrived to check (run the messages family)');
    const checked: Checked[] = [];
    for (const arrival of arrivals) {
      const verification = await verifySignature({ method: arrival.operation.method, fspiopUri: arrival.path, headers: arrival.headers ?? {}, rawBody: Buffer.from(arrival.rawBody ?? '', 'utf8') }, own.get(arrival.source) ?? hub);
      checked.push({ path: `${arrival.operation.method} ${arrival.path}`, source: arrival.source, ok: verification.ok, ...(verification.ok ? {} : { reason: verification.reason }) });
    }
    const failed = checked.filter((c) => !c.ok);
    const fromHub = checked.filter((c) => !own.has(c.source));
    return verdict(failed.length === 0 && fromHub.length > 0, `${checked.length} callbacks verified, ${fromHub.length} of them originated by the hub (${[...new Set(fromHub.map((c) => c.source))].join(', ') || 'none'}); ${failed.length} failed`,
      { checked: checked.length, hubOriginated: fromHub.length, failed: failed.slice(0, 10) });
  },
};
