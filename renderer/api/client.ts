/**
 * The renderer's handle on `HeadroomApi`: the Electron preload bridge when it is there, otherwise
 * the web-mode HTTP API served by electron/web-server.ts. The contract is imported as types only,
 * so the renderer bundle contains none of core.
 */
import type { HeadroomApi, HeadroomMethod } from '../../core/api/contract';

declare global {
  interface Window {
    /** Set by electron/preload.ts; absent in web mode. */
    headroom?: HeadroomApi;
  }
}

export class HeadroomApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HeadroomApiError';
  }
}

/** `POST /api/<method>` with the argument as the JSON body (empty when there is none). */
export function createWebApi(fetchImpl: typeof fetch = fetch): HeadroomApi {
  const method = <M extends HeadroomMethod>(name: M): HeadroomApi[M] =>
    (async (args?: unknown) => {
      const response = await fetchImpl(`/api/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: args === undefined ? '' : JSON.stringify(args),
      });
      const body: unknown = await response.json().catch(() => null);
      if (!response.ok) {
        const message = (body as { error?: unknown } | null)?.error;
        throw new HeadroomApiError(typeof message === 'string' ? message : `HTTP ${response.status}`, response.status);
      }
      return body;
    }) as HeadroomApi[M];
  // Listed by hand because the method list is a run-time value of core, which the renderer may not
  // import; the HeadroomApi annotation makes a missing method a type error.
  return { version: method('version'), listConnections: method('listConnections') };
}

export function resolveApi(target: Pick<Window, 'headroom'> = window): HeadroomApi {
  return target.headroom ?? createWebApi();
}
