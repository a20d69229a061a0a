/**
 * The README's five-minute walkthrough, run as a reader pastes it: `npm start` on a fresh data
 * directory, its shell blocks through bash and curl in order, the connect pages in real Chromium,
 * then `node examples/sdk-walkthrough.mjs`. Each `# {...}` line under a command is the answer the
 * README promises, `…` standing for any value. Only the two ports move (the server's and the demo
 * provider's, so that a server a developer runs on 8080 does not get in the way).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, within } from './support/built-cli.js';
import { launchChromium, openPage, signInAndApprove, skipWithoutBrowser } from './support/chromium.js';
import { freePort } from './support/test-server.js';

const run = promisify(execFile);
const WAIT_MS = 30_000;

/** One command of a shell block (continuation lines joined) and the answer printed under it, if any. */
interface Command {
  text: string;
  expected?: string;
}

/** The walkthrough's ```sh blocks, in order, each as its commands. */
function walkthroughBlocks(): Command[][] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## A five-minute walkthrough');
  const end = readme.indexOf('### With a real provider', start);
  if (start === -1 || end === -1) throw new Error('README: the walkthrough section is not where this test looks for it');
  const blocks: Command[][] = [];
  for (const [, body] of readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)) {
    const commands: Command[] = [];
    let pending = '';
    for (const line of body!.split('\n')) {
      if (line.startsWith('# ')) {
        const last = commands.at(-1);
        if (last) last.expected = line.slice(2);
      } else if (line.endsWith('\\')) {
        pending += `${line.slice(0, -1)} `;
      } else if (`${pending}${line}`.trim() !== '') {
        commands.push({ text: `${pending}${line}`.trim() });
        pending = '';
      }
    }
    blocks.push(commands);
  }
  return blocks;
}

/** The promised answer as a pattern: exact but for `…`, which stands for any string value (or part of one). */
function answerPattern(expected: string): RegExp {
  return new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('…', '[^"]*')}$`);
}

let dataDir: string;
let server: ChildProcess;
let provider: ChildProcess | undefined;
let browser: Browser;
let env: NodeJS.ProcessEnv;
let serverUrl: string;
let providerPort: number;
let output = '';

/** Runs one of the README's commands as the reader's shell would, in the repository. */
async function shell(text: string): Promise<string> {
  const { stdout } = await run('bash', ['-c', text], { cwd: REPO_ROOT, env, timeout: WAIT_MS });
  return stdout;
}

/** Runs a command and holds its answer to the README's promise. */
async function answerOf(command: Command): Promise<Record<string, unknown>> {
  const answer = (await shell(command.text)).trim();
  if (command.expected !== undefined) expect(answer).toMatch(answerPattern(command.expected.replaceAll('http://127.0.0.1:8080', serverUrl)));
  return JSON.parse(answer) as Record<string, unknown>;
}

/** Polls `probe` (vitest's vi.waitFor) until it gives a value; fails with `what()` after WAIT_MS. */
function waitFor<T>(what: () => string, probe: () => T | undefined): Promise<T> {
  return vi.waitFor(
    () => {
      const value = probe();
      if (value === undefined) throw new Error(what());
      return value;
    },
    { timeout: WAIT_MS, interval: 50 },
  );
}

/** The demo provider's sign-in (any name and password) and consent. */
function signIn(page: Page): Promise<void> {
  return signInAndApprove(page, `http://127.0.0.1:${providerPort}`, 'melissa');
}

async function statusOf(id: string): Promise<string> {
  const answer = await shell(`curl -s "$AUTHLINK_URL/api/v1/connected-accounts/${id}" -H "x-api-key: $AUTHLINK_API_KEY"`);
  return (JSON.parse(answer) as { status: string }).status;
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // npm runs the script in a child of its own: the whole group goes.
  process.kill(-child.pid, 'SIGTERM');
  return within(exited, 10_000, () => 'a walkthrough process did not stop').catch(() => {
    process.kill(-child.pid!, 'SIGKILL');
  });
}

