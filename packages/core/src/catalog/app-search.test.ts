import { describe, expect, it } from 'vitest';
import { searchApps } from './app-search.js';
import { Catalog } from './catalog.js';

const apps = Catalog.load().list();

describe('searchApps', () => {
  it('needs every word, in key, name, description or categories, ignoring case', () => {
    const found = searchApps(apps, { search: 'GOOGLE sheets' });
    expect(found.map((a) => a.key)).toEqual(['google-sheets']);
  });

  it('filters by category and auth scheme, and combines criteria', () => {
    const oauth1 = searchApps(apps, { authScheme: 'OAUTH1' });
    expect(oauth1.length).toBeGreaterThan(0);
    expect(oauth1.every((a) => a.authSchemes.some((s) => s.scheme === 'OAUTH1'))).toBe(true);
    const crmKeys = searchApps(apps, { category: 'crm', authScheme: 'API_KEY' });
    expect(crmKeys.every((a) => a.categories.includes('crm') && a.authSchemes.some((s) => s.scheme === 'API_KEY'))).toBe(true);
    expect(searchApps(apps, {})).toHaveLength(apps.length);
    expect(searchApps(apps, { search: 'no-such-app-anywhere' })).toEqual([]);
  });
});
