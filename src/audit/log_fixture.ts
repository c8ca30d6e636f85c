// Keys and entries for the audit log's tests. For tests only.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { type AuditEntry, auditText, ED25519_SIGNATURE_TYPE, ed25519NoteSigner, ed25519NoteVerifier, ed25519PublicKeyBytes, encodeEntry, formatVerifierKey, type NoteSigner, type NoteVerifier } from '../translog/index.ts';
import { pendingEntryOf } from './audit_log.ts';
import type { PendingEntry } from './sequencer.ts';
import { createLogger, type Logger } from '../support/index.ts';

export const TEST_ORIGIN = 'hub.example/interlock/audit';

export interface LogKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly signer: NoteSigner;
  readonly verifier: NoteVerifier;
  /** The verifier key string an auditor pins. */
  readonly verifierKey: string;
}

export function logKeys(origin = TEST_ORIGIN): LogKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    publicKey,
    signer: ed25519NoteSigner(origin, privateKey),
    verifier: ed25519NoteVerifier(origin, publicKey),
    verifierKey: formatVerifierKey(origin, ED25519_SIGNATURE_TYPE, ed25519PublicKeyBytes(publicKey)),
  };
}

/** The i-th test entry: an operator changing a participant's limit. */
export function testEntry(i: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    kind: 'operator-action',
    actor: `operator-${i % 3}`,
    actorRole: 'scheme-admin',
    action: i % 2 === 0 ? 'participant.limit.set' : 'participant.endpoint.set',
    target: { type: 'participant', id: auditText(`dfsp${i % 5}`) },
    before: { value: i },
    after: { value: i + 1 },
    result: { outcome: 'succeeded', reason: null },
    sourceAddress: '127.0.0.1',
    timeMs: 1_760_000_000_000 + i * 1000,
    ...overrides,
  };
}

export function pendingEntry(entry: AuditEntry): PendingEntry {
  const encoded = encodeEntry(entry);
  if (!encoded.ok) throw new Error(encoded.error);
  return pendingEntryOf(entry, encoded.value);
}

/** A logger whose JSON lines the test can read back. */
export function capturedLogger(): { readonly log: Logger; lines(): Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  return { log, lines: () => lines };
}
