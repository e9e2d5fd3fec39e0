/**
 * Web mode: the renderer and the API over HTTP on 127.0.0.1, for machines where Electron cannot run.
 * `POST /api/<method>` with the JSON argument as the body (empty for none) calls the same core
 * service as the Electron IPC handlers; the answer is the JSON result, or `{ "error": message }`.
 */
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isHeadroomMethod } from '../core/api/contract';
import type { HeadroomApi } from '../core/api/contract';
import { callHeadroomMethod } from '../core/api/service';
import { CONTENT_SECURITY_POLICY } from './security';
import { contentTypeFor, resolveStaticPath } from './static-files';

const LOOPBACK = '127.0.0.1';
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebServerOptions {
  service: HeadroomApi;
  /** The built renderer (`vite build` output). */
  rendererDir: string;
  /** 0 or absent: a free port. */
  port?: number;
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The port `npm start` asks for: `HEADROOM_PORT`, else `PORT`, else 0 (a free port). */
export function portFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.HEADROOM_PORT ?? env.PORT;
  if (raw === undefined || raw === '') return 0;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new Error(`HEADROOM_PORT/PORT must be a port number (0-65535), not "${raw}"`);
  }
  return port;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  let origin = '';
  const server = http.createServer((request, response) => {
    handle(request, response, origin, options).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      sendJson(response, status, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${LOOPBACK}:${port}`;
  return {
    url: `${origin}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Browsers keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function handle(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  origin: string,
  { service, rendererDir }: WebServerOptions,
): Promise<void> {
  // DNS rebinding: a foreign page whose host name resolves to 127.0.0.1 still sends its own name
  // as Host (and its own Origin), so anything but our exact address is refused.
  const requestOrigin = request.headers.origin;
  if (`http://${request.headers.host ?? ''}` !== origin || (requestOrigin !== undefined && requestOrigin !== origin)) {
    throw new HttpError(403, `Only ${origin} may use this server`);
  }
  const { pathname } = new URL(request.url ?? '/', origin);

  if (pathname.startsWith('/api/')) {
    const method = pathname.slice('/api/'.length);
    if (!isHeadroomMethod(method)) throw new HttpError(404, `Unknown API method: ${method}`);
    if (request.method !== 'POST') throw new HttpError(405, 'API methods are called with POST');
    if (!request.headers['content-type']?.startsWith('application/json')) {
      throw new HttpError(415, 'The request body must be application/json');
    }
    const args = parseJson(await readBody(request));
    sendJson(response, 200, (await callHeadroomMethod(service, method, args)) ?? null);
    return;
  }

  if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, 'Only GET and HEAD');
  const file = resolveStaticPath(rendererDir, pathname);
  const isFile = file !== null && (await stat(file).catch(() => null))?.isFile() === true;
  if (!isFile) throw new HttpError(404, `Not found: ${pathname}`);
  const body = await readFile(file);
  response.writeHead(200, {
    ...securityHeaders(),
    'content-type': contentTypeFor(file),
    'content-length': body.length,
    'cache-control': 'no-cache',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON');
  }
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const tooLarge = new HttpError(413, `The request body exceeds ${MAX_BODY_BYTES} bytes`);
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw tooLarge;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = JSON.stringify(value);
  response.writeHead(status, {
    ...securityHeaders(),
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}
