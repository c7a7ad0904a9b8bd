package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/weirdb/weir/server"
)

// `weir bench` measures ingest and ad-hoc read speed over pgwire, side by
// side with PostgreSQL, and the materialized-view pipeline of weir alone
// (bench_mv.go) (BENCH.md "Other figures worth keeping"). Both
// servers are driven by the same client code (pgconn, the wire layer of
// pgx) in the same run, interleaved run by run so a noisy machine affects
// both alike, and the table reports the median of the runs and the
// weir/PostgreSQL ratio.
//
// weir runs in this process (so -cpuprofile sees its server side);
// PostgreSQL runs as its own cluster in a temporary directory with fsync
// and synchronous_commit on, so both acknowledge a commit only once it is
// on stable storage.

// benchConfig is everything `weir bench` takes from flags.
type benchConfig struct {
	runs       int
	selectRows int
	copyRows   int
	multiRows  int           // rows per multi-row INSERT statement
	ingestDur  time.Duration // duration of each time-bounded ingest run
	conns      int           // connections of the concurrent INSERT case
	mvRows     int           // rows the mv_backfill MVs read
	windowRows int           // bids the window_*_backfill MVs read
	only       *regexp.Regexp
	pg         string // "auto", "off" or a postgres:// URL
	cpuProfile string
	out        string // Markdown file to write the table to; "" = none
	nexmark    *nexmarkQConfig
}

func parseBench(args []string, stderr io.Writer) (benchConfig, error) {
	bc := benchConfig{}
	fs := newFlagSet("bench", stderr)
	fs.IntVar(&bc.runs, "runs", 3, "runs per workload and system; the table shows the median")
	fs.IntVar(&bc.selectRows, "select-rows", 1_000_000, "rows in the table the SELECT workloads read")
	fs.IntVar(&bc.copyRows, "copy-rows", 200_000, "rows per COPY FROM STDIN run")
	fs.IntVar(&bc.multiRows, "multi-rows", 1000, "rows per multi-row INSERT statement")
	fs.DurationVar(&bc.ingestDur, "ingest-time", 2*time.Second, "duration of each INSERT run")
	fs.IntVar(&bc.conns, "conns", 8, "connections of the concurrent single-row INSERT workload")
	fs.IntVar(&bc.mvRows, "mv-rows", 500_000, "rows in the table the mv_backfill workload's materialized views read")
	fs.IntVar(&bc.windowRows, "window-rows", 500_000, "Nexmark bids in the table the window_*_backfill workloads' materialized views read")
	bc.nexmark = nexmarkQFlags(fs)
	only := fs.String("only", "", "run only the workloads whose name matches this regular expression")
	fs.StringVar(&bc.pg, "pg", "auto", `PostgreSQL to compare with: "auto" (start one from /usr/lib/postgresql when installed), "off", or a postgres:// URL`)
	fs.StringVar(&bc.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (weir runs in-process) to this file")
	fs.StringVar(&bc.out, "out", "", "also write the result table (Markdown) to this file")
	if err := fs.Parse(args); err != nil {
		return bc, err
	}
	bad := func(format string, a ...any) (benchConfig, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "weir bench: %v\n", err)
		return bc, err
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	if bc.runs < 1 || bc.selectRows < 1 || bc.copyRows < 1 || bc.multiRows < 1 || bc.conns < 1 || bc.mvRows < 1 || bc.windowRows < 1 || bc.ingestDur <= 0 {
		return bad("-runs, -select-rows, -copy-rows, -multi-rows, -conns, -mv-rows, -window-rows and -ingest-time must be positive")
	}
	if err := bc.nexmark.validate(); err != nil {
		return bad("%v", err)
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return bad("invalid -only: %v", err)
		}
		bc.only = re
	}
	return bc, nil
}

// target is one server under test.
type target struct {
	name string
	url  string
	stop func()
}

// workload is one measured figure. run performs one measured run against
// url and returns the rows it moved and the time they took. setup, when
// set, runs once per target before the runs (loading data) and is not
// timed.
type workload struct {
	name  string
	desc  string
	setup func(ctx context.Context, url string) error
	run   func(ctx context.Context, url string, runNo int) (rows int64, d time.Duration, err error)
	// weirOnly workloads measure what PostgreSQL has no counterpart for
	// (maintained materialized views); they run on weir alone.
	weirOnly bool
	// report, when set, returns lines printed after the table once every
	// run is done (figures other than rows/s, e.g. batch commit times).
	report func() string
}

// result is the measurement of one workload on one target.
type result struct {
	rates []float64 // rows/s of each run
	err   error
}

