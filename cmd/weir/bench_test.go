package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 10, 1}, 10},
	} {
		in := append([]float64(nil), tc.in...)
		require.Equal(t, tc.want, median(tc.in), "%v", tc.in)
		require.Equal(t, in, tc.in, "median must not reorder its input")
	}
}

func TestFmtRate(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0.00"},
		{7.5, "7.50"},
		{950, "950"},
		{1234, "1.23 K"},
		{45_600, "45.6 K"},
		{999_000, "999 K"},
		{1_234_567, "1.23 M"},
		{23_400_000, "23.4 M"},
	} {
		require.Equal(t, tc.want, fmtRate(tc.in), "%v", tc.in)
	}
}

func TestRowFields(t *testing.T) {
	require.Equal(t, [6]string{"0", "0", "customer-0", "2026-01-01 00:00:00", "0.00", "0.5"}, rowFields(0))
	require.Equal(t, [6]string{"1001", "1", "customer-31031", "2026-01-01 00:16:41", "9269.19", "370.87"}, rowFields(1001))
	require.Equal(t, "0\t0\tcustomer-0\t2026-01-01 00:00:00\t0.00\t0.5\n", string(rowText(nil, 0)))
	require.Equal(t, "(0,0,'customer-0','2026-01-01 00:00:00',0.00,0.5)", string(rowSQL(nil, 0)))
}

func TestRenderTable(t *testing.T) {
	bc := benchConfig{runs: 3}
	wls := []workload{{name: "a", desc: "first"}, {name: "b", desc: "second"}, {name: "c", desc: "third"}}
	tgs := []target{{name: "weir"}, {name: "postgres"}}
	res := [][]result{
		{{rates: []float64{100, 300, 200}}, {rates: []float64{50, 100, 400}}},
		{{rates: []float64{1e6}}, {err: context.Canceled}},
		{{}, {}},
	}
	got := renderTable(bc, wls, tgs, res)
	require.Equal(t, `median of 3 runs, rows/s (higher is better)

| workload | weir | postgres | weir/postgres | what |
|---|---:|---:|---:|---|
| a | 200 | 100 | 2.00 | first |
| b | 1.00 M | error | - | second |
| c | - | - | - | third |
`, got)
}

func TestParseBench(t *testing.T) {
	var stderr bytes.Buffer
	bc, err := parseBench(nil, &stderr)
	require.NoError(t, err)
	require.Equal(t, 3, bc.runs)
	require.Equal(t, 1_000_000, bc.selectRows)
	require.Equal(t, "auto", bc.pg)

	bc, err = parseBench([]string{"-runs", "5", "-only", "^select", "-pg", "off"}, &stderr)
	require.NoError(t, err)
	require.Equal(t, 5, bc.runs)
	require.True(t, bc.only.MatchString("select_text"))
	require.False(t, bc.only.MatchString("copy_text"))

	stderr.Reset()
	_, err = parseBench([]string{"-runs", "0"}, &stderr)
	require.Error(t, err)
	require.Contains(t, stderr.String(), "must be positive")
	_, err = parseBench([]string{"-only", "("}, &stderr)
	require.Error(t, err)
}

