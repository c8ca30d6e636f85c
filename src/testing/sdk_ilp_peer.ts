// Test tool only: Mojaloop's @mojaloop/sdk-standard-components (a
// devDependency) as an independent ILP peer, for sdk_interop.test.ts and
// testing/generate_ilp_vectors.ts. Runtime code never imports this file (index.ts does
// not export it).
import { createRequire } from 'node:module';

export interface SdkIlpTerms {
  readonly fulfilment: string;
  readonly condition: string;
  readonly ilpPacket: string;
}

/** The part of the SDK's IlpV1 / IlpV4 classes the tests use. */
export interface SdkIlp {
  getQuoteResponseIlp(quoteRequest: unknown, quoteResponse: unknown): SdkIlpTerms;
  calculateFulfil(ilpPacket: string): string;
  validateFulfil(fulfilment: string, condition: string): boolean;
  decodeIlpPacket(ilpPacket: string): Record<string, unknown>;
  getTransactionObject(ilpPacket: string): unknown;
  validateIlpAgainstTransferRequest(transfer: unknown): boolean;
}

interface SdkModule {
  Ilp: {
    ilpFactory(version: string, options: { secret: string; logger: unknown }): SdkIlp;
    ILP_VERSIONS: { v1: string; v4: string };
  };
}

import { SDK_SILENT_LOGGER } from './sdk_logger.ts';

const require = createRequire(import.meta.url);


let sdk: SdkModule | undefined;

export function sdkIlp(version: 'v1' | 'v4', secret: string): SdkIlp {
  sdk ??= require('@mojaloop/sdk-standard-components') as SdkModule;
  return sdk.Ilp.ilpFactory(sdk.Ilp.ILP_VERSIONS[version], { secret, logger: SDK_SILENT_LOGGER });
}

/** The SDK's serialiser (safe-stable-stringify), resolved from the SDK's own dependencies. */
export function sdkStringify(value: unknown): string | undefined {
  const fromSdk = createRequire(require.resolve('@mojaloop/sdk-standard-components'));
  return (fromSdk('safe-stable-stringify') as (v: unknown) => string | undefined)(value);
}
