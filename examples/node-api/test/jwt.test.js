'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { sign, verify } = require('../src/jwt');

test('a signed token verifies until it expires', () => {
  const token = sign({ iss: 'x', sub: 'alice', exp: 2000 }, 'k');
  assert.deepStrictEqual(verify(token, 'k', 'x', 1000).sub, 'alice');
  assert.strictEqual(verify(token, 'k', 'x', 2000), null, 'expired');
  assert.strictEqual(verify(token, 'other', 'x', 1000), null, 'another key');
  assert.strictEqual(verify(token, 'k', 'y', 1000), null, 'another issuer');
  assert.strictEqual(verify(`${token}x`, 'k', 'x', 1000), null, 'tampered');
});

test('no secret, no token', () => {
  assert.throws(() => sign({ sub: 'a' }, ''));
});