// TestBenchWorkloadsWeir runs every workload once, small, against an
// in-process weir: each run checks its own row counts, so this is the
// benchmark's correctness test.
func TestBenchWorkloadsWeir(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	tg, err := startWeirInProcess()
	require.NoError(t, err)
	defer tg.stop()
	bc := benchConfig{runs: 1, selectRows: 2000, copyRows: 500, multiRows: 10, ingestDur: 50 * time.Millisecond, conns: 2, mvRows: 3000, windowRows: 3000}
	ctx := context.Background()
	for _, wl := range workloads(bc) {
		if wl.setup != nil {
			require.NoError(t, wl.setup(ctx, tg.url), wl.name)
		}
		rows, d, err := wl.run(ctx, tg.url, 0)
		require.NoError(t, err, wl.name)
		require.Positive(t, rows, wl.name)
		require.Positive(t, d, wl.name)
		if strings.HasPrefix(wl.name, "select") || wl.name == "group_by" {
			require.EqualValues(t, bc.selectRows, rows, wl.name)
		}
		if wl.name == "copy_text" {
			require.EqualValues(t, bc.copyRows, rows)
		}
		if wl.name == "mv_backfill" {
			require.EqualValues(t, bc.mvRows, rows)
		}
		if strings.HasPrefix(wl.name, "window_") && strings.HasSuffix(wl.name, "_backfill") {
			require.EqualValues(t, bc.windowRows, rows, wl.name)
		}
		if strings.HasPrefix(wl.name, "window_") && strings.HasSuffix(wl.name, "_steady") {
			require.Zero(t, rows%windowSteadyCopy, "whole COPYs")
		}
		if wl.name == "mv_steady" {
			require.Zero(t, rows%mvSteadyCopyRows, "whole COPYs")
			require.Contains(t, wl.report(), "mv_steady batch duration")
		}
	}
}

// The Nexmark-like bid stream: a function of the bid number, 46 bids per
// 50 events at 100 µs of event time per event, auctions among the recent
// ones, and never late for the 4 s watermark delay.
func TestNexmarkBids(t *testing.T) {
	var all []nexmarkBid
	nexmarkBids(0, 20_000, func(b nexmarkBid) { all = append(all, b) })
	require.Len(t, all, 20_000)
	var piece []nexmarkBid
	nexmarkBids(7_000, 5, func(b nexmarkBid) { piece = append(piece, b) })
	require.Equal(t, all[7_000:7_005], piece, "bid i depends on i alone")

	maxSeen := all[0].dateTime
	auctions := map[int64]bool{}
	for i, b := range all {
		require.False(t, b.dateTime.Before(maxSeen.Add(-4*time.Second)), "bid %d would be late", i)
		if b.dateTime.After(maxSeen) {
			maxSeen = b.dateTime
		}
		created := 1000 + (int64(i)/46+1)*3 // auctions created so far, ids from 1000
		require.Less(t, b.auction, created, "bid %d: auction not created yet", i)
		require.GreaterOrEqual(t, b.auction, created-100, "bid %d: auction not among the recent 100", i)
		require.GreaterOrEqual(t, b.price, int64(100))
		require.LessOrEqual(t, b.price, int64(1_000_000))
		auctions[b.auction] = true
	}
	// 20 000 bids are 20 000/46*50 events at 100 µs: about 2.17 s.
	span := maxSeen.Sub(nexmarkEpoch)
	require.InDelta(t, (20_000 * 50 / 46 * 100 * time.Microsecond).Seconds(), span.Seconds(), 0.01)
	require.Greater(t, len(auctions), 1000, "bids spread over many auctions")
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for _, tc := range []struct {
		p    float64
		want float64
	}{
		{0.5, 5}, {0.99, 10}, {1, 10}, {0.1, 1}, {0.11, 2}, {0.9, 9},
	} {
		require.Equal(t, tc.want, percentile(xs, tc.p), "p%v", tc.p)
	}
	require.Equal(t, []float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}, xs, "percentile must not reorder its input")
	require.Zero(t, percentile(nil, 0.5))
	require.Equal(t, 3.0, percentile([]float64{3}, 0.99))
}

func TestBatchStatsReport(t *testing.T) {
	var s batchStats
	require.Equal(t, "mv_steady batch duration: no batches recorded in weir_catalog.batches\n", s.report())
	s.add(nil, nil, context.Canceled)
	require.Contains(t, s.report(), "not available (context canceled)")
	s.add([]float64{10, 30, 20}, []int64{100, 300, 200}, nil)
	require.Equal(t, "mv_steady batch duration (read + process + synced commit, trigger_interval 100ms), 3 batches, 200 input rows per batch on average:\n\n"+
		"| p50 | p99 | max |\n|---:|---:|---:|\n| 20.0 ms | 30.0 ms | 30.0 ms |\n", s.report())
}

