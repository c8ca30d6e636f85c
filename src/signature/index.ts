// FSPIOP-Signature (JWS, detached payload): verification of what DFSPs send,
// signing of what the hub originates, the hub's own key and its JWK Set.
export { verifySignature, PROTECTED_FIELDS, type ProtectedField, type SignatureFailureReason, type SignatureRefusal, type SignatureVerification, type SignedRequest, type VerificationKey, type VerifiedSignature } from './verify_signature.ts';
export { signMessage, signOutgoingRequest, type MessageToSign, type OutgoingRequest, type ProtectedHeader, type SignedMessage, type SigningKey } from './sign_message.ts';
export { createHubSigningKey, loadHubSigningKey, loadOrCreateHubSigningKey, HubKeyError, HUB_KEY_FILE_NAME, type HubSigningKey } from './hub_key.ts';
export { jwksOf, publicJwkOf, type PublicJwk, type PublicSigningKey } from './jwks.ts';
export { fspiopUriOf } from './fspiop_uri.ts';
export { formatSignatureHeader, parseSignatureHeader, type SignatureParts } from './signature_header.ts';
export { SIGNATURE_LIMITS } from './limits.ts';
