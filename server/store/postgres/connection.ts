/**
 * Reading a DATABASE_URL for the PostgreSQL store. Besides what `pg` understands, the URL may name
 * a schema (`?schema=clinic_a`) so that several clinics, or test servers, share one database
 * without seeing each other's tables, locks or notifications.
 */
import pg from 'pg';

export function isPostgresUrl(url: string | undefined | null): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url.trim());
}

export interface PostgresTarget {
  /** The URL as `pg` gets it (without our own query parameters). */
  connectionString: string;
  /** Schema holding the store's tables; `public` when the URL names none. */
  schema: string;
  /** Connections per server instance (`?pool_max=`); the LISTEN connection comes on top. */
  poolMax: number;
  /** For logs: the URL without its password. */
  redacted: string;
}

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/;

export function parsePostgresUrl(url: string): PostgresTarget {
  if (!isPostgresUrl(url)) throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error('DATABASE_URL is not a valid URL');
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!schemaName.test(schema)) {
    throw new Error(`DATABASE_URL schema "${schema}" must be lower-case letters, digits and underscores`);
  }
  const poolMaxParam = parsed.searchParams.get('pool_max');
  const poolMax = poolMaxParam === null ? 10 : Number(poolMaxParam);
  if (!Number.isInteger(poolMax) || poolMax < 1 || poolMax > 200) {
    throw new Error('DATABASE_URL pool_max must be an integer between 1 and 200');
  }
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('pool_max');
  const redactedUrl = new URL(parsed.toString());
  if (redactedUrl.password) redactedUrl.password = '***';
  if (schema !== 'public') redactedUrl.searchParams.set('schema', schema);
  return { connectionString: parsed.toString(), schema, poolMax, redacted: redactedUrl.toString() };
}

/** Quote an identifier for SQL text (schema and channel names are validated, but quote anyway). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Connection settings for one session of this store: every session works in the store's schema. */
export function clientConfig(target: PostgresTarget, role: 'pool' | 'listen' = 'pool'): pg.ClientConfig {
  return {
    connectionString: target.connectionString,
    options: `-c search_path=${target.schema}`,
    // Tells an admin looking at pg_stat_activity which connection is which.
    application_name: role === 'listen' ? 'clinic-desk-server (live feed)' : 'clinic-desk-server',
  };
}

export function createPool(target: PostgresTarget): pg.Pool {
  return new pg.Pool({ ...clientConfig(target), max: target.poolMax, idleTimeoutMillis: 30_000 });
}
