// ILP for the hub and for simulated DFSPs: the packets Mojaloop DFSPs put in
// FSPIOP `ilpPacket` (v1 and v4, as @mojaloop/sdk-standard-components builds
// them), the fulfilment and condition derivations, and the checks the hub
// makes at prepare.
export { checkIlpPacket, checkPrepareAgainstIlp, parseCondition, type ParsedPrepareTerms, type PrepareIlpTerms } from './prepare_check.ts';
export {
  decodeIlpPacket,
  decodeIlpPacketBytes,
  encodeIlpPacket,
  encodeIlpPacketText,
  interledgerTime,
  isIlpAddress,
  type DecodedIlpPacket,
  type IlpPacket,
  type IlpV1Payment,
  type IlpV4Prepare,
  type IlpVersion,
} from './packet.ts';
export { conditionMatches, conditionOf, fulfilmentOf, quoteResponseIlp, ILP_V4_DESTINATION, type IlpTerms, type QuoteResponseTerms } from './terms.ts';
export { ilpAmountOf, sdkStableJson, transactionObject, v1AccountOf, type MojaloopAmount } from './transaction.ts';
export { ILP_PACKET_TEXT_LENGTH_MAX, ILP_PACKET_BYTES_MAX } from './limits.ts';
