/**
 * `headroom/layers`: the import direction table of DEVELOPERS.md ("Layout"), checked on every import.
 *
 * Modelled on VS Code's code-layering rule: each relative import is resolved to a path in the repo,
 * the first folder names its layer, and the importing file's layer says which layers it may reach and
 * whether only with `import type` (erased at compile time, so no run-time coupling). Package imports
 * are checked where the table restricts them. Under `verbatimModuleSyntax`, `import { type X }` still
 * loads the module at run time, so only `import type` / `export type` count as type-only.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Per layer: which of our paths it may import (`'any'` or `'type'`-only), matched by path prefix
 * without extension; and how package imports are restricted (`deny`: never, even as types; `allow`:
 * the only packages allowed at run time; `typesOnly`: no package at run time).
 */
const LAYERS = {
  core: {
    ours: { core: 'any' },
    packages: { deny: ['electron', 'react', 'react-dom', 'recharts', '@tanstack/*'] },
  },
  rules: { ours: { rules: 'any', core: 'type' }, packages: { typesOnly: true } },
  renderer: {
    ours: { renderer: 'any', 'core/api/contract': 'type', 'core/api/report': 'type' },
    packages: { allow: ['react', 'react-dom', '@tanstack/react-query', 'recharts'] },
  },
  electron: { ours: { electron: 'any', core: 'any', rules: 'any', 'package.json': 'any' } },
  cli: { ours: { cli: 'any', core: 'any', rules: 'any', 'package.json': 'any' } },
  test: null,
  bench: null,
};
/** Files outside the layers (top-level config, eslint-rules/) may import anything but tests and benchmarks. */
const TEST_ONLY = ['test', 'bench'];

const CODE_EXTENSION = /\.(?:[cm]?[jt]sx?)$/;

/** Repo-relative module id of a path, without a code extension: `core/api/contract`. */
function moduleId(absolutePath) {
  const relative = path.relative(REPO_ROOT, absolutePath).split(path.sep).join('/');
  return relative.replace(CODE_EXTENSION, '');
}

function within(id, prefix) {
  return id === prefix || id.startsWith(`${prefix}/`);
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function matchesPackage(name, pattern) {
  return pattern.endsWith('/*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** @returns {{ messageId: string, data: Record<string, string> } | null} the violation, if any. */
function checkOurs(layer, targetId, typeOnly) {
  if (targetId.startsWith('..')) return { messageId: 'outside', data: { target: targetId } };
  const policy = Object.hasOwn(LAYERS, layer) ? LAYERS[layer] : undefined;
  if (policy === undefined) {
    const blocked = TEST_ONLY.find((prefix) => within(targetId, prefix));
    return blocked ? { messageId: 'direction', data: { layer: 'this file', target: targetId } } : null;
  }
  if (policy === null) return null;
  const allowedAs = Object.entries(policy.ours).find(([prefix]) => within(targetId, prefix))?.[1];
  if (allowedAs === undefined) return { messageId: 'direction', data: { layer: `${layer}/`, target: targetId } };
  if (allowedAs === 'type' && !typeOnly) return { messageId: 'typeOnly', data: { layer: `${layer}/`, target: targetId } };
  return null;
}

function checkPackage(layer, specifier, typeOnly) {
  const restriction = Object.hasOwn(LAYERS, layer) ? LAYERS[layer]?.packages : undefined;
  if (!restriction) return null;
  const name = packageName(specifier);
  const data = { layer: `${layer}/`, name };
  if (restriction.deny?.some((pattern) => matchesPackage(name, pattern))) return { messageId: 'package', data };
  if (typeOnly) return null;
  if (restriction.typesOnly) return { messageId: 'packageAtRunTime', data };
  if (restriction.allow && !restriction.allow.some((pattern) => matchesPackage(name, pattern))) {
    return { messageId: 'package', data };
  }
  return null;
}

export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the import direction between layers (DEVELOPERS.md, "Layout").' },
    schema: [],
    messages: {
      direction: '{{layer}} may not import {{target}} (see the layer table in DEVELOPERS.md).',
      typeOnly: '{{layer}} may import {{target}} only as `import type` (see DEVELOPERS.md).',
      outside: 'Import of {{target}} leaves the repository.',
      package: "{{layer}} may not import the package '{{name}}' (see DEVELOPERS.md).",
      packageAtRunTime: "{{layer}} may import the package '{{name}}' only as `import type` (see DEVELOPERS.md).",
    },
  },
  create(context) {
    const fileId = moduleId(context.filename);
    // `<text>` without a filePath, or a file outside the repo: nothing to place in a layer.
    if (!path.isAbsolute(context.filename) || fileId.startsWith('..')) return {};
    const layer = fileId.split('/')[0];

    function check(source, typeOnly) {
      if (source?.type !== 'Literal' || typeof source.value !== 'string') return;
      const specifier = source.value;
      const violation = specifier.startsWith('.')
        ? checkOurs(layer, moduleId(path.resolve(path.dirname(context.filename), specifier)), typeOnly)
        : checkPackage(layer, specifier, typeOnly);
      if (violation) context.report({ node: source, ...violation });
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.importKind === 'type'),
      ExportNamedDeclaration: (node) => check(node.source, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node.source, false),
      TSImportType: (node) => check(node.source, true),
      TSExternalModuleReference: (node) => check(node.expression, node.parent.importKind === 'type'),
    };
  },
};
