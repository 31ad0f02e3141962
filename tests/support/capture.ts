/** Capturing what the code under test writes to stderr. */

/** What the code under test writes to stderr while capture is on (it still reaches the terminal). */
export class StderrCapture {
  private readonly chunks: string[] = [];
  private spy?: jest.SpyInstance;

  /** Starts capturing, from empty. */
  start(): this {
    this.chunks.length = 0;
    const write = process.stderr.write.bind(process.stderr);
    this.spy = jest
      .spyOn(process.stderr, "write")
      .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      });
    return this;
  }

  /** Everything captured so far. */
  get text(): string {
    return this.chunks.join("");
  }

  /** The captured lines. */
  get lines(): string[] {
    return this.text.split("\n").filter(Boolean);
  }

  /** Forgets what was captured. */
  clear(): void {
    this.chunks.length = 0;
  }

  /** Stops capturing. */
  stop(): void {
    this.spy?.mockRestore();
    this.spy = undefined;
  }
}
