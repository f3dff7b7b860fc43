// Command api serves tax quotes over HTTP. Probes: GET /health (liveness), GET /ready (200
// until SIGTERM, then 503 while it drains), GET /metrics (Prometheus text). Configuration from
// the environment cfgen generates: PORT, LOG_LEVEL, LOG_FORMAT, KEEPALIVE_TIMEOUT_SECONDS,
// REQUEST_BODY_LIMIT_BYTES, and the project's own DEFAULT_REGION.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"example.com/go-service/internal/tax"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func envInt(name string, fallback int) int {
	n, err := strconv.Atoi(env(name, strconv.Itoa(fallback)))
	if err != nil || n < 0 {
		return fallback
	}
	return n
}

// buckets of the latency histogram, in seconds
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics: request counts by route and status, the latency histogram by route, and the
// process's CPU time and resident memory.
type metrics struct {
	mu       sync.Mutex
	requests map[string]uint64
	le       map[string][]uint64
	seconds  map[string]float64
	count    map[string]uint64
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[fmt.Sprintf("method=%q,route=%q,status=\"%d\"", method, route, status)]++
	key := fmt.Sprintf("method=%q,route=%q", method, route)
	if m.le[key] == nil {
		m.le[key] = make([]uint64, len(buckets))
	}
	for i, b := range buckets {
		if d.Seconds() <= b {
			m.le[key][i]++
		}
	}
	m.seconds[key] += d.Seconds()
	m.count[key]++
}

func (m *metrics) render(w http.ResponseWriter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP http_requests_total HTTP requests by method, route and status code.")
	fmt.Fprintln(w, "# TYPE http_requests_total counter")
	for _, k := range sortedKeys(m.requests) {
		fmt.Fprintf(w, "http_requests_total{%s} %d\n", k, m.requests[k])
	}
	fmt.Fprintln(w, "# HELP http_request_errors_total HTTP requests answered with a 5xx status.")
	fmt.Fprintln(w, "# TYPE http_request_errors_total counter")
	for _, k := range sortedKeys(m.requests) {
		if strings.Contains(k, `status="5`) {
			fmt.Fprintf(w, "http_request_errors_total{%s} %d\n", k, m.requests[k])
		}
	}
	fmt.Fprintln(w, "# HELP http_request_duration_seconds HTTP request latency.")
	fmt.Fprintln(w, "# TYPE http_request_duration_seconds histogram")
	for _, k := range sortedKeys(m.count) {
		for i, b := range buckets {
			fmt.Fprintf(w, "http_request_duration_seconds_bucket{%s,le=\"%g\"} %d\n", k, b, m.le[k][i])
		}
		fmt.Fprintf(w, "http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", k, m.count[k])
		fmt.Fprintf(w, "http_request_duration_seconds_sum{%s} %g\n", k, m.seconds[k])
		fmt.Fprintf(w, "http_request_duration_seconds_count{%s} %d\n", k, m.count[k])
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		fmt.Fprintln(w, "# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.")
		fmt.Fprintln(w, "# TYPE process_cpu_seconds_total counter")
		fmt.Fprintf(w, "process_cpu_seconds_total %g\n", cpu.Seconds())
	}
	// the second field of /proc/self/statm: resident pages
	if statm, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(statm)); len(f) > 1 {
			if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				fmt.Fprintln(w, "# HELP process_resident_memory_bytes Resident memory size in bytes.")
				fmt.Fprintln(w, "# TYPE process_resident_memory_bytes gauge")
				fmt.Fprintf(w, "process_resident_memory_bytes %d\n", pages*int64(os.Getpagesize()))
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(strings.ToUpper(strings.Replace(env("LOG_LEVEL", "info"), "warning", "warn", 1))))
	opts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler = slog.NewTextHandler(os.Stdout, opts)
	if env("LOG_FORMAT", "json") == "json" {
		handler = slog.NewJSONHandler(os.Stdout, opts)
	}
	log := slog.New(handler)

	region := env("DEFAULT_REGION", "DE")
	bodyLimit := int64(envInt("REQUEST_BODY_LIMIT_BYTES", 1<<20))
	m := &metrics{requests: map[string]uint64{}, le: map[string][]uint64{}, seconds: map[string]float64{}, count: map[string]uint64{}}
	var draining atomic.Bool

	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) {
		if draining.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) { m.render(w) })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "go-service", "endpoints": []string{"GET /v1/regions", "GET /v1/quote?net_cents=&region="}})
	})
	mux.HandleFunc("GET /v1/regions", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"regions": tax.Regions(), "default": region})
	})
	mux.HandleFunc("GET /v1/quote", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		net, err := strconv.ParseInt(q.Get("net_cents"), 10, 64)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "net_cents must be an integer"})
			return
		}
		quote, err := tax.For(strings.ToUpper(cmpOr(q.Get("region"), region)), net)
		switch {
		case errors.Is(err, tax.ErrUnknownRegion):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		case err != nil:
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		default:
			writeJSON(w, http.StatusOK, quote)
		}
	})

	routes := map[string]bool{"/": true, "/health": true, "/ready": true, "/metrics": true, "/v1/regions": true, "/v1/quote": true}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, bodyLimit)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		route := r.URL.Path
		if !routes[route] {
			route = "other" // bounded label values
		}
		m.observe(r.Method, route, rec.status, time.Since(start))
		if route != "/health" && route != "/metrics" {
			log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", time.Since(start).Milliseconds())
		}
	})

	keepAlive := time.Duration(envInt("KEEPALIVE_TIMEOUT_SECONDS", 65)) * time.Second
	server := &http.Server{
		Addr:              ":" + env("PORT", "8080"),
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		// above nginx's upstream keepalive, so the proxy never reuses a connection being closed
		IdleTimeout: keepAlive,
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		sig := <-stop
		draining.Store(true)
		log.Info("draining", "signal", sig.String())
		// at most 25 s: compose's stop_grace_period and the pod's grace period are 30 s
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		defer cancel()
		if err := server.Shutdown(ctx); err != nil {
			log.Error("shutdown", "error", err.Error())
		}
		close(done)
	}()

	log.Info("listening", "addr", server.Addr)
	if err := server.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Error("listen", "error", err.Error())
		os.Exit(1)
	}
	<-done
	log.Info("stopped")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
