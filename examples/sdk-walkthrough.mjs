// The README's SDK walkthrough. Run from the repository root after `npm install`:
//   AUTHLINK_API_KEY=alk_... node examples/sdk-walkthrough.mjs
// It connects an API-key app at once, then an OAuth app through the demo provider
// (`npm run demo:provider`), waiting while you approve in the browser.
import { AuthLink } from '@authlink/sdk';

const client = new AuthLink({ baseUrl: process.env.AUTHLINK_URL ?? 'http://127.0.0.1:8080' }); // apiKey: AUTHLINK_API_KEY
const entity = client.getEntity('melissa');

// 1. An API key, supplied by your application: ACTIVE at once. authlink checks a key with the
// app before that; this one is made up, so the check is off (leave `validate` out for real keys).
const openai = await entity.initiateConnection({ app: 'openai', data: { apiKey: 'sk-demo-123' }, labels: ['primary'], validate: false });
console.log('openai:', openai.connectionStatus, openai.connectedAccountId);
console.log('credentials:', (await client.connectedAccounts.credentials(openai.connectedAccountId)).credentials);

// 2. OAuth 2.0 against the local demo provider (any OpenID provider works the same way by issuer).
let integration = (await client.integrations.list({ app: 'demo' })).items[0];
integration ??= await client.integrations.create({
  app: 'demo',
  authScheme: 'OAUTH2',
  authConfig: { issuer: 'http://127.0.0.1:9000', clientId: 'demo-client', clientSecret: 'demo-secret', scopes: ['openid', 'email'] },
});
const request = await entity.initiateConnection({ integrationId: integration.id });
console.log(`\nOpen this URL in a browser, sign in with any name, and approve:\n\n  ${request.redirectUrl}\n`);
const account = await request.waitUntilActive({ timeoutMs: 300_000 });
console.log('demo:', account.status, account.id);

const connection = await entity.getConnection({ app: 'demo' });
const { credentials } = await client.connectedAccounts.credentials(connection.id);
console.log('access token expires at', credentials.expiresAt);
