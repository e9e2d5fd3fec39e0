import { describe, expect, it } from 'vitest';
import type { HeadroomApi } from '../../core/api/contract';
import { createHeadroomService } from '../../core/api/service';
import { createWebApi, HeadroomApiError, resolveApi } from '../../renderer/api/client';
import { connectionsQuery, versionQuery } from '../../renderer/api/queries';

interface Call {
  url: string;
  init: RequestInit | undefined;
}

/** A fetch that records calls and answers `status` with `body`. */
function fakeFetch(status: number, body: string): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(url), init });
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: fetchImpl as typeof fetch, calls };
}

describe('createWebApi', () => {
  it('POSTs each method to /api/<method> as JSON', async () => {
    const { fetch, calls } = fakeFetch(200, '{"version":"1.0.0","mode":"web"}');
    await expect(createWebApi(fetch).version()).resolves.toEqual({ version: '1.0.0', mode: 'web' });
    expect(calls).toEqual([
      { url: '/api/version', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' } },
    ]);
  });

  it.each([
    [404, '{"error":"Unknown API method: version"}', 'Unknown API method: version'],
    [500, '{"error":"engine exploded"}', 'engine exploded'],
    [502, '<html>Bad gateway</html>', 'HTTP 502'],
  ])('turns HTTP %i into a HeadroomApiError', async (status, body, message) => {
    const { fetch } = fakeFetch(status, body);
    const failure = createWebApi(fetch).listConnections();
    await expect(failure).rejects.toBeInstanceOf(HeadroomApiError);
    await expect(failure).rejects.toMatchObject({ message, status });
  });
});

describe('resolveApi', () => {
  it('prefers the Electron preload bridge when it is there', () => {
    const bridge: HeadroomApi = createHeadroomService({ version: '1.0.0', mode: 'electron' });
    expect(resolveApi({ headroom: bridge })).toBe(bridge);
  });

  it('falls back to the web API without it', () => {
    expect(Object.keys(resolveApi({})).sort()).toEqual(['listConnections', 'version']);
  });
});

describe('query factories', () => {
  const api = createHeadroomService({ version: '1.0.0', mode: 'web' });

  it.each([
    ['version', versionQuery(api).queryKey, ['headroom', 'version']],
    ['connections', connectionsQuery(api).queryKey, ['headroom', 'connections']],
  ])('%s has a stable key', (_name, key, expected) => {
    expect(key).toEqual(expected);
  });

  it('fetches through the API it was given', async () => {
    const queryFn = connectionsQuery(api).queryFn as () => Promise<unknown>;
    await expect(queryFn()).resolves.toEqual([]);
  });
});
