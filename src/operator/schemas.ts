// JSON schemas of the admin API, compiled by Fastify at start (a bad schema
// fails the start, not a request). Every object refuses unknown properties.

const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{1,29}$' } as const;
const currency = { type: 'string', pattern: '^[A-Z]{3}$' } as const;
const correlationId = { type: 'string', pattern: '^([0-9a-f]{8}-[0-9a-f]{4}-[1-7][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|[0-9A-HJKMNP-TV-Z]{26})$' } as const;
/** An amount as a JSON number or a decimal string; its format and scale are checked by support/money. */
const amountValue = { type: ['number', 'string'], maxLength: 32 } as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const extensionList = {
  type: 'object',
  additionalProperties: false,
  required: ['extension'],
  properties: {
    extension: {
      type: 'array', minItems: 1, maxItems: 16,
      items: { type: 'object', additionalProperties: false, required: ['key', 'value'], properties: { key: text(32), value: text(128) } },
    },
  },
} as const;

export const params = {
  name: { type: 'object', required: ['name'], properties: { name } },
  account: { type: 'object', required: ['name', 'id'], properties: { name, id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } } },
  accountTransfer: {
    type: 'object', required: ['name', 'id', 'transferId'],
    properties: { name, id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' }, transferId: correlationId },
  },
  settlementModel: { type: 'object', required: ['name'], properties: { name: text(50) } },
} as const;

export const query = {
  currency: { type: 'object', additionalProperties: false, properties: { currency } },
  limits: { type: 'object', additionalProperties: false, properties: { currency, type: { type: 'string', enum: ['NET_DEBIT_CAP'] } } },
} as const;

export const bodies = {
  createParticipant: {
    type: 'object', additionalProperties: false, required: ['name', 'currency'],
    properties: { name, currency, isProxy: { type: 'boolean' } },
  },
  isActive: { type: 'object', additionalProperties: false, required: ['isActive'], properties: { isActive: { type: 'boolean' } } },
  hubAccount: {
    type: 'object', additionalProperties: false, required: ['currency', 'type'],
    properties: { currency, type: { type: 'string', enum: ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION'] } },
  },
  endpoint: { type: 'object', additionalProperties: false, required: ['type', 'value'], properties: { type: text(64), value: text(512) } },
  initialPositionAndLimits: {
    type: 'object', additionalProperties: false, required: ['currency', 'limit'],
    properties: {
      currency,
      limit: {
        type: 'object', additionalProperties: false, required: ['type', 'value'],
        properties: { type: { type: 'string', enum: ['NET_DEBIT_CAP'] }, value: amountValue },
      },
      initialPosition: amountValue,
    },
  },
  limits: {
    type: 'object', additionalProperties: false, required: ['currency', 'limit'],
    properties: {
      currency,
      limit: {
        type: 'object', additionalProperties: false, required: ['type', 'value'],
        properties: {
          type: { type: 'string', enum: ['NET_DEBIT_CAP'] },
          value: amountValue,
          alarmPercentage: { type: 'integer', minimum: 0, maximum: 100 },
        },
      },
    },
  },
  funds: {
    type: 'object', additionalProperties: false, required: ['transferId', 'externalReference', 'action', 'reason', 'amount'],
    properties: {
      transferId: correlationId,
      externalReference: text(256),
      action: { type: 'string', enum: ['recordFundsIn', 'recordFundsOutPrepareReserve'] },
      reason: text(512),
      amount: { type: 'object', additionalProperties: false, required: ['amount', 'currency'], properties: { amount: amountValue, currency } },
      extensionList,
    },
  },
  fundsDecision: {
    type: 'object', additionalProperties: false, required: ['action', 'reason'],
    properties: { action: { type: 'string', enum: ['recordFundsOutCommit', 'recordFundsOutAbort'] }, reason: text(512), extensionList },
  },
  settlementModel: {
    type: 'object', additionalProperties: false,
    required: ['name', 'settlementGranularity', 'settlementInterchange', 'settlementDelay', 'requireLiquidityCheck', 'ledgerAccountType', 'autoPositionReset', 'settlementAccountType'],
    properties: {
      name: text(50),
      settlementGranularity: { type: 'string', enum: ['GROSS', 'NET'] },
      settlementInterchange: { type: 'string', enum: ['BILATERAL', 'MULTILATERAL'] },
      settlementDelay: { type: 'string', enum: ['IMMEDIATE', 'DEFERRED'] },
      currency: { anyOf: [currency, { type: 'null' }] },
      requireLiquidityCheck: { type: 'boolean' },
      ledgerAccountType: text(64),
      autoPositionReset: { type: 'boolean' },
      settlementAccountType: text(64),
    },
  },
} as const;
