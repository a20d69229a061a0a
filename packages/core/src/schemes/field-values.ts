import type { FieldDefinition } from '../catalog/app-definition.js';
import { AuthlinkError, type FieldProblem } from '../errors/authlink-error.js';

const MAX_FIELD_LENGTH = 8192;

export interface CollectedFields {
  secrets: Record<string, string>;
  publicData: Record<string, string>;
  missing: FieldDefinition[];
}

/**
 * Splits supplied values into secret and public ones by the field definitions, reporting what is
 * missing. A value that is present but wrong (pattern, length, unknown name) is an error at once:
 * asking the end user for a field the initiator got wrong would hide the initiator's bug.
 */
export function collectFields(fields: readonly FieldDefinition[], data: Readonly<Record<string, string>>): CollectedFields {
  const userFields = fields.filter((f) => f.suppliedBy === 'user');
  const problems: FieldProblem[] = [];
  const known = new Set(userFields.map((f) => f.name));
  for (const name of Object.keys(data)) {
    if (!known.has(name)) problems.push({ path: `/data/${name}`, message: `unknown field; expected one of: ${[...known].join(', ') || '(none)'}` });
  }
  const result: CollectedFields = { secrets: {}, publicData: {}, missing: [] };
  for (const field of userFields) {
    const value = data[field.name];
    if (value === undefined || value === '') {
      if (field.required) result.missing.push(field);
      continue;
    }
    if (value.length > MAX_FIELD_LENGTH) {
      problems.push({ path: `/data/${field.name}`, message: `longer than ${MAX_FIELD_LENGTH} characters` });
      continue;
    }
    if (field.pattern !== undefined && !new RegExp(field.pattern).test(value)) {
      // The pattern is catalog data, not the value: safe to show.
      problems.push({ path: `/data/${field.name}`, message: `${field.label} does not have the expected format (${field.pattern})` });
      continue;
    }
    (field.secret ? result.secrets : result.publicData)[field.name] = value;
  }
  if (problems.length > 0) {
    throw new AuthlinkError('INVALID_FIELD', problems.map((p) => `${p.path}: ${p.message}`).join('; '), { errors: problems });
  }
  return result;
}
