/**
 * The BUILT command line (`node packages/server/dist/cli.js`) as a child process: `serve` and
 * `projects create`, configured by environment, on temporary data directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { CLI, REPO_ROOT, within } from './support/built-cli.js';
import { freePort } from './support/test-server.js';
import { readAnswer } from './support/http-answer.js';

/** Upper bound for a child to print its banner or to exit. */
const WAIT_MS = 20_000;
const API_KEY_PATTERN = /\balk_[A-Za-z0-9_-]+/;

interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (signal name when killed) — bounded by WAIT_MS. */
  exited: Promise<number | string>;
}

const running = new Set<CliRun>();
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'authlink-cli-'));
  tempDirs.push(dir);
  return dir;
}

/** The parent's environment without any AUTHLINK_* variable, plus `env`. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AUTHLINK_')) clean[name] = value;
  return { ...clean, ...env };
}

function runCli(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const run: CliRun = { child, stdout: () => out, stderr: () => err, exited };
  running.add(run);
  void exited.then(() => running.delete(run));
  return run;
}


function describeRun(run: CliRun): string {
  return `stdout=${JSON.stringify(run.stdout().slice(-2000))} stderr=${JSON.stringify(run.stderr().slice(-2000))}`;
}

/** Waits until stdout matches `pattern`; fails early if the process exits first. */
async function waitForStdout(run: CliRun, pattern: RegExp): Promise<RegExpMatchArray> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const match = run.stdout().match(pattern);
    if (match) return match;
    if (run.child.exitCode !== null || run.child.signalCode !== null) {
      throw new Error(`process exited (${run.child.exitCode ?? run.child.signalCode}) before printing ${pattern}: ${describeRun(run)}`);
    }
    if (Date.now() > deadline) throw new Error(`no ${pattern} on stdout within ${WAIT_MS} ms: ${describeRun(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function exitCodeOf(run: CliRun): Promise<number | string> {
  return within(run.exited, WAIT_MS, () => `process did not exit: ${describeRun(run)}`);
}

/** Starts `serve` and resolves once the banner (with the API reference line, its last) is out. */
async function serve(env: Record<string, string>, args: string[] = []): Promise<CliRun & { url: string }> {
  const run = runCli(['serve', ...args], env);
  const [, url] = await waitForStdout(run, /authlink is running at (http:\/\/\S+)/);
  await waitForStdout(run, /API reference: \S+\/openapi\.json/);
  return { ...run, url: url! };
}

/** Banner lines only: stdout without pino's JSON log lines. */
function banner(run: CliRun): string {
  return run
    .stdout()
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('{'))
    .join('\n');
}

async function get(url: string, apiKey?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers: apiKey === undefined ? {} : { 'x-api-key': apiKey }, signal: AbortSignal.timeout(10_000) });
  const { status, body } = await readAnswer(response);
  return { status, body };
}

async function stop(run: CliRun): Promise<number | string> {
  run.child.kill('SIGTERM');
  return exitCodeOf(run);
}


afterEach(async () => {
  const left = [...running];
  for (const run of left) run.child.kill('SIGKILL');
  await Promise.all(left.map((run) => within(run.exited, 5_000, () => 'child did not die after SIGKILL').catch(() => undefined)));
});

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('authlink projects create', () => {
  it('prints exactly one JSON line with projectId and apiKey, and the key opens the API of a server on the same data dir', async () => {
    const dataDir = tempDir();
    const create = runCli(['projects', 'create', '--name', 'Acme Corp', '--json'], { AUTHLINK_DATA_DIR: dataDir });
    expect(await exitCodeOf(create), describeRun(create)).toBe(0);

    const lines = create.stdout().split('\n').filter((line) => line !== '');
    expect(lines, describeRun(create)).toHaveLength(1);
    const printed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(printed).sort()).toEqual(['apiKey', 'projectId']);
    expect(printed.projectId).toEqual(expect.any(String));
    expect(printed.apiKey).toMatch(API_KEY_PATTERN);

    const port = await freePort();
    const server = await serve({ AUTHLINK_DATA_DIR: dataDir, AUTHLINK_PORT: String(port) });
    // A project exists already: no default project key is minted.
    expect(banner(server)).not.toMatch(API_KEY_PATTERN);

    const apps = await get(`${server.url}/api/v1/apps`, printed.apiKey as string);
    expect(apps.status).toBe(200);
    expect(apps.body.items.map((a: { key: string }) => a.key)).toContain('github');
    expect((await get(`${server.url}/api/v1/apps`, 'alk_not-the-key')).status).toBe(401);
    expect(await stop(server)).toBe(0);
  });

  it('gives every project its own key', async () => {
    const dataDir = tempDir();
    const first = runCli(['projects', 'create', '--name', 'one', '--json'], { AUTHLINK_DATA_DIR: dataDir });
    expect(await exitCodeOf(first), describeRun(first)).toBe(0);
    const second = runCli(['projects', 'create', '--name', 'two', '--json'], { AUTHLINK_DATA_DIR: dataDir });
    expect(await exitCodeOf(second), describeRun(second)).toBe(0);
    const a = JSON.parse(first.stdout()) as { projectId: string; apiKey: string };
    const b = JSON.parse(second.stdout()) as { projectId: string; apiKey: string };
    expect(a.projectId).not.toBe(b.projectId);
    expect(a.apiKey).not.toBe(b.apiKey);
  });
});

describe('authlink projects update', () => {
  it("sets a project's redirect allow-list and binding, and refuses a bad URL without changing anything", async () => {
    const env = { AUTHLINK_DATA_DIR: tempDir(), AUTHLINK_API_KEY: 'update-test-key' };
    const set = runCli(['projects', 'update', '--id', 'default', '--allowed-redirect-url', 'https://app.example/cb/', '--require-same-browser', 'yes', '--json'], env);
    expect(await exitCodeOf(set), describeRun(set)).toBe(0);
    expect(JSON.parse(set.stdout())).toMatchObject({ id: 'default', allowedRedirectUrls: ['https://app.example/cb/'], requireSameBrowser: true, confirmationUrl: null });

    const bad = runCli(['projects', 'update', '--id', 'default', '--allowed-redirect-url', 'javascript:alert(1)', '--json'], env);
    expect(await exitCodeOf(bad)).not.toBe(0);
    expect(bad.stderr()).toMatch(/allowedRedirectUrls\/0/);

    const read = runCli(['projects', 'update', '--id', 'default', '--json'], env);
    expect(await exitCodeOf(read)).toBe(0);
    expect(JSON.parse(read.stdout()).allowedRedirectUrls).toEqual(['https://app.example/cb/']);
  });
});

describe('authlink serve', () => {
  it('prints its URL and a first API key, serves /healthz and the API, keeps a 0600 key file, and exits 0 on SIGTERM', async () => {
    const dataDir = join(tempDir(), 'nested', 'data'); // created by the server
    const port = await freePort();
    const first = await serve({ AUTHLINK_DATA_DIR: dataDir, AUTHLINK_PORT: String(port) });
    expect(first.url).toBe(`http://127.0.0.1:${port}`);
    const apiKey = banner(first).match(API_KEY_PATTERN)?.[0];
    expect(apiKey, describeRun(first)).toBeDefined();

    const health = await get(`${first.url}/healthz`);
    expect(health).toEqual({ status: 200, body: { status: 'ok' } });
    const apps = await get(`${first.url}/api/v1/apps`, apiKey);
    expect(apps.status).toBe(200);
    expect(apps.body.items.length).toBeGreaterThan(0);
    expect((await get(`${first.url}/api/v1/apps`)).status).toBe(401);

    const keyFile = join(dataDir, 'encryption.key');
    expect(existsSync(keyFile)).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    expect(await stop(first)).toBe(0);
    // The key never reaches stderr or the log lines.
    expect(first.stderr()).not.toContain(apiKey!);
    expect(first.stdout().split(apiKey!).length - 1).toBe(1);

    // Second start on the same directory: same data, no new key.
    const port2 = await freePort();
    const second = await serve({ AUTHLINK_DATA_DIR: dataDir, AUTHLINK_PORT: String(port2) });
    expect(banner(second)).not.toMatch(API_KEY_PATTERN);
    expect((await get(`${second.url}/api/v1/apps`, apiKey)).status).toBe(200);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(await stop(second)).toBe(0);
  });

  it('opens the API with exactly the key given in AUTHLINK_API_KEY', async () => {
    const port = await freePort();
    const server = await serve({ AUTHLINK_DATA_DIR: tempDir(), AUTHLINK_PORT: String(port), AUTHLINK_API_KEY: 'xyz' });
    expect(banner(server)).not.toMatch(API_KEY_PATTERN);
    expect((await get(`${server.url}/api/v1/apps`, 'xyz')).status).toBe(200);
    expect((await get(`${server.url}/api/v1/apps`, 'xyz-wrong')).status).toBe(401);
    expect(await stop(server)).toBe(0);
  });

  it('lets the --port flag win over AUTHLINK_PORT', async () => {
    const port = await freePort();
    const server = await serve({ AUTHLINK_DATA_DIR: tempDir(), AUTHLINK_PORT: 'not-a-port', AUTHLINK_API_KEY: 'flag-key' }, ['--port', String(port)]);
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    expect(await stop(server)).toBe(0);
  });
});

