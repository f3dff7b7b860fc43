#!/usr/bin/env node
// lsp-check.mjs: drive the real yaml-language-server headless over stdio, the way an editor
// does, and print what it answers as one JSON object on stdout. Used by tests/editor.rs.
//
//   node tests/tools/lsp-check.mjs --root DIR [--settings FILE] [--timeout MS]
//        [--open FILE]... [--complete FILE:LINE:CHAR]... [--hover FILE:LINE:CHAR]...
//
// --root      workspace root sent in `initialize` (absolute path).
// --settings  a VS Code settings.json with "yaml.schemas" (default: the repository's
//             .vscode/settings.json). Relative schema paths are resolved against the folder
//             that holds `.vscode/`, as VS Code does, and sent as absolute file URIs.
// --open      a document to open (textDocument/didOpen); its diagnostics are collected.
// --complete  textDocument/completion at a 0-based LSP position (the file is opened too).
// --hover     textDocument/hover at a 0-based LSP position (the file is opened too).
// --timeout   bound on the whole run (default 20000 ms); the server is killed at the end.
//
// Output (stdout): { server, node, schemas: {uri: [globs]}, diagnostics: {path: [{line,
// character, end_line, end_character, severity, message, source, code}]}, applied: {path:
// [{uri, name}]} (the schemas the server associates with each opened file), completions:
// [{file, line, character, labels, items}], hovers: [{file, line, character, contents}],
// elapsed_ms }. Exit status 0 when the run completed (whatever the server reported), 2 on a
// usage error, an unreadable schema, a server crash or a timeout (message on stderr).
//
// yaml-language-server treats a schema it cannot read as an empty schema without saying so;
// this script therefore refuses to start unless every mapped schema file exists and parses
// as JSON, and the caller should still prove a schema is applied (an unknown key reported).
// Plain Node ESM, no dependency beyond the server itself (tests/tools/node_modules).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const started = Date.now();
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const serverBin = join(here, 'node_modules', '.bin', 'yaml-language-server');
const serverPkg = join(here, 'node_modules', 'yaml-language-server', 'package.json');

function fail(message) {
  process.stderr.write(`lsp-check: ${message}\n`);
  process.exit(2);
}

// --- arguments ------------------------------------------------------------------------------
const opts = { root: null, settings: join(repo, '.vscode', 'settings.json'), timeout: 20000,
  open: [], complete: [], hover: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const flag = argv[i];
  const value = argv[++i];
  if (value === undefined) fail(`${flag} needs a value`);
  switch (flag) {
    case '--root': opts.root = resolve(value); break;
    case '--settings': opts.settings = resolve(value); break;
    case '--timeout': opts.timeout = Number(value); break;
    case '--open': opts.open.push(resolve(value)); break;
    case '--complete': opts.complete.push(parsePosition(value)); break;
    case '--hover': opts.hover.push(parsePosition(value)); break;
    default: fail(`unknown argument ${flag}`);
  }
}
if (!opts.root) fail('--root DIR is required');
if (!Number.isFinite(opts.timeout) || opts.timeout <= 0) fail('--timeout must be a positive number');

function parsePosition(spec) {
  const m = /^(.*):(\d+):(\d+)$/.exec(spec);
  if (!m) fail(`position must be FILE:LINE:CHAR (0-based), got ${spec}`);
  return { file: resolve(m[1]), line: Number(m[2]), character: Number(m[3]) };
}

if (!existsSync(serverBin)) {
  fail(`${serverBin} not found: run .ci/install (npm ci in tests/tools)`);
}

// --- settings: the editor's schema mapping, with absolute schema URIs --------------------------
let vscode;
try {
  vscode = JSON.parse(readFileSync(opts.settings, 'utf8'));
} catch (e) {
  fail(`cannot read ${opts.settings}: ${e.message}`);
}
const mapping = vscode['yaml.schemas'];
if (!mapping || typeof mapping !== 'object' || Object.keys(mapping).length === 0) {
  fail(`${opts.settings} has no "yaml.schemas" mapping`);
}
// A workspace settings file lives in <folder>/.vscode/; relative paths are relative to <folder>.
const settingsBase = dirname(opts.settings).endsWith('.vscode') ? dirname(dirname(opts.settings))
  : dirname(opts.settings);
