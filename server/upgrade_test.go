package server_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

var listenRe = regexp.MustCompile(`listening.*?addr=(\S+)`)

// serveBinary starts bin on dataDir and returns a connection and a stop
// function (SIGTERM, then wait for exit 0).
func serveBinary(t *testing.T, bin, dataDir string) (*pgx.Conn, func()) {
	t.Helper()
	cmd := osexec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", dataDir)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	cmd.Stdout = cmd.Stderr
	require.NoError(t, cmd.Start())
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	var a string
	select {
	case a = <-addr:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("weir did not start listening")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://weir@"+a+"/weir?sslmode=disable")
	require.NoError(t, err)
	return conn, func() {
		_ = conn.Close(context.Background())
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, cmd.Wait(), "graceful stop exits 0")
	}
}

func queryStrings(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		require.NoError(t, err)
		var parts []string
		for _, v := range vals {
			switch v := v.(type) {
			case nil:
				parts = append(parts, "NULL")
			case string:
				parts = append(parts, v)
			default:
				parts = append(parts, fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	require.NoError(t, rows.Err())
	return out
}

// TestUpgradeStateVersion builds weir twice, the second time with the
// weir_statebump tag (a newer top-N state format), and checks the upgrade
// rule: an MV whose operator state format changed is not run on its old
// state but marked needs_rebuild with the reason, while the other MVs keep
// running; ALTER ... REBUILD recomputes it. Back on the first build, the
// rebuilt MV's state is again of another version.
func TestUpgradeStateVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the weir binary twice")
	}
	dir := t.TempDir()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	build := func(name string, tags ...string) string {
		bin := filepath.Join(dir, name)
		args := append([]string{"build", "-o", bin}, tags...)
		cmd := osexec.Command("go", append(args, "./cmd/weir")...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return bin
	}
	oldBin := build("weir-old")
	newBin := build("weir-new", "-tags", "weir_statebump")
	data := filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(data, 0o755))

	conn, stop := serveBinary(t, oldBin, data)
	for _, sql := range []string{
		"CREATE TABLE t (k TEXT, v BIGINT)",
		"CREATE MATERIALIZED VIEW agg AS SELECT k, sum(v) AS s FROM t GROUP BY k",
		"CREATE MATERIALIZED VIEW top AS SELECT k, v FROM t ORDER BY v DESC LIMIT 2",
		"INSERT INTO t VALUES ('a', 1), ('b', 5), ('a', 3)",
		"FLUSH",
	} {
		_, err := conn.Exec(context.Background(), sql)
		require.NoError(t, err, sql)
	}
	require.Equal(t, []string{"b|5", "a|3"}, queryStrings(t, conn, "SELECT * FROM top ORDER BY v DESC"))
	stop()

	conn, stop = serveBinary(t, newBin, data)
	st := queryStrings(t, conn, "SELECT name, status, error FROM weir_catalog.queries ORDER BY name")
	require.Equal(t, "agg|running|NULL", st[0])
	require.Regexp(t, `^top\|needs_rebuild\|operator state format changed: op1:top_n state version 1, this weir writes 2$`, st[1])
	// The frozen MV stays readable; the other one keeps running.
	_, err = conn.Exec(context.Background(), "INSERT INTO t VALUES ('c', 10)")
	require.NoError(t, err)
	_, err = conn.Exec(context.Background(), "FLUSH")
	require.NoError(t, err)
	require.Equal(t, []string{"b|5", "a|3"}, queryStrings(t, conn, "SELECT * FROM top ORDER BY v DESC"))
	require.Equal(t, []string{"a|4", "b|5", "c|10"}, queryStrings(t, conn, "SELECT k, s::text FROM agg ORDER BY k"))
	// REBUILD recomputes it from the table with this build's format.
	_, err = conn.Exec(context.Background(), "ALTER MATERIALIZED VIEW top REBUILD")
	require.NoError(t, err)
	_, err = conn.Exec(context.Background(), "FLUSH")
	require.NoError(t, err)
	require.Equal(t, []string{"c|10", "b|5"}, queryStrings(t, conn, "SELECT * FROM top ORDER BY v DESC"))
	require.Equal(t, []string{"agg|running", "top|running"}, queryStrings(t, conn, "SELECT name, status FROM weir_catalog.queries ORDER BY name"))
	stop()
}
