import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createClusterReader } from '../../../core/kubernetes/cluster';
import { KubernetesError, type KubernetesErrorReason } from '../../../core/kubernetes/errors';
import {
  findKubeconfigFiles,
  loadKubeconfig,
  selectContext,
  type KubeconfigOptions,
} from '../../../core/kubernetes/kubeconfig';
import { K8sEmulator } from '../../k8s-emulator/emulator';
import { FIXTURES, temporaryFolder } from '../../k8s-emulator/helpers';

let emulator: K8sEmulator;
let root: string;
let prodFile: string;
let stagingFile: string;

/** A folder below the test's root, created on demand. */
function folder(name: string): string {
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return path;
}

function writeFile(path: string, content: object | string): string {
  writeFileSync(path, typeof content === 'string' ? content : stringify(content));
  return path;
}

/** A minimal kubeconfig: one cluster, one user, one context per entry. */
function kubeconfig(options: {
  contexts?: Array<{ name: string; cluster: string; user?: string; namespace?: string }>;
  clusters?: Array<{ name: string; server: string; [key: string]: unknown }>;
  users?: Array<{ name: string; [key: string]: unknown }>;
  current?: string;
}): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    ...(options.current ? { 'current-context': options.current } : {}),
    clusters: (options.clusters ?? []).map(({ name, ...cluster }) => ({ name, cluster })),
    users: (options.users ?? []).map(({ name, ...user }) => ({ name, user })),
    contexts: (options.contexts ?? []).map(({ name, ...context }) => ({ name, context })),
  };
}

function thrown(action: () => unknown): KubernetesError {
  try {
    action();
  } catch (error) {
    if (error instanceof KubernetesError) return error;
    throw new Error(`expected a KubernetesError, got ${String(error)}`);
  }
  throw new Error('expected a KubernetesError, nothing was thrown');
}

async function rejected(promise: Promise<unknown>): Promise<KubernetesError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof KubernetesError) return error;
  throw new Error(`expected a KubernetesError, got ${String(error)}`);
}

function expectUserFacing(error: KubernetesError, reason: KubernetesErrorReason, message: RegExp): void {
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(message);
  // A message for people: no stack frames, no library dumps.
  expect(error.message).not.toMatch(/\n\s+at |HTTP-Code|\[object Object\]/);
}

beforeAll(async () => {
  emulator = await K8sEmulator.start({ folders: [FIXTURES] });
  root = temporaryFolder('kubeconfig');
  prodFile = emulator.writeKubeconfig(join(folder('prod'), 'config'), { name: 'prod' }).path;
  stagingFile = emulator.writeKubeconfig(join(folder('staging'), 'config'), { name: 'staging', namespace: 'streaming' }).path;
});

afterAll(async () => {
  await emulator.close();
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  emulator.clearRequests();
});

