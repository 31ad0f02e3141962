import { formatDuration, formatRateLimit, parseDurationMs, parseRateLimit } from "../../src/duration";

describe("one grammar for durations", () => {
  test.each([
    ["0", 0],
    ["500ms", 500],
    ["2s", 2000],
    ["1.5s", 1500],
    ["15m", 900_000],
    ["1h30m", 5_400_000],
    [" 90S ", 90_000],
  ])("%j is %d ms", (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  test.each(["", "10", "1.5", "abc", "5 s", "1h 30m", "-1s", "1d", "10sx"])("%j is refused", (text) => {
    expect(() => parseDurationMs(text, "customTimeouts.create")).toThrow(/customTimeouts\.create/);
  });

  test("a bare number is told to carry a unit", () => {
    expect(() => parseDurationMs("10")).toThrow(/needs a unit/);
  });

  test.each([0, 250, 2000, 90_000, 5_400_000])("formatDuration(%d) reads back", (ms) => {
    expect(parseDurationMs(formatDuration(ms))).toBe(ms);
  });
});

describe("one grammar for rates", () => {
  test.each([
    ["5/10s", { count: 5, windowMs: 10_000 }],
    ["10/500ms", { count: 10, windowMs: 500 }],
    ["30 / 1m", { count: 30, windowMs: 60_000 }],
    ["off", undefined],
    ["NONE", undefined],
  ])("%j", (text, limit) => expect(parseRateLimit(text)).toEqual(limit));

  test.each(["5", "5/10", "0/10s", "x/10s", "5/0s", "1.5/10s", "/10s", "5/"])("%j is refused", (text) => {
    expect(() => parseRateLimit(text, "provisionOnDemand:rateLimit")).toThrow(/provisionOnDemand:rateLimit/);
  });

  test.each(["5/10s", "10/500ms", "off"])("formatRateLimit reads back %j", (text) => {
    expect(formatRateLimit(parseRateLimit(text))).toBe(text);
  });
});
