'use strict';
// The `web` process: a JSON API on node:http. Probes: GET /health (liveness: the event loop
// answers), GET /ready (200 while it can serve: the database answers and it is not draining;
// 503 otherwise), GET /metrics (Prometheus text). SIGTERM drains: /ready turns 503, the server
// stops accepting, in-flight requests finish, then the process exits 0.
const http = require('node:http');

const { load } = require('./config');
const { pool } = require('./db');
const { sign, verify } = require('./jwt');
const { logger } = require('./log');
const { Metrics } = require('./metrics');

const config = load();
const log = logger(config.logLevel, config.logFormat);
const metrics = new Metrics();
const db = pool(config);
// a database that goes away must not crash the process: /ready reports it
db.on('error', (err) => log.warn('idle database connection failed', { error: err.message }));
let draining = false;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function send(res, status, body, type = 'application/json') {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : body;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > config.bodyLimitBytes) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch {
        reject(new HttpError(400, 'the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

function subject(req) {
  const auth = req.headers.authorization || '';
  const claims = auth.startsWith('Bearer ') ? verify(auth.slice(7), config.jwt.secret(), config.jwt.issuer) : null;
  if (!claims) throw new HttpError(401, 'a valid bearer token is required (POST /v1/sessions)');
  return claims.sub;
}

// The database answers `SELECT 1` within 2 s (a stopped database can make the connection
// attempt itself hang: DNS of a removed container, the pool's own 30 s connection timeout).
async function databaseUp() {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2000);
  });
  try {
    await Promise.race([db.query('SELECT 1'), deadline]);
    metrics.dependency('postgres', true);
    return true;
  } catch (err) {
    metrics.dependency('postgres', false);
    log.warn('database check failed', { error: err.message });
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const routes = {
  'GET /health': async () => [200, { status: 'ok' }],
  'GET /ready': async () => {
    if (draining) return [503, { status: 'draining' }];
    return (await databaseUp()) ? [200, { status: 'ready', database: 'up' }] : [503, { status: 'unready', database: 'down' }];
  },
  // each scrape checks the database, so app_dependency_up is current whoever calls /ready
  'GET /metrics': async () => {
    await databaseUp();
    return [200, metrics.render(), 'text/plain; version=0.0.4'];
  },
  'GET /': async () => [200, { name: 'node-api', endpoints: ['POST /v1/sessions', 'GET /v1/notes', 'POST /v1/notes'] }],
  // A demo login: a real API authenticates the user before it signs a token.
  'POST /v1/sessions': async (req) => {
    const { user } = await readJson(req);
    if (typeof user !== 'string' || !/^[a-z0-9_.-]{1,64}$/.test(user)) throw new HttpError(400, '`user` must be 1-64 of a-z 0-9 _ . -');
    const now = Math.floor(Date.now() / 1000);
    const token = sign({ iss: config.jwt.issuer, sub: user, iat: now, exp: now + config.jwt.ttlSeconds }, config.jwt.secret());
    return [201, { token, token_type: 'Bearer', expires_in: config.jwt.ttlSeconds }];
  },
  'GET /v1/notes': async (req) => {
    const owner = subject(req);
    const { rows } = await db.query('SELECT id, body, created_at FROM notes WHERE owner = $1 ORDER BY created_at DESC LIMIT 100', [owner]);
    return [200, { notes: rows }];
  },
  'POST /v1/notes': async (req) => {
    const owner = subject(req);
    const { body } = await readJson(req);
    if (typeof body !== 'string' || body.length === 0 || body.length > 10000) throw new HttpError(400, '`body` must be a string of 1-10000 characters');
    const { rows } = await db.query('INSERT INTO notes (owner, body) VALUES ($1, $2) RETURNING id, body, created_at', [owner, body]);
    return [201, rows[0]];
  },
};

const server = http.createServer(async (req, res) => {
  const started = process.hrtime.bigint();
  const path = new URL(req.url, 'http://localhost').pathname;
  const key = `${req.method} ${path}`;
  const handler = routes[key];
  let status = 500;
  try {
    if (!handler) {
      const known = Object.keys(routes).some((k) => k.endsWith(` ${path}`));
      throw new HttpError(known ? 405 : 404, known ? 'method not allowed' : 'not found');
    }
    const [code, body, type] = await handler(req);
    status = code;
    send(res, code, body, type);
  } catch (err) {
    status = err instanceof HttpError ? err.status : 500;
    if (status === 500) log.error('request failed', { method: req.method, path, error: err.message });
    if (!res.headersSent) send(res, status, { error: status === 500 ? 'internal error' : err.message });
  } finally {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // bounded label values: known routes by path, everything else as one
    metrics.observe(req.method, handler ? path : 'other', status, seconds);
    if (path !== '/health' && path !== '/metrics') {
      log.info('request', { method: req.method, path, status, ms: Math.round(seconds * 1000) });
    }
  }
});
// above nginx's upstream keepalive, so the proxy never reuses a connection the app is closing
server.keepAliveTimeout = config.keepAliveSeconds * 1000;
server.headersTimeout = server.keepAliveTimeout + 5000;

function shutdown(signal) {
  if (draining) return;
  draining = true;
  log.info('draining', { signal });
  // at most 25 s (compose stop_grace_period and the pod's grace period are 30 s)
  setTimeout(() => process.exit(1), 25000).unref();
  server.close(() => {
    db.end().finally(() => {
      log.info('stopped');
      process.exit(0);
    });
  });
  server.closeIdleConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.listen(config.port, '0.0.0.0', () => log.info('listening', { port: config.port }));
