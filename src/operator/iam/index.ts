// Operator identity: the authorization server (oidc-provider), operators
// (argon2id, TOTP, lock-out), automation clients, the sign-in pages, token
// verification (jose) and external issuers.
export { createIam, type Iam, type IamRuntime, type ExternalIssuer } from './iam.ts';
export { ADMIN_API_AUDIENCE, PORTAL_CLIENT_ID, OIDC_PATH, INTERACTION_PATH, issuerOf, portalRedirectUri } from './authorization_server.ts';
export { bootstrapIam, bootstrapMayActAlone, BOOTSTRAP_USERNAME, type AutomationCredential, type AutomationCredentials } from './bootstrap.ts';
export { createOperatorStore, operatorView, isUsername, type OperatorStore } from './operators.ts';
export { createClientStore, clientView, type ClientStore } from './clients.ts';
export { discoverExternalIssuer } from './external_issuer.ts';
export { participantTokenHandler } from './oidc_routes.ts';
export { verifyAccessToken, type TrustedIssuer, type TokenCheck } from './token_verifier.ts';
export { createBrowser, fetchTransport, injectTransport, signIn, formOf, type Browser } from './browser.ts';
export { totpCode } from './totp.ts';
