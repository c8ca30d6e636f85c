// How the demo tells what happens, in plain lines: each FSPIOP hop (who sent
// what to whom), each decision the hub logged with the checks behind it, and
// each check the demo itself makes. The hub's and the simulators' JSON logs
// are read here and reduced to such lines; nothing else of them is printed.
import type { DestinationStream } from 'pino';
import type { SimTraffic } from '../sim/index.ts';

export type Print = (line: string) => void;

/**
 * What the hub checks for each operation it accepted, after the edge's checks
 * every request passes (route, Content-Type/Accept/Date headers, FSPIOP-Source
 * an active participant, body size and schema). Written from the services
 * (src/lookup, src/quotes, src/transfers); keep it in step with them.
 */
const HUB_CHECKS: Record<string, string> = {
  'POST /participants/{Type}/{ID}': 'fspId is the sender, which holds a position in the currency; no other FSP serves the party',
  'GET /parties/{Type}/{ID}': 'the hub\'s oracle names the FSP serving the party; that FSP is active and has a parties endpoint; the requester\'s waiting lookups are within bounds',
  'PUT /parties/{Type}/{ID}': 'the answer names the party in its path and its sender; FSPIOP-Destination\'s lookup of this party was waiting for this FSP',
  'POST /quotes': 'payer and payee fspId match FSPIOP-Source and -Destination; the payee is active with a quotes endpoint; the quoteId is new',
  'PUT /quotes/{ID}': 'the sender is the quote\'s payee FSP and FSPIOP-Destination its payer FSP; not a changed repeat',
  'POST /transfers': 'new transferId; FSPIOP-Source is payerFsp; amount valid for its currency; condition 32 bytes; expiration ahead and within the limit; both FSPs active; then reserved against liquidity and the net debit cap',
  'PUT /transfers/{ID}': 'the sender is the payee; the transfer is RESERVED and not expired; SHA-256(fulfilment) equals the condition; then committed',
  'GET /transfers/{ID}': 'the requester is the transfer\'s payer or payee',
};

const EDGE_CHECKS = 'route, headers, Date, source, schema';

function short(value: unknown): string {
  return typeof value === 'string' && value.length > 12 ? `${value.slice(0, 8)}…` : String(value);
}

function money(value: unknown): string {
  const m = value as { amount?: unknown; currency?: unknown } | undefined;
  return `${String(m?.amount)} ${String(m?.currency)}`;
}

/** One line's worth of what a message says. */
export function summarise(method: string, path: string, body: unknown): string {
  const b = (body ?? {}) as Record<string, unknown>;
  const segments = path.split('/').slice(1).map((s) => decodeURIComponent(s));
  const [resource, type = '', id = ''] = segments;
  if (path.endsWith('/error')) {
    const info = (b['errorInformation'] ?? {}) as { errorCode?: unknown; errorDescription?: unknown };
    return `error ${String(info.errorCode)}: ${String(info.errorDescription)}`;
  }
  switch (`${method} ${resource ?? ''}`) {
    case 'POST participants': return `"${String(b['fspId'])} serves ${type} ${id}"`;
    case 'PUT participants': return `registered: ${type} ${id} is served by ${String(b['fspId'])}`;
    case 'GET parties': return `who serves ${type} ${id}?`;
    case 'PUT parties': {
      const party = (b['party'] ?? {}) as { name?: unknown; partyIdInfo?: { fspId?: unknown } };
      return `${String(party.name)}, ${type} ${id}, at ${String(party.partyIdInfo?.fspId)}`;
    }
    case 'POST quotes': {
      const payee = (b['payee'] as { partyIdInfo?: { partyIdType?: unknown; partyIdentifier?: unknown } } | undefined)?.partyIdInfo;
      return `quote ${short(b['quoteId'])}: ${String(b['amountType'])} ${money(b['amount'])} to ${String(payee?.partyIdType)} ${String(payee?.partyIdentifier)}`;
    }
    case 'PUT quotes': return `transfer amount ${money(b['transferAmount'])}, ILP condition ${short(b['condition'])}, expires ${String(b['expiration'])}`;
    case 'POST transfers': return `transfer ${short(b['transferId'])}: ${money(b['amount'])} on condition ${short(b['condition'])}`;
    case 'GET transfers': return `state of transfer ${short(type)}?`;
    case 'PUT transfers':
    case 'PATCH transfers': return `${String(b['transferState'])}${b['fulfilment'] === undefined ? '' : `, fulfilment ${short(b['fulfilment'])}`}`;
    default: return '';
  }
}

function column(text: string, width: number): string {
  return text.length >= width ? text + ' ' : text.padEnd(width);
}

/** A hop as the simulator saw it. */
export function hopLine(traffic: SimTraffic): string {
  const arrow = traffic.direction === 'sent' ? `${traffic.dfsp} → hub` : `hub → ${traffic.dfsp}`;
  // A request the hub forwards keeps its sender's FSPIOP-Source; the hub's own messages come from "Hub".
  const origin = traffic.direction !== 'received' || traffic.source === undefined ? ''
    : traffic.source === 'Hub' ? ' (the hub\'s own message)' : ` (${traffic.source}'s message, forwarded)`;
  const what = `${traffic.method} ${traffic.path}`;
  return `  ${column(arrow, 18)}${column(what, 52)}${summarise(traffic.method, traffic.path, traffic.body)}${origin}`;
}

interface LogEntry {
  level?: number;
  msg?: string;
  operation?: string;
  source?: string;
  outcome?: string;
  code?: string;
  err?: { message?: string };
  reason?: string;
}

/** A pino destination that turns the hub's and the simulators' JSON log lines into the demo's plain ones. */
export function narratedLog(print: Print): DestinationStream {
  return {
    write(line: string): void {
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        return;
      }
      if (entry.msg === 'fspiop request' && entry.operation !== undefined) {
        const checks = HUB_CHECKS[entry.operation];
        const decided = `${entry.outcome ?? '?'}${entry.code === undefined ? '' : ` (${entry.code})`}`;
        print(`      hub checked ${EDGE_CHECKS}${checks === undefined ? '' : `; ${checks}`} → ${decided}`);
        return;
      }
      if ((entry.level ?? 0) >= 40) {
        const detail = entry.reason ?? entry.err?.message;
        print(`      ${(entry.level ?? 0) >= 50 ? 'error' : 'warning'}: ${entry.msg ?? ''}${detail === undefined ? '' : ` (${detail})`}`);
      }
    },
  };
}