describe('findKubeconfigFiles', () => {
  it('prefers an explicit file over KUBECONFIG and the home folder', () => {
    const options: KubeconfigOptions = { file: prodFile, env: { KUBECONFIG: stagingFile }, homeDir: root };
    expect(findKubeconfigFiles(options)).toEqual({ files: [prodFile], from: 'explicit', missing: [] });
  });

  it('splits KUBECONFIG on the path delimiter, skipping empty entries and files that do not exist', () => {
    const missing = join(root, 'nowhere', 'config');
    const env = { KUBECONFIG: [prodFile, '', missing, stagingFile].join(delimiter) };
    expect(findKubeconfigFiles({ env, homeDir: root })).toEqual({
      files: [prodFile, stagingFile],
      from: 'KUBECONFIG',
      missing: [missing],
    });
  });

  it('falls back to ~/.kube/config', () => {
    const home = folder('home');
    const file = writeFile(join(folder('home/.kube'), 'config'), kubeconfig({}));
    expect(findKubeconfigFiles({ env: {}, homeDir: home })).toEqual({ files: [file], from: 'default', missing: [] });
    expect(findKubeconfigFiles({ env: { KUBECONFIG: '' }, homeDir: home }).from).toBe('default');
  });

  it('says what to do when there is nothing to read', () => {
    expectUserFacing(
      thrown(() => findKubeconfigFiles({ file: join(root, 'typo'), env: {}, homeDir: root })),
      'kubeconfig-not-found',
      /^The kubeconfig file .*typo does not exist: check the path, or leave it empty to use KUBECONFIG or ~\/\.kube\/config\.$/,
    );
    expectUserFacing(
      thrown(() => findKubeconfigFiles({ env: { KUBECONFIG: `/no/a${delimiter}/no/b` }, homeDir: root })),
      'kubeconfig-not-found',
      /None of the files in KUBECONFIG exist \(\/no\/a, \/no\/b\): fix KUBECONFIG, or unset it/,
    );
    expectUserFacing(
      thrown(() => findKubeconfigFiles({ env: {}, homeDir: folder('empty-home') })),
      'kubeconfig-not-found',
      /No kubeconfig found: KUBECONFIG is not set and .*empty-home\/\.kube\/config does not exist/,
    );
  });
});

describe('loadKubeconfig', () => {
  it('merges the files of KUBECONFIG and lists every context with its cluster, user, namespace and server', () => {
    const loaded = loadKubeconfig({ env: { KUBECONFIG: `${prodFile}${delimiter}${stagingFile}` } });
    expect(loaded.files).toEqual([prodFile, stagingFile]);
    expect(loaded.warnings).toEqual([]);
    // The first file that sets current-context wins, as in kubectl.
    expect(loaded.currentContext).toBe('prod');
    expect(loaded.contexts).toEqual([
      { name: 'prod', cluster: 'prod', user: 'prod-token', namespace: null, server: emulator.url, current: true },
      { name: 'prod-exec', cluster: 'prod', user: 'prod-exec', namespace: null, server: emulator.url, current: false },
      { name: 'prod-cert', cluster: 'prod', user: 'prod-cert', namespace: null, server: emulator.url, current: false },
      { name: 'staging', cluster: 'staging', user: 'staging-token', namespace: 'streaming', server: emulator.url, current: false },
      { name: 'staging-exec', cluster: 'staging', user: 'staging-exec', namespace: 'streaming', server: emulator.url, current: false },
      { name: 'staging-cert', cluster: 'staging', user: 'staging-cert', namespace: 'streaming', server: emulator.url, current: false },
    ]);
  });

  it('resolves relative certificate paths against the folder of the file that names them', async () => {
    const loaded = loadKubeconfig({ env: { KUBECONFIG: `${prodFile}${delimiter}${stagingFile}` } });
    const staging = selectContext(loaded, 'staging-cert');
    expect(staging.config.getCurrentCluster()?.caFile).toBe(join(root, 'staging', 'staging-ca.crt'));
    expect(staging.config.getCurrentUser()?.certFile).toBe(join(root, 'staging', 'staging-client.crt'));
    expect(staging.config.getCurrentUser()?.keyFile).toBe(join(root, 'staging', 'staging-client.key'));
    expect(selectContext(loaded, 'prod').config.getCurrentCluster()?.caFile).toBe(join(root, 'prod', 'prod-ca.crt'));

    // And the client certificate read from the second file's folder really authenticates.
    const snapshot = await createClusterReader(staging).readSnapshot({ namespace: staging.namespace ?? undefined });
    expect(snapshot.workloads.map((w) => w.name)).toEqual(['playback', 'search']);
    expect(new Set(emulator.requests.map((r) => r.user))).toEqual(new Set(['headroom-cert-user']));
  });

  it('takes current-context from a later file when the first sets none', () => {
    const bare = writeFile(
      join(folder('bare'), 'config'),
      kubeconfig({
        clusters: [{ name: 'dev', server: 'https://dev.example:6443' }],
        users: [{ name: 'dev', token: 't' }],
        contexts: [{ name: 'dev', cluster: 'dev', user: 'dev' }],
      }),
    );
    const loaded = loadKubeconfig({ env: { KUBECONFIG: `${bare}${delimiter}${stagingFile}` } });
    expect(loaded.currentContext).toBe('staging');
    expect(loaded.contexts.map((c) => c.name)).toContain('dev');
  });

  it('keeps the first definition of a name defined twice, as kubectl does, and says so', () => {
    const other = writeFile(
      join(folder('duplicate'), 'config'),
      kubeconfig({
        current: 'prod',
        clusters: [{ name: 'prod', server: 'https://elsewhere.example:6443' }],
        users: [{ name: 'prod-token', token: 'other' }],
        contexts: [{ name: 'prod', cluster: 'prod', user: 'prod-token' }],
      }),
    );
    const loaded = loadKubeconfig({ env: { KUBECONFIG: `${prodFile}${delimiter}${other}` } });
    expect(loaded.contexts.find((c) => c.name === 'prod')?.server).toBe(emulator.url);
    expect(loaded.warnings).toEqual([
      `The cluster "prod" is defined in both ${prodFile} and ${other}; the one in ${prodFile} is used, as kubectl does.`,
      `The user "prod-token" is defined in both ${prodFile} and ${other}; the one in ${prodFile} is used, as kubectl does.`,
      `The context "prod" is defined in both ${prodFile} and ${other}; the one in ${prodFile} is used, as kubectl does.`,
    ]);
  });

  it('reports files named in KUBECONFIG that do not exist', () => {
    const missing = join(root, 'gone', 'config');
    const loaded = loadKubeconfig({ env: { KUBECONFIG: `${missing}${delimiter}${prodFile}` } });
    expect(loaded.warnings).toEqual([`KUBECONFIG names ${missing}, which does not exist; it is skipped.`]);
    expect(loaded.currentContext).toBe('prod');
  });

  it('reads ~/.kube/config when nothing else is given', () => {
    const home = folder('home-with-config');
    const file = emulator.writeKubeconfig(join(folder('home-with-config/.kube'), 'config'), { name: 'home' }).path;
    const loaded = loadKubeconfig({ env: {}, homeDir: home });
    expect(loaded.files).toEqual([file]);
    expect(loaded.currentContext).toBe('home');
  });
});

