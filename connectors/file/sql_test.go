package file_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	_ "github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/server"
	"github.com/weirdb/weir/server/servertest"
)

// startWeir runs an in-process weir server for t and returns a connection.
func startWeir(t *testing.T) *pgx.Conn {
	t.Helper()
	addr := servertest.Start(t, server.Config{TriggerInterval: 50 * time.Millisecond, Version: "file-test"})
	return servertest.Connect(t, addr)
}

func lines(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var parts []string
		for _, v := range rows.RawValues() {
			if v == nil {
				parts = append(parts, "NULL")
			} else {
				parts = append(parts, string(v))
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	require.NoError(t, rows.Err())
	return out
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// TestFileSourceSQL reads a file source through weir: CREATE SOURCE checks
// the options, ad-hoc SELECT (bounded by the complete lines at its start)
// and an MV see new files and appended lines (a partial line only once
// complete), and bad records are kept in weir_catalog.errors.
func TestFileSourceSQL(t *testing.T) {
	conn := startWeir(t)
	ctx := context.Background()
	dir := t.TempDir()
	exec := func(sql string) {
		t.Helper()
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}

	_, err := conn.Exec(ctx, "CREATE SOURCE bad (id bigint) WITH (connector = 'file', path = '"+filepath.Join(dir, "nope")+"')")
	require.Error(t, err)
	require.Contains(t, err.Error(), "no such file or directory")
	_, err = conn.Exec(ctx, "CREATE SOURCE bad (id bigint) WITH (connector = 'file', path = '"+dir+"', format = 'avro')")
	require.Error(t, err)
	require.Contains(t, err.Error(), "invalid format")

	appendFile(t, filepath.Join(dir, "001.jsonl"), `{"user": "a", "n": 1}`+"\n"+`{"user": "b", "n": 2}`+"\n"+`not json`+"\n"+`{"user": "a", "n": 3`)
	exec("CREATE SOURCE ev (\"user\" text, n bigint, _file text, _line bigint) WITH (connector = 'file', path = '" + dir + "', format = 'json')")
	require.Equal(t, []string{"001.jsonl|0|a|1", "001.jsonl|1|b|2"}, lines(t, conn, `SELECT _file, _line, "user", n FROM ev ORDER BY _line`))
	exec(`CREATE MATERIALIZED VIEW per_user AS SELECT "user", count(*) AS c, sum(n) AS s FROM ev GROUP BY "user"`)
	exec("FLUSH")
	require.Equal(t, []string{"a|1|1", "b|1|2"}, lines(t, conn, `SELECT * FROM per_user ORDER BY 1`))

	// The partial line completes; a new file appears.
	appendFile(t, filepath.Join(dir, "001.jsonl"), "}\n")
	appendFile(t, filepath.Join(dir, "002.jsonl"), `{"user": "c", "n": 10}`+"\n")
	require.Equal(t, []string{"a|2|4", "b|1|2", "c|1|10"}, lines(t, conn, `SELECT "user", count(*), sum(n) FROM ev GROUP BY 1 ORDER BY 1`))
	exec("FLUSH")
	require.Equal(t, []string{"a|2|4", "b|1|2", "c|1|10"}, lines(t, conn, `SELECT * FROM per_user ORDER BY 1`))

	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM weir_catalog.errors WHERE kind = 'bad_record' AND raw = 'not json'`).Scan(&n))
	require.GreaterOrEqual(t, n, 1)
}
