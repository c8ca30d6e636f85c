// Test tool only: Mojaloop's JWS signer and validator from
// @mojaloop/sdk-standard-components (a devDependency) as an independent peer,
// for the interop tests. Runtime code never imports this file (index.ts does
// not export it).
import { createRequire } from 'node:module';

/** The request options the SDK's signer reads and fills in (axios style). */
export interface SdkRequestOptions {
  method: string;
  uri?: string;
  url?: string;
  /** Lower-case names, as the SDK builds them. */
  headers: Record<string, string>;
  body?: unknown;
  data?: unknown;
}

export interface SdkJwsSigner {
  /** Serialises an object body with safe-stable-stringify and sets fspiop-http-method, fspiop-uri and fspiop-signature. */
  sign(requestOptions: SdkRequestOptions): void;
  getSignature(requestOptions: SdkRequestOptions): string;
}

export interface SdkJwsValidator {
  /** Throws on any failure; the body must be the parsed body. */
  validate(request: { headers: Record<string, string>; body: unknown }): true;
}

interface SdkModule {
  Jws: {
    signer: new (config: { signingKey: string; logger: unknown }) => SdkJwsSigner;
    validator: new (config: { validationKeys: Record<string, string>; logger: unknown }) => SdkJwsValidator;
  };
}

import { SDK_SILENT_LOGGER } from './sdk_logger.ts';

const require = createRequire(import.meta.url);


let sdk: SdkModule | undefined;

/** The SDK's signer; an EC key must be a SEC1 PEM ("BEGIN EC PRIVATE KEY") for it to sign ES256, anything else it labels RS256. */
export function sdkJwsSigner(signingKeyPem: string): SdkJwsSigner {
  sdk ??= require('@mojaloop/sdk-standard-components') as SdkModule;
  return new sdk.Jws.signer({ signingKey: signingKeyPem, logger: SDK_SILENT_LOGGER });
}

/** The SDK's validator, with one PEM public key per FSPIOP-Source. */
export function sdkJwsValidator(validationKeys: Record<string, string>): SdkJwsValidator {
  sdk ??= require('@mojaloop/sdk-standard-components') as SdkModule;
  return new sdk.Jws.validator({ validationKeys, logger: SDK_SILENT_LOGGER });
}
