import type { AppDefinition, AuthSchemeName } from './app-definition.js';

export interface AppQuery {
  /** Words that must each appear in the key, name, description or categories (case-insensitive). */
  search?: string | undefined;
  category?: string | undefined;
  authScheme?: AuthSchemeName | undefined;
}

/** Filters apps; every given criterion must hold. Keeps the catalog's order (by key). */
export function searchApps(apps: readonly AppDefinition[], query: AppQuery): AppDefinition[] {
  const words = (query.search ?? '').toLowerCase().split(/\s+/).filter((w) => w !== '');
  const category = query.category?.toLowerCase();
  return apps.filter((app) => {
    if (category !== undefined && !app.categories.some((c) => c.toLowerCase() === category)) return false;
    if (query.authScheme !== undefined && !app.authSchemes.some((s) => s.scheme === query.authScheme)) return false;
    if (words.length === 0) return true;
    const text = [app.key, app.name, app.description, ...app.categories].join(' ').toLowerCase();
    return words.every((word) => text.includes(word));
  });
}
