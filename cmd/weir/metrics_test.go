package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// The operational endpoints on the real binary: `weir serve --http
// 127.0.0.1:0` logs the address it picked; /healthz and /readyz answer 200
// once the engine is open; /metrics exports SPEC.md's per-query series with
// values that match what the test wrote and what weir_catalog reports.

func TestMetricsEndpoint(t *testing.T) {
	bin := buildWeir(t)
	cmd, addr, httpAddr, tail := startServeHTTP(t, bin, t.TempDir(), "WEIR_TRIGGER_INTERVAL=20ms")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := "http://" + httpAddr

	code, body := httpGet(t, base+"/healthz")
	require.Equal(t, http.StatusOK, code, body)
	code, body = httpGet(t, base+"/readyz")
	require.Equal(t, http.StatusOK, code, "an open engine with every query recovered is ready: %s", body)

	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	mustExec(t, ctx, conn, "CREATE TABLE m_src (k INT, v BIGINT)")
	mustExec(t, ctx, conn, "CREATE MATERIALIZED VIEW m_agg AS SELECT k, count(*) AS n, sum(v) AS s FROM m_src WHERE v > 0 GROUP BY k")
	// An MV over an MV reads m_agg's changelog: its input is m_agg's output.
	mustExec(t, ctx, conn, "CREATE MATERIALIZED VIEW m_top AS SELECT max(s) AS top, count(*) AS keys FROM m_agg")
	// Rows by several statements and kinds, some filtered out by the MV.
	var inserted int64
	for i := range 5 {
		mustExec(t, ctx, conn, "INSERT INTO m_src VALUES ("+strconv.Itoa(i%3)+", "+strconv.Itoa(i-1)+")")
		inserted++
	}
	mustExec(t, ctx, conn, "INSERT INTO m_src SELECT g % 4, g FROM generate_series(1, 40) AS g")
	inserted += 40
	tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("7\t70\n8\t\\N\n\\N\t9\n"), "COPY m_src FROM STDIN")
	require.NoError(t, err)
	require.Equal(t, "COPY 3", tag.String())
	inserted += 3
	mustExec(t, ctx, conn, "FLUSH")

	m := scrapeMetrics(t, base+"/metrics")
	for _, q := range []string{"m_agg", "m_top"} {
		batches := queryBatchCount(t, ctx, conn, q)
		require.Positive(t, batches)
		require.Equal(t, float64(batches), m.value(t, "weir_batch_duration_seconds_count", "query", q),
			"%s: one duration observation per batch in weir_catalog.batches", q)
		require.Equal(t, 1.0, m.value(t, "weir_query_status", "query", q, "status", "running"), q)
		for _, other := range []string{"paused", "failed", "needs_rebuild"} {
			require.Equal(t, 0.0, m.value(t, "weir_query_status", "query", q, "status", other), "%s %s", q, other)
		}
		require.Equal(t, 0.0, m.value(t, "weir_source_lag_rows", "query", q, "source", map[string]string{"m_agg": "m_src", "m_top": "m_agg"}[q], "partition", "0"))
		// Estimated from sstables: state still in the memtable counts 0.
		require.GreaterOrEqual(t, m.value(t, "weir_state_bytes", "query", q), 0.0)
	}
	require.Equal(t, float64(inserted), m.value(t, "weir_input_rows_total", "query", "m_agg", "source", "m_src"),
		"every row inserted is read once")
	var changes int64
	require.NoError(t, conn.QueryRow(ctx, "SELECT coalesce(sum(output_rows), 0) FROM weir_catalog.batches WHERE query = 'm_agg'").Scan(&changes))
	require.Positive(t, changes)
	require.Equal(t, float64(changes), m.value(t, "weir_output_rows_total", "query", "m_agg"))
	require.Equal(t, float64(changes), m.value(t, "weir_input_rows_total", "query", "m_top", "source", "m_agg"),
		"m_top reads every change m_agg wrote")

	t.Logf("/metrics after FLUSH: %d rows in, %d changes out of m_agg, %v batches of m_agg",
		inserted, changes, m.value(t, "weir_batch_duration_seconds_count", "query", "m_agg"))

	// The status series follow ALTER ... PAUSE.
	mustExec(t, ctx, conn, "ALTER MATERIALIZED VIEW m_agg PAUSE")
	m = scrapeMetrics(t, base+"/metrics")
	require.Equal(t, 1.0, m.value(t, "weir_query_status", "query", "m_agg", "status", "paused"))
	require.Equal(t, 0.0, m.value(t, "weir_query_status", "query", "m_agg", "status", "running"))
	require.NoError(t, conn.Close(ctx))

	// Scrapes while the server stops (Prometheus does not know it is
	// stopping) get an answer or a refused connection, never a panic.
	stop := make(chan struct{})
	scrapers := make(chan int, 2)
	for range 2 {
		go func() {
			n := 0
			client := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					scrapers <- n
					return
				default:
				}
				if resp, err := client.Get(base + "/metrics"); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					n++
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code, _ = waitExit(t, cmd, gracefulExitBound, tail)
	close(stop)
	scrapes := <-scrapers + <-scrapers
	require.Equal(t, 0, code, "log:\n%s", tail)
	require.NotContains(t, tail.String(), "panic", "a scrape during shutdown must not panic")
	t.Logf("%d scrapes answered around the shutdown", scrapes)
}

