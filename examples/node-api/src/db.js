'use strict';
// The PostgreSQL pool, sized and timed by the environment cfgen generates.
const { Pool } = require('pg');

function pool(config) {
  return new Pool({
    connectionString: config.databaseUrl,
    max: config.pool.max,
    connectionTimeoutMillis: config.pool.connectionTimeoutMillis,
    maxLifetimeSeconds: config.pool.maxLifetimeSeconds,
    idleTimeoutMillis: 30000,
    query_timeout: config.pool.queryTimeoutMillis,
    application_name: 'node-api',
  });
}

module.exports = { pool };
