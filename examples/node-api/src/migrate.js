'use strict';
// The deploy job `migrate` (cfgen.yaml jobs.migrate): brings the schema to the current version
// once per deploy, before the new version takes traffic. Idempotent; records what it applied.
const config = require('./config').load();
const { pool } = require('./db');
const { logger } = require('./log');

const log = logger(config.logLevel, config.logFormat);

const MIGRATIONS = [
  [
    1,
    `CREATE TABLE notes (
       id BIGSERIAL PRIMARY KEY,
       owner TEXT NOT NULL,
       body TEXT NOT NULL,
       created_at TIMESTAMPTZ NOT NULL DEFAULT now()
     );
     CREATE INDEX notes_owner_created ON notes (owner, created_at DESC)`,
  ],
];

async function main() {
  const db = pool({ ...config, pool: { ...config.pool, max: 1 } });
  const client = await db.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    // one migrator at a time, whatever runs this job
    await client.query('SELECT pg_advisory_lock(7250001)');
    const { rows } = await client.query('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    for (const [version, sql] of MIGRATIONS) {
      if (done.has(version)) continue;
      await client.query('BEGIN');
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      await client.query('COMMIT');
      log.info('migration applied', { version });
    }
    log.info('schema up to date', { version: MIGRATIONS[MIGRATIONS.length - 1][0] });
  } finally {
    client.release();
    await db.end();
  }
}

main().catch((err) => {
  log.error('migration failed', { error: err.message });
  process.exit(1);
});
