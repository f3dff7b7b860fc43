'use strict';
// Prometheus text exposition of the request counters and latency histogram monitoring scrapes.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Metrics {
  constructor() {
    this.requests = new Map(); // "method|route|status" -> count
    this.durations = new Map(); // "method|route" -> { buckets, sum, count }
    this.dependencyUp = new Map();
    this.started = Date.now();
  }

  observe(method, route, status, seconds) {
    const key = `${method}|${route}|${status}`;
    this.requests.set(key, (this.requests.get(key) || 0) + 1);
    const dkey = `${method}|${route}`;
    let d = this.durations.get(dkey);
    if (!d) {
      d = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(dkey, d);
    }
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) d.buckets[i] += 1;
    });
    d.sum += seconds;
    d.count += 1;
  }

  dependency(name, up) {
    this.dependencyUp.set(name, up ? 1 : 0);
  }

  render() {
    const out = [];
    const label = (v) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    out.push('# HELP http_requests_total HTTP requests by method, route and status code.');
    out.push('# TYPE http_requests_total counter');
    for (const [key, n] of [...this.requests].sort()) {
      const [method, route, status] = key.split('|');
      out.push(`http_requests_total{method="${label(method)}",route="${label(route)}",status="${status}"} ${n}`);
    }
    out.push('# HELP http_request_errors_total HTTP requests answered with a 5xx status.');
    out.push('# TYPE http_request_errors_total counter');
    for (const [key, n] of [...this.requests].sort()) {
      const [method, route, status] = key.split('|');
      if (status.startsWith('5')) {
        out.push(`http_request_errors_total{method="${label(method)}",route="${label(route)}",status="${status}"} ${n}`);
      }
    }
    out.push('# HELP http_request_duration_seconds HTTP request latency.');
    out.push('# TYPE http_request_duration_seconds histogram');
    for (const [key, d] of [...this.durations].sort()) {
      const [method, route] = key.split('|');
      const l = `method="${label(method)}",route="${label(route)}"`;
      BUCKETS.forEach((b, i) => out.push(`http_request_duration_seconds_bucket{${l},le="${b}"} ${d.buckets[i]}`));
      out.push(`http_request_duration_seconds_bucket{${l},le="+Inf"} ${d.count}`);
      out.push(`http_request_duration_seconds_sum{${l}} ${d.sum}`);
      out.push(`http_request_duration_seconds_count{${l}} ${d.count}`);
    }
    out.push('# HELP app_dependency_up Whether a dependency answered its last check (1) or not (0).');
    out.push('# TYPE app_dependency_up gauge');
    for (const [name, up] of [...this.dependencyUp].sort()) {
      out.push(`app_dependency_up{dependency="${label(name)}"} ${up}`);
    }
    const cpu = process.cpuUsage();
    out.push('# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.');
    out.push('# TYPE process_cpu_seconds_total counter');
    out.push(`process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
    out.push('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    out.push('# TYPE process_resident_memory_bytes gauge');
    out.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    out.push('# HELP process_uptime_seconds Seconds since the process started.');
    out.push('# TYPE process_uptime_seconds gauge');
    out.push(`process_uptime_seconds ${(Date.now() - this.started) / 1000}`);
    return `${out.join('\n')}\n`;
  }
}

module.exports = { Metrics };