const schemas = {};
for (const [path, globs] of Object.entries(mapping)) {
  const file = isAbsolute(path) ? path : resolve(settingsBase, path);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(`schema ${path} (${file}) is unreadable: ${e.message}; the server would treat it as empty`);
  }
  try {
    JSON.parse(text);
  } catch (e) {
    fail(`schema ${path} (${file}) is not JSON: ${e.message}; the server would treat it as empty`);
  }
  schemas[pathToFileURL(file).href] = Array.isArray(globs) ? globs : [globs];
}
const settings = {
  yaml: {
    schemas,
    schemaStore: { enable: false },
    validate: true,
    completion: true,
    hover: true,
    format: { enable: false },
  },
};

// --- JSON-RPC over stdio ------------------------------------------------------------------------
const server = spawn(process.execPath, [serverBin, '--stdio'], {
  cwd: opts.root,
  stdio: ['pipe', 'pipe', 'pipe'],
});
let serverStderr = '';
server.stderr.on('data', (d) => { serverStderr += d; });
let exiting = false;
server.on('exit', (code, signal) => {
  if (!exiting) fail(`yaml-language-server exited early (code ${code}, signal ${signal}):\n${serverStderr}`);
});
server.on('error', (e) => fail(`cannot start yaml-language-server: ${e.message} (run .ci/install)`));

const deadline = setTimeout(() => {
  kill();
  fail(`timed out after ${opts.timeout} ms (still waiting: ${waitingFor}); server stderr:\n${serverStderr}`);
}, opts.timeout);
let waitingFor = 'start';

let nextId = 1;
const pending = new Map();
const listeners = [];
const log = [];

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
  server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  server.stdin.write(body);
}
function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((ok, ko) => pending.set(id, { ok, ko, method }));
}
function notify(method, params) {
  send({ method, params });
}

// The server may ask the client things; answer like a minimal editor would.
function answer(msg) {
  let result = null;
  if (msg.method === 'workspace/configuration') {
    result = (msg.params?.items ?? []).map((item) => {
      if (!item.section) return settings;
      return item.section.split('.').reduce((o, k) => (o == null ? null : o[k] ?? null), settings);
    });
  } else if (msg.method === 'workspace/workspaceFolders') {
    result = [{ uri: pathToFileURL(opts.root).href, name: 'root' }];
  }
  send({ id: msg.id, result });
}

let buffer = Buffer.alloc(0);
server.stdout.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const headerEnd = buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const header = buffer.subarray(0, headerEnd).toString('ascii');
    const m = /Content-Length:\s*(\d+)/i.exec(header);
    if (!m) fail(`bad header from server: ${header}`);
    const length = Number(m[1]);
    if (buffer.length < headerEnd + 4 + length) return;
    const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
    buffer = buffer.subarray(headerEnd + 4 + length);
    dispatch(JSON.parse(body));
  }
});

function dispatch(msg) {
  if (msg.id !== undefined && msg.method === undefined) {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.ko(new Error(`${p.method}: ${msg.error.message}`));
    else p.ok(msg.result);
  } else if (msg.id !== undefined) {
    answer(msg);
  } else {
    log.push(msg);
    for (const l of [...listeners]) l(msg);
  }
}

function kill() {
  exiting = true;
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}

// --- the session --------------------------------------------------------------------------------
const diagnostics = new Map(); // uri -> latest diagnostics
let lastPublish = Date.now();
listeners.push((msg) => {
  if (msg.method === 'textDocument/publishDiagnostics') {
    diagnostics.set(msg.params.uri, msg.params.diagnostics);
    lastPublish = Date.now();
  }
});

