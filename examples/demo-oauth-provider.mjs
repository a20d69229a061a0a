// A local OpenID Connect provider to try authlink's OAuth flow without registering an app
// anywhere: any username and password log in. For demos only (in-memory, development keys).
//
//   npm run demo:provider        # http://127.0.0.1:9000, client demo-client / demo-secret
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.DEMO_PROVIDER_PORT ?? 9000);
const authlinkUrl = (process.env.AUTHLINK_PUBLIC_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'demo-client',
      client_secret: 'demo-secret',
      redirect_uris: [`${authlinkUrl}/oauth/callback`],
      grant_types: ['authorization_code', 'refresh_token'],
    },
  ],
  features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  // Issue a refresh token to every client allowed the grant, as most third-party providers do.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
  async findAccount(_ctx, id) {
    return { accountId: id, claims: async () => ({ sub: id, email: `${id}@example.com`, name: id }) };
  },
});

createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`demo OpenID provider at ${issuer}`);
  console.log(`  client id: demo-client   client secret: demo-secret   redirect: ${authlinkUrl}/oauth/callback`);
  console.log('  sign in with any username and password');
});
