import type { ConnectForm } from '@authlink/core';
import { escapeHtml, renderPage } from './html.js';

/** The hosted form for fields the initiator did not supply. Secret inputs are never prefilled. */
export function renderConnectForm(form: ConnectForm, action: string): string {
  const inputs = form.fields
    .map((field) => {
      const value = !field.secret && form.values[field.name] !== undefined ? ` value="${escapeHtml(form.values[field.name] ?? '')}"` : '';
      const help = field.description ? `<small>${escapeHtml(field.description)}</small>` : '';
      const placeholder = field.placeholder ? ` placeholder="${escapeHtml(field.placeholder)}"` : '';
      return `<label for="f-${escapeHtml(field.name)}">${escapeHtml(field.label)}${help}</label>
<input id="f-${escapeHtml(field.name)}" name="${escapeHtml(field.name)}" type="${field.secret ? 'password' : 'text'}"${value}${placeholder}${
        field.required ? ' required' : ''
      } autocomplete="off" spellcheck="false">`;
    })
    .join('\n');
  const error = form.error ? `<p class="error" role="alert">${escapeHtml(form.error)}</p>` : '';
  return renderPage(
    `Connect ${form.appName}`,
    `<h1>Connect ${escapeHtml(form.appName)}</h1>${error}
<form method="post" action="${escapeHtml(action)}">${inputs}
<button type="submit">Connect</button></form>`,
  );
}
