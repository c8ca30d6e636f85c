// The FSPIOP operations the hub knows, and the mapping from an HTTP method and
// request target to one of them, with its path parameters checked. The same
// table drives scripts/build-fspiop-schemas.ts, so the generated schema file
// has exactly one entry per operation listed here.
import { fail, type Failure, type FspiopResult } from './errors.ts';
import { ok, isCorrelationId } from '../support/index.ts';
import { hasNonAscii, partyIdentifierProblem, partySubIdProblem } from './party_identifiers.ts';
import { EXTENSION_RESOURCES } from './extension.ts';

export const FSPIOP_RESOURCES = ['participants', 'parties', 'quotes', 'transfers', ...EXTENSION_RESOURCES] as const;
export type FspiopResource = (typeof FSPIOP_RESOURCES)[number];

export const FSPIOP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
export type FspiopMethod = (typeof FSPIOP_METHODS)[number];

/** FSPIOP v1.1 PartyIdType. */
export const PARTY_ID_TYPES = ['MSISDN', 'EMAIL', 'PERSONAL_ID', 'BUSINESS', 'DEVICE', 'ACCOUNT_ID', 'IBAN', 'ALIAS'] as const;
export type PartyIdType = (typeof PARTY_ID_TYPES)[number];

function operation<M extends FspiopMethod, P extends `/${FspiopResource}${string}`>(method: M, path: P, hubReceives: boolean) {
  return { key: `${method} ${path}` as const, method, path, hubReceives };
}

/**
 * Every operation the hub handles. `hubReceives` is false for PATCH
 * /transfers/{ID}: the hub sends that commit notification to a payee and
 * never accepts one, but its body schema is kept so the hub's own PATCH bodies
 * can be checked against the specification.
 */
export const OPERATIONS = [
  operation('POST', '/participants', true),
  operation('PUT', '/participants/{ID}', true),
  operation('PUT', '/participants/{ID}/error', true),
  operation('GET', '/participants/{Type}/{ID}', true),
  operation('POST', '/participants/{Type}/{ID}', true),
  operation('PUT', '/participants/{Type}/{ID}', true),
  operation('DELETE', '/participants/{Type}/{ID}', true),
  operation('PUT', '/participants/{Type}/{ID}/error', true),
  operation('GET', '/participants/{Type}/{ID}/{SubId}', true),
  operation('POST', '/participants/{Type}/{ID}/{SubId}', true),
  operation('PUT', '/participants/{Type}/{ID}/{SubId}', true),
  operation('DELETE', '/participants/{Type}/{ID}/{SubId}', true),
  operation('PUT', '/participants/{Type}/{ID}/{SubId}/error', true),
  operation('GET', '/parties/{Type}/{ID}', true),
  operation('PUT', '/parties/{Type}/{ID}', true),
  operation('PUT', '/parties/{Type}/{ID}/error', true),
  operation('GET', '/parties/{Type}/{ID}/{SubId}', true),
  operation('PUT', '/parties/{Type}/{ID}/{SubId}', true),
  operation('PUT', '/parties/{Type}/{ID}/{SubId}/error', true),
  operation('POST', '/quotes', true),
  operation('GET', '/quotes/{ID}', true),
  operation('PUT', '/quotes/{ID}', true),
  operation('PUT', '/quotes/{ID}/error', true),
  operation('POST', '/transfers', true),
  operation('GET', '/transfers/{ID}', true),
  operation('PUT', '/transfers/{ID}', true),
  operation('PUT', '/transfers/{ID}/error', true),
  operation('PATCH', '/transfers/{ID}', false),
] as const;

/**
 * The Interlock extension of the API (docs/fspiop-extensions.md): the FRMS's sharing with DFSPs. Not in
 * Mojaloop's definitions, so not in the generated schema files: their bodies are extension.ts's. The
 * callbacks are the hub's to send (hubReceives false); a DFSP sending one is refused.
 */
export const EXTENSION_OPERATIONS = [
  operation('POST', '/fraudReports', true),
  operation('PUT', '/fraudReports/{ID}', false),
  operation('PUT', '/fraudReports/{ID}/error', false),
  operation('GET', '/riskSignals/{Type}/{ID}', true),
  operation('PUT', '/riskSignals/{Type}/{ID}', false),
  operation('PUT', '/riskSignals/{Type}/{ID}/error', false),
  operation('PUT', '/riskNotifications/{ID}', false),
] as const;

export type Operation = (typeof OPERATIONS)[number] | (typeof EXTENSION_OPERATIONS)[number];
export type OperationKey = Operation['key'];

