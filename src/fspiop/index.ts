// The FSPIOP protocol as data: error codes, headers, resources and
// operations, body rules, party identifiers, the APIs and the hub's name.
// Imports only support/.
export { FSPIOP_APIS, API_ROLES, OPERATION_USES, scopeOf, type FspiopApi, type ApiRole, type OperationUse } from './apis.ts';
export {
  EXTENSION_RESOURCES, FRAUD_CATEGORIES, FRAUD_DESCRIPTION_LENGTH_MAX, RISK_SIGNAL_LEVELS, NOTIFIED_VERDICTS, CASE_REFERENCE_LENGTH_MAX, SIGNAL_COUNT_MAX,
  type FraudCategory, type RiskSignalLevel, type NotifiedVerdict,
} from './extension.ts';
export { bodyIdentifierProblem, type BodyIdentifierProblem } from './body_identifiers.ts';
export { BODY_SHAPE_LIMITS, exceedsShapeLimit, checkBodyShape, prepareBodyValidation, SCHEMA_SET_NAMES, schemaSetFor, validateBody, type SchemaSetName } from './body_validation.ts';
export { fail, httpStatusFor, httpStatusOf, errorInformation, type ErrorCode, type Extension, type Failure, type FspiopResult, type ErrorInformation } from './errors.ts';
export {
  SUPPORTED_CONTENT_VERSIONS, SUPPORTED_VERSION_EXTENSIONS, DATE_SKEW_MS_MAX_DEFAULT, parseImfFixdate, formatImfFixdate, validateRequestHeaders, versionText,
  type FspiopVersion, type AcceptedVersion, type RequestHeaderFacts, type HeaderCheckOptions, type FspiopRequest, type RequestHeaderCheck, type HubMessage,
} from './headers.ts';
export { HUB_PARTICIPANT_NAME } from './hub.ts';
// The domains' hubHeaders (from "Hub", for a resource and recipient); headers.ts's is the lower-level form it builds on.
export { forwardableHeaders, hubHeaders, type Inbound, type SignedFacts } from './inbound.ts';
export { PARTY_IDENTIFIER_LENGTH_MAX, FSP_ID_LENGTH_MAX, PARTY_IDENTIFIER_RULES, hasNonAscii, partyIdentifierProblem, partySubIdProblem, fspIdProblem, type PartyIdentifierRule } from './party_identifiers.ts';
export {
  FSPIOP_RESOURCES, FSPIOP_METHODS, PARTY_ID_TYPES, OPERATIONS, EXTENSION_OPERATIONS, OPERATION_KEYS, isOperationKey, isPartyIdType, allowedMethodsAt, refusedLookAlike, resolveOperation,
  type FspiopResource, type FspiopMethod, type PartyIdType, type Operation, type OperationKey, type PathParameters, type ResolvedOperation,
} from './resources.ts';
export { sendFailure, sendResult } from './replies.ts';