func (r result) median() float64 { return median(r.rates) }

// median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func runBench(bc benchConfig, stdout, stderr io.Writer) int {
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	ctx := context.Background()

	if bc.cpuProfile != "" {
		f, err := os.Create(bc.cpuProfile)
		if err != nil {
			logf("weir bench: %v", err)
			return exitError
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			logf("weir bench: %v", err)
			return exitError
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}

	weir, err := startWeirInProcess()
	if err != nil {
		logf("weir bench: start weir: %v", err)
		return exitError
	}
	defer weir.stop()
	targets := []target{weir}

	switch bc.pg {
	case "off":
	case "auto":
		pg, err := startPostgres()
		if errors.Is(err, errNoPostgres) {
			logf("weir bench: %v; measuring weir alone (-pg off to silence)", err)
			break
		}
		if err != nil {
			logf("weir bench: start PostgreSQL: %v", err)
			return exitError
		}
		defer pg.stop()
		targets = append(targets, pg)
	default:
		targets = append(targets, target{name: "postgres", url: bc.pg, stop: func() {}})
	}

	wls := workloads(bc)
	results := make([][]result, len(wls)) // [workload][target]
	for wi, wl := range wls {
		results[wi] = make([]result, len(targets))
		if bc.only != nil && !bc.only.MatchString(wl.name) {
			continue
		}
		for ti, tg := range targets {
			if wl.setup == nil || (wl.weirOnly && ti > 0) {
				continue
			}
			start := time.Now()
			if err := wl.setup(ctx, tg.url); err != nil {
				results[wi][ti].err = err
				logf("%-14s %-8s setup failed: %v", wl.name, tg.name, err)
				continue
			}
			logf("%-14s %-8s setup %.1fs", wl.name, tg.name, time.Since(start).Seconds())
		}
		// Interleave the systems run by run: a burst of noise on the shared
		// machine then hits both rather than one.
		for run := range bc.runs {
			for ti, tg := range targets {
				r := &results[wi][ti]
				if r.err != nil || (wl.weirOnly && ti > 0) {
					continue
				}
				runtime.GC()
				rows, d, err := wl.run(ctx, tg.url, run)
				if err != nil {
					r.err = err
					logf("%-14s %-8s run %d failed: %v", wl.name, tg.name, run+1, err)
					continue
				}
				rate := float64(rows) / d.Seconds()
				r.rates = append(r.rates, rate)
				logf("%-14s %-8s run %d: %d rows in %v = %s rows/s", wl.name, tg.name, run+1, rows, d.Round(time.Millisecond), fmtRate(rate))
			}
		}
	}

	table := renderTable(bc, wls, targets, results)
	for _, wl := range wls {
		if wl.report != nil && (bc.only == nil || bc.only.MatchString(wl.name)) {
			table += "\n" + wl.report()
		}
	}
	fmt.Fprint(stdout, table)
	if bc.out != "" {
		if err := os.WriteFile(bc.out, []byte(table), 0o644); err != nil {
			logf("weir bench: %v", err)
			return exitError
		}
	}
	for _, rs := range results {
		for _, r := range rs {
			if r.err != nil {
				return exitError
			}
		}
	}
	return exitOK
}

// renderTable prints the results as a Markdown table: one row per
// workload, the median rows/s per target and, with two targets, the ratio
// of the first (weir) to the second (PostgreSQL).
func renderTable(bc benchConfig, wls []workload, targets []target, results [][]result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "median of %d runs, rows/s (higher is better)\n\n", bc.runs)
	b.WriteString("| workload |")
	for _, tg := range targets {
		fmt.Fprintf(&b, " %s |", tg.name)
	}
	if len(targets) == 2 {
		fmt.Fprintf(&b, " %s/%s |", targets[0].name, targets[1].name)
	}
	b.WriteString(" what |\n|---|")
	for range targets {
		b.WriteString("---:|")
	}
	if len(targets) == 2 {
		b.WriteString("---:|")
	}
	b.WriteString("---|\n")
	for wi, wl := range wls {
		if bc.only != nil && !bc.only.MatchString(wl.name) {
			continue
		}
		fmt.Fprintf(&b, "| %s |", wl.name)
		for ti := range targets {
			r := results[wi][ti]
			switch {
			case r.err != nil:
				b.WriteString(" error |")
			case len(r.rates) == 0:
				b.WriteString(" - |")
			default:
				fmt.Fprintf(&b, " %s |", fmtRate(r.median()))
			}
		}
		if len(targets) == 2 {
			a, p := results[wi][0], results[wi][1]
			if a.err == nil && p.err == nil && len(a.rates) > 0 && len(p.rates) > 0 && p.median() > 0 {
				fmt.Fprintf(&b, " %.2f |", a.median()/p.median())
			} else {
				b.WriteString(" - |")
			}
		}
		fmt.Fprintf(&b, " %s |\n", wl.desc)
	}
	return b.String()
}

