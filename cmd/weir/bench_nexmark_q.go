package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/weirdb/weir/connectors/blackhole"
)

// Nexmark q0, q1, q2, qw and q5 through weir (BENCH.md "Nexmark"), weir
// only. Every query reads a `connector = 'nexmark'` source of bids and is
// measured three ways:
//
//   - nexmark_<q>_blackhole: a fresh source of -nexmark-events events
//     (rate 0: as fast as the query takes them) and CREATE SINK ... AS
//     <query> WITH (connector = 'blackhole'). The figure is events / time
//     from CREATE SINK until the blackhole connector received the last
//     batch that had output (weir_catalog.batches), FLUSH included.
//   - nexmark_<q>_mv: the same source and CREATE MATERIALIZED VIEW ... AS
//     <query>; events / time from CREATE until FLUSH returns.
//   - nexmark_<q>_freshness: a source producing -nexmark-rate events/s in
//     wall-clock time for -nexmark-fresh-time, an MV over it with
//     trigger_interval -nexmark-trigger; the figure is the events/s the MV
//     kept up with, and the p50/p99 freshness go to the Nexmark table.
//
// Events are all generated events (persons and auctions included: 46 of
// every 50 are bids), as Nexmark results are reported, and the generator
// runs inside the measured time. Events/s per core divide by GOMAXPROCS
// (the machine's cores: weir runs in this process).
//
// Freshness of event n is (when n became visible in the MV) − (when the
// generator produced n). Under a rate R the generator produces event n at
// t0 + n/R, t0 being its first use; the run starts that clock itself with
// a bounded SELECT over the source before the MV exists and takes t0 = the
// instant the SELECT was sent (the true t0 is no earlier, so the figure
// errs on the stale side by at most the SELECT's round trip, printed with
// the table). Visibility is polled every nexmarkFreshPoll from
// weir_catalog.source_progress: an MV's committed offsets are committed in
// the same Pebble batch as its rows, and the status is published after the
// commit, so once an offset shows, a SELECT on the MV sees every event
// before it. Event n of partition p of P is visible once the committed
// offset of p exceeds (n-p)/P; the events that became visible between two
// polls are charged the later poll's time (the figure errs on the stale
// side by at most the poll interval). Event time advances at the same rate
// as wall time (inter_event_ms = 1000/R), so windows close as they would
// on a live feed.
//
// Every throughput run checks its output: q0 and q1 deliver one row per
// bid, q2 as many as a bounded SELECT of its filter counts, qw counts every
// bid once, q5 holds as many rows as the bounded SELECT of the query.

// nexmarkQConfig holds the flags of these workloads.
type nexmarkQConfig struct {
	events     int64
	partitions int
	rate       float64
	freshTime  time.Duration
	trigger    string
}

// nexmarkQFlags registers the Nexmark flags of `weir bench` on fs.
func nexmarkQFlags(fs *flag.FlagSet) *nexmarkQConfig {
	nc := &nexmarkQConfig{}
	fs.Int64Var(&nc.events, "nexmark-events", 500_000, "events per nexmark_q* throughput run (46 of 50 are bids)")
	fs.IntVar(&nc.partitions, "nexmark-partitions", 2, "partitions of the nexmark sources")
	fs.Float64Var(&nc.rate, "nexmark-rate", 50_000, "events/s the nexmark_q*_freshness sources produce")
	fs.DurationVar(&nc.freshTime, "nexmark-fresh-time", 4*time.Second, "duration of each nexmark_q*_freshness run")
	fs.StringVar(&nc.trigger, "nexmark-trigger", "100ms", "trigger_interval of the nexmark_q* MVs and sinks")
	return nc
}

// validate checks the flags.
func (nc *nexmarkQConfig) validate() error {
	if nc.events < 50 || nc.partitions < 1 || nc.rate <= 0 || nc.freshTime <= 0 {
		return errors.New("-nexmark-events must be at least 50; -nexmark-partitions, -nexmark-rate and -nexmark-fresh-time positive")
	}
	if _, err := time.ParseDuration(nc.trigger); err != nil {
		return fmt.Errorf("-nexmark-trigger: %w", err)
	}
	return nil
}

