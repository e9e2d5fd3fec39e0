/**
 * The Electron main process: one window, locked down, whose only way to reach Headroom's engine is
 * the IPC handlers below, which call the core service and nothing else. Bundled by `electron/build.ts`
 * into dist/electron/main.mjs, beside dist/electron/preload.cjs and the renderer in dist/renderer.
 */
import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import packageJson from '../package.json' with { type: 'json' };
import { HEADROOM_API_METHODS } from '../core/api/contract';
import type { HeadroomApi } from '../core/api/contract';
import { callHeadroomMethod, createHeadroomService } from '../core/api/service';
import { ipcChannel } from './ipc';
import { APP_ORIGIN, APP_SCHEME, CONTENT_SECURITY_POLICY, createWindowOptions, isSameOrigin } from './security';
import { contentTypeFor, resolveStaticPath } from './static-files';

const bundleDir = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(bundleDir, '..', 'renderer');
const preloadPath = path.join(bundleDir, 'preload.cjs');

// Must happen before 'ready': a standard, secure scheme gets a real origin for CSP and our checks.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();

function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = isSameOrigin(request.url, APP_ORIGIN)
      ? resolveStaticPath(rendererDir, new URL(request.url).pathname)
      : null;
    if (file === null || !existsSync(file)) return new Response('Not found', { status: 404 });
    return new Response(await readFile(file), {
      headers: {
        'content-type': contentTypeFor(file),
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
      },
    });
  });
}

function registerIpcHandlers(service: HeadroomApi): void {
  for (const method of HEADROOM_API_METHODS) {
    ipcMain.handle(ipcChannel(method), (event, args: unknown) => {
      // Only our own page may call in: not a navigated-away frame, an iframe of another origin or a
      // frame that is gone.
      const frameUrl = event.senderFrame?.url;
      if (frameUrl === undefined || !isSameOrigin(frameUrl, APP_ORIGIN)) {
        throw new Error(`Refused ${method}: the caller is not Headroom's page`);
      }
      return callHeadroomMethod(service, method, args);
    });
  }
}

function createWindow(): void {
  const window = new BrowserWindow(createWindowOptions(preloadPath));
  const contents = window.webContents;
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const blockForeign = (event: { url: string; preventDefault(): void }): void => {
    if (!isSameOrigin(event.url, APP_ORIGIN)) event.preventDefault();
  };
  contents.on('will-navigate', blockForeign);
  contents.on('will-redirect', blockForeign);
  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_ORIGIN}/index.html`);
}

void app.whenReady().then(() => {
  // The UI needs no camera, notifications, geolocation or anything else a page can ask for.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  serveRenderer();
  registerIpcHandlers(createHeadroomService({ version: packageJson.version, mode: 'electron' }));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