describe('broken kubeconfig files', () => {
  it('names the line of invalid YAML', () => {
    const file = writeFile(join(folder('broken-yaml'), 'config'), 'apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: [\n');
    expectUserFacing(
      thrown(() => loadKubeconfig({ file })),
      'kubeconfig-invalid',
      /^The kubeconfig file .*broken-yaml\/config is not valid YAML at line \d+: .+\. Fix the file \(kubectl config view shows how kubectl reads it\)\.$/,
    );
  });

  it('says what is missing from an entry', () => {
    const file = writeFile(
      join(folder('no-server'), 'config'),
      kubeconfig({ clusters: [{ name: 'a', server: '' }], contexts: [{ name: 'a', cluster: 'a' }] }),
    );
    expectUserFacing(
      thrown(() => loadKubeconfig({ file })),
      'kubeconfig-invalid',
      /kubeconfig file .*no-server\/config is not a valid kubeconfig: clusters\[0\]\.cluster\.server is missing\. Fix the file/,
    );
  });

  it('refuses an empty file, a folder and a token-file that is not there', () => {
    expectUserFacing(
      thrown(() => loadKubeconfig({ file: writeFile(join(folder('empty'), 'config'), '\n  \n') })),
      'kubeconfig-invalid',
      /The kubeconfig file .*empty\/config is empty: choose another file\./,
    );
    expectUserFacing(
      thrown(() => loadKubeconfig({ file: folder('a-folder') })),
      'kubeconfig-invalid',
      /a-folder is a folder, not a kubeconfig file/,
    );
    const tokenFile = join(root, 'no-such-token');
    const file = writeFile(
      join(folder('token-file'), 'config'),
      kubeconfig({ users: [{ name: 'u', 'token-file': tokenFile }] }),
    );
    expectUserFacing(
      thrown(() => loadKubeconfig({ file })),
      'kubeconfig-invalid',
      new RegExp(`names ${tokenFile}, which does not exist`),
    );
  });
});