// nexmarkBidSource is the DDL of a bid source: %[1]s name, %[2]s options.
// The watermark lets windows close and their state go.
const nexmarkBidSource = `CREATE SOURCE %[1]s (auction BIGINT, bidder BIGINT, price BIGINT, channel TEXT, url TEXT,
  date_time TIMESTAMP, extra TEXT, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH (connector = 'nexmark', table = 'bid', seed = '1', %[2]s)`

// nexmarkQuery is one Nexmark query; sql reads the source named %[1]s.
type nexmarkQuery struct {
	name, desc, sql string
	// check returns the rows the query's MV must hold over src (a
	// bounded source of events events), and the SQL counting them.
	check func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (want int64, count string, err error)
	// sinkRows, when set, is the number of change rows a blackhole sink
	// of the query receives (insert-only queries).
	sinkRows func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (int64, error)
}

// nexmarkBids returns how many of events 0..events-1 are bids (event n is
// a bid when n % 50 >= 4; connectors/nexmark).
func nexmarkBidCount(events int64) int64 {
	return events/50*46 + max(0, events%50-4)
}

var (
	bidsOf = func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (int64, error) {
		return nexmarkBidCount(events), nil
	}
	q2Count = func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (int64, error) {
		return queryInt(ctx, c, "SELECT count(*) FROM "+src+" WHERE auction % 123 = 0")
	}
)

const q5SQL = `SELECT b.auction, b.num, b.window_start, b.window_end
FROM (SELECT auction, count(*) AS num, window_start, window_end
      FROM HOP(%[1]s, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
      GROUP BY auction, window_start, window_end) AS b
JOIN (SELECT max(num) AS maxn, window_start, window_end
      FROM (SELECT count(*) AS num, window_start, window_end
            FROM HOP(%[1]s, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
            GROUP BY auction, window_start, window_end) AS c
      GROUP BY window_start, window_end) AS m
ON b.window_start = m.window_start AND b.window_end = m.window_end AND b.num >= m.maxn`

var nexmarkQueries = []nexmarkQuery{
	{
		name: "q0", desc: "pass-through of bid",
		sql: "SELECT auction, bidder, price, date_time, extra FROM %[1]s",
		check: func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (int64, string, error) {
			return nexmarkBidCount(events), "SELECT count(*) FROM %s", nil
		},
		sinkRows: bidsOf,
	},
	{
		name: "q1", desc: "price × 0.908",
		sql: "SELECT auction, bidder, price * 0.908 AS price, date_time, extra FROM %[1]s",
		check: func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (int64, string, error) {
			return nexmarkBidCount(events), "SELECT count(*) FROM %s", nil
		},
		sinkRows: bidsOf,
	},
	{
		name: "q2", desc: "auction % 123 = 0",
		sql: "SELECT auction, price FROM %[1]s WHERE auction %% 123 = 0", // a format: %% is %
		check: func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (int64, string, error) {
			n, err := q2Count(ctx, c, src, events)
			return n, "SELECT count(*) FROM %s", err
		},
		sinkRows: q2Count,
	},
	{
		name: "qw", desc: "count/sum/min/max of price per auction per TUMBLE 10 s",
		sql: `SELECT auction, window_start, window_end, count(*) AS n, sum(price) AS total, min(price) AS lo, max(price) AS hi
FROM TUMBLE(%[1]s, date_time, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end`,
		check: func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (int64, string, error) {
			return nexmarkBidCount(events), "SELECT sum(n) FROM %s", nil
		},
	},
	{
		name: "q5", desc: "hot items: auctions with the most bids per HOP(2 s, 10 s)",
		sql: q5SQL,
		check: func(ctx context.Context, c *pgconn.PgConn, src string, events int64) (int64, string, error) {
			n, err := queryInt(ctx, c, "SELECT count(*) FROM ("+fmt.Sprintf(q5SQL, src)+") AS q5")
			return n, "SELECT count(*) FROM %s", err
		},
	},
}

// nexmarkFreshPoll is how often a freshness run reads the MV's progress.
const nexmarkFreshPoll = 5 * time.Millisecond

// nexmarkFreshSamples bounds the freshness samples kept per run (every
// k-th event is sampled).
const nexmarkFreshSamples = 20_000

