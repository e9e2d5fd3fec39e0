/**
 * `npm start`: builds what is missing or stale, then opens the desktop window; where Electron cannot
 * run (no binary, no display, root), says why in one line and serves the same UI on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import packageJson from '../package.json' with { type: 'json' };
import { createHeadroomService } from '../core/api/service';
import { buildRenderer, bundleElectron, isRendererStale, RENDERER_DIST } from './build';
import { findElectron } from './find-electron';
import { portFromEnv, startWebServer } from './web-server';

async function launch(): Promise<void> {
  const port = portFromEnv(process.env);
  if (isRendererStale()) {
    console.log('Building the renderer into dist/renderer ...');
    await buildRenderer();
  }

  const electron = findElectron();
  if (electron.ok) {
    const { main } = await bundleElectron();
    const child = spawn(electron.binary, [main], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 1));
    return;
  }

  console.log(`${electron.reason}; serving the same UI in web mode.`);
  const service = createHeadroomService({ version: packageJson.version, mode: 'web' });
  const server = await startWebServer({ service, rendererDir: RENDERER_DIST, port });
  console.log(`Headroom is running at ${server.url} (Ctrl-C stops it)`);
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

launch().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
