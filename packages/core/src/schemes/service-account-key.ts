import { importPKCS8, type CryptoKey } from 'jose';
import { AuthlinkError } from '../errors/authlink-error.js';

/** What a Google service-account key file holds that the JWT-bearer grant needs. */
export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: CryptoKey;
  privateKeyId?: string;
}

/** Google names its previous token endpoint in older key files; both are Google's own. */
const GOOGLE_TOKEN_ENDPOINTS = new Set(['https://oauth2.googleapis.com/token', 'https://accounts.google.com/o/oauth2/token']);

function invalid(field: string, message: string, options?: { cause?: unknown }): AuthlinkError {
  const path = `/data/${field}`;
  return new AuthlinkError('INVALID_FIELD', `${path}: ${message}`, { errors: [{ path, message }], ...options });
}

function sameEndpoint(a: string, b: string): boolean {
  const normalize = (url: string) => {
    try {
      return new URL(url).href;
    } catch {
      return url;
    }
  };
  const [left, right] = [normalize(a), normalize(b)];
  return left === right || (GOOGLE_TOKEN_ENDPOINTS.has(left) && GOOGLE_TOKEN_ENDPOINTS.has(right));
}

/**
 * Reads the JSON key file the user pasted. Messages name the member at fault and never repeat a
 * value: the file is a private key.
 *
 * `token_uri` is checked, never used. The token endpoint is the integration's (or the catalog's):
 * posting to a URL the user chose would let any user make this server send requests anywhere. A
 * key that names another endpoint is refused rather than silently ignored, since it was issued
 * by a different authorization server and could only fail later, less clearly.
 */
export async function parseServiceAccountKey(field: string, json: string, tokenUrl: string): Promise<ServiceAccountKey> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw invalid(field, 'is not JSON: paste the whole key file downloaded from the Google Cloud console');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid(field, 'must be a JSON object (a service-account key file)');
  const key = parsed as Record<string, unknown>;
  if (key.type !== 'service_account') throw invalid(field, 'type must be "service_account": this is not a service-account key file');
  if (typeof key.client_email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(key.client_email)) {
    throw invalid(field, 'client_email is missing or not an email address');
  }
  if (typeof key.private_key !== 'string' || !key.private_key.includes('-----BEGIN PRIVATE KEY-----')) {
    throw invalid(field, 'private_key is missing or not a PKCS #8 PEM private key');
  }
  if (key.private_key_id !== undefined && typeof key.private_key_id !== 'string') throw invalid(field, 'private_key_id must be a string');
  if (key.token_uri !== undefined) {
    if (typeof key.token_uri !== 'string') throw invalid(field, 'token_uri must be a string');
    if (!sameEndpoint(key.token_uri, tokenUrl)) {
      throw invalid(field, `token_uri names another token endpoint than this integration's (${tokenUrl}); the key was issued for a different server`);
    }
  }
  let privateKey: CryptoKey;
  try {
    privateKey = await importPKCS8(key.private_key, 'RS256');
  } catch (error) {
    throw invalid(field, 'private_key is not a usable RSA private key', { cause: error });
  }
  const result: ServiceAccountKey = { clientEmail: key.client_email, privateKey };
  if (typeof key.private_key_id === 'string' && key.private_key_id !== '') result.privateKeyId = key.private_key_id;
  return result;
}
