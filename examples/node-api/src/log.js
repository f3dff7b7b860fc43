'use strict';
// One line per event on stdout: JSON objects when LOG_FORMAT=json, else `level message k=v`.
const LEVELS = { debug: 10, info: 20, warning: 30, warn: 30, error: 40, critical: 50 };

function logger(level, format) {
  const min = LEVELS[String(level).toLowerCase()] ?? LEVELS.info;
  const emit = (lvl, msg, fields = {}) => {
    if (LEVELS[lvl] < min) return;
    const line =
      format === 'json'
        ? JSON.stringify({ time: new Date().toISOString(), level: lvl, message: msg, ...fields })
        : `${new Date().toISOString()} ${lvl} ${msg}${Object.entries(fields)
            .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
            .join('')}`;
    process.stdout.write(`${line}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warning', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

module.exports = { logger };
