/** The PostgreSQL store: chosen when DATABASE_URL is a postgres:// or postgresql:// URL. */
export { isPostgresUrl, parsePostgresUrl } from './connection';
export { PostgresStore, type PostgresStoreOptions, type StoreLog } from './store';