beforeAll(async () => {
  if (skipWithoutBrowser) return;
  dataDir = mkdtempSync(join(tmpdir(), 'authlink-readme-'));
  const port = await freePort();
  providerPort = await freePort();
  serverUrl = `http://127.0.0.1:${port}`;
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AUTHLINK_')));
  // `npm start`, as in "Set up", on a data directory of its own and a free port.
  server = spawn('npm', ['start'], { cwd: REPO_ROOT, env: { ...base, AUTHLINK_DATA_DIR: dataDir, AUTHLINK_PORT: String(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const apiKey = await waitFor(() => `no API key in the banner: ${output}`, () => /API key for project "default" \(shown once, store it now\):\s+(alk_[A-Za-z0-9_-]+)/.exec(output)?.[1]);
  expect(output).toContain(`authlink is running at ${serverUrl}`);
  // The walkthrough's first block: the key the server printed, and where it runs.
  env = { ...base, AUTHLINK_API_KEY: apiKey, AUTHLINK_URL: serverUrl };
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stop(provider);
  await stop(server);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(skipWithoutBrowser)('the README walkthrough, as pasted', () => {
  const blocks = skipWithoutBrowser ? [] : walkthroughBlocks();
  const block = (index: number, first: string): Command[] => {
    const commands = blocks[index];
    // A reordered README should fail here, by name, not somewhere below.
    expect(commands?.[0]?.text, `walkthrough block ${index}`).toContain(first);
    return commands!;
  };
  let oauthAccountId: string;

  it('0. puts the printed key in the environment', () => {
    const [key, url] = block(0, 'export AUTHLINK_API_KEY=');
    expect(url?.text).toBe('export AUTHLINK_URL=http://127.0.0.1:8080');
    expect(key?.text).toMatch(/^export AUTHLINK_API_KEY=alk_\.\.\./);
  });

  it('1. searches the catalog over HTTP and with the CLI', async () => {
    const [search, cli] = block(1, '/api/v1/apps?search=google');
    const found = JSON.parse(await shell(search!.text)) as { items: Array<{ key: string; authSchemes: Array<{ scheme: string }> }> };
    expect(found.items.length).toBeGreaterThan(0);
    expect(found.items.length).toBeLessThanOrEqual(3);
    for (const app of found.items) expect(app.authSchemes.map((s) => s.scheme)).toContain('OAUTH2');

    expect(cli!.text).toMatch(/^npm run authlink -- apps list --search crm\s+# or: apps show github$/);
    expect(await shell(cli!.text)).toMatch(/hubspot/i);
    expect(await shell('npm run authlink -- apps show github')).toMatch(/github\.com\/login\/oauth\/authorize/);
  });

  it('2. connects an API key at once', async () => {
    const [command] = block(2, '"app":"openai"');
    const answer = await answerOf(command!);
    expect(answer.connectionStatus).toBe('ACTIVE');
  });

  it('3. lets the user type a key into the hosted form', async () => {
    const [command] = block(3, '"app":"stripe"');
    const answer = await answerOf(command!);
    const { page, complaints } = await openPage(browser);
    await page.goto(answer.redirectUrl as string);
    await page.fill('input[type=password]', 'sk_test_abc123');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Stripe is connected', { timeout: WAIT_MS });
    expect(await statusOf(answer.connectedAccountId as string)).toBe('ACTIVE');
    expect(complaints).toEqual([]);
    await page.context().close();
  });

  it('4. connects through the demo OpenID provider', async () => {
    const [start] = block(4, 'npm run demo:provider');
    provider = spawn('bash', ['-c', start!.text], {
      cwd: REPO_ROOT,
      env: { ...env, DEMO_PROVIDER_PORT: String(providerPort), AUTHLINK_PUBLIC_URL: serverUrl },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    provider.stdout!.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    await waitFor(() => `the demo provider did not start: ${printed}`, () => (printed.includes('demo OpenID provider at') ? true : undefined));

    const [integration, initiate] = block(5, '/api/v1/integrations').map((command) => ({ text: command.text.replaceAll('127.0.0.1:9000', `127.0.0.1:${providerPort}`) }));
    expect(JSON.parse(await shell(integration!.text))).toMatchObject({ app: 'demo', authScheme: 'OAUTH2' });
    const started = JSON.parse(await shell(initiate!.text)) as { connectionStatus: string; connectedAccountId: string; redirectUrl: string };
    expect(started.connectionStatus).toBe('INITIATED');
    oauthAccountId = started.connectedAccountId;

    const { page, complaints } = await openPage(browser);
    // "a page that does not exist": the browser is stopped there and the URL read.
    await page.route('http://127.0.0.1:3000/**', (route) => route.fulfill({ status: 404, body: 'not found' }));
    await page.goto(started.redirectUrl);
    await signIn(page);
    await page.waitForURL((url) => url.origin === 'http://127.0.0.1:3000', { timeout: WAIT_MS });
    const landed = new URL(page.url());
    expect(landed.pathname).toBe('/connected');
    expect(Object.fromEntries(landed.searchParams)).toEqual({ status: 'success', connectedAccountId: oauthAccountId, appName: 'demo' });
    expect(complaints.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
    await page.context().close();
  });

  it('5. lists the user’s accounts and reads the OAuth tokens', async () => {
    const [list, read] = block(6, 'entityId=melissa&status=ACTIVE');
    const accounts = JSON.parse(await shell(list!.text)) as { items: Array<{ id: string; app: string; status: string }> };
    expect(accounts.items.map((a) => a.app).sort()).toEqual(['demo', 'openai', 'stripe']);
    expect(accounts.items.every((a) => a.status === 'ACTIVE')).toBe(true);
    expect(read!.text).toContain('ca_…');
    const credentials = await answerOf({ text: read!.text.replace('ca_…', oauthAccountId), expected: read!.expected });
    expect(credentials.connectedAccountId).toBe(oauthAccountId);
  });

  it('runs examples/sdk-walkthrough.mjs', async () => {
    const [command] = block(7, 'node examples/sdk-walkthrough.mjs');
    const example = spawn('bash', ['-c', command!.text], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    example.stdout!.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    example.stderr!.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
    const exited = new Promise<number | null>((resolve) => example.once('exit', resolve));
    try {
      const link = await waitFor(() => `the example printed no link: ${printed}`, () => /^\s+(http:\/\/\S+\/connect\/\S+)$/m.exec(printed)?.[1]);
      const { page } = await openPage(browser);
      await page.goto(link);
      await signIn(page);
      expect(await within(exited, WAIT_MS, () => `the example did not finish: ${printed}`)).toBe(0);
      await page.context().close();
    } finally {
      example.kill();
    }
    expect(printed).toMatch(/^openai: ACTIVE ca_/m);
    expect(printed).toMatch(/^demo: ACTIVE ca_/m);
    expect(printed).toMatch(/^access token expires at \d{4}-/m);
  });
});