// nexmarkResults gathers the figures of the Nexmark table.
type nexmarkResults struct {
	mu        sync.Mutex
	blackhole map[string][]float64 // query → events/s per run
	mv        map[string][]float64
	fresh     map[string][]float64 // query → freshness samples, ms
	t0Slack   time.Duration        // largest uncertainty of t0 seen
	pollLate  time.Duration        // largest poll interval seen
}

func (r *nexmarkResults) add(m map[string][]float64, q string, xs ...float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m[q] = append(m[q], xs...)
}

// render prints the Nexmark table: medians of the runs.
func (r *nexmarkResults) render(nc *nexmarkQConfig, only func(string) bool) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	cores := runtime.GOMAXPROCS(0)
	var b strings.Builder
	fmt.Fprintf(&b, "Nexmark through weir, %d cores, %d events per throughput run (%d partitions), medians of the runs; "+
		"freshness at %s events/s, trigger_interval %s:\n\n", cores, nc.events, nc.partitions, fmtRate(nc.rate), nc.trigger)
	b.WriteString("| query | blackhole events/s | per core | MV events/s | per core | freshness p50 | freshness p99 | what |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---|\n")
	rate := func(xs []float64) (string, string) {
		if len(xs) == 0 {
			return "-", "-"
		}
		m := median(xs)
		return fmtRate(m), fmtRate(m / float64(cores))
	}
	for _, q := range nexmarkQueries {
		if !only(q.name) {
			continue
		}
		bh, bhc := rate(r.blackhole[q.name])
		mv, mvc := rate(r.mv[q.name])
		p50, p99 := "-", "-"
		if f := r.fresh[q.name]; len(f) > 0 {
			p50, p99 = fmt.Sprintf("%.0f ms", percentile(f, 0.5)), fmt.Sprintf("%.0f ms", percentile(f, 0.99))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", q.name, bh, bhc, mv, mvc, p50, p99, q.desc)
	}
	fmt.Fprintf(&b, "\nFreshness errs on the stale side by at most %v (generator clock) + %v (poll interval).\n",
		r.t0Slack.Round(100*time.Microsecond), r.pollLate.Round(100*time.Microsecond))
	return b.String()
}

// nexmarkQueryWorkloads returns the workloads of nexmarkQueries; none
// when nc is nil (a benchConfig not made by parseBench).
func nexmarkQueryWorkloads(bc benchConfig, nc *nexmarkQConfig) []workload {
	if nc == nil {
		return nil
	}
	res := &nexmarkResults{blackhole: map[string][]float64{}, mv: map[string][]float64{},
		fresh: map[string][]float64{}}
	bounded := fmt.Sprintf("events = '%d', partitions = '%d'", nc.events, nc.partitions)
	var wls []workload
	for _, q := range nexmarkQueries {
		wls = append(wls,
			workload{
				name:     "nexmark_" + q.name + "_blackhole",
				desc:     fmt.Sprintf("Nexmark %s (%s) of %d events into a blackhole sink; events/s", q.name, q.desc, nc.events),
				weirOnly: true,
				run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
					d, err := nexmarkBlackholeRun(ctx, url, q, nc, bounded, run)
					if err != nil {
						return 0, 0, err
					}
					res.add(res.blackhole, q.name, float64(nc.events)/d.Seconds())
					return nc.events, d, nil
				},
			},
			workload{
				name:     "nexmark_" + q.name + "_mv",
				desc:     fmt.Sprintf("Nexmark %s (%s) of %d events into an MV; events/s", q.name, q.desc, nc.events),
				weirOnly: true,
				run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
					d, err := nexmarkMVRun(ctx, url, q, nc, bounded, run)
					if err != nil {
						return 0, 0, err
					}
					res.add(res.mv, q.name, float64(nc.events)/d.Seconds())
					return nc.events, d, nil
				},
			},
			workload{
				name:     "nexmark_" + q.name + "_freshness",
				desc:     fmt.Sprintf("Nexmark %s into an MV at %s events/s for %v; events/s kept up with", q.name, fmtRate(nc.rate), nc.freshTime),
				weirOnly: true,
				run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
					return nexmarkFreshRun(ctx, url, q, nc, run, res)
				},
			})
	}
	// The first workload -only selects prints the table.
	for i := range wls {
		if bc.only == nil || bc.only.MatchString(wls[i].name) {
			wls[i].report = func() string { return res.render(nc, nexmarkOnly(bc)) }
			break
		}
	}
	return wls
}