// BenchmarkWeirMVBackfill measures the table → filter → group-by MV
// pipeline: each op creates an MV over 200 000 rows and FLUSHes (rows/s is
// table rows through the pipeline):
//
//	go test -run='^$' -bench=WeirMV -cpuprofile cpu.out ./cmd/weir/
func BenchmarkWeirMVBackfill(b *testing.B) {
	tg, err := startWeirInProcess()
	require.NoError(b, err)
	defer tg.stop()
	ctx := context.Background()
	const rows = 200_000
	c, err := freshTable(ctx, tg.url, mvBackfillTable)
	require.NoError(b, err)
	defer c.Close(ctx)
	require.NoError(b, copyRows(ctx, c, mvBackfillTable, 0, rows))
	b.ResetTimer()
	for i := range b.N {
		mv := "bench_mv_" + strconv.Itoa(i)
		require.NoError(b, execSQL(ctx, c, "CREATE MATERIALIZED VIEW "+mv+" AS "+mvPipeline(mvBackfillTable)))
		require.NoError(b, execSQL(ctx, c, "FLUSH"))
		b.StopTimer()
		require.NoError(b, checkPipeline(ctx, c, mv, mvBackfillTable))
		require.NoError(b, execSQL(ctx, c, "DROP MATERIALIZED VIEW "+mv))
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// benchWeirSelect loads n rows into an in-process weir once and reports
// the time per row of sql (run b.N times); with -cpuprofile it profiles the
// weir server side of `weir bench`'s SELECT workloads:
//
//	go test -run='^$' -bench=WeirSelect -cpuprofile cpu.out ./cmd/weir/
func benchWeirSelect(b *testing.B, sql string, format int16, n int64) {
	tg, err := startWeirInProcess()
	require.NoError(b, err)
	defer tg.stop()
	ctx := context.Background()
	c, err := freshTable(ctx, tg.url, selectTable)
	require.NoError(b, err)
	defer c.Close(ctx)
	require.NoError(b, copyRows(ctx, c, selectTable, 0, n))
	b.ResetTimer()
	for range b.N {
		_, err := scanAll(ctx, c, sql, format)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

const benchSelectRows = 200_000

func BenchmarkWeirSelectText(b *testing.B) {
	benchWeirSelect(b, "SELECT * FROM "+selectTable, 0, benchSelectRows)
}

func BenchmarkWeirSelectBinary(b *testing.B) {
	benchWeirSelect(b, "SELECT * FROM "+selectTable, 1, benchSelectRows)
}

func BenchmarkWeirGroupBy(b *testing.B) {
	benchWeirSelect(b, "SELECT grp, count(*), sum(amount), avg(score), max(ts) FROM "+selectTable+" GROUP BY grp", 0, benchSelectRows)
}

// BenchmarkWeirCopy measures COPY FROM STDIN (text) of 50 000 rows per op.
func BenchmarkWeirCopy(b *testing.B) {
	tg, err := startWeirInProcess()
	require.NoError(b, err)
	defer tg.stop()
	ctx := context.Background()
	const rows = 50_000
	for i := range b.N {
		table := "bench_copy_" + strconv.Itoa(i)
		c, err := freshTable(ctx, tg.url, table)
		require.NoError(b, err)
		require.NoError(b, copyRows(ctx, c, table, 0, rows))
		c.Close(ctx)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWeirInsertMulti measures INSERT of 1000 literal rows per
// statement.
func BenchmarkWeirInsertMulti(b *testing.B) {
	tg, err := startWeirInProcess()
	require.NoError(b, err)
	defer tg.stop()
	ctx := context.Background()
	c, err := freshTable(ctx, tg.url, "bench_multi")
	require.NoError(b, err)
	defer c.Close(ctx)
	buf := []byte("INSERT INTO bench_multi VALUES ")
	for j := range int64(1000) {
		if j > 0 {
			buf = append(buf, ',')
		}
		buf = rowSQL(buf, j)
	}
	stmt := string(buf)
	b.ResetTimer()
	for range b.N {
		require.NoError(b, execSQL(ctx, c, stmt))
	}
	b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