describe('selectContext', () => {
  it('returns the current context with its server, namespace and a client configuration set to it', () => {
    const selected = selectContext(loadKubeconfig({ file: stagingFile }));
    expect(selected).toMatchObject({
      name: 'staging',
      cluster: 'staging',
      user: 'staging-token',
      namespace: 'streaming',
      server: emulator.url,
      files: [stagingFile],
    });
    expect(selected.config.getCurrentContext()).toBe('staging');
  });

  it('names the contexts there are when asked for one that is not', () => {
    const loaded = loadKubeconfig({ env: { KUBECONFIG: `${prodFile}${delimiter}${stagingFile}` } });
    expectUserFacing(
      thrown(() => selectContext(loaded, 'production')),
      'context-not-found',
      /has no context named "production"; it has prod, prod-exec, prod-cert, staging, staging-exec, staging-cert\. Choose one of those/,
    );
  });

  it('asks for a choice when no current-context is set, and says when there are no contexts at all', () => {
    const none = writeFile(
      join(folder('no-current'), 'config'),
      kubeconfig({
        clusters: [{ name: 'a', server: 'https://a.example' }],
        contexts: [{ name: 'a', cluster: 'a' }, { name: 'b', cluster: 'a' }],
      }),
    );
    expectUserFacing(
      thrown(() => selectContext(loadKubeconfig({ file: none }))),
      'context-not-found',
      /sets no current-context: choose one of its contexts \(a, b\)\./,
    );
    const empty = writeFile(join(folder('no-contexts'), 'config'), kubeconfig({}));
    expectUserFacing(
      thrown(() => selectContext(loadKubeconfig({ file: empty }))),
      'context-not-found',
      /defines no contexts: add one with kubectl config set-context, or use another kubeconfig\./,
    );
  });

  it('says which cluster or user a context names that is not defined', () => {
    const file = writeFile(
      join(folder('dangling'), 'config'),
      kubeconfig({
        clusters: [{ name: 'real', server: 'https://real.example' }],
        users: [{ name: 'me', token: 't' }],
        contexts: [
          { name: 'lost-cluster', cluster: 'gone', user: 'me' },
          { name: 'lost-user', cluster: 'real', user: 'nobody' },
        ],
      }),
    );
    const loaded = loadKubeconfig({ file });
    expectUserFacing(
      thrown(() => selectContext(loaded, 'lost-cluster')),
      'context-incomplete',
      /Context "lost-cluster" names cluster "gone", which the kubeconfig \(.*\) does not define: add that cluster/,
    );
    expectUserFacing(
      thrown(() => selectContext(loaded, 'lost-user')),
      'context-incomplete',
      /Context "lost-user" names user "nobody", which the kubeconfig \(.*\) does not define: add that user/,
    );
  });

  it('catches certificate files that are not where the kubeconfig says', () => {
    const file = writeFile(
      join(folder('missing-ca'), 'config'),
      kubeconfig({
        current: 'a',
        clusters: [{ name: 'a', server: 'https://a.example', 'certificate-authority': 'pki/ca.crt' }],
        users: [{ name: 'u', 'client-certificate': 'pki/admin.crt', 'client-key': 'pki/admin.key' }],
        contexts: [{ name: 'a', cluster: 'a', user: 'u' }],
      }),
    );
    expectUserFacing(
      thrown(() => selectContext(loadKubeconfig({ file }))),
      'context-incomplete',
      new RegExp(
        `The certificate-authority of cluster "a" is ${join(root, 'missing-ca', 'pki', 'ca.crt')}, which does not exist \\(relative paths are read from the kubeconfig's folder\\)`,
      ),
    );
  });

  it('explains that plain http needs insecure-skip-tls-verify, and accepts it with the flag', () => {
    const config = (skip: boolean): object =>
      kubeconfig({
        current: 'proxy',
        clusters: [{ name: 'proxy', server: 'http://127.0.0.1:8001', ...(skip ? { 'insecure-skip-tls-verify': true } : {}) }],
        contexts: [{ name: 'proxy', cluster: 'proxy' }],
      });
    expectUserFacing(
      thrown(() => selectContext(loadKubeconfig({ file: writeFile(join(folder('http'), 'config'), config(false)) }))),
      'context-incomplete',
      /Cluster "proxy" uses plain http \(http:\/\/127\.0\.0\.1:8001\); the Kubernetes client accepts that only with insecure-skip-tls-verify: true/,
    );
    const selected = selectContext(loadKubeconfig({ file: writeFile(join(folder('http-skip'), 'config'), config(true)) }));
    expect(selected.server).toBe('http://127.0.0.1:8001');
    expect(selected.user).toBeNull();
  });
});