// nexmarkOnly returns whether a query has a workload -only selects.
func nexmarkOnly(bc benchConfig) func(string) bool {
	return func(q string) bool {
		if bc.only == nil {
			return true
		}
		for _, mode := range []string{"_blackhole", "_mv", "_freshness"} {
			if bc.only.MatchString("nexmark_" + q + mode) {
				return true
			}
		}
		return false
	}
}

// nexmarkSetup connects and creates a fresh source named src.
func nexmarkSetup(ctx context.Context, url, src, opts string) (*pgconn.PgConn, error) {
	c, err := connect(ctx, url)
	if err != nil {
		return nil, err
	}
	_ = execSQL(ctx, c, "DROP SOURCE IF EXISTS "+src+" CASCADE")
	if err := execSQL(ctx, c, fmt.Sprintf(nexmarkBidSource, src, opts)); err != nil {
		c.Close(ctx)
		return nil, err
	}
	return c, nil
}

func nexmarkBlackholeRun(ctx context.Context, url string, q nexmarkQuery, nc *nexmarkQConfig, opts string, run int) (time.Duration, error) {
	src := fmt.Sprintf("nx_%s_bh_%d", q.name, run)
	sink := src + "_sink"
	c, err := nexmarkSetup(ctx, url, src, opts)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	start := time.Now()
	if err := execSQL(ctx, c, fmt.Sprintf("CREATE SINK %s AS %s WITH (connector = 'blackhole', trigger_interval = '%s')",
		sink, fmt.Sprintf(q.sql, src), nc.trigger)); err != nil {
		return 0, err
	}
	if err := execSQL(ctx, c, "FLUSH"); err != nil {
		return 0, err
	}
	// The last batch with output: delivery is done once the connector has
	// it (batches without output are not staged).
	last, err := queryInt(ctx, c, "SELECT coalesce(max(batch_id), 0) FROM weir_catalog.batches WHERE query = '"+sink+"' AND output_rows > 0")
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(2 * time.Minute)
	var st blackhole.Stats
	for {
		var ok bool
		st, ok = blackhole.Counts(sink)
		if ok && int64(st.LastBatch) >= last {
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("sink %s: batch %d not delivered after 2 minutes (last delivered %d)", sink, last, st.LastBatch)
		}
		time.Sleep(time.Millisecond)
	}
	d := time.Since(start)
	if st.Rows == 0 {
		return 0, fmt.Errorf("sink %s delivered no rows", sink)
	}
	if q.sinkRows != nil {
		want, err := q.sinkRows(ctx, c, src, nc.events)
		if err != nil {
			return 0, err
		}
		if st.Rows != want {
			return 0, fmt.Errorf("sink %s delivered %d rows, want %d", sink, st.Rows, want)
		}
	}
	return d, execSQL(ctx, c, "DROP SOURCE "+src+" CASCADE")
}

func nexmarkMVRun(ctx context.Context, url string, q nexmarkQuery, nc *nexmarkQConfig, opts string, run int) (time.Duration, error) {
	src := fmt.Sprintf("nx_%s_mv_%d", q.name, run)
	mv := src + "_view"
	c, err := nexmarkSetup(ctx, url, src, opts)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	start := time.Now()
	if err := execSQL(ctx, c, fmt.Sprintf("CREATE MATERIALIZED VIEW %s WITH (trigger_interval = '%s') AS %s",
		mv, nc.trigger, fmt.Sprintf(q.sql, src))); err != nil {
		return 0, err
	}
	if err := execSQL(ctx, c, "FLUSH"); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if err := nexmarkCheckMV(ctx, c, q, src, mv, nc.events); err != nil {
		return 0, err
	}
	return d, execSQL(ctx, c, "DROP SOURCE "+src+" CASCADE")
}

