// `interlock audit witness`: a tlog-witness for the logs whose keys are given.
// A DFSP or the regulator runs it, with no database: src/cli.ts hands it to
// `interlock audit` (src/audit/cli.ts) as one of its commands.
import { parseArgs } from 'node:util';
import { KEEPS_RUNNING, loadOrCreateEd25519Key, logVerifier, type AuditCliOutput } from '../audit/index.ts';
import { UsageError, systemClock, createLogger } from '../support/index.ts';
import type { Config } from '../config/index.ts';
import type { NoteVerifier } from '../translog/index.ts';
import { createWitnessServer } from './witness_server.ts';

function listenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65535) throw new UsageError(`--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:8460 or [::1]:8460`);
  return { host, port };
}

/** Starts `interlock audit witness` and returns it running (the CLI stops it on SIGINT or SIGTERM). */
export async function startWitness(args: readonly string[], config: Config, output: AuditCliOutput): Promise<{ readonly url: string; readonly verifierKey: string; close(): Promise<void> }> {
  const { values } = parseArgs({
    args: [...args], strict: true, allowPositionals: false,
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      'log-key': { type: 'string', multiple: true },
      key: { type: 'string' },
      name: { type: 'string' },
      state: { type: 'string' },
    },
  });
  if (values.listen === undefined || values.key === undefined || values.name === undefined || (values['log-key'] ?? []).length === 0) {
    throw new UsageError('witness needs --listen HOST:PORT, --log-key VKEY, --key FILE and --name NAME');
  }
  const { host, port } = listenAddress(values.listen);
  const logs = new Map<string, NoteVerifier[]>();
  for (const text of values['log-key'] ?? []) {
    const verifier = logVerifier(text, '--log-key');
    logs.set(verifier.name, [...(logs.get(verifier.name) ?? []), verifier]);
  }
  const key = loadOrCreateEd25519Key(values.key, 'witness key');
  if (key.created) output.stderr(`made a new witness key at ${key.path} (mode 0600): back it up\n`);
  const server = createWitnessServer({
    name: values.name, privateKey: key.privateKey, publicKey: key.publicKey, logs,
    statePath: values.state ?? `${values.key}.state.json`, clock: systemClock, log: createLogger(config.log.level),
  });
  const url = await server.listen(host, port);
  output.stdout(`witness ${values.name} listening at ${url} for ${[...logs.keys()].join(', ')}\nverifier key (for the hub's audit.witnesses): ${server.verifierKey}\n`);
  return { url, verifierKey: server.verifierKey, close: () => server.close() };
}

/** `interlock audit witness`: runs until SIGINT or SIGTERM. */
export async function runWitnessCommand(args: readonly string[], config: Config, output: AuditCliOutput): Promise<number> {
  const running = await startWitness(args, config, output);
  const stop = () => { running.close().then(() => process.exit(0), () => process.exit(1)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return KEEPS_RUNNING;
}

