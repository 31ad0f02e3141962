/**
 * The HTTPS server: accepts connections, applies injected faults, routes each request to the admin,
 * Graph or Entra handlers, turns any unexpected error into a Graph-style 500, records the request
 * log, and on stop destroys every open connection (hung requests included).
 */
import type { Socket } from "node:net";
import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ADMIN_PREFIX, handleAdmin } from "./admin";
import type { EmulatorInfo } from "./admin";
import type { EmulatorCore } from "./core";
import { entraKindOf, handleEntra } from "./entra";
import { graphCodeForStatus } from "./faults";
import type { FaultPlan } from "./faults";
import { graphKindOf, handleGraph } from "./graph";
import type { RequestLogEntry } from "./requestLog";
import { newRequestContext, sendEntraError, sendGraphError } from "./wire";
import type { RequestContext } from "./wire";

/** How to run the server. */
export interface EmulatorServerOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Listen address. */
  readonly host: string;
  /** The leaf certificate, PEM. */
  readonly certificatePem: string;
  /** The leaf's private key, PEM. */
  readonly privateKeyPem: string;
  /** The routes' shared state. */
  readonly core: EmulatorCore;
  /** The connection details `GET /_emulator/info` returns. */
  readonly info: () => EmulatorInfo;
  /** Called after each request, admin requests included. */
  readonly onRequest?: (entry: RequestLogEntry) => void;
}

/** A listening server. */
export interface ListeningServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops accepting, destroys every open connection and cancels pending delays. */
  stop(): Promise<void>;
}

/** Starts the HTTPS server. */
export function startServer(options: EmulatorServerOptions): Promise<ListeningServer> {
  const { core } = options;
  const sockets = new Set<Socket>();
  const server = https.createServer(
    { cert: options.certificatePem, key: options.privateKeyPem, handshakeTimeout: 10_000 },
    (req, res) => void serve(req, res, options),
  );
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // A broken client (bad TLS, unparsable HTTP) only ever costs its own connection.
  server.on("tlsClientError", (_error, socket) => socket.destroy());
  server.on("clientError", (_error, socket) => {
    if (socket.writable)
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= new Promise<void>((resolve) => {
      core.timers.cancelAll();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    }));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolve({ port, stop });
    });
  });
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  options: EmulatorServerOptions,
): Promise<void> {
  const { core } = options;
  const started = process.hrtime.bigint();
  const time = new Date().toISOString();
  const ctx = newRequestContext(req, res);
  let fault: string | undefined;
  let logged = false;
  const record = (status: number) => {
    if (logged) return;
    logged = true;
    const entry: RequestLogEntry = {
      time,
      method: ctx.method,
      path: ctx.path,
      status,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      kind: ctx.kind,
      ...(ctx.tenantId ? { tenantId: ctx.tenantId } : {}),
      ...(ctx.clientId ? { clientId: ctx.clientId } : {}),
      requestId: ctx.requestId,
      clientRequestId: ctx.clientRequestId,
      ...(fault ? { fault } : {}),
    };
    if (entry.kind !== "admin") core.log.add(entry);
    try {
      options.onRequest?.(entry);
    } catch {
      // A failing observer must not break the server.
    }
  };
  res.on("finish", () => record(res.statusCode));
  res.on("close", () => record(res.writableFinished ? res.statusCode : 0));
  try {
    if (ctx.path.startsWith(ADMIN_PREFIX)) return await handleAdmin(ctx, core, options.info);
    ctx.kind = graphKindOf(ctx.path) ?? entraKindOf(ctx.path) ?? "other";
    const plan = core.faults.take(ctx.method, ctx.path);
    if (plan) {
      fault = plan.action;
      if (!(await applyFault(ctx, core, plan))) return;
    }
    if (await handleGraph(ctx, core)) return;
    if (await handleEntra(ctx, core)) return;
    sendGraphError(
      ctx,
      404,
      "NotFound",
      `No emulated endpoint answers ${ctx.method} ${ctx.path}. Graph paths start with /beta or /v1.0; ` +
        "Entra paths are /{tenant}/v2.0/.well-known/openid-configuration and /{tenant}/oauth2/v2.0/token.",
    );
  } catch (error) {
    sendGraphError(ctx, 500, "InternalServerError", `The emulator failed: ${(error as Error).message}`);
  }
}

/** Carries out a fault; returns true when the request should then be served normally. */
async function applyFault(ctx: RequestContext, core: EmulatorCore, plan: FaultPlan): Promise<boolean> {
  if (plan.delayMs > 0 && !(await core.timers.sleep(plan.delayMs))) return false; // stopped meanwhile
  switch (plan.action) {
    case "delay":
      return true;
    case "reset":
      ctx.req.socket.destroy();
      return false;
    case "hang":
      return false; // never answered; stop() destroys the socket
    case "respond": {
      const status = plan.status ?? 500;
      if (ctx.kind === "token" || ctx.kind === "openid") {
        const error = status === 429 || status >= 500 ? "temporarily_unavailable" : "invalid_request";
        sendEntraError(ctx, status, plan.code ?? error, 90033, plan.message, plan.retryAfterSeconds);
      } else
        sendGraphError(
          ctx,
          status,
          plan.code ?? graphCodeForStatus(status),
          plan.message,
          plan.retryAfterSeconds,
        );
      return false;
    }
  }
}