/** The FSPIOP operations and the extension's. */
const ALL_OPERATIONS: readonly Operation[] = [...OPERATIONS, ...EXTENSION_OPERATIONS];

export const OPERATION_KEYS: readonly OperationKey[] = ALL_OPERATIONS.map((op) => op.key);

export function isOperationKey(value: unknown): value is OperationKey {
  return typeof value === 'string' && (OPERATION_KEYS as readonly string[]).includes(value);
}

export function isPartyIdType(value: unknown): value is PartyIdType {
  return typeof value === 'string' && (PARTY_ID_TYPES as readonly string[]).includes(value);
}

/** The checked path parameters of a request; which are present depends on the operation. */
export interface PathParameters {
  readonly type?: PartyIdType;
  /** A CorrelationId (quotes, transfers, bulk participants) or a PartyIdentifier (after {Type}), percent-decoded. */
  readonly id?: string;
  /** PartySubIdOrType, percent-decoded. */
  readonly subId?: string;
}

export interface ResolvedOperation {
  readonly key: OperationKey;
  readonly method: FspiopMethod;
  /** The path template, e.g. "/transfers/{ID}". */
  readonly path: string;
  readonly resource: FspiopResource;
  readonly params: PathParameters;
  /** The raw query string after '?', unparsed ('' when there is none). */
  readonly query: string;
}

type Segment = { readonly literal: string } | { readonly parameter: 'Type' | 'ID' | 'SubId' };

interface Route {
  readonly operation: Operation;
  readonly resource: FspiopResource;
  readonly segments: readonly Segment[];
  readonly literals: number;
  /** Under /participants/{Type} and /parties/{Type}, {ID} is a PartyIdentifier; elsewhere a CorrelationId. */
  readonly idIsPartyIdentifier: boolean;
}

function toRoute(op: Operation): Route {
  const segments: Segment[] = op.path.slice(1).split('/').map((part) => {
    if (part === '{Type}' || part === '{ID}' || part === '{SubId}') return { parameter: part.slice(1, -1) as 'Type' | 'ID' | 'SubId' };
    if (part.includes('{')) throw new Error(`resources: unknown path parameter in ${op.path}`);
    return { literal: part };
  });
  const first = segments[0];
  const resource = FSPIOP_RESOURCES.find((r) => first !== undefined && 'literal' in first && first.literal === r);
  if (resource === undefined) throw new Error(`resources: ${op.path} does not start with a known resource`);
  return {
    operation: op,
    resource,
    segments,
    literals: segments.filter((s) => 'literal' in s).length,
    idIsPartyIdentifier: segments.some((s) => 'parameter' in s && s.parameter === 'Type'),
  };
}

/** Only the operations a DFSP may send to the hub take part in routing. */
const ROUTES: readonly Route[] = ALL_OPERATIONS.filter((op) => op.hubReceives).map(toRoute);

{
  // Two operations with one method and one path would make routing ambiguous.
  const seen = new Set<string>();
  for (const op of ALL_OPERATIONS) {
    if (seen.has(op.key)) throw new Error(`resources: operation ${op.key} is listed twice`);
    seen.add(op.key);
  }
}

function splitTarget(target: string): { rawPath: string; query: string } {
  const at = target.indexOf('?');
  return at === -1 ? { rawPath: target, query: '' } : { rawPath: target.slice(0, at), query: target.slice(at + 1) };
}

/** Routes whose shape matches the path: same number of segments, literal segments equal byte for byte. */
function routesMatching(rawPath: string): { routes: Route[]; rawSegments: string[] } {
  if (!rawPath.startsWith('/')) return { routes: [], rawSegments: [] };
  const rawSegments = rawPath.slice(1).split('/');
  // No FSPIOP path has an empty segment ('//', or a trailing '/').
  if (rawSegments.some((s) => s === '')) return { routes: [], rawSegments };
  const routes = ROUTES.filter((route) =>
    route.segments.length === rawSegments.length &&
    route.segments.every((segment, i) => !('literal' in segment) || segment.literal === rawSegments[i]));
  return { routes, rawSegments };
}

/** The methods the hub accepts at this request target (for a 405's Allow header); empty for an unknown path. */
export function allowedMethodsAt(target: string): FspiopMethod[] {
  const { routes } = routesMatching(splitTarget(target).rawPath);
  return FSPIOP_METHODS.filter((method) => routes.some((route) => route.operation.method === method));
}