// fmtRate formats a rate with three significant digits and a K/M suffix.
func fmtRate(r float64) string {
	switch {
	case r >= 1e6:
		return strconv.FormatFloat(r/1e6, 'f', sigDecimals(r/1e6), 64) + " M"
	case r >= 1e3:
		return strconv.FormatFloat(r/1e3, 'f', sigDecimals(r/1e3), 64) + " K"
	default:
		return strconv.FormatFloat(r, 'f', sigDecimals(r), 64)
	}
}

func sigDecimals(x float64) int {
	switch {
	case x >= 100:
		return 0
	case x >= 10:
		return 1
	default:
		return 2
	}
}

// startWeirInProcess starts a weir server on a free port over a fresh
// temporary data directory.
func startWeirInProcess() (target, error) {
	dir, err := os.MkdirTemp("", "weir-bench-")
	if err != nil {
		return target{}, err
	}
	srv, err := server.New(server.Config{
		DataDir: dir,
		Listen:  "127.0.0.1:0",
		HTTP:    "off",
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version: version,
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return target{}, err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Addr() == nil {
		select {
		case err := <-serveErr:
			_ = srv.Close()
			_ = os.RemoveAll(dir)
			return target{}, err
		default:
		}
		if time.Now().After(deadline) {
			_ = srv.Close()
			_ = os.RemoveAll(dir)
			return target{}, errors.New("weir did not start listening within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = os.RemoveAll(dir)
	}
	url := fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable", srv.Addr())
	return target{name: "weir", url: url, stop: stop}, nil
}

// Workloads.

// benchColumns is the shape of every benchmark table: the types of BENCH.md's
// ad-hoc SELECT figure.
const benchColumns = "(id BIGINT, grp BIGINT, name TEXT, ts TIMESTAMP, amount NUMERIC(12,2), score DOUBLE PRECISION)"

// rowText appends row i of the benchmark data in COPY text form (tab
// separated, newline terminated). Every value is a function of i, so both
// systems store the same rows.
func rowText(buf []byte, i int64) []byte {
	f := rowFields(i)
	for j, s := range f {
		if j > 0 {
			buf = append(buf, '\t')
		}
		buf = append(buf, s...)
	}
	return append(buf, '\n')
}

// rowFields returns row i as the text of its six columns.
func rowFields(i int64) [6]string {
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	cents := (i * 7919) % 1_000_000
	return [6]string{
		strconv.FormatInt(i, 10),
		strconv.FormatInt(i%1000, 10),
		"customer-" + strconv.FormatInt(i*31%100_003, 10),
		ts.Format("2006-01-02 15:04:05"),
		strconv.FormatInt(cents/100, 10) + "." + fmt.Sprintf("%02d", cents%100),
		strconv.FormatFloat(float64(i%10_000)*0.37+0.5, 'g', -1, 64),
	}
}

// rowSQL appends row i as a parenthesised SQL row constructor.
func rowSQL(buf []byte, i int64) []byte {
	f := rowFields(i)
	buf = append(buf, '(')
	buf = append(buf, f[0]...)
	buf = append(buf, ',')
	buf = append(buf, f[1]...)
	buf = append(buf, ",'"...)
	buf = append(buf, f[2]...)
	buf = append(buf, "','"...)
	buf = append(buf, f[3]...)
	buf = append(buf, "',"...)
	buf = append(buf, f[4]...)
	buf = append(buf, ',')
	buf = append(buf, f[5]...)
	return append(buf, ')')
}

func connect(ctx context.Context, url string) (*pgconn.PgConn, error) {
	return pgconn.Connect(ctx, url)
}

// execSQL runs statements with the simple protocol.
func execSQL(ctx context.Context, c *pgconn.PgConn, sql string) error {
	_, err := c.Exec(ctx, sql).ReadAll()
	return err
}

// freshTable creates an empty benchmark table named name (dropping an older
// one) and returns an open connection.
func freshTable(ctx context.Context, url, name string) (*pgconn.PgConn, error) {
	c, err := connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := execSQL(ctx, c, "DROP TABLE IF EXISTS "+name); err != nil {
		c.Close(ctx)
		return nil, err
	}
	if err := execSQL(ctx, c, "CREATE TABLE "+name+" "+benchColumns); err != nil {
		c.Close(ctx)
		return nil, err
	}
	return c, nil
}

// copyRows loads rows [from, from+n) into table with COPY FROM STDIN (text
// format), streaming the data from a pipe.
func copyRows(ctx context.Context, c *pgconn.PgConn, table string, from, n int64) error {
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 0, 64<<10)
		for i := from; i < from+n; i++ {
			buf = rowText(buf, i)
			if len(buf) > 60<<10 {
				if _, err := pw.Write(buf); err != nil {
					return
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 {
			if _, err := pw.Write(buf); err != nil {
				return
			}
		}
		_ = pw.Close()
	}()
	tag, err := c.CopyFrom(ctx, pr, "COPY "+table+" FROM STDIN")
	_ = pr.Close()
	if err != nil {
		return err
	}
	if tag.RowsAffected() != n {
		return fmt.Errorf("COPY reported %d rows, sent %d", tag.RowsAffected(), n)
	}
	return nil
}

// insertSingle runs single-row INSERTs (a prepared statement with text
// parameters, one implicit transaction each) from conns connections for d,
// and returns the rows acknowledged.
func insertSingle(ctx context.Context, url string, run, conns int, d time.Duration) (int64, time.Duration, error) {
	table := fmt.Sprintf("bench_insert_%d_%d", conns, run)
	c0, err := freshTable(ctx, url, table)
	if err != nil {
		return 0, 0, err
	}
	defer c0.Close(ctx)
	cs := make([]*pgconn.PgConn, conns)
	for i := range cs {
		c, err := connect(ctx, url)
		if err != nil {
			return 0, 0, err
		}
		defer c.Close(ctx)
		if _, err := c.Prepare(ctx, "ins", "INSERT INTO "+table+" VALUES ($1, $2, $3, $4, $5, $6)", nil); err != nil {
			return 0, 0, err
		}
		cs[i] = c
	}
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	start := time.Now()
	deadline := start.Add(d)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			params := make([][]byte, 6)
			for time.Now().Before(deadline) {
				f := rowFields(next.Add(1) - 1)
				for j := range f {
					params[j] = []byte(f[j])
				}
				if _, err := c.ExecPrepared(ctx, "ins", params, nil, nil).Close(); err != nil {
					errMu.Lock()
					first = firstErr(first, err)
					errMu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if first != nil {
		return 0, 0, first
	}
	n, err := countRows(ctx, c0, table)
	if err != nil {
		return 0, 0, err
	}
	if n != next.Load() {
		return 0, 0, fmt.Errorf("%d INSERTs acknowledged, table holds %d rows", next.Load(), n)
	}
	_ = execSQL(ctx, c0, "DROP TABLE "+table)
	return n, el, nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func countRows(ctx context.Context, c *pgconn.PgConn, table string) (int64, error) {
	res := c.ExecParams(ctx, "SELECT count(*) FROM "+table, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return 0, res.Err
	}
	if len(res.Rows) != 1 {
		return 0, fmt.Errorf("count(*) returned %d rows", len(res.Rows))
	}
	return strconv.ParseInt(string(res.Rows[0][0]), 10, 64)
}

// scanAll runs sql with the extended protocol in the given result format
// and counts the rows; values are read off the wire but not decoded, so
// the figure is the server's.
func scanAll(ctx context.Context, c *pgconn.PgConn, sql string, format int16) (int64, error) {
	rr := c.ExecParams(ctx, sql, nil, nil, nil, []int16{format})
	var n int64
	for rr.NextRow() {
		n++
	}
	_, err := rr.Close()
	return n, err
}

const selectTable = "bench_select"

func workloads(bc benchConfig) []workload {
	loadSelect := func(ctx context.Context, url string) error {
		c, err := freshTable(ctx, url, selectTable)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		if err := copyRows(ctx, c, selectTable, 0, int64(bc.selectRows)); err != nil {
			return err
		}
		// PostgreSQL: set hint bits and the visibility map now, as a table
		// at rest has them, rather than during the first timed scan. weir
		// does not know VACUUM; it needs nothing of the kind.
		if err := execSQL(ctx, c, "VACUUM ANALYZE "+selectTable); err != nil && !strings.Contains(url, "/weir?") {
			return err
		}
		return nil
	}
	var loaded sync.Map // url → bool: the select table is loaded once per target
	selectSetup := func(ctx context.Context, url string) error {
		if _, ok := loaded.Load(url); ok {
			return nil
		}
		if err := loadSelect(ctx, url); err != nil {
			return err
		}
		loaded.Store(url, true)
		return nil
	}
	selectRun := func(sql string, format int16, want int64) func(context.Context, string, int) (int64, time.Duration, error) {
		return func(ctx context.Context, url string, _ int) (int64, time.Duration, error) {
			c, err := connect(ctx, url)
			if err != nil {
				return 0, 0, err
			}
			defer c.Close(ctx)
			start := time.Now()
			n, err := scanAll(ctx, c, sql, format)
			el := time.Since(start)
			if err != nil {
				return 0, 0, err
			}
			if n != want {
				return 0, 0, fmt.Errorf("%s returned %d rows, want %d", sql, n, want)
			}
			// The aggregate reads every row of the table: report input rows.
			return int64(bc.selectRows), el, nil
		}
	}
	groups := min(int64(bc.selectRows), 1000)
	return append([]workload{
		{
			name: "insert_1conn",
			desc: "single-row INSERT (prepared, autocommit), 1 connection",
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				return insertSingle(ctx, url, run, 1, bc.ingestDur)
			},
		},
		{
			name: fmt.Sprintf("insert_%dconn", bc.conns),
			desc: fmt.Sprintf("single-row INSERT (prepared, autocommit), %d connections", bc.conns),
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				return insertSingle(ctx, url, run, bc.conns, bc.ingestDur)
			},
		},
		{
			name: "insert_multi",
			desc: fmt.Sprintf("INSERT of %d rows per statement, 1 connection", bc.multiRows),
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				table := fmt.Sprintf("bench_multi_%d", run)
				c, err := freshTable(ctx, url, table)
				if err != nil {
					return 0, 0, err
				}
				defer c.Close(ctx)
				// Build the statements before timing: the figure is the server's.
				var stmts []string
				var next int64
				for range 50 {
					buf := []byte("INSERT INTO " + table + " VALUES ")
					for j := range bc.multiRows {
						if j > 0 {
							buf = append(buf, ',')
						}
						buf = rowSQL(buf, next)
						next++
					}
					stmts = append(stmts, string(buf))
				}
				var rows int64
				start := time.Now()
				for i := 0; i < len(stmts) && (i == 0 || time.Since(start) < bc.ingestDur); i++ {
					if err := execSQL(ctx, c, stmts[i]); err != nil {
						return 0, 0, err
					}
					rows += int64(bc.multiRows)
				}
				el := time.Since(start)
				if n, err := countRows(ctx, c, table); err != nil || n != rows {
					return 0, 0, fmt.Errorf("table holds %d rows after %d inserted (%v)", n, rows, err)
				}
				_ = execSQL(ctx, c, "DROP TABLE "+table)
				return rows, el, nil
			},
		},
		{
			name: "copy_text",
			desc: fmt.Sprintf("COPY FROM STDIN, text format, %d rows per COPY", bc.copyRows),
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				table := fmt.Sprintf("bench_copy_%d", run)
				c, err := freshTable(ctx, url, table)
				if err != nil {
					return 0, 0, err
				}
				defer c.Close(ctx)
				start := time.Now()
				if err := copyRows(ctx, c, table, 0, int64(bc.copyRows)); err != nil {
					return 0, 0, err
				}
				el := time.Since(start)
				_ = execSQL(ctx, c, "DROP TABLE "+table)
				return int64(bc.copyRows), el, nil
			},
		},
		{
			name:  "select_text",
			desc:  fmt.Sprintf("SELECT * of %d rows, text results", bc.selectRows),
			setup: selectSetup,
			run:   selectRun("SELECT * FROM "+selectTable, 0, int64(bc.selectRows)),
		},
		{
			name:  "select_binary",
			desc:  fmt.Sprintf("SELECT * of %d rows, binary results", bc.selectRows),
			setup: selectSetup,
			run:   selectRun("SELECT * FROM "+selectTable, 1, int64(bc.selectRows)),
		},
		{
			name:  "group_by",
			desc:  fmt.Sprintf("GROUP BY grp (%d groups): count, sum(numeric), avg(double); input rows/s", groups),
			setup: selectSetup,
			run: selectRun("SELECT grp, count(*), sum(amount), avg(score), max(ts) FROM "+selectTable+" GROUP BY grp",
				0, groups),
		},
	}, append(append(mvWorkloads(bc), windowWorkloads(bc)...), append(nexmarkQueryWorkloads(bc, bc.nexmark), nexmarkJoinWorkloads(bc, bc.nexmark)...)...)...)
}
