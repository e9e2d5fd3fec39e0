import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleElectron, isRendererStale } from '../../electron/build';

const outDir = mkdtempSync(path.join(tmpdir(), 'headroom-build-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('bundleElectron', () => {
  it('bundles a sandbox-safe preload that requires nothing but electron', async () => {
    const { main, preload } = await bundleElectron(path.join(outDir, 'electron'));
    const preloadCode = readFileSync(preload, 'utf8');
    const required = [...preloadCode.matchAll(/require\(["']([^"']+)["']\)/g)].map((match) => match[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    // The method list is inlined, not loaded from core at run time.
    expect(preloadCode).toContain('listConnections');
    expect(preloadCode).toContain('exposeInMainWorld');
    expect(readFileSync(main, 'utf8')).toMatch(/from "electron"/);
  });
});

describe('isRendererStale', () => {
  it('is stale without a build, fresh after one newer than every input', () => {
    const rendererOut = path.join(outDir, 'renderer');
    expect(isRendererStale(rendererOut)).toBe(true);
    mkdirSync(rendererOut, { recursive: true });
    const index = path.join(rendererOut, 'index.html');
    writeFileSync(index, '');
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(index, future, future);
    expect(isRendererStale(rendererOut)).toBe(false);
    const past = new Date(0);
    utimesSync(index, past, past);
    expect(isRendererStale(rendererOut)).toBe(true);
  });
});
