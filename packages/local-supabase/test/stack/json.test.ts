// The gateway's JSON helpers: stringifyJson writes what JSON.stringify writes, also past V8's recursion limit;
// hasLoneSurrogate finds what aeson refuses; decodeUtf8 refuses bytes that are not UTF-8.
import { describe, expect, it } from "vitest";
import { decodeUtf8, hasLoneSurrogate, stringifyJson } from "../../src/gateway/json.ts";

const nestedArrays = (depth: number, inner = "[]") => "[".repeat(depth - 1) + inner + "]".repeat(depth - 1);

describe("stringifyJson", () => {
  it("writes JSON.stringify's text for ordinary values", () => {
    const date = new Date(Date.UTC(2030, 0, 1));
    const samples: unknown[] = [
      null,
      true,
      0,
      -1.5,
      1e21,
      Number.NaN,
      'é\n"\u2028',
      [],
      {},
      [1, "a", null, undefined, () => 1],
      { a: 1, b: undefined, c: [{ d: "x" }], e: date, 'k"': Symbol("s") },
    ];
    for (const v of samples) expect(stringifyJson(v)).toBe(JSON.stringify(v));
  });

  it("writes 100,000 levels of arrays and objects, where JSON.stringify throws", () => {
    const arrays = nestedArrays(100_000, '[1,"x",{"k":null}]');
    const parsed = JSON.parse(arrays) as unknown;
    expect(() => JSON.stringify(parsed)).toThrow(RangeError);
    expect(stringifyJson(parsed)).toBe(arrays);

    const objects = '{"a":'.repeat(20_000) + '{"b":[true,false]}' + "}".repeat(20_000);
    expect(stringifyJson(JSON.parse(objects))).toBe(objects);
  });

  it("skips undefined members and writes null for them in arrays, deep as shallow", () => {
    let deep: unknown = { keep: 1, drop: undefined, list: [undefined, 2] };
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const text = stringifyJson(deep);
    expect(text.endsWith('{"keep":1,"list":[null,2]}' + "]".repeat(10_000))).toBe(true);
  });

  it("still throws TypeError for a cycle", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => stringifyJson(a)).toThrow(TypeError);
  });
});

describe("hasLoneSurrogate", () => {
  const check = (raw: string) => hasLoneSurrogate(JSON.parse(raw), raw);
  it("finds a lone high or low surrogate in a value or a key, at any depth", () => {
    expect(check('{"body":"\\ud800"}')).toBe(true);
    expect(check('{"body":"a\\uDC00b"}')).toBe(true);
    expect(check('{"\\ud83d":1}')).toBe(true);
    expect(check(nestedArrays(50_000, '["\\ud800"]'))).toBe(true);
  });

  it("accepts surrogate pairs, U+FFFD itself and an escaped backslash before u", () => {
    expect(check('{"body":"\\ud83d\\ude00 😀"}')).toBe(false);
    expect(check('{"body":"\\ufffd �"}')).toBe(false);
    expect(check('{"body":"\\\\ud800"}')).toBe(false);
  });
});

describe("decodeUtf8", () => {
  it("decodes UTF-8 and refuses a CESU-8 surrogate or a stray byte", () => {
    expect(decodeUtf8(Buffer.from('{"a":"é"}'))).toBe('{"a":"é"}');
    expect(decodeUtf8(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBeUndefined();
    expect(decodeUtf8(Buffer.from([0x22, 0xff, 0x22]))).toBeUndefined();
  });
});
