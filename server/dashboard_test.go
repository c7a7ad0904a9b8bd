package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// startDashboardServer starts the real engine with HTTP on a free port and
// returns the server and the HTTP base URL.
func startDashboardServer(t *testing.T) (*testServer, string) {
	t.Helper()
	srv, err := New(Config{DataDir: t.TempDir(), HTTP: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{srv: srv, addr: ln.Addr().String(), serveCh: make(chan error, 1)}
	go func() { ts.serveCh <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return ts, "http://" + srv.HTTPAddr().String()
}

func httpGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestDashboard(t *testing.T) {
	ts, base := startDashboardServer(t)
	ctx := testCtx(t)
	c := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	for _, sql := range []string{
		"CREATE TABLE t (k TEXT, v BIGINT)",
		"CREATE MATERIALIZED VIEW agg AS SELECT k, sum(v) AS s FROM t GROUP BY k",
		"INSERT INTO t VALUES ('a', 1), ('a', 2), ('b', 3)",
		"FLUSH",
	} {
		_, err := c.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}

	resp, body := httpGet(t, base+"/api/queries")
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var qs []struct {
		Name       string  `json:"name"`
		Kind       string  `json:"kind"`
		Status     string  `json:"status"`
		Error      *string `json:"error"`
		BatchID    int64   `json:"batch_id"`
		LagRows    int64   `json:"lag_rows"`
		StateBytes int64   `json:"state_bytes"`
		Batches    []struct {
			BatchID    int64     `json:"batch_id"`
			StartedAt  time.Time `json:"started_at"`
			DurationMs float64   `json:"duration_ms"`
			InputRows  int64     `json:"input_rows"`
			OutputRows int64     `json:"output_rows"`
			LateRows   int64     `json:"late_rows"`
		} `json:"batches"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &qs), body)
	require.Len(t, qs, 1, body)
	q := qs[0]
	require.Equal(t, "agg", q.Name)
	require.Equal(t, "mv", q.Kind)
	require.Equal(t, "running", q.Status)
	require.Nil(t, q.Error)
	require.Zero(t, q.LagRows)
	require.NotEmpty(t, q.Batches, body)
	var in, out int64
	for _, b := range q.Batches {
		require.False(t, b.StartedAt.IsZero())
		in += b.InputRows
		out += b.OutputRows
	}
	require.Equal(t, int64(3), in, body)
	require.Positive(t, out, body)
	require.Equal(t, q.BatchID, q.Batches[len(q.Batches)-1].BatchID)
	for _, f := range []string{`"scheduling_delay_ms"`, `"watermark"`, `"state_bytes"`, `"late_rows"`} {
		require.Contains(t, body, f)
	}

	resp, body = httpGet(t, base+"/")
	require.Equal(t, 200, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"))
	require.Contains(t, body, "<script>")
	require.Contains(t, body, "/api/queries")
	for _, ext := range []string{"src=", "<link", "@import", "https://"} { // self-contained
		require.NotContains(t, body, ext)
	}

	resp, _ = httpGet(t, base+"/nope")
	require.Equal(t, 404, resp.StatusCode)
	resp, _ = httpGet(t, base+"/healthz")
	require.Equal(t, 200, resp.StatusCode)

	t.Run("chromium", func(t *testing.T) {
		const bin = "/usr/bin/chromium"
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("WEIR_REQUIRE_CLIENTS") != "" {
				t.Fatalf("%s: %v (WEIR_REQUIRE_CLIENTS is set)", bin, err)
			}
			t.Skipf("%s not installed", bin)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--no-first-run", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000",
			"--dump-dom", base+"/")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		dom, err := cmd.Output()
		require.NoError(t, err, stderr.String())
		s := string(dom)
		i := strings.Index(s, `id="q-agg"`)
		require.GreaterOrEqual(t, i, 0, s)
		require.Contains(t, s[i:], "<svg", s)
		require.Contains(t, s[i:], "<polyline", s)
	})
}
