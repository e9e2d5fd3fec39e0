import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** [file the code is linted as, code, messageIds of `headroom/layers` expected (empty: allowed)] */
type Case = [file: string, code: string, expected: string[]];

const cases: Case[] = [
  // core/ imports only core/, and no UI or Electron package, not even as types.
  ['core/analysis/red.ts', "import { query } from '../prometheus/client';", []],
  ['core/api/service.ts', "import { rules } from '../../rules/index';", ['direction']],
  ['core/api/service.ts', "import type { App } from '../../renderer/App';", ['direction']],
  ['core/store/db.ts', "import { fixture } from '../../test/lab/fixtures';", ['direction']],
  ['core/store/db.ts', "import { x } from '../../../elsewhere/x';", ['outside']],
  ['core/api/index.ts', "export * from '../../rules/index';", ['direction']],
  ['core/store/db.ts', "import Database from 'better-sqlite3'; import { z } from 'zod'; import fs from 'node:fs';", []],
  ['core/api/service.ts', "import { app } from 'electron';", ['package']],
  ['core/api/service.ts', "import type { BrowserWindow } from 'electron';", ['package']],
  ['core/api/service.ts', "import { useState } from 'react';", ['package']],
  ['core/api/service.ts', "import { createRoot } from 'react-dom/client';", ['package']],
  ['core/api/service.ts', "import { LineChart } from 'recharts';", ['package']],
  ['core/api/service.ts', "import { useQuery } from '@tanstack/react-query';", ['package']],

  // rules/ sees core/ through types only, its own files freely, and no package at run time.
  ['rules/db-pool.ts', "import type { Finding } from '../core/api/report';", []],
  ['rules/db-pool.ts', "export type { Finding } from '../core/api/report';", []],
  ['rules/index.ts', "import { dbPoolRule } from './db-pool';", []],
  ['rules/db-pool.ts', "import { reportSchema } from '../core/api/report';", ['typeOnly']],
  ['rules/db-pool.ts', "import { type Finding } from '../core/api/report';", ['typeOnly']],
  ['rules/db-pool.ts', "export { reportSchema } from '../core/api/report';", ['typeOnly']],
  ['rules/db-pool.ts', "import { main } from '../cli/main';", ['direction']],
  ['rules/db-pool.ts', "import type { z } from 'zod';", []],
  ['rules/db-pool.ts', "import { z } from 'zod';", ['packageAtRunTime']],

  // renderer/ sees the API contract and the report contract as types, and only its UI packages.
  ['renderer/App.tsx', "import type { HeadroomApi } from '../core/api/contract';", []],
  ['renderer/App.tsx', "import type { Report } from '../core/api/report';", []],
  ['renderer/api/client.ts', "import type { HeadroomApi } from '../../core/api/contract.ts';", []],
  ['renderer/App.tsx', "import { connectionsQuery } from './api/queries'; import './styles.css';", []],
  ['renderer/App.tsx', "import { HEADROOM_API_METHODS } from '../core/api/contract';", ['typeOnly']],
  ['renderer/App.tsx', "const contract = await import('../core/api/contract');", ['typeOnly']],
  ['renderer/App.tsx', "import type { Store } from '../core/store/db';", ['direction']],
  ['renderer/App.tsx', "type Store = import('../core/store/db').Store;", ['direction']],
  ['renderer/App.tsx', "import { startWebServer } from '../electron/web-server';", ['direction']],
  ['renderer/App.tsx', "import { useQuery } from '@tanstack/react-query'; import { LineChart } from 'recharts';", []],
  ['renderer/main.tsx', "import { createRoot } from 'react-dom/client'; import { StrictMode } from 'react';", []],
  ['renderer/App.tsx', "import fs from 'node:fs';", ['package']],
  ['renderer/App.tsx', "import { z } from 'zod';", ['package']],

  // electron/ and cli/ are composition roots: core/, rules/ and package.json (for the version).
  ['electron/main.ts', "import { createHeadroomService } from '../core/api/service'; import { app } from 'electron';", []],
  ['electron/main.ts', "import { rules } from '../rules/index'; import pkg from '../package.json' with { type: 'json' };", []],
  ['electron/main.ts', "import { App } from '../renderer/App';", ['direction']],
  ['electron/main.ts', "import { main } from '../cli/main';", ['direction']],
  ['electron/main.ts', "import { bench } from '../bench/run';", ['direction']],
  ['cli/main.ts', "import { createHeadroomService } from '../core/api/service'; import { rules } from '../rules/index';", []],
  ['cli/main.ts', "import { startWebServer } from '../electron/web-server';", ['direction']],
  ['cli/main.ts', "import { lab } from '../test/lab/generate';", ['direction']],

  // test/ and bench/ may import everything; nothing else may import them.
  ['test/electron/web-server.test.ts', "import { startWebServer } from '../../electron/web-server';", []],
  ['test/x.test.ts', "import { App } from '../renderer/App'; import { run } from '../bench/run';", []],
  ['bench/run.ts', "import { generate } from '../test/lab/generate'; import { app } from 'electron';", []],
  ['vite.config.ts', "import { fixture } from './test/lab/fixtures';", ['direction']],
  ['vite.config.ts', "import type { HeadroomApi } from './core/api/contract';", []],
];

describe('headroom/layers', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: REPO_ROOT, overrideConfigFile: `${REPO_ROOT}eslint.config.js` });
  });

  it.each(cases)('%s: %s', async (file, code, expected) => {
    const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}${file}` });
    const fatal = result?.messages.filter((message) => message.fatal) ?? [];
    expect(fatal).toEqual([]);
    const layerMessages = result?.messages.filter((message) => message.ruleId === 'headroom/layers') ?? [];
    expect(layerMessages.map((message) => message.messageId)).toEqual(expected);
  });

  it('names the layer and the target in its message', async () => {
    const [result] = await eslint.lintText("import { rules } from '../../rules/index';", {
      filePath: `${REPO_ROOT}core/api/service.ts`,
    });
    const message = result?.messages.find((m) => m.ruleId === 'headroom/layers')?.message;
    expect(message).toBe('core/ may not import rules/index (see the layer table in DEVELOPERS.md).');
  });
});
