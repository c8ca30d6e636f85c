// What a probe of `interlock assess` is and what it reports: the seed's
// control it tests (named exactly as the seed names it), the OWASP ASVS 5.0.0
// requirements it covers, what the control must do, and what the hub did,
// with the evidence (what was sent and what came back).

/** The seed's controls, by the exact names reports and the ASVS document use. */
export const CONTROLS = {
  transport: 'Transport: mTLS bound to participant identity, scheme PKI',
  jws: 'Messages: JWS on every request and on what the hub originates',
  ilp: 'Messages: ILP condition/fulfilment',
  idempotency: 'Messages: idempotency and strict state transitions',
  allowlist: 'Edge: IP allow-lists',
  tokens: 'Edge: certificate-bound OAuth2 tokens',
  permissions: 'Edge: permissions',
  limits: 'Edge: rate and size limits',
  rbac: 'People: OAuth2/OIDC and RBAC',
  makerChecker: 'People: maker-checker',
  audit: 'People: tamper-evident audit log',
  frms: 'Risk: FRMS',
  assurance: 'Assurance',
} as const;

export type Control = (typeof CONTROLS)[keyof typeof CONTROLS];

export const FAMILIES = ['transport', 'messages', 'tokens', 'gateway', 'maker_checker', 'audit', 'risk'] as const;
export type Family = (typeof FAMILIES)[number];

export type Outcome = 'pass' | 'fail' | 'not-applicable';

/** One probe's definition: what it tests and why; `regressionOfFinding` names the finding of the outside penetration test (issue 13) whose return it would catch. */
export interface ProbeDefinition {
  readonly id: string;
  readonly family: Family;
  readonly control: Control;
  /** OWASP ASVS 5.0.0 requirement ids, v5.0.0-x.y.z. */
  readonly asvs: readonly string[];
  readonly expectation: string;
  /** The finding of issue 13 whose fix this probe expects (it fails on a hub without that fix). */
  readonly regressionOfFinding?: number;
}

export interface ProbeResult extends ProbeDefinition {
  readonly outcome: Outcome;
  /** What the hub did, in a sentence. */
  readonly observed: string;
  /** What was sent and what came back: status codes, FSPIOP error codes, reasons. */
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly durationMs: number;
}

/** What a probe's body answers: its verdict, what it saw, and the evidence for it. */
export interface Verdict {
  readonly outcome: Outcome;
  readonly observed: string;
  readonly evidence?: Readonly<Record<string, unknown>>;
}

export interface Probe<Context> extends ProbeDefinition {
  run(context: Context): Promise<Verdict>;
}

export const pass = (observed: string, evidence: Record<string, unknown> = {}): Verdict => ({ outcome: 'pass', observed, evidence });
export const fail = (observed: string, evidence: Record<string, unknown> = {}): Verdict => ({ outcome: 'fail', observed, evidence });
export const notApplicable = (observed: string, evidence: Record<string, unknown> = {}): Verdict => ({ outcome: 'not-applicable', observed, evidence });

/** pass when `ok`, else fail, with the same observation and evidence. */
export const verdict = (ok: boolean, observed: string, evidence: Record<string, unknown> = {}): Verdict => (ok ? pass : fail)(observed, evidence);
