/**
 * An HTTP(S) server on 127.0.0.1 that answers like a Prometheus until told to misbehave: error statuses, HTML,
 * cut-off JSON, hangs, reset connections. It records every request (method, path, headers, form body), so a
 * test can compare what the client counted with what arrived. The server is unref'd and `close()` ends it,
 * hanging requests included.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Form parameters from the body (POST) or the query string (GET). */
  params: URLSearchParams;
}

export type Reply =
  | { status?: number; headers?: Record<string, string>; json?: unknown; text?: string }
  /** Never answers. */
  | { hang: true }
  /** Closes the connection without an answer (ECONNRESET at the client). */
  | { reset: true };

export type Handler = (request: SeenRequest) => Reply | Promise<Reply>;

/** A Prometheus success envelope. */
export function success(data: unknown, warnings?: string[]): Reply {
  return { json: { status: 'success', data, ...(warnings ? { warnings } : {}) } };
}

/** A Prometheus error envelope with the status Prometheus would use. */
export function failure(status: number, errorType: string, error: string): Reply {
  return { status, json: { status: 'error', errorType, error } };
}

/** Answers the way a small Prometheus would: `vector(1)`-like queries, a ramp for ranges, fixed metadata. */
export const prometheusLike: Handler = (request) => {
  const endpoint = request.path.replace(/^.*\/api\/v1\//, '');
  const time = Number(request.params.get('time') ?? Date.now() / 1000);
  switch (endpoint) {
    case 'query':
      return success({ resultType: 'vector', result: [{ metric: {}, value: [time, '1'] }] });
    case 'query_range': {
      const start = Number(request.params.get('start'));
      const end = Number(request.params.get('end'));
      const step = Number(request.params.get('step'));
      const values: Array<[number, string]> = [];
      for (let t = start; t <= end; t += step) values.push([t, String(t)]);
      return success({ resultType: 'matrix', result: [{ metric: { __name__: 'ramp' }, values }] });
    }
    case 'series':
      return success([{ __name__: 'up', job: 'api' }]);
    case 'labels':
      return success(['__name__', 'job']);
    case 'status/buildinfo':
      return success({ version: '2.53.0', revision: 'abc', branch: 'HEAD', goVersion: 'go1.22' });
    default:
      if (/^label\/[^/]+\/values$/.test(endpoint)) return success(['api']);
      return { status: 404, text: '404 page not found' };
  }
};

export class FaultServer {
  readonly requests: SeenRequest[] = [];
  private readonly queued: Reply[] = [];
  private handler: Handler = prometheusLike;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts on a free loopback port; with `tls`, serves HTTPS with that key and certificate. */
  static async start(options: { tls?: { key: string; cert: string } } = {}): Promise<FaultServer> {
    const server = options.tls ? createHttpsServer(options.tls) : createHttpServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.unref();
    const { port } = server.address() as AddressInfo;
    const self = new FaultServer(server, `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void self.answer(req, res));
    server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      self.sockets.add(socket);
      socket.on('close', () => self.sockets.delete(socket));
    });
    return self;
  }

  /** Replies for the next requests, in order; after them the handler answers again. */
  queue(...replies: Reply[]): void {
    this.queued.push(...replies);
  }

  /** Replaces the handler that answers when nothing is queued. */
  handle(handler: Handler): void {
    this.handler = handler;
  }

  /** Forgets requests, queued replies and a custom handler. */
  reset(): void {
    this.requests.length = 0;
    this.queued.length = 0;
    this.handler = prometheusLike;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = Buffer.concat(chunks).toString('utf8');
    const request: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: req.headers,
      params: req.method === 'POST' ? new URLSearchParams(body) : url.searchParams,
    };
    this.requests.push(request);
    const reply = this.queued.shift() ?? (await this.handler(request));
    if ('hang' in reply) return;
    if ('reset' in reply) {
      req.socket.destroy();
      return;
    }
    const text = reply.text ?? JSON.stringify(reply.json ?? {});
    const contentType = reply.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json';
    res.writeHead(reply.status ?? 200, { 'Content-Type': contentType, ...reply.headers });
    res.end(text);
  }
}
