package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Nexmark's join queries q3, q4, q7 and q8 through weir (BENCH.md), as
// materialized views over three nexmark sources (person, auction, bid) of
// the same generator: nexmark_<q>_mv creates fresh sources of
// -nexmark-events events (rate 0), CREATE MATERIALIZED VIEW, and FLUSH;
// the figure is events / time from CREATE to FLUSH returning (every event
// counts, as Nexmark results are reported: each source reads the whole
// sequence and keeps its own kind). Events/s per core divide by
// GOMAXPROCS. Every run checks that the MV equals a bounded SELECT of the
// same query over the same sources (TestNexmarkJoinsMatchPostgres checks
// the queries against PostgreSQL).
//
// The queries follow the semantics RisingWave and Flink publish:
//
//   - q3: persons in OR, ID or CA selling category-10 auctions: a regular
//     join of auction and person (state: both inputs' live rows).
//   - q4: the average closing price per category: each auction's highest
//     bid among the bids within its lifetime [date_time, expires], then
//     the average per category. The lifetime bound is a column (expires),
//     not a constant interval, so the planner makes it a regular join with
//     a residual condition: correct for any generator, with state that
//     grows with the inputs (an interval join would need a constant bound).
//   - q7: the highest bids per TUMBLE 10 s window, joined back to their
//     bids: a window join of the windowed bids with the per-window maximum.
//   - q8: persons who opened an auction in the TUMBLE 10 s window they
//     registered in: a window join of two windowed aggregates.

// nexmarkJoinSources is the DDL of the three sources: %[1]s prefix, %[2]s
// options. Watermarks (4 s) let windows and intervals close.
var nexmarkJoinSources = []string{
	`CREATE SOURCE %[1]s_person (id BIGINT, name TEXT, email_address TEXT, credit_card TEXT, city TEXT, state TEXT,
  date_time TIMESTAMP, extra TEXT, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH (connector = 'nexmark', table = 'person', seed = '1', %[2]s)`,
	`CREATE SOURCE %[1]s_auction (id BIGINT, item_name TEXT, description TEXT, initial_bid BIGINT, reserve BIGINT,
  date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra TEXT,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH (connector = 'nexmark', table = 'auction', seed = '1', %[2]s)`,
	strings.Replace(nexmarkBidSource, "%[1]s", "%[1]s_bid", 1),
}

// nexmarkJoinQuery is one join query: weir reads %[1]s_person,
// %[1]s_auction and %[1]s_bid; pg is the standard formulation for
// PostgreSQL over tables person, auction and bid.
type nexmarkJoinQuery struct {
	name, desc, sql, pg string
}

var nexmarkJoinQueries = []nexmarkJoinQuery{
	{
		name: "q3", desc: "persons in OR/ID/CA selling category-10 auctions (regular join)",
		sql: `SELECT p.name, p.city, p.state, a.id
FROM %[1]s_auction a JOIN %[1]s_person p ON a.seller = p.id
WHERE a.category = 10 AND (p.state = 'OR' OR p.state = 'ID' OR p.state = 'CA')`,
		pg: `SELECT p.name, p.city, p.state, a.id
FROM auction a JOIN person p ON a.seller = p.id
WHERE a.category = 10 AND (p.state = 'OR' OR p.state = 'ID' OR p.state = 'CA')`,
	},
	{
		name: "q4", desc: "average closing price per category (join within the auction lifetime, max per auction, avg per category)",
		sql: `SELECT q.category, avg(q.final) AS avg
FROM (SELECT a.id, a.category, max(b.price) AS final
      FROM %[1]s_auction a JOIN %[1]s_bid b
        ON a.id = b.auction AND b.date_time BETWEEN a.date_time AND a.expires
      GROUP BY a.id, a.category) q
GROUP BY q.category`,
		pg: `SELECT q.category, avg(q.final) AS avg
FROM (SELECT a.id, a.category, max(b.price) AS final
      FROM auction a JOIN bid b ON a.id = b.auction AND b.date_time BETWEEN a.date_time AND a.expires
      GROUP BY a.id, a.category) q
GROUP BY q.category`,
	},
	{
		name: "q7", desc: "highest bids per TUMBLE 10 s, joined back to their bids (window join)",
		sql: `SELECT b.auction, b.price, b.bidder, b.date_time
FROM TUMBLE(%[1]s_bid, date_time, INTERVAL '10' SECOND) b
JOIN (SELECT window_start, window_end, max(price) AS maxprice
      FROM TUMBLE(%[1]s_bid, date_time, INTERVAL '10' SECOND) GROUP BY window_start, window_end) m
  ON b.window_start = m.window_start AND b.price = m.maxprice`,
		pg: `SELECT b.auction, b.price, b.bidder, b.date_time
FROM bid b
JOIN (SELECT date_bin(INTERVAL '10 seconds', date_time, TIMESTAMP '1970-01-01') AS ws, max(price) AS maxprice
      FROM bid GROUP BY 1) m
  ON date_bin(INTERVAL '10 seconds', b.date_time, TIMESTAMP '1970-01-01') = m.ws AND b.price = m.maxprice`,
	},
	{
		name: "q8", desc: "persons who opened an auction in the TUMBLE 10 s window they registered in (window join)",
		sql: `SELECT p.id, p.name, p.starttime
FROM (SELECT id, name, window_start AS starttime, window_end AS endtime
      FROM TUMBLE(%[1]s_person, date_time, INTERVAL '10' SECOND) GROUP BY id, name, window_start, window_end) p
JOIN (SELECT seller, window_start AS starttime, window_end AS endtime
      FROM TUMBLE(%[1]s_auction, date_time, INTERVAL '10' SECOND) GROUP BY seller, window_start, window_end) a
  ON p.id = a.seller AND p.starttime = a.starttime AND p.endtime = a.endtime`,
		pg: `SELECT p.id, p.name, p.starttime
FROM (SELECT id, name, date_bin(INTERVAL '10 seconds', date_time, TIMESTAMP '1970-01-01') AS starttime
      FROM person GROUP BY 1, 2, 3) p
JOIN (SELECT seller, date_bin(INTERVAL '10 seconds', date_time, TIMESTAMP '1970-01-01') AS starttime
      FROM auction GROUP BY 1, 2) a
  ON p.id = a.seller AND p.starttime = a.starttime`,
	},
}

