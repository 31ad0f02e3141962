/**
 * The HTTP layer: a @microsoft/microsoft-graph-client `Client` whose middleware chain is
 * authentication → response capture → HTTP. Its own RetryHandler is deliberately absent: retries
 * belong to `retry.ts` alone. The token is attached only to the Graph host (or the override host).
 */
import type { Client, Context, Middleware, MiddlewareOptions } from "@microsoft/microsoft-graph-client";

/** Per-request option that receives the raw response, so callers can read `request-id` on success. */
export class ResponseCapture implements MiddlewareOptions {
  /** The raw response, once it arrived. */
  response?: Response;
}

/** Middleware that stores the raw response into the request's ResponseCapture option. */
class ResponseCaptureHandler implements Middleware {
  private next?: Middleware;
  async execute(context: Context): Promise<void> {
    await this.next!.execute(context);
    const capture = context.middlewareControl?.getMiddlewareOptions(ResponseCapture) as
      ResponseCapture | undefined;
    if (capture) capture.response = context.response;
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * Builds the Graph client for `graphUrl` (no version), taking its bearer token from `getToken`.
 * The URL's host is registered as a custom Graph host, so an emulator or proxy gets the token too.
 */
export function createTransport(graphUrl: string, getToken: () => Promise<string>): Client {
  const graph =
    require("@microsoft/microsoft-graph-client") as typeof import("@microsoft/microsoft-graph-client");
  const auth = new graph.AuthenticationHandler({ getAccessToken: getToken });
  const capture = new ResponseCaptureHandler();
  auth.setNext(capture);
  capture.setNext(new graph.HTTPMessageHandler());
  return graph.Client.initWithMiddleware({
    middleware: auth,
    baseUrl: `${graphUrl}/`,
    customHosts: new Set([new URL(graphUrl).hostname]),
    defaultVersion: "beta",
  });
}