const opened = new Set();
function open(file) {
  const uri = pathToFileURL(file).href;
  if (opened.has(uri)) return uri;
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    kill();
    fail(`cannot read ${file}: ${e.message}`);
  }
  opened.add(uri);
  notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  return uri;
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function main() {
  const rootUri = pathToFileURL(opts.root).href;
  waitingFor = 'initialize';
  const init = await request('initialize', {
    processId: process.pid,
    clientInfo: { name: 'cfgen-lsp-check' },
    rootUri,
    rootPath: opts.root,
    workspaceFolders: [{ uri: rootUri, name: 'root' }],
    capabilities: {
      textDocument: {
        publishDiagnostics: { relatedInformation: true },
        completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
        hover: { contentFormat: ['markdown', 'plaintext'] },
        synchronization: { didSave: false },
      },
      workspace: { configuration: false, didChangeConfiguration: { dynamicRegistration: false } },
    },
    initializationOptions: {},
  });
  notify('initialized', {});
  notify('workspace/didChangeConfiguration', { settings });
  // Let the server take the settings before any document is opened.
  waitingFor = 'settings';
  await sleep(200);

  const wanted = new Set([
    ...opts.open,
    ...opts.complete.map((p) => p.file),
    ...opts.hover.map((p) => p.file),
  ]);
  const uris = [...wanted].map(open);

  // Every opened document's diagnostics, then a quiet spell (a re-validation may follow).
  waitingFor = 'diagnostics';
  while (!uris.every((u) => diagnostics.has(u)) || Date.now() - lastPublish < 400) {
    await sleep(50);
  }

  // Which schemas the server associates with each document (its glob matching), as the
  // editor's status bar shows; a document no glob reaches gets none and no diagnostics.
  const applied = {};
  for (const uri of uris) {
    waitingFor = `yaml/get/jsonSchema for ${uri}`;
    const result = await request('yaml/get/jsonSchema', uri);
    applied[fileURLToPath(uri)] = (result ?? []).map((s) => ({ uri: s.uri, name: s.name ?? null }));
  }

  const completions = [];
  for (const p of opts.complete) {
    waitingFor = `completion at ${p.file}:${p.line}:${p.character}`;
    const result = await request('textDocument/completion', {
      textDocument: { uri: pathToFileURL(p.file).href },
      position: { line: p.line, character: p.character },
    });
    const items = Array.isArray(result) ? result : result?.items ?? [];
    completions.push({
      file: p.file, line: p.line, character: p.character,
      labels: items.map((i) => i.label),
      items: items.map((i) => ({
        label: i.label,
        kind: i.kind ?? null,
        detail: i.detail ?? null,
        documentation: typeof i.documentation === 'string' ? i.documentation : i.documentation?.value ?? null,
        insert: i.textEdit?.newText ?? i.insertText ?? null,
      })),
    });
  }

  const hovers = [];
  for (const p of opts.hover) {
    waitingFor = `hover at ${p.file}:${p.line}:${p.character}`;
    const result = await request('textDocument/hover', {
      textDocument: { uri: pathToFileURL(p.file).href },
      position: { line: p.line, character: p.character },
    });
    hovers.push({ file: p.file, line: p.line, character: p.character, contents: hoverText(result) });
  }

  waitingFor = 'shutdown';
  await Promise.race([request('shutdown', null), sleep(1000)]);
  notify('exit', null);
  clearTimeout(deadline);
  kill();

  const byPath = {};
  for (const uri of uris) {
    byPath[fileURLToPath(uri)] = (diagnostics.get(uri) ?? []).map((d) => ({
      line: d.range.start.line,
      character: d.range.start.character,
      end_line: d.range.end.line,
      end_character: d.range.end.character,
      severity: d.severity ?? null,
      message: d.message,
      source: d.source ?? null,
      code: d.code ?? null,
    }));
  }
  const out = {
    server: { ...(init.serverInfo ?? {}), package: JSON.parse(readFileSync(serverPkg, 'utf8')).version },
    node: process.version,
    schemas,
    diagnostics: byPath,
    applied,
    completions,
    hovers,
    elapsed_ms: Date.now() - started,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

function hoverText(result) {
  if (!result) return null;
  const c = result.contents;
  const one = (x) => (typeof x === 'string' ? x : x?.value ?? '');
  return Array.isArray(c) ? c.map(one).join('\n') : one(c);
}

main().then(
  () => process.exit(0),
  (e) => {
    kill();
    fail(`${e.stack ?? e}\nserver stderr:\n${serverStderr}`);
  },
);