// createNexmarkJoinSources drops and creates the three sources named
// prefix_person, prefix_auction and prefix_bid.
func createNexmarkJoinSources(ctx context.Context, c *pgconn.PgConn, prefix, opts string) error {
	for _, kind := range []string{"person", "auction", "bid"} {
		_ = execSQL(ctx, c, "DROP SOURCE IF EXISTS "+prefix+"_"+kind+" CASCADE")
	}
	for _, ddl := range nexmarkJoinSources {
		if err := execSQL(ctx, c, fmt.Sprintf(ddl, prefix, opts)); err != nil {
			return err
		}
	}
	return nil
}

// checkNexmarkJoinMV compares the MV with the bounded SELECT of its query
// over the same (bounded) sources: the same multiset of rows.
func checkNexmarkJoinMV(ctx context.Context, c *pgconn.PgConn, mv, query string) error {
	const diff = `SELECT (SELECT count(*) FROM %[1]s), (SELECT count(*) FROM (%[2]s) q),
  (SELECT count(*) FROM (SELECT * FROM %[1]s EXCEPT ALL (%[2]s)) d1),
  (SELECT count(*) FROM ((%[2]s) EXCEPT ALL SELECT * FROM %[1]s) d2)`
	res := c.ExecParams(ctx, fmt.Sprintf(diff, mv, query), nil, nil, nil, nil).Read()
	if res.Err != nil {
		return res.Err
	}
	if len(res.Rows) != 1 {
		return fmt.Errorf("check of %s: %d rows", mv, len(res.Rows))
	}
	r := res.Rows[0]
	if string(r[0]) != string(r[1]) || string(r[2]) != "0" || string(r[3]) != "0" {
		return fmt.Errorf("materialized view %s differs from its query: %s rows vs %s, %s only in the MV, %s only in the query",
			mv, r[0], r[1], r[2], r[3])
	}
	if string(r[0]) == "0" {
		return fmt.Errorf("materialized view %s is empty", mv)
	}
	return nil
}

// nexmarkJoinResults keeps events/s per query for the report.
type nexmarkJoinResults struct{ rates map[string][]float64 }

func (r *nexmarkJoinResults) render(nc *nexmarkQConfig) string {
	cores := runtime.GOMAXPROCS(0)
	var b strings.Builder
	fmt.Fprintf(&b, "Nexmark joins through weir into an MV, %d cores, %d events per run (%d partitions per source), medians:\n\n",
		cores, nc.events, nc.partitions)
	b.WriteString("| query | events/s | per core | what |\n|---|---:|---:|---|\n")
	for _, q := range nexmarkJoinQueries {
		xs := r.rates[q.name]
		if len(xs) == 0 {
			continue
		}
		m := median(xs)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", q.name, fmtRate(m), fmtRate(m/float64(cores)), q.desc)
	}
	return b.String()
}

// nexmarkJoinWorkloads returns nexmark_q3_mv, nexmark_q4_mv, nexmark_q7_mv
// and nexmark_q8_mv; none when nc is nil.
func nexmarkJoinWorkloads(bc benchConfig, nc *nexmarkQConfig) []workload {
	if nc == nil {
		return nil
	}
	res := &nexmarkJoinResults{rates: map[string][]float64{}}
	opts := fmt.Sprintf("events = '%d', partitions = '%d'", nc.events, nc.partitions)
	var wls []workload
	for _, q := range nexmarkJoinQueries {
		wls = append(wls, workload{
			name:     "nexmark_" + q.name + "_mv",
			desc:     fmt.Sprintf("Nexmark %s (%s) of %d events into an MV; events/s", q.name, q.desc, nc.events),
			weirOnly: true,
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				c, err := connect(ctx, url)
				if err != nil {
					return 0, 0, err
				}
				defer c.Close(ctx)
				prefix := fmt.Sprintf("nxj_%s_%d", q.name, run)
				if err := createNexmarkJoinSources(ctx, c, prefix, opts); err != nil {
					return 0, 0, err
				}
				mv := prefix + "_mv"
				query := fmt.Sprintf(q.sql, prefix)
				start := time.Now()
				if err := execSQL(ctx, c, "CREATE MATERIALIZED VIEW "+mv+" WITH (trigger_interval = '"+nc.trigger+"') AS "+query); err != nil {
					return 0, 0, err
				}
				if err := execSQL(ctx, c, "FLUSH"); err != nil {
					return 0, 0, err
				}
				d := time.Since(start)
				if err := checkNexmarkJoinMV(ctx, c, mv, query); err != nil {
					return 0, 0, err
				}
				for _, kind := range []string{"person", "auction", "bid"} {
					if err := execSQL(ctx, c, "DROP SOURCE "+prefix+"_"+kind+" CASCADE"); err != nil {
						return 0, 0, err
					}
				}
				res.rates[q.name] = append(res.rates[q.name], float64(nc.events)/d.Seconds())
				return nc.events, d, nil
			},
		})
	}
	for i := range wls {
		if bc.only == nil || bc.only.MatchString(wls[i].name) {
			wls[i].report = func() string { return res.render(nc) }
			break
		}
	}
	return wls
}
