import { describe, expect, it } from 'vitest';
import { MissingTemplateFieldError, renderTemplate, templateFields } from './template.js';

describe('templateFields', () => {
  it('lists each placeholder once, in order', () => {
    expect(templateFields('https://{shop}.myshopify.com/admin/{version}/{shop}')).toEqual(['shop', 'version']);
  });

  it('returns nothing for a template without placeholders', () => {
    expect(templateFields('https://api.github.com')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it('substitutes every placeholder', () => {
    expect(renderTemplate('Bearer {accessToken}', { accessToken: 'abc' })).toBe('Bearer abc');
    expect(renderTemplate('https://{shop}.myshopify.com/{shop}', { shop: 'acme' })).toBe(
      'https://acme.myshopify.com/acme',
    );
  });

  it('leaves a template without placeholders unchanged', () => {
    expect(renderTemplate('https://api.stripe.com/v1', {})).toBe('https://api.stripe.com/v1');
  });

  it('throws MissingTemplateFieldError naming a missing field', () => {
    const attempt = () => renderTemplate('https://{shop}.myshopify.com', { other: 'x' });
    expect(attempt).toThrow(MissingTemplateFieldError);
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(MissingTemplateFieldError);
      expect((error as MissingTemplateFieldError).field).toBe('shop');
      expect((error as Error).message).toContain('"shop"');
    }
  });

  it('treats an empty or undefined value as missing', () => {
    expect(() => renderTemplate('{apiKey}', { apiKey: '' })).toThrow(MissingTemplateFieldError);
    expect(() => renderTemplate('{apiKey}', { apiKey: undefined })).toThrow(MissingTemplateFieldError);
  });

  it('does not read inherited properties', () => {
    expect(() => renderTemplate('{toString}', {})).toThrow(MissingTemplateFieldError);
  });

  it('encodes values only when asked', () => {
    const values = { shop: 'a b/c?d' };
    expect(renderTemplate('https://x/{shop}', values)).toBe('https://x/a b/c?d');
    expect(renderTemplate('https://x/{shop}', values, { encode: true })).toBe('https://x/a%20b%2Fc%3Fd');
  });

  it('does not re-expand braces that come from a value', () => {
    expect(renderTemplate('{a}-{b}', { a: '{b}', b: 'x' })).toBe('{b}-x');
  });
});