var httpAddrRe = regexp.MustCompile(`msg="http endpoints started" http_addr=(\S+)`)

// startServeHTTP runs `weir serve` with pgwire and HTTP on free ports and
// returns the command, the pgwire address and the HTTP address from the
// log.
func startServeHTTP(t *testing.T, bin, dataDir string, extraEnv ...string) (*exec.Cmd, string, string, *logTail) {
	t.Helper()
	cmd, tail := startProcess(t, bin, []string{"serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", dataDir}, extraEnv)
	var addr, httpAddr string
	deadline := time.After(30 * time.Second)
	for addr == "" || httpAddr == "" {
		select {
		case line, ok := <-tail.lines:
			require.True(t, ok, "weir exited before listening; log:\n%s", tail)
			if m := httpAddrRe.FindStringSubmatch(line); m != nil {
				httpAddr = m[1]
			}
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				addr = strings.Trim(m[1]+m[2], `"`)
			}
		case <-deadline:
			t.Fatalf("no listening and http lines within 30s; log:\n%s", tail)
		}
	}
	require.NotContains(t, httpAddr, ":0", "the log must show the port the kernel picked")
	return cmd, addr, httpAddr, tail
}

// startProcess starts bin with args and extraEnv and returns at once with
// the command and its log; the process is killed at the end of the test
// if it still runs.
func startProcess(t *testing.T, bin string, args, extraEnv []string) (*exec.Cmd, *logTail) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), extraEnv...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	tail := &logTail{lines: make(chan string, 1000)}
	go tail.read(stderr)
	return cmd, tail
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// metricSample is one line of the Prometheus text exposition format.
type metricSample struct {
	name   string
	labels map[string]string
	value  float64
}

type metricSamples []metricSample

var (
	sampleRe = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelRe  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// scrapeMetrics GETs url and parses the text exposition format.
func scrapeMetrics(t *testing.T, url string) metricSamples {
	t.Helper()
	code, body := httpGet(t, url)
	require.Equal(t, http.StatusOK, code, body)
	var out metricSamples
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleRe.FindStringSubmatch(line)
		require.NotNil(t, m, "unparsable metrics line %q", line)
		s := metricSample{name: m[1], labels: map[string]string{}}
		for _, l := range labelRe.FindAllStringSubmatch(m[2], -1) {
			v, err := strconv.Unquote(`"` + l[2] + `"`)
			require.NoError(t, err, line)
			s.labels[l[1]] = v
		}
		v, err := strconv.ParseFloat(m[3], 64)
		require.NoError(t, err, line)
		s.value = v
		out = append(out, s)
	}
	return out
}

// value returns the value of the one sample of name whose labels are
// exactly kv (pairs of label name and value); it fails the test when there
// is none.
func (ms metricSamples) value(t *testing.T, name string, kv ...string) float64 {
	t.Helper()
	want := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		want[kv[i]] = kv[i+1]
	}
	for _, s := range ms {
		if s.name != name || len(s.labels) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			if s.labels[k] != v {
				match = false
			}
		}
		if match {
			return s.value
		}
	}
	t.Fatalf("no sample %s%v in /metrics", name, want)
	return 0
}