describe('authlink serve refuses a bad configuration', () => {
  it('exits non-zero naming AUTHLINK_ENCRYPTION_KEY when it is not base64', async () => {
    const port = await freePort();
    const run = runCli(['serve'], { AUTHLINK_DATA_DIR: tempDir(), AUTHLINK_PORT: String(port), AUTHLINK_ENCRYPTION_KEY: 'not-base64!' });
    const code = await exitCodeOf(run);
    expect(code, describeRun(run)).not.toBe(0);
    expect(typeof code).toBe('number');
    expect(run.stderr()).toContain('AUTHLINK_ENCRYPTION_KEY');
    expect(run.stdout()).not.toContain('authlink is running');
  });

  it('exits non-zero naming AUTHLINK_ENCRYPTION_KEY when it is not 32 bytes', async () => {
    const run = runCli(['serve'], {
      AUTHLINK_DATA_DIR: tempDir(),
      AUTHLINK_PORT: String(await freePort()),
      AUTHLINK_ENCRYPTION_KEY: Buffer.alloc(16, 1).toString('base64'),
    });
    const code = await exitCodeOf(run);
    expect(code, describeRun(run)).not.toBe(0);
    expect(run.stderr()).toMatch(/AUTHLINK_ENCRYPTION_KEY.*32 bytes/);
  });

  it('refuses PostgreSQL without AUTHLINK_ENCRYPTION_KEY, with a clear message', async () => {
    const run = runCli(['serve'], { AUTHLINK_DATA_DIR: tempDir(), AUTHLINK_PORT: String(await freePort()), AUTHLINK_DATABASE_URL: 'postgres://x' });
    const code = await exitCodeOf(run);
    expect(code, describeRun(run)).not.toBe(0);
    expect(typeof code).toBe('number');
    expect(run.stderr()).toMatch(/AUTHLINK_ENCRYPTION_KEY is required with PostgreSQL/);
    // A message, not a stack trace.
    expect(run.stderr()).not.toMatch(/^\s+at /m);
    expect(run.stdout()).not.toContain('authlink is running');
  });

  it('exits non-zero naming AUTHLINK_PORT when it is not a port number', async () => {
    const run = runCli(['serve'], { AUTHLINK_DATA_DIR: tempDir(), AUTHLINK_PORT: 'eighty' });
    const code = await exitCodeOf(run);
    expect(code, describeRun(run)).not.toBe(0);
    expect(run.stderr()).toContain('AUTHLINK_PORT');
  });
});