describe('exec credential plugins', () => {
  it('runs the plugin through client-node and authenticates with the token it prints', async () => {
    const selected = selectContext(loadKubeconfig({ file: prodFile }), 'prod-exec');
    const snapshot = await createClusterReader(selected).readSnapshot();
    expect(snapshot.workloads).toHaveLength(8);
    const requests = emulator.requests;
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.user).toBe('headroom-exec');
      expect(request.headers.authorization).toBe(`Bearer ${emulator.execToken}`);
    }
  });

  it('reports a failing plugin with its own words and how to log in again, before any request', async () => {
    const file = emulator.writeKubeconfig(join(folder('expired'), 'config'), { name: 'expired', execFails: true }).path;
    const error = await rejected(createClusterReader(selectContext(loadKubeconfig({ file }), 'expired-exec')).readSnapshot());
    expectUserFacing(
      error,
      'credentials-failed',
      /^The credential plugin ".*node.*" of user "expired-exec" failed: error: the SSO session has expired or is invalid; run "aws sso login" to refresh it\. Run it in a terminal to log in again/,
    );
    expect(emulator.requests).toEqual([]);
  });

  it('reports credentials that cannot be prepared for other reasons, before any request', async () => {
    const dir = folder('cert-is-a-folder');
    const file = emulator.writeKubeconfig(join(dir, 'config'), { name: 'odd' }).path;
    rmSync(join(dir, 'odd-client.crt'));
    mkdirSync(join(dir, 'odd-client.crt'));
    const error = await rejected(createClusterReader(selectContext(loadKubeconfig({ file }), 'odd-cert')).readSnapshot());
    expectUserFacing(
      error,
      'credentials-failed',
      /^The credentials of user "odd-cert" in context "odd-cert" could not be prepared: EISDIR: illegal operation on a directory, read\. Fix the user in the kubeconfig\.$/,
    );
    expect(emulator.requests).toEqual([]);
  });

  it('reports a plugin that is not installed', async () => {
    const file = writeFile(
      join(folder('no-plugin'), 'config'),
      kubeconfig({
        current: 'eks',
        clusters: [{ name: 'eks', server: emulator.url }],
        users: [
          {
            name: 'eks-admin',
            exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'headroom-no-such-aws-iam-authenticator', args: ['token'] },
          },
        ],
        contexts: [{ name: 'eks', cluster: 'eks', user: 'eks-admin' }],
      }),
    );
    const error = await rejected(createClusterReader(selectContext(loadKubeconfig({ file }))).readSnapshot());
    expectUserFacing(
      error,
      'credentials-failed',
      /The credential plugin "headroom-no-such-aws-iam-authenticator" of user "eks-admin" was not found: install it, or make it reachable on the PATH/,
    );
  });
});
