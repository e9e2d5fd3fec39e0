import { describe, expect, expectTypeOf, it } from 'vitest';
import { HEADROOM_API_METHODS, isHeadroomMethod } from '../../core/api/contract';
import type { HeadroomApi, HeadroomMethod } from '../../core/api/contract';
import { callHeadroomMethod, createHeadroomService } from '../../core/api/service';

describe('HeadroomApi contract', () => {
  it('lists every method of the interface, so generated bridges miss none', () => {
    expectTypeOf<HeadroomMethod>().toEqualTypeOf<keyof HeadroomApi>();
    expect(new Set(HEADROOM_API_METHODS).size).toBe(HEADROOM_API_METHODS.length);
  });

  it.each([
    ['version', true],
    ['listConnections', true],
    ['analyze', false],
    ['toString', false],
    ['constructor', false],
    ['', false],
  ])('isHeadroomMethod(%j) is %s', (name, expected) => {
    expect(isHeadroomMethod(name)).toBe(expected);
  });
});

describe('createHeadroomService', () => {
  const service = createHeadroomService({ version: '1.2.3', mode: 'web' });

  it('reports the version and mode it was built with', async () => {
    await expect(service.version()).resolves.toEqual({ version: '1.2.3', mode: 'web' });
  });

  it('has no connections until they can be configured', async () => {
    await expect(service.listConnections()).resolves.toEqual([]);
  });

  it('is reachable by method name, as IPC and HTTP call it', async () => {
    await expect(callHeadroomMethod(service, 'version', undefined)).resolves.toEqual({ version: '1.2.3', mode: 'web' });
    await expect(callHeadroomMethod(service, 'listConnections', {})).resolves.toEqual([]);
  });
});
