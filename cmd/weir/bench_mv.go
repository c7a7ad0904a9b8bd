package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Materialized-view workloads of `weir bench` (weir only: PostgreSQL has no
// incrementally maintained views). Both push the benchmark rows through the
// same pipeline, table → filter → group-by MV:
//
//	SELECT grp, count(*) AS n, sum(amount) AS total, min(score) AS lo, max(score) AS hi
//	FROM t WHERE amount >= 5000 GROUP BY grp
//
//   - mv_backfill: the table is loaded once by COPY (untimed); each run
//     creates a new MV over it and FLUSHes. The figure is table rows / time
//     from CREATE MATERIALIZED VIEW to FLUSH returning.
//   - mv_steady: each run creates the MV on an empty table, then COPYs
//     batches of rows continuously for -ingest-time, then FLUSHes. The
//     figure is rows / time from the first COPY to FLUSH returning: what the
//     pipeline sustains while rows keep arriving, catch-up included.
//
// Every run checks the MV against the table (sum(n) equals the number of
// rows passing the filter). mv_steady also reads the duration of each of
// its MV's batches from weir_catalog.batches (read, process, one synced
// commit) and reports their p50 and p99 after the table.

// mvPipeline returns the pipeline's defining query over table.
func mvPipeline(table string) string {
	return "SELECT grp, count(*) AS n, sum(amount) AS total, min(score) AS lo, max(score) AS hi FROM " +
		table + " WHERE " + mvFilter + " GROUP BY grp"
}

const (
	// mvFilter is the pipeline's filter; about half the rows pass.
	mvFilter        = "amount >= 5000"
	mvBackfillTable = "bench_mv_src"
	// mvSteadyCopyRows is the size of each COPY of the steady workload.
	mvSteadyCopyRows = 5000
	// mvSteadyTrigger is the steady MV's trigger interval: short enough to
	// give many batches per run for the percentiles.
	mvSteadyTrigger = "100ms"
)

// batchStats collects the batch durations of the runs of a workload.
type batchStats struct {
	mu        sync.Mutex
	durations []float64 // milliseconds
	rows      []int64   // input rows per batch
	err       error     // why durations could not be read, if they could not
}

func (s *batchStats) add(d []float64, rows []int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.durations = append(s.durations, d...)
	s.rows = append(s.rows, rows...)
	if err != nil && s.err == nil {
		s.err = err
	}
}

// report renders the percentiles of the batch durations.
func (s *batchStats) report() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.durations) == 0 {
		if s.err != nil {
			return fmt.Sprintf("mv_steady batch duration: not available (%v)\n", s.err)
		}
		return "mv_steady batch duration: no batches recorded in weir_catalog.batches\n"
	}
	var rows int64
	for _, r := range s.rows {
		rows += r
	}
	return fmt.Sprintf("mv_steady batch duration (read + process + synced commit, trigger_interval %s), %d batches, %.0f input rows per batch on average:\n\n"+
		"| p50 | p99 | max |\n|---:|---:|---:|\n| %.1f ms | %.1f ms | %.1f ms |\n",
		mvSteadyTrigger, len(s.durations), float64(rows)/float64(len(s.rows)),
		percentile(s.durations, 0.50), percentile(s.durations, 0.99), percentile(s.durations, 1))
}

