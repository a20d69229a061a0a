import { escapeHtml, renderPage } from './html.js';

const MESSAGES: Record<string, string> = {
  invalid_state: 'This sign-in link is not valid any more: it was already used, has expired, or was not issued here. Start the connection again from the application.',
  connection_not_pending: 'This connection is no longer waiting for a sign-in. Start it again from the application.',
  browser_mismatch: 'This sign-in was finished in a different browser than the one that opened the link. Start the connection again from the application, in one browser.',
  rate_limited: 'Too many attempts from your network. Wait a minute and try again.',
  bad_request: 'The form could not be read. Go back, check what you typed and send it again.',
  link_invalid: 'This connect link is not valid any more: it was already used or has expired. Ask the application for a new one.',
};

export function renderSuccessPage(appName: string): string {
  return renderPage('Connected', `<h1 class="ok">${escapeHtml(appName)} is connected</h1><p>You can close this window and return to the application.</p>`);
}

export function renderFailurePage(error: string, appName?: string): string {
  const message = MESSAGES[error] ?? `The provider did not complete the connection (${error}). You can close this window and try again from the application.`;
  return renderPage('Connection failed', `<h1>${appName ? `${escapeHtml(appName)}: ` : ''}connection failed</h1><p class="error">${escapeHtml(message)}</p>`);
}
