/**
 * `customTimeouts.create` bounds the whole create. The engine does not forward it to dynamic
 * providers, so the resource parses it and passes seconds on.
 */
import { createTimeoutSeconds as parseTimeoutSeconds } from "../../src/provisionOnDemand";

describe("customTimeouts.create is read as a Pulumi duration", () => {
  it.each([
    ["15m", 900],
    ["1h30m", 5400],
    ["90s", 90],
    ["500ms", 0.5],
    ["2h", 7200],
    ["1m30s", 90],
    ["1.5h", 5400],
    [" 10m ", 600],
  ])("%j is %d seconds", (text, seconds) => {
    expect(parseTimeoutSeconds(text)).toBe(seconds);
  });

  it.each(["", "15", "m", "15 minutes", "fifteen", "1h 30m", "-5m", "1m30", "10d"])(
    "%j is rejected, naming customTimeouts.create and the allowed form",
    (text) => {
      expect(() => parseTimeoutSeconds(text)).toThrow(
        `customTimeouts.create "${text}" is not a duration like "500ms", "90s", "15m" or "1h30m"`,
      );
    },
  );

  it.each(["0s", "0m0s"])("%j is rejected as not longer than zero", (text) => {
    expect(() => parseTimeoutSeconds(text)).toThrow(
      `customTimeouts.create "${text}" must be longer than zero`,
    );
  });
});