// percentile returns the nearest-rank p-quantile (0 < p <= 1) of xs, or 0
// for none. xs is not modified.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func mvWorkloads(bc benchConfig) []workload {
	stats := &batchStats{}
	return []workload{
		{
			name:     "mv_backfill",
			desc:     fmt.Sprintf("CREATE MATERIALIZED VIEW (filter + group-by, 1000 groups) over %d rows, then FLUSH", bc.mvRows),
			weirOnly: true,
			setup: func(ctx context.Context, url string) error {
				c, err := freshTable(ctx, url, mvBackfillTable)
				if err != nil {
					return err
				}
				defer c.Close(ctx)
				return copyRows(ctx, c, mvBackfillTable, 0, int64(bc.mvRows))
			},
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				c, err := connect(ctx, url)
				if err != nil {
					return 0, 0, err
				}
				defer c.Close(ctx)
				mv := fmt.Sprintf("bench_mv_backfill_%d", run)
				_ = execSQL(ctx, c, "DROP MATERIALIZED VIEW IF EXISTS "+mv)
				start := time.Now()
				if err := execSQL(ctx, c, "CREATE MATERIALIZED VIEW "+mv+" AS "+mvPipeline(mvBackfillTable)); err != nil {
					return 0, 0, err
				}
				if err := execSQL(ctx, c, "FLUSH"); err != nil {
					return 0, 0, err
				}
				el := time.Since(start)
				if err := checkPipeline(ctx, c, mv, mvBackfillTable); err != nil {
					return 0, 0, err
				}
				if err := execSQL(ctx, c, "DROP MATERIALIZED VIEW "+mv); err != nil {
					return 0, 0, err
				}
				return int64(bc.mvRows), el, nil
			},
		},
		{
			name:     "mv_steady",
			desc:     fmt.Sprintf("COPY of %d rows at a time for %v into a table with a filter + group-by MV, then FLUSH", mvSteadyCopyRows, bc.ingestDur),
			weirOnly: true,
			report:   stats.report,
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				table := fmt.Sprintf("bench_mv_steady_%d", run)
				mv := table + "_mv"
				c, err := connect(ctx, url)
				if err != nil {
					return 0, 0, err
				}
				defer c.Close(ctx)
				_ = execSQL(ctx, c, "DROP TABLE IF EXISTS "+table+" CASCADE")
				if err := execSQL(ctx, c, "CREATE TABLE "+table+" "+benchColumns); err != nil {
					return 0, 0, err
				}
				if err := execSQL(ctx, c, "CREATE MATERIALIZED VIEW "+mv+" WITH (trigger_interval = '"+mvSteadyTrigger+"') AS "+mvPipeline(table)); err != nil {
					return 0, 0, err
				}
				var rows int64
				start := time.Now()
				for rows == 0 || time.Since(start) < bc.ingestDur {
					if err := copyRows(ctx, c, table, rows, mvSteadyCopyRows); err != nil {
						return 0, 0, err
					}
					rows += mvSteadyCopyRows
				}
				if err := execSQL(ctx, c, "FLUSH"); err != nil {
					return 0, 0, err
				}
				el := time.Since(start)
				if err := checkPipeline(ctx, c, mv, table); err != nil {
					return 0, 0, err
				}
				d, n, err := batchDurations(ctx, c, mv)
				stats.add(d, n, err)
				if err := execSQL(ctx, c, "DROP TABLE "+table+" CASCADE"); err != nil {
					return 0, 0, err
				}
				return rows, el, nil
			},
		},
	}
}

// checkPipeline checks that the MV counted every row of table that passes
// the pipeline's filter, once.
func checkPipeline(ctx context.Context, c *pgconn.PgConn, mv, table string) error {
	got, err := queryInt(ctx, c, "SELECT coalesce(sum(n), 0) FROM "+mv)
	if err != nil {
		return err
	}
	want, err := queryInt(ctx, c, "SELECT count(*) FROM "+table+" WHERE "+mvFilter)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("materialized view %s counted %d rows, the table has %d passing the filter", mv, got, want)
	}
	return nil
}

func queryInt(ctx context.Context, c *pgconn.PgConn, sql string) (int64, error) {
	res := c.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
	if res.Err != nil {
		return 0, res.Err
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return 0, fmt.Errorf("%s: want one value, got %d rows", sql, len(res.Rows))
	}
	return strconv.ParseInt(string(res.Rows[0][0]), 10, 64)
}

// batchDurations reads the duration and input rows of the recorded batches
// of query from weir_catalog.batches.
func batchDurations(ctx context.Context, c *pgconn.PgConn, query string) ([]float64, []int64, error) {
	res := c.ExecParams(ctx, "SELECT duration_ms, input_rows FROM weir_catalog.batches WHERE query = $1",
		[][]byte{[]byte(query)}, nil, nil, nil).Read()
	if res.Err != nil {
		return nil, nil, fmt.Errorf("weir_catalog.batches: %w", res.Err)
	}
	var ds []float64
	var rows []int64
	for _, r := range res.Rows {
		d, err := strconv.ParseFloat(strings.TrimSpace(string(r[0])), 64)
		if err != nil {
			return nil, nil, fmt.Errorf("duration_ms %q: %w", r[0], err)
		}
		n, err := strconv.ParseInt(string(r[1]), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("input_rows %q: %w", r[1], err)
		}
		ds = append(ds, d)
		rows = append(rows, n)
	}
	return ds, rows, nil
}