// nexmarkFreshRun runs q over a rate-limited source and records the
// freshness of its events; it returns the events and the time until the
// last was visible.
func nexmarkFreshRun(ctx context.Context, url string, q nexmarkQuery, nc *nexmarkQConfig, run int, res *nexmarkResults) (int64, time.Duration, error) {
	src := fmt.Sprintf("nx_%s_fresh_%d", q.name, run)
	mv := src + "_view"
	events := int64(nc.rate * nc.freshTime.Seconds())
	if events < 1 {
		return 0, 0, errors.New("-nexmark-rate × -nexmark-fresh-time is below one event")
	}
	P := int64(nc.partitions)
	c, err := nexmarkSetup(ctx, url, src, fmt.Sprintf("events = '%d', partitions = '%d', rate = '%g', inter_event_ms = '%g'",
		events, P, nc.rate, 1000/nc.rate))
	if err != nil {
		return 0, 0, err
	}
	defer c.Close(ctx)
	// Start the generator's clock: its first End call.
	t0 := time.Now()
	if _, err := queryInt(ctx, c, "SELECT count(*) FROM "+src); err != nil {
		return 0, 0, err
	}
	slack := time.Since(t0)
	if err := execSQL(ctx, c, fmt.Sprintf("CREATE MATERIALIZED VIEW %s WITH (trigger_interval = '%s') AS %s",
		mv, nc.trigger, fmt.Sprintf(q.sql, src))); err != nil {
		return 0, 0, err
	}
	gen := func(n int64) time.Time { return t0.Add(time.Duration(float64(n) / nc.rate * float64(time.Second))) }
	stride := max(1, events/nexmarkFreshSamples)
	var samples []float64
	var visible int64 // events 0..visible-1 are visible
	var maxGap time.Duration
	prev := time.Now()
	deadline := gen(events).Add(time.Minute)
	offs := make([]int64, P)
	for visible < events {
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("%s: %d of %d events visible a minute after the last was generated", mv, visible, events)
		}
		r := c.ExecParams(ctx, "SELECT partition, committed_offset FROM weir_catalog.source_progress WHERE query = $1",
			[][]byte{[]byte(mv)}, nil, nil, nil).Read()
		if r.Err != nil {
			return 0, 0, r.Err
		}
		now := time.Now()
		maxGap = max(maxGap, now.Sub(prev))
		prev = now
		clear(offs)
		for _, row := range r.Rows {
			p, err1 := strconv.ParseInt(string(row[0]), 10, 64)
			off, err2 := strconv.ParseInt(string(row[1]), 10, 64)
			if err := errors.Join(err1, err2); err != nil || p < 0 || p >= P {
				return 0, 0, fmt.Errorf("source_progress row %q: %v", row, err)
			}
			offs[p] = off
		}
		v := int64(-1)
		for p, off := range offs {
			if e := int64(p) + off*P; v < 0 || e < v {
				v = e
			}
		}
		v = min(v, events)
		for n := (visible + stride - 1) / stride * stride; n < v; n += stride {
			samples = append(samples, float64(now.Sub(gen(n)))/float64(time.Millisecond))
		}
		visible = max(visible, v)
		time.Sleep(nexmarkFreshPoll)
	}
	d := time.Since(t0)
	if err := nexmarkCheckMV(ctx, c, q, src, mv, events); err != nil {
		return 0, 0, err
	}
	res.add(res.fresh, q.name, samples...)
	res.mu.Lock()
	res.t0Slack = max(res.t0Slack, slack)
	res.pollLate = max(res.pollLate, maxGap)
	res.mu.Unlock()
	return events, d, execSQL(ctx, c, "DROP SOURCE "+src+" CASCADE")
}

// nexmarkCheckMV checks q's MV over a source of events events.
func nexmarkCheckMV(ctx context.Context, c *pgconn.PgConn, q nexmarkQuery, src, mv string, events int64) error {
	if err := execSQL(ctx, c, "FLUSH"); err != nil {
		return err
	}
	want, count, err := q.check(ctx, c, src, events)
	if err != nil {
		return err
	}
	got, err := queryInt(ctx, c, fmt.Sprintf(count, mv))
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("materialized view %s: %s = %d, want %d", mv, fmt.Sprintf(count, mv), got, want)
	}
	return nil
}
