/**
 * Request bodies for the API fuzz test, derived from the zod schemas (through their JSON Schema,
 * z.toJSONSchema) as fast-check arbitraries, and mutated away from them: a field swapped for a
 * hostile value, a required field dropped, an unknown key added, the body nested past every limit.
 */
import fc from 'fast-check';
import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  maxItems?: number;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
};

/** Ids of rows that exist, so that generated references and paths sometimes hit real rows. */
export interface IdPool {
  ids(): string[];
}

const isoDate = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true });

function stringArb(s: JsonSchema, pool: IdPool): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? 60, 60));
  switch (s.format) {
    case 'uuid':
      return fc.oneof(fc.uuid(), fc.constant(null).map(() => pickId(pool)).filter((v): v is string => v !== null));
    case 'date':
      return isoDate.map((d) => d.toISOString().slice(0, 10));
    case 'date-time':
      return isoDate.map((d) => d.toISOString());
    case 'email':
      return fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 200));
    default:
      return fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }).map((t) => (t.trim().length >= min ? t : 'x'.repeat(Math.max(min, 1))));
  }
}

let idCursor = 0;
function pickId(pool: IdPool): string | null {
  const ids = pool.ids();
  if (ids.length === 0) return null;
  idCursor = (idCursor + 7919) % 1_000_003;
  return ids[idCursor % ids.length]!;
}

/** An arbitrary of values that the JSON Schema accepts (refinements aside). */
export function arbitraryOf(s: JsonSchema, pool: IdPool): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => arbitraryOf(a, pool)));
  if (s.allOf?.length) return arbitraryOf(s.allOf[0]!, pool);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringArb(s, pool);
    case 'integer':
      return fc.integer({ min: Math.max(s.minimum ?? -1_000_000, Number.MIN_SAFE_INTEGER), max: Math.min(s.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER) });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? arbitraryOf(s.items, pool) : fc.jsonValue({ maxDepth: 2 }), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 4, 4)),
      });
    case 'object': {
      if (!s.properties) return fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      const required = new Set(s.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(s.properties)) model[k] = arbitraryOf(v, pool);
      return fc.record(model, { requiredKeys: [...required] as never[] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Values that break one rule or another: bounds, types, formats, encodings, injection. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    2e17,
    -1,
    1e308,
    -1e308,
    0.5,
    -0.000001,
    9007199254740993,
    Number.MAX_SAFE_INTEGER,
    '',
    ' ',
    'x'.repeat(25_000),
    '\u0000',
    'a\u0000b',
    'desk\nINFO login ok user=admin',
    '\u001b[31mred\u001b[0m',
    '\u2028\u2029',
    '2026-02-30',
    '2026-13-01',
    '9999-99-99T99:99:99Z',
    '2026-11-25T09:30:00',
    "'; DROP TABLE rows; --",
    '<script>alert(1)</script>',
    '__proto__',
    '../../etc/passwd',
    '%00',
    '\uD800',
    null,
    true,
    false,
    [],
    {},
    [[[[[]]]]],
    { __proto__: { admin: true } },
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
);

/** Nest `value` `depth` levels deep in arrays or objects. */
export function nest(value: unknown, depth: number, asObject: boolean): unknown {
  let out = value;
  for (let i = 0; i < depth; i++) out = asObject ? { a: out } : [out];
  return out;
}

function paths(value: unknown, prefix: string[] = [], out: string[][] = [], depth = 0): string[][] {
  if (depth > 4 || value === null || typeof value !== 'object') return out;
  for (const key of Object.keys(value)) {
    const at = [...prefix, key];
    out.push(at);
    paths((value as Record<string, unknown>)[key], at, out, depth + 1);
  }
  return out;
}

function clone(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

/** A valid-looking body, then (mostly) one mutation away from the schema. */
export function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(base, fc.nat(), fc.integer({ min: 0, max: 9 }), hostileValue, fc.string({ maxLength: 20 }), fc.integer({ min: 21, max: 200 }))
    .map(([body, pick, kind, hostile, key, depth]) => {
      const copy = clone(body);
      const all = paths(copy);
      const at = all.length > 0 ? all[pick % all.length]! : null;
      const parentOf = (p: string[]) => p.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], copy) as Record<string, unknown>;
      switch (kind) {
        case 0:
        case 1:
          return copy; // as derived: many are still refused (references, state, roles)
        case 2:
        case 3:
        case 4:
          if (at) parentOf(at)[at.at(-1)!] = hostile;
          return at ? copy : hostile;
        case 5:
          if (at) delete parentOf(at)[at.at(-1)!];
          return copy;
        case 6:
          if (copy && typeof copy === 'object' && !Array.isArray(copy)) (copy as Record<string, unknown>)[key || 'unknownField'] = hostile;
          return copy;
        case 7:
          return nest(copy, depth, pick % 2 === 0);
        case 8:
          return hostile;
        default:
          return Array.isArray(copy) ? copy : [copy];
      }
    });
}

const schemas = new Map<z.ZodType, JsonSchema>();
/** The JSON Schema of a zod schema as a client writes it (input side). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  let found = schemas.get(schema);
  if (!found) {
    found = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    schemas.set(schema, found);
  }
  return found;
}

export function bodyFor(schema: z.ZodType, pool: IdPool): fc.Arbitrary<unknown> {
  return mutated(arbitraryOf(jsonSchemaOf(schema), pool));
}
