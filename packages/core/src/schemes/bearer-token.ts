import { defineFieldScheme } from './field-scheme.js';

/** `BEARER_TOKEN`: a token the user already holds, sent as an RFC 6750 bearer token. */
export const bearerTokenScheme = defineFieldScheme({
  name: 'BEARER_TOKEN',
  defaultFields: [{ name: 'token', label: 'Token', secret: true, required: true, suppliedBy: 'user' }],
  defaultPlacement: [{ in: 'header', name: 'Authorization', value: 'Bearer {token}' }],
});
