import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leafHash } from './merkle.ts';
import { formatAddCheckpointRequest, formatSizeBody, parseAddCheckpointRequest, parseSizeBody } from './witness_protocol.ts';

const checkpoint = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const proof = [leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))];

describe('witness_protocol', () => {
  it('writes the request tlog-witness shows, and reads it back', () => {
    const body = formatAddCheckpointRequest({ oldSize: 20852014, proof, checkpoint });
    assert.match(body, /^old 20852014\n[A-Za-z0-9+/]{43}=\n[A-Za-z0-9+/]{43}=\n\nexample\.com\/behind-the-sofa\n/);
    const parsed = parseAddCheckpointRequest(Buffer.from(body));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.oldSize, 20852014);
    assert.deepEqual(parsed.value.proof.map((h) => Buffer.from(h)), proof);
    assert.equal(parsed.value.checkpoint, checkpoint);
  });

  it('refuses anything else, saying why', () => {
    const bad: [string, RegExp][] = [
      [`old 01\n\n${checkpoint}`, /decimal without leading zeros/],
      [`old -1\n\n${checkpoint}`, /decimal/],
      [`new 5\n\n${checkpoint}`, /"old <size>"/],
      [`old 5\nnot base64\n\n${checkpoint}`, /proof line 1/],
      [`old 5\n${Buffer.alloc(31).toString('base64')}\n\n${checkpoint}`, /32-byte hash/],
      [`old 0\n${Buffer.alloc(32).toString('base64')}\n\n${checkpoint}`, /from size 0 carries no proof/],
      [`old 5\n${Buffer.alloc(32).toString('base64')}\n`, /not followed by an empty line/],
      [`old 5\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${checkpoint}`, /more than 63 proof lines/],
    ];
    for (const [body, reason] of bad) {
      const parsed = parseAddCheckpointRequest(Buffer.from(body));
      assert.ok(!parsed.ok, body);
      assert.match(parsed.error, reason);
    }
    assert.ok(!parseAddCheckpointRequest(Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a])).ok, 'not UTF-8');
  });

  it('writes and reads the 409 size body strictly', () => {
    assert.equal(formatSizeBody(42), '42\n');
    assert.equal(parseSizeBody('42\n'), 42);
    for (const text of ['42', '042\n', '-1\n', ' 4\n', '']) assert.equal(parseSizeBody(text), undefined, JSON.stringify(text));
  });
});
