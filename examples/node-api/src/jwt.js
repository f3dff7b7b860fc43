'use strict';
// HS256 JSON Web Tokens with node:crypto only.
const crypto = require('node:crypto');

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function sign(claims, secret) {
  if (!secret) throw new Error('no JWT secret');
  const body = `${header}.${b64url(JSON.stringify(claims))}`;
  const mac = crypto.createHmac('sha256', secret).update(body).digest();
  return `${body}.${b64url(mac)}`;
}

// The claims of a valid, unexpired token from `issuer`; null otherwise.
function verify(token, secret, issuer, now = Math.floor(Date.now() / 1000)) {
  if (!secret || typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== header) return null;
  const want = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return null;
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (claims.iss !== issuer || typeof claims.exp !== 'number' || claims.exp <= now) return null;
  return claims;
}

module.exports = { sign, verify };
