import type { CredentialPlacement } from '../catalog/app-definition.js';
import { renderTemplate } from '../catalog/template.js';
import type { Credentials } from '../model.js';
import type { OutgoingRequest } from './auth-scheme.js';

/** Values a placement template may name: string credentials, public fields, and `basic`. */
function templateValues(credentials: Credentials, data: Readonly<Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = { ...data };
  for (const [name, value] of Object.entries(credentials)) {
    if (typeof value === 'string') values[name] = value;
  }
  if (values.username !== undefined) {
    values.basic = Buffer.from(`${values.username}:${values.password ?? ''}`).toString('base64');
  }
  return values;
}

export function applyPlacements(
  placements: readonly CredentialPlacement[],
  credentials: Credentials,
  data: Readonly<Record<string, string>>,
  request: OutgoingRequest,
): void {
  const values = templateValues(credentials, data);
  for (const placement of placements) {
    const value = renderTemplate(placement.value, values);
    if (placement.in === 'header') request.headers[placement.name.toLowerCase()] = value;
    else request.query.set(placement.name, value);
  }
}
