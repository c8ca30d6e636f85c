// Known answers for signed notes, from other implementations. For tests only.
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject } from 'node:crypto';

// golang.org/x/mod/sumdb/note's documented example: its key, text and signed note (Ed25519 is deterministic,
// so signing the text with the key must give this note byte for byte).
export const PETER_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
export const PETER_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
export const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
export const PETER_NOTE = `${PETER_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

// transparency-dev/formats (note/note_cosigv1_test.go): a type 0x01 key whose base64 holds a '+', a type 0x04
// cosignature key, and a cosignature line's base64 (key ID, timestamp 1727964367, signature).
export const PLUS_IN_BASE64_KEY = 'TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6';
export const REMORA_COSIGNATURE_KEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
export const COSIGNATURE_BASE64 = 'ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==';
export const COSIGNATURE_TIMESTAMP_S = 1727964367n;

/** The Ed25519 private key of a Go note signer key string (type byte 0x01, then the 32-byte seed). */
export function privateKeyOfGoSignerKey(signerKey: string): KeyObject {
  const material = Buffer.from(signerKey.split('+').slice(4).join('+'), 'base64');
  assert.equal(material[0], 0x01);
  const pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
  return createPrivateKey({ key: Buffer.concat([pkcs8Prefix, material.subarray(1)]), format: 'der', type: 'pkcs8' });
}
