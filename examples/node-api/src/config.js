'use strict';
// The app's configuration: the environment cfgen generates (see README.md). A secret NAME is
// read from the file NAME_FILE names (cfgen's file delivery), else from NAME itself.
const fs = require('node:fs');

function secret(name) {
  const file = process.env[`${name}_FILE`];
  if (file) return fs.readFileSync(file, 'utf8').trim();
  return process.env[name] || '';
}

function int(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

function load() {
  return {
    port: int('PORT', 3000),
    logLevel: process.env.LOG_LEVEL || 'info',
    logFormat: process.env.LOG_FORMAT || 'json',
    keepAliveSeconds: int('KEEPALIVE_TIMEOUT_SECONDS', 65),
    bodyLimitBytes: int('REQUEST_BODY_LIMIT_BYTES', 1024 * 1024),
    databaseUrl: secret('DATABASE_URL'),
    pool: {
      max: int('DB_POOL_SIZE', 10),
      connectionTimeoutMillis: int('DB_POOL_TIMEOUT_SECONDS', 30) * 1000,
      maxLifetimeSeconds: int('DB_POOL_RECYCLE_SECONDS', 3600),
      queryTimeoutMillis: int('DB_QUERY_TIMEOUT_SECONDS', 30) * 1000,
    },
    jwt: {
      // read lazily: the probes must answer even when the secret is missing
      secret: () => secret('JWT_SECRET_KEY'),
      issuer: process.env.JWT_ISSUER || 'node-api',
      ttlSeconds: int('JWT_TTL_SECONDS', 900),
    },
  };
}

module.exports = { load, secret, int };
