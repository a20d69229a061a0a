/**
 * `{name}` templates used in catalog entries: URLs ("https://{shop}.myshopify.com/..."),
 * credential placements ("Bearer {accessToken}") and headers.
 */

const PLACEHOLDER = /\{([^{}]*)\}/g;

export class MissingTemplateFieldError extends Error {
  readonly field: string;

  constructor(field: string, template?: string) {
    super(
      template === undefined
        ? `Missing value for template field "${field}"`
        : `Missing value for template field "${field}" in "${template}"`,
    );
    this.name = 'MissingTemplateFieldError';
    this.field = field;
  }
}

/** The names between braces, each once, in order of first appearance. */
export function templateFields(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export interface RenderTemplateOptions {
  /** Apply encodeURIComponent to each substituted value (for URLs). */
  encode?: boolean;
}

/**
 * Substitutes every `{name}` with `values[name]`. A missing or empty value throws
 * MissingTemplateFieldError rather than producing a half-rendered URL or header.
 */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string | undefined>>,
  opts: RenderTemplateOptions = {},
): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
    if (value === undefined || value === '') throw new MissingTemplateFieldError(name, template);
    return opts.encode === true ? encodeURIComponent(value) : value;
  });
}
