import { defineFieldScheme } from './field-scheme.js';

/** `API_KEY`: one secret key the user copies from the provider's settings. */
export const apiKeyScheme = defineFieldScheme({
  name: 'API_KEY',
  defaultFields: [{ name: 'apiKey', label: 'API key', secret: true, required: true, suppliedBy: 'user' }],
  defaultPlacement: [{ in: 'header', name: 'Authorization', value: 'Bearer {apiKey}' }],
});
