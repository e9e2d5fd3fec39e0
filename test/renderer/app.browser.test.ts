/**
 * The built renderer in Debian's Chromium, served by the web-mode server: what a user of `npm start`
 * sees when Electron cannot run, and the same bundle the desktop window loads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeadroomApi } from '../../core/api/contract';
import { createHeadroomService } from '../../core/api/service';
import { buildRenderer } from '../../electron/build';
import { startWebServer } from '../../electron/web-server';
import type { WebServer } from '../../electron/web-server';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

const withConnection: HeadroomApi = {
  ...createHeadroomService({ version: '7.7.7-test', mode: 'web' }),
  listConnections: async () => [
    { id: 'prod', name: 'MusicCorp prod', prometheusUrl: 'http://prometheus.example:9090', kubeContext: 'prod-eu' },
  ],
};

describe('renderer in web mode', () => {
  let outDir: string;
  let browser: Browser;
  let servers: { empty: WebServer; connected: WebServer };

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), 'headroom-renderer-'));
    const [, launched] = await Promise.all([
      buildRenderer(outDir),
      chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
    ]);
    browser = launched;
    servers = {
      empty: await startWebServer({ service: createHeadroomService({ version: '7.7.7-test', mode: 'web' }), rendererDir: outDir }),
      connected: await startWebServer({ service: withConnection, rendererDir: outDir }),
    };
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([servers?.empty.close(), servers?.connected.close()]);
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  /** Opens `server`'s page and collects anything the page complains about (CSP violations included). */
  async function open(server: WebServer): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(server.url);
    return { page, problems };
  }

  it('shows the title and the engine version that came through the API', async () => {
    const { page, problems } = await open(servers.empty);
    await expect(page.title()).resolves.toBe('Headroom');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Headroom');
    await page.getByTestId('backend-status').waitFor();
    await expect(page.getByTestId('backend-status').textContent()).resolves.toBe('Engine 7.7.7-test connected (web mode)');
    await expect(page.getByTestId('connections-empty').textContent()).resolves.toContain('No connections yet');
    await expect(page.getByText('Analysis screens come next').count()).resolves.toBe(1);
    // Web mode: no preload bridge, so the data came over POST /api/<method>.
    await expect(page.evaluate(() => 'headroom' in window)).resolves.toBe(false);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lists the connections the API returns', async () => {
    const { page, problems } = await open(servers.connected);
    await page.getByTestId('connections').waitFor();
    await expect(page.getByTestId('connections').textContent()).resolves.toBe(
      'MusicCorp prod — http://prometheus.example:9090 · cluster prod-eu',
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('answers an unknown API method with 404 JSON', async () => {
    const { page } = await open(servers.empty);
    const reply = await page.evaluate(async () => {
      const response = await fetch('/api/deleteEverything', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: response.status, body: (await response.json()) as unknown };
    });
    expect(reply).toEqual({ status: 404, body: { error: 'Unknown API method: deleteEverything' } });
    await page.close();
  });
});
