/**
 * Real Chromium for the pages' tests (Debian's `chromium`, driven by playwright-core): what a
 * browser enforces — CSP on forms and on their redirects, cookies, navigation — no HTTP client
 * plays faithfully. `.ci/run` installs it and sets AUTHLINK_TEST_REQUIRE_BROWSER, so that CI
 * fails rather than skips when it is missing; elsewhere the suites skip without it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

const CANDIDATES = [process.env.AUTHLINK_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const chromiumPath: string | undefined = CANDIDATES.find((path): path is string => path !== undefined && path !== '' && existsSync(path));

/** Skip the suite when there is no browser here, unless the run requires one (CI). */
export const skipWithoutBrowser = chromiumPath === undefined && process.env.AUTHLINK_TEST_REQUIRE_BROWSER === undefined;

export async function launchChromium(): Promise<Browser> {
  if (chromiumPath === undefined) throw new Error('no Chromium: install Debian’s chromium, or set AUTHLINK_TEST_CHROMIUM to its path');
  return chromium.launch({
    executablePath: chromiumPath,
    // As root there is no sandbox; without the background-networking flags Chromium calls Google's hosts, which this network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A page in a context of its own (its own cookies) that keeps what the browser complained about
 * (CSP violations are console errors). Requests beyond this machine are refused before they leave
 * it: the tests' peers are local, and a page of theirs that asks for a web font must not call out.
 */
export async function openPage(browser: Browser): Promise<{ page: Page; complaints: string[] }> {
  const context = await browser.newContext();
  await context.route((url) => !LOOPBACK_HOSTS.has(url.hostname), (route) => route.abort('blockedbyclient'));
  const page = await context.newPage();
  const complaints: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error' || message.type() === 'warning') complaints.push(message.text());
  });
  page.on('pageerror', (error) => complaints.push(error.message));
  return { page, complaints };
}

/**
 * Signs in at an oidc-provider's development interaction pages (any name and password) and
 * approves its consent page; `beforeApproving` runs while consent is on screen.
 */
export async function signInAndApprove(page: Page, providerOrigin: string, login: string, beforeApproving?: () => Promise<void>): Promise<void> {
  await page.waitForURL((url) => url.origin === providerOrigin, { timeout: 15_000 });
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Authorize');
  await beforeApproving?.();
  await page.click('button[type=submit]');
}
