import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeadroomApi } from '../../core/api/contract';
import { createHeadroomService } from '../../core/api/service';
import { portFromEnv, startWebServer } from '../../electron/web-server';
import type { WebServer } from '../../electron/web-server';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface RequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** node:http rather than fetch, because fetch does not let a test set Host. */
function request(server: WebServer, options: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: '127.0.0.1', port: server.port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

const json = { 'content-type': 'application/json' };

describe('web server', () => {
  let rendererDir: string;
  let server: WebServer;
  let failing: WebServer;

  beforeAll(async () => {
    rendererDir = mkdtempSync(path.join(tmpdir(), 'headroom-web-'));
    mkdirSync(path.join(rendererDir, 'assets'));
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Headroom</title>');
    writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1);');
    server = await startWebServer({ service: createHeadroomService({ version: '9.9.9', mode: 'web' }), rendererDir });
    const broken: HeadroomApi = {
      version: () => Promise.reject(new Error('engine exploded')),
      listConnections: () => Promise.resolve([]),
    };
    failing = await startWebServer({ service: broken, rendererDir });
  });

  afterAll(async () => {
    await Promise.all([server.close(), failing.close()]);
    rmSync(rendererDir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 on a free port', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('serves the renderer with its security headers', async () => {
    const page = await request(server, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('<title>Headroom</title>');
    const script = await request(server, { path: '/assets/app.js' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it.each([
    ['version', undefined, { version: '9.9.9', mode: 'web' }],
    ['listConnections', '', []],
    ['listConnections', '{}', []],
  ])('POST /api/%s with body %j answers the service result', async (method, body, expected) => {
    const reply = await request(server, { method: 'POST', path: `/api/${method}`, headers: json, body });
    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(reply.body)).toEqual(expected);
  });

  it.each([
    ['an unknown API method', { method: 'POST', path: '/api/dropDatabase', headers: json }, 404, 'Unknown API method: dropDatabase'],
    ['a prototype name as method', { method: 'POST', path: '/api/constructor', headers: json }, 404, 'Unknown API method: constructor'],
    ['malformed JSON', { method: 'POST', path: '/api/version', headers: json, body: '{"a":' }, 400, 'not valid JSON'],
    ['a non-JSON body', { method: 'POST', path: '/api/version', headers: { 'content-type': 'text/plain' }, body: '{}' }, 415, 'application/json'],
    ['GET on an API method', { path: '/api/version' }, 405, 'POST'],
    ['an oversized body', { method: 'POST', path: '/api/version', headers: json, body: `"${'x'.repeat(1_100_000)}"` }, 413, 'exceeds'],
    ['a missing file', { path: '/nothing-here.js' }, 404, 'Not found'],
    ['a path out of the renderer', { path: '/../package.json' }, 404, 'Not found'],
    ['a foreign Host (DNS rebinding)', { path: '/', headers: { host: 'evil.example' } }, 403, 'Only http://127.0.0.1:'],
    ['Host localhost instead of the bound address', { path: '/', headers: { host: 'localhost' } }, 403, 'Only'],
    ['a foreign Origin', { method: 'POST', path: '/api/version', headers: { ...json, origin: 'http://evil.example' } }, 403, 'Only'],
    ['DELETE', { method: 'DELETE', path: '/' }, 405, 'GET'],
  ] as [string, RequestOptions, number, string][])('refuses %s', async (_name, options, status, message) => {
    const headers = { ...options.headers };
    // Host carries the port the server bound, which is known only now.
    if (headers.host !== undefined) headers.host = `${headers.host}:${server.port}`;
    const reply = await request(server, { ...options, headers });
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect((JSON.parse(reply.body) as { error: string }).error).toContain(message);
  });

  it('accepts its own Origin', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    const reply = await request(server, { method: 'POST', path: '/api/version', headers: { ...json, origin } });
    expect(reply.status).toBe(200);
  });

  it('answers 500 with the message when the service fails', async () => {
    const reply = await request(failing, { method: 'POST', path: '/api/version', headers: json });
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toEqual({ error: 'engine exploded' });
  });
});

describe('portFromEnv', () => {
  it.each([
    [{}, 0],
    [{ PORT: '' }, 0],
    [{ PORT: '8080' }, 8080],
    [{ HEADROOM_PORT: '9000', PORT: '8080' }, 9000],
    [{ HEADROOM_PORT: '0' }, 0],
  ])('%j gives %i', (env, expected) => {
    expect(portFromEnv(env)).toBe(expected);
  });

  it.each([['http'], ['-1'], ['65536'], ['80.5'], ['0x50'], [' 80']])('rejects %j', (value) => {
    expect(() => portFromEnv({ PORT: value })).toThrow(/must be a port number/);
  });
});
