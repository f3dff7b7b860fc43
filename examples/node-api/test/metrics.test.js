'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Metrics } = require('../src/metrics');

test('counters, histogram and dependency gauge in the text format', () => {
  const m = new Metrics();
  m.observe('GET', '/health', 200, 0.003);
  m.observe('GET', '/health', 200, 0.2);
  m.observe('POST', '/v1/notes', 503, 0.01);
  m.dependency('postgres', false);
  const text = m.render();
  assert.match(text, /^http_requests_total\{method="GET",route="\/health",status="200"\} 2$/m);
  assert.match(text, /^http_request_duration_seconds_bucket\{method="GET",route="\/health",le="0.005"\} 1$/m);
  assert.match(text, /^http_request_duration_seconds_bucket\{method="GET",route="\/health",le="\+Inf"\} 2$/m);
  assert.match(text, /^app_dependency_up\{dependency="postgres"\} 0$/m);
  assert.match(text, /^http_request_errors_total\{method="POST",route="\/v1\/notes",status="503"\} 1$/m);
  assert.doesNotMatch(text, /^http_request_errors_total\{method="GET"/m);
  assert.match(text, /^process_resident_memory_bytes [0-9]+$/m);
  assert.match(text, /^process_cpu_seconds_total [0-9.e-]+$/m);
});