/** Refusals of an identifier that held characters outside ASCII: look-alikes, recorded as security events by the edge. */
const LOOK_ALIKE_REFUSALS = new WeakSet<Failure>();

/** Whether resolveOperation refused a path identifier for characters outside ASCII. */
export function refusedLookAlike(failure: Failure): boolean {
  return LOOK_ALIKE_REFUSALS.has(failure);
}

/** 3101: the API's "format of the parameter is not valid". */
function identifierRefusal(problem: string, value: string): FspiopResult<never> {
  const refusal = fail('3101', problem);
  if (hasNonAscii(value)) LOOK_ALIKE_REFUSALS.add(refusal.error);
  return refusal;
}

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined; // malformed percent-encoding or invalid UTF-8
  }
}

function checkParameters(route: Route, rawSegments: readonly string[]): FspiopResult<PathParameters> {
  let type: PartyIdType | undefined;
  let id: string | undefined;
  let subId: string | undefined;
  for (const [i, segment] of route.segments.entries()) {
    if ('literal' in segment) continue;
    const raw = rawSegments[i] ?? '';
    switch (segment.parameter) {
      case 'Type':
        // An enum value is plain ASCII: no percent-encoding accepted.
        if (!isPartyIdType(raw)) return fail('3100', `path parameter Type must be one of ${PARTY_ID_TYPES.join(', ')}`);
        type = raw;
        break;
      case 'ID':
        if (!route.idIsPartyIdentifier) {
          // CorrelationIds are ASCII; a percent-encoded one would let two spellings name one transfer.
          if (!isCorrelationId(raw)) return fail('3100', 'path parameter ID must be a lower-case UUID (versions 1-7) or a ULID');
          id = raw;
          break;
        }
        {
          const decoded = decodeSegment(raw);
          if (decoded === undefined) return fail('3101', 'path parameter ID is not valid percent-encoded UTF-8');
          // {Type} precedes {ID} in every path: the identifier is held to its type's rule.
          const problem = type === undefined ? 'path parameter ID has no Type' : partyIdentifierProblem(type, decoded, 'path parameter ID');
          if (problem !== undefined) return identifierRefusal(problem, decoded);
          id = decoded;
        }
        break;
      case 'SubId': {
        const decoded = decodeSegment(raw);
        if (decoded === undefined) return fail('3101', 'path parameter SubId is not valid percent-encoded UTF-8');
        const problem = partySubIdProblem(decoded, 'path parameter SubId');
        if (problem !== undefined) return identifierRefusal(problem, decoded);
        subId = decoded;
        break;
      }
      default: {
        const unreachable: never = segment.parameter;
        throw new Error(`resources: unhandled path parameter ${String(unreachable)}`);
      }
    }
  }
  return ok({
    ...(type === undefined ? {} : { type }),
    ...(id === undefined ? {} : { id }),
    ...(subId === undefined ? {} : { subId }),
  });
}

/**
 * The operation a request names. `target` is the request-target as received
 * (path and optional query). Unknown path → 3002 (404); a known path with a
 * method it does not take → 3000 with HTTP 405 (the caller sets Allow from
 * allowedMethodsAt); a bad Type or CorrelationId → 3100; a party identifier not of its type's form
 * (party_identifiers.ts), or broken encoding → 3101.
 *
 * Literal segments win over parameters, as in OpenAPI and Fastify's router: PUT
 * /parties/MSISDN/123/error is the error callback, never a PUT for SubId
 * "error". The specification leaves that SubId unreachable by PUT; GET and the
 * other methods, which have no /error form, still reach it.
 */
export function resolveOperation(method: string, target: string): FspiopResult<ResolvedOperation> {
  const { rawPath, query } = splitTarget(target);
  const { routes, rawSegments } = routesMatching(rawPath);
  if (routes.length === 0) return fail('3002', 'the path is not an FSPIOP resource this hub serves');
  const withMethod = routes.filter((route) => route.operation.method === method);
  if (withMethod.length === 0) {
    const allowed = FSPIOP_METHODS.filter((m) => routes.some((route) => route.operation.method === m));
    return fail('3000', `Method Not Allowed; this resource accepts ${allowed.join(', ')}`, { httpStatus: 405 });
  }
  // The most literal segments wins; the table is free of ties (checked by test).
  const route = withMethod.reduce((best, r) => (r.literals > best.literals ? r : best));
  const params = checkParameters(route, rawSegments);
  if (!params.ok) return params;
  return ok({
    key: route.operation.key,
    method: route.operation.method,
    path: route.operation.path,
    resource: route.resource,
    params: params.value,
    query,
  });
}
