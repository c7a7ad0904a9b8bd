package clients

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// psql runs psql the way scripts do (-X: no psqlrc, -A -t: unaligned
// tuples only) against tg, with script on stdin, plus extra arguments.
func psql(t *testing.T, tg target, script string, extra ...string) runResult {
	t.Helper()
	_, err := exec.LookPath("psql")
	needTool(t, "psql (postgresql-client)", err == nil)
	args := append([]string{"-X", "-A", "-t", "-h", tg.Host, "-p", tg.PortString(), "-U", "weir"}, extra...)
	args = append(args, tg.DB)
	return run(t, script, "psql", args...)
}

// TestPsql runs psql scripts against weir and PostgreSQL and requires the
// exact output PostgreSQL gives (command tags, rows, and the error
// messages with SQLSTATE and caret).
func TestPsql(t *testing.T) {
	csvFile := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(csvFile, []byte(
		"a,1,2026-01-01 00:00:01\n"+
			"\"b, with comma\",2,2026-01-01 00:00:02\n"+
			"\"say \"\"hi\"\"\",,\n"+
			"\"\",4,2026-01-01 00:00:04\n"), 0o644))

	cases := []struct {
		name       string
		script     string
		args       []string
		wantExit   int
		wantStdout string
		wantStderr string
	}{
		{
			// The demo from the README: a table, an INSERT and a grouped
			// query, with the command tags psql prints.
			name: "demo",
			script: `
CREATE TABLE t (k TEXT, v BIGINT, ts TIMESTAMP);
INSERT INTO t VALUES ('a', 1, '2026-01-01 00:00:01'), ('b', 2, '2026-01-01 00:00:02'), ('a', 3, '2026-01-01 00:00:03');
SELECT k, sum(v), count(*) FROM t GROUP BY k ORDER BY k;
SELECT k, v, ts FROM t WHERE ts > '2026-01-01 00:00:01' ORDER BY ts;
`,
			args: []string{"-v", "ON_ERROR_STOP=1"},
			wantStdout: "CREATE TABLE\nINSERT 0 3\na|4|2\nb|2|1\n" +
				"b|2|2026-01-01 00:00:02\na|3|2026-01-01 00:00:03\n",
		},
		{
			// \copy is COPY FROM STDIN under the hood: quoted fields with
			// commas and quotes, an unquoted empty field (NULL) and a
			// quoted empty one (empty string).
			name: "copy csv",
			script: `
CREATE TABLE t (k TEXT, v BIGINT, ts TIMESTAMP);
\copy t from '` + csvFile + `' csv
SELECT k, coalesce(v::text, 'NULL'), coalesce(ts::text, 'NULL'), k IS NULL FROM t ORDER BY k;
SELECT count(*), count(v), sum(v) FROM t;
`,
			args: []string{"-v", "ON_ERROR_STOP=1"},
			wantStdout: "CREATE TABLE\nCOPY 4\n" +
				"|4|2026-01-01 00:00:04|f\n" +
				"a|1|2026-01-01 00:00:01|f\n" +
				"b, with comma|2|2026-01-01 00:00:02|f\n" +
				"say \"hi\"|NULL|NULL|f\n" +
				"4|3|7\n",
		},
		{
			// \dt and \d send psql's catalog queries (pg_class with
			// regular expressions and OPERATOR(pg_catalog.~),
			// pg_attribute, format_type, pg_policy, pg_statistic_ext...).
			name: "describe",
			script: `
CREATE TABLE t (k TEXT, v BIGINT NOT NULL, ts TIMESTAMP, amount NUMERIC(10,2), note VARCHAR(20));
CREATE TABLE other (id INT);
\dt
\d t
`,
			args: []string{"-q", "-v", "ON_ERROR_STOP=1"},
			wantStdout: "public|other|table|weir\n" +
				"public|t|table|weir\n" +
				"k|text|||\n" +
				"v|bigint||not null|\n" +
				"ts|timestamp without time zone|||\n" +
				"amount|numeric(10,2)|||\n" +
				"note|character varying(20)|||\n",
		},
		{
			// Errors in verbose mode carry the SQLSTATE and a caret at
			// the error position; the session goes on after them, and a
			// failed transaction block ends with ROLLBACK.
			name: "errors",
			script: `\set VERBOSITY verbose
SELEC 1;
SELECT 42;
SELECT * FROM missing;
BEGIN;
SELECT 1 +;
SELECT 2;
ROLLBACK;
SELECT 'after';
`,
			wantStdout: "42\nBEGIN\nROLLBACK\nafter\n",
			wantStderr: `ERROR:  42601: syntax error at or near "SELEC"
LINE 1: SELEC 1;
        ^
ERROR:  42P01: relation "missing" does not exist
LINE 1: SELECT * FROM missing;
                      ^
ERROR:  42601: syntax error at or near ";"
LINE 1: SELECT 1 +;
                  ^
ERROR:  25P02: current transaction is aborted, commands ignored until end of transaction block
`,
		},
		{
			// With ON_ERROR_STOP psql stops at the error and exits 3.
			name:       "on error stop",
			script:     "SELECT 1;\nSELEC 2;\nSELECT 3;\n",
			args:       []string{"-v", "ON_ERROR_STOP=1"},
			wantExit:   3,
			wantStdout: "1\n",
			wantStderr: "ERROR:  syntax error at or near \"SELEC\"\nLINE 1: SELEC 2;\n        ^\n",
		},
	}
	eachTarget(t, func(t *testing.T, fresh func(*testing.T) target) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := psql(t, fresh(t), tc.script, tc.args...)
				require.Equal(t, tc.wantStderr, dropLocation(res.Stderr))
				require.Equal(t, tc.wantStdout, res.Stdout)
				require.Equal(t, tc.wantExit, res.ExitCode)
			})
		}
	})
}

// locationLine is the source location PostgreSQL adds in verbose mode; it
// names PostgreSQL's C files, so weir has none.
var locationLine = regexp.MustCompile(`(?m)^LOCATION:  .*\n`)

func dropLocation(stderr string) string { return locationLine.ReplaceAllString(stderr, "") }
