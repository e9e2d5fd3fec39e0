/**
 * Small helpers for tests that talk to the emulator: raw HTTPS requests (to see exactly what goes over the
 * wire, which client-node's model classes hide) and a throw-away folder for kubeconfigs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { K8sEmulator } from './emulator';

export const FIXTURES = join(import.meta.dirname, 'fixtures', 'cluster');

export interface RawResponse {
  status: number;
  contentType: string | undefined;
  /** Parsed JSON when the response is JSON, the text otherwise. */
  body: unknown;
}

/** One request to the emulator over HTTPS, trusting its CA; `token: null` sends no credentials. */
export function rawRequest(
  emulator: K8sEmulator,
  path: string,
  options: { method?: string; token?: string | null; body?: string; contentType?: string } = {},
): Promise<RawResponse> {
  const token = options.token === undefined ? emulator.token : options.token;
  return new Promise((resolve, reject) => {
    const req = request(
      `${emulator.url}${path}`,
      {
        method: options.method ?? 'GET',
        ca: readFileSync(emulator.caFile),
        headers: {
          ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
          ...(options.contentType ? { 'Content-Type': options.contentType } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = res.headers['content-type'];
          resolve({
            status: res.statusCode ?? 0,
            contentType,
            body: contentType?.includes('json') ? JSON.parse(text) : text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export function temporaryFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `headroom-${prefix}-`));
}
