// `interlock evidence TRANSFER_ID [--json]`: verifies again, on the live
// database, every signed message the hub kept about a transfer, with the key
// each was signed with. Exit 0 when every one verifies, 1 otherwise (or when
// there is none).
import type { Config } from '../config/index.ts';
import { createSigningKeyRegistry } from '../participants/index.ts';
import { openStorage, redactStorageUrl } from '../storage/index.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import { systemClock, isCorrelationId } from '../support/index.ts';
import { verifyEvidence } from './evidence.ts';

export async function runEvidenceCommand(transferId: string, config: Config, asJson: boolean, write: (text: string) => void = (text) => { process.stdout.write(text); }): Promise<number> {
  if (!isCorrelationId(transferId)) {
    write(`evidence: ${JSON.stringify(String(transferId).slice(0, 64))} is not a transfer id (a UUID or ULID)\n`);
    return 2;
  }
  const storage = openStorage(config.storage.url);
  try {
    await storage.migrate(MIGRATIONS);
    const keys = createSigningKeyRegistry({ db: storage.db, engine: storage.engine, clock: systemClock });
    const verdicts = await verifyEvidence(storage.db, transferId, async (participant, kid) => {
      const listed = await keys.list(participant);
      return listed.ok ? listed.value.find((key) => key.kid === kid)?.publicKeyPem : undefined;
    });
    const ok = verdicts.length > 0 && verdicts.every((v) => v.verdict === 'verified');
    if (asJson) {
      write(JSON.stringify({ transferId, ok, messages: verdicts }) + '\n');
    } else {
      write(`evidence for transfer ${transferId} on ${storage.engine} (${redactStorageUrl(config.storage.url)}): ${verdicts.length} signed message(s)\n`);
      for (const v of verdicts) {
        write(`  ${v.verdict === 'verified' ? 'VERIFIED' : 'FAILED  '}  ${v.operation.padEnd(28)} from ${v.source} at ${v.receivedAt}, key ${v.kid}, body sha256 ${v.bodySha256}${v.reason === undefined ? '' : `: ${v.reason}`}\n`);
      }
      if (verdicts.length === 0) write('  no signed message is kept for this transfer\n');
    }
    return ok ? 0 : 1;
  } finally {
    await storage.close();
  }
}
