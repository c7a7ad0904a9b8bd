package sqltests

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sqltests/pgoracle"
)

var (
	flagRewrite = flag.Bool("rewrite", false,
		"rewrite expected query results from actual output (run with -oracle so results come from PostgreSQL)")
	flagOracle = flag.String("oracle", "",
		`run the files against PostgreSQL instead of weir: a URL, or "auto" to start a private server`)
	flagFiles = flag.String("files", "", "regular expression selecting .slt files (path relative to testdata)")
	flagLog   = flag.Bool("serverlog", false, "print weir's log")
)

// pendingOnWeir lists files that wait on a piece of weir still being built,
// with what they wait on. TestSLT skips them on weir (naming the piece);
// TestOracle and -oracle still run them against PostgreSQL, so their
// expected results stay checked. Remove an entry when the piece lands.
var pendingOnWeir = map[string]string{}

// TestSLT runs every testdata/**/*.slt file against a fresh in-process weir
// server, once per protocol. With -oracle it runs them against PostgreSQL
// instead, which is how expected results are produced and checked:
//
//	go test ./sqltests -run TestSLT -oracle auto -rewrite -files 'select'
func TestSLT(t *testing.T) {
	files, err := Files("testdata", *flagFiles)
	require.NoError(t, err)
	require.NotEmpty(t, files)
	protocols := []Protocol{Extended, Simple}
	if *flagRewrite {
		protocols = protocols[:1]
	}
	var oracleURL string
	if *flagOracle != "" {
		oracleURL = *flagOracle
		if oracleURL == "auto" {
			oracleURL = pgoracle.Start(t)
		}
	}
	for _, p := range protocols {
		t.Run(p.String(), func(t *testing.T) {
			for _, path := range files {
				rel, _ := filepath.Rel("testdata", path)
				t.Run(rel, func(t *testing.T) {
					if !*flagRewrite {
						t.Parallel()
					}
					var target Target
					labels := []string{"weir"}
					if oracleURL != "" {
						target = newPostgresTarget(t, oracleURL)
						labels = []string{"postgres"}
					} else {
						if why, ok := pendingOnWeir[filepath.ToSlash(rel)]; ok {
							t.Skip("pending: " + why)
						}
						target = newWeirTarget(t)
					}
					runAndReport(t, path, Options{Target: target, Protocol: p, Labels: labels, Rewrite: *flagRewrite, MatViewsAsViews: oracleURL != "",
						Kafka: startKafka(t, target), Postgres: startPostgres(t, target, oracleURL)})
				})
			}
		})
	}
}

// TestOracle runs every file against a private PostgreSQL server (when the
// postgresql package is installed), so a .slt file whose expected results
// PostgreSQL would not produce fails here, whatever weir does.
func TestOracle(t *testing.T) {
	if *flagOracle != "" || *flagRewrite {
		t.Skip("TestSLT already runs against PostgreSQL")
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	files, err := Files("testdata", *flagFiles)
	require.NoError(t, err)
	base := pgoracle.Start(t)
	for _, p := range []Protocol{Extended, Simple} {
		t.Run(p.String(), func(t *testing.T) {
			for _, path := range files {
				rel, _ := filepath.Rel("testdata", path)
				t.Run(rel, func(t *testing.T) {
					t.Parallel()
					target := newPostgresTarget(t, base)
					runAndReport(t, path, Options{Target: target, Protocol: p, Labels: []string{"postgres"}, MatViewsAsViews: true,
						Kafka: startKafka(t, target), Postgres: startPostgres(t, target, base)})
				})
			}
		})
	}
}

func runAndReport(t *testing.T, path string, opts Options) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := RunFile(ctx, path, opts)
	require.NoError(t, err)
	for _, f := range res.Failures {
		t.Error(f.String())
	}
	t.Logf("%s: %d records run, %d skipped, %d failed", path, res.Records, res.Skipped, len(res.Failures))
}

// postgresTarget is a fresh database on a PostgreSQL server; restart only
// reconnects (PostgreSQL keeps the data anyway).
type postgresTarget struct{ url string }

var dbSeq atomic.Int64

func newPostgresTarget(t *testing.T, base string) *postgresTarget {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	name := fmt.Sprintf("slt_%d_%d", os.Getpid(), dbSeq.Add(1))
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		require.NoError(t, err)
		_ = admin.Close(ctx)
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return &postgresTarget{url: u.String()}
}

func (p *postgresTarget) ConnString() string                { return p.url }
func (p *postgresTarget) Restart(ctx context.Context) error { return nil }
