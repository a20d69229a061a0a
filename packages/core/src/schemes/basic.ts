import { defineFieldScheme } from './field-scheme.js';

/** `BASIC`: username and password, sent as RFC 7617 Basic authentication. */
export const basicScheme = defineFieldScheme({
  name: 'BASIC',
  defaultFields: [
    { name: 'username', label: 'Username', secret: false, required: true, suppliedBy: 'user' },
    { name: 'password', label: 'Password', secret: true, required: true, suppliedBy: 'user' },
  ],
  defaultPlacement: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }],
});
