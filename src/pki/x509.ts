// The one door to @peculiar/x509. Its dependency-injection container reads
// Reflect metadata when the module is evaluated, so the polyfill must be
// loaded first: ES modules evaluate their imports in source order, and every
// PKI module imports the library through this file. Every call is also given
// node's WebCrypto explicitly (`nodeCrypto`), rather than the library's global
// provider, which any other module could replace.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

export * as x509 from '@peculiar/x509';

export const nodeCrypto = webcrypto;

/** WebCrypto's key types, which Node declares under webcrypto rather than as globals. */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
