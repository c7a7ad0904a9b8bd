package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Windowed-aggregation workloads of `weir bench` (weir only), after the
// Nexmark benchmark: a bid table with a watermark, loaded with a
// deterministic Nexmark-like stream, and two windowed MVs over it:
//
//	tumble: SELECT auction, window_start, window_end, count(*), sum(price), min(price), max(price)
//	        FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end
//	hop:    SELECT auction, window_start, window_end, count(*)
//	        FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end
//
// Each runs as a backfill (the MV created over a loaded table, then FLUSH:
// table rows / time) and in steady state (the MV first, then COPYs of
// 5000 bids for -ingest-time, then FLUSH: rows / time from the first COPY
// to FLUSH returning). Every run checks the MV: the counts over all its
// windows equal the bids (tumble) or five times the bids (hop: each bid is
// in size/slide = 5 windows), so a fast wrong answer fails the bench.
//
// The generator (nexmarkBids) follows Nexmark's event mix and time model:
// of every 50 events, 1 is a new person, 3 new auctions and 46 bids; event
// n happens at n * 100 µs (10 000 events/s of event time) give or take a
// jitter below the 4 s watermark delay, so nothing is late; a bid's
// auction is one of the most recent auctions (half of the bids go to the
// hottest few), its bidder one of the recent people, its price
// log-uniform in [1, 10 000] dollars, in cents.

const (
	windowBidTable = "bench_bid"
	windowBidCols  = "(auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP, " +
		"WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)"
	windowTumbleMV = "SELECT auction, window_start, window_end, count(*) AS n, sum(price) AS total, min(price) AS lo, max(price) AS hi " +
		"FROM TUMBLE(%s, date_time, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end"
	windowHopMV = "SELECT auction, window_start, window_end, count(*) AS n " +
		"FROM HOP(%s, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end"
	// windowHopFactor is size/slide: the windows each bid is counted in.
	windowHopFactor = 5
	// windowSteadyCopy is the size of each COPY of the steady workloads.
	windowSteadyCopy = 5000
	windowSteadyTrig = "100ms"
)

// nexmarkEpoch is the event time of event 0.
var nexmarkEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// nexmarkBid is one generated bid.
type nexmarkBid struct {
	auction, bidder, price int64
	dateTime               time.Time
}

// nexmarkBids returns bids [from, from+n) of the deterministic stream: bid
// i is a function of i alone, so a table can be loaded in pieces.
func nexmarkBids(from, n int64, fn func(b nexmarkBid)) {
	const (
		eventsPerCycle  = 50
		bidsPerCycle    = 46
		personsPerCycle = 1
		auctionsPerCyc  = 3
		recentAuctions  = 100 // bids go to one of the last 100 auctions
		hotAuctions     = 4   // half of them to one of the last 4
		recentPersons   = 1000
		eventInterval   = 100 * time.Microsecond
		maxJitter       = 1500 * time.Millisecond // below the 4 s watermark delay
	)
	for i := from; i < from+n; i++ {
		rng := rand.New(rand.NewPCG(uint64(i), 0x6e78))
		cycle, inCycle := i/bidsPerCycle, i%bidsPerCycle
		event := cycle*eventsPerCycle + personsPerCycle + auctionsPerCyc + inCycle
		auctions := (cycle + 1) * auctionsPerCyc // auctions created so far
		persons := (cycle + 1) * personsPerCycle
		var back int64
		if rng.IntN(2) == 0 {
			back = rng.Int64N(min(auctions, hotAuctions))
		} else {
			back = rng.Int64N(min(auctions, recentAuctions))
		}
		price := int64(math.Round(math.Pow(10, rng.Float64()*4) * 100))
		jitter := time.Duration(rng.Int64N(int64(maxJitter)))
		fn(nexmarkBid{
			auction:  1000 + auctions - 1 - back,
			bidder:   1000 + persons - 1 - rng.Int64N(min(persons, recentPersons)),
			price:    price,
			dateTime: nexmarkEpoch.Add(time.Duration(event)*eventInterval - jitter),
		})
	}
}

// copyBids loads bids [from, from+n) into table by COPY FROM STDIN.
func copyBids(ctx context.Context, c *pgconn.PgConn, table string, from, n int64) error {
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 0, 64<<10)
		nexmarkBids(from, n, func(b nexmarkBid) {
			buf = strconv.AppendInt(buf, b.auction, 10)
			buf = append(buf, '\t')
			buf = strconv.AppendInt(buf, b.bidder, 10)
			buf = append(buf, '\t')
			buf = strconv.AppendInt(buf, b.price, 10)
			buf = append(buf, '\t')
			buf = b.dateTime.AppendFormat(buf, "2006-01-02 15:04:05.999999")
			buf = append(buf, '\n')
			if len(buf) > 60<<10 {
				if _, err := pw.Write(buf); err != nil {
					return
				}
				buf = buf[:0]
			}
		})
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

// windowQuery is one measured windowed MV.
type windowQuery struct {
	name   string // tumble or hop
	query  string // with %s for the table
	factor int64  // windows per bid
	desc   string
}

var windowQueries = []windowQuery{
	{"tumble", windowTumbleMV, 1, "count, sum, min, max of price per auction per 10 s TUMBLE"},
	{"hop", windowHopMV, windowHopFactor, "count per auction per HOP(2 s, 10 s)"},
}

// checkWindowMV checks that the MV counted every bid of the table once per
// window holding it.
func checkWindowMV(ctx context.Context, c *pgconn.PgConn, mv string, bids, factor int64) error {
	got, err := queryInt(ctx, c, "SELECT coalesce(sum(n), 0) FROM "+mv)
	if err != nil {
		return err
	}
	if got != bids*factor {
		return fmt.Errorf("materialized view %s counted %d bid-windows, want %d bids × %d", mv, got, bids, factor)
	}
	return nil
}

func windowWorkloads(bc benchConfig) []workload {
	var wls []workload
	for _, wq := range windowQueries {
		wls = append(wls, workload{
			name:     "window_" + wq.name + "_backfill",
			desc:     fmt.Sprintf("CREATE MATERIALIZED VIEW (%s) over %d Nexmark bids, then FLUSH", wq.desc, bc.windowRows),
			weirOnly: true,
			setup: func(ctx context.Context, url string) error {
				c, err := connect(ctx, url)
				if err != nil {
					return err
				}
				defer c.Close(ctx)
				if err := execSQL(ctx, c, "DROP TABLE IF EXISTS "+windowBidTable+" CASCADE"); err != nil {
					return err
				}
				if err := execSQL(ctx, c, "CREATE TABLE "+windowBidTable+" "+windowBidCols); err != nil {
					return err
				}
				return copyBids(ctx, c, windowBidTable, 0, int64(bc.windowRows))
			},
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				c, err := connect(ctx, url)
				if err != nil {
					return 0, 0, err
				}
				defer c.Close(ctx)
				mv := fmt.Sprintf("bench_%s_backfill_%d", wq.name, run)
				_ = execSQL(ctx, c, "DROP MATERIALIZED VIEW IF EXISTS "+mv)
				start := time.Now()
				if err := execSQL(ctx, c, "CREATE MATERIALIZED VIEW "+mv+" AS "+fmt.Sprintf(wq.query, windowBidTable)); err != nil {
					return 0, 0, err
				}
				if err := execSQL(ctx, c, "FLUSH"); err != nil {
					return 0, 0, err
				}
				el := time.Since(start)
				if err := checkWindowMV(ctx, c, mv, int64(bc.windowRows), wq.factor); err != nil {
					return 0, 0, err
				}
				if err := execSQL(ctx, c, "DROP MATERIALIZED VIEW "+mv); err != nil {
					return 0, 0, err
				}
				return int64(bc.windowRows), el, nil
			},
		}, workload{
			name:     "window_" + wq.name + "_steady",
			desc:     fmt.Sprintf("COPY of %d Nexmark bids at a time for %v into a table with a %s MV, then FLUSH", windowSteadyCopy, bc.ingestDur, wq.desc),
			weirOnly: true,
			run: func(ctx context.Context, url string, run int) (int64, time.Duration, error) {
				table := fmt.Sprintf("bench_bid_%s_%d", wq.name, run)
				mv := table + "_mv"
				c, err := connect(ctx, url)
				if err != nil {
					return 0, 0, err
				}
				defer c.Close(ctx)
				_ = execSQL(ctx, c, "DROP TABLE IF EXISTS "+table+" CASCADE")
				if err := execSQL(ctx, c, "CREATE TABLE "+table+" "+windowBidCols); err != nil {
					return 0, 0, err
				}
				if err := execSQL(ctx, c, "CREATE MATERIALIZED VIEW "+mv+" WITH (trigger_interval = '"+windowSteadyTrig+"') AS "+
					fmt.Sprintf(wq.query, table)); err != nil {
					return 0, 0, err
				}
				var rows int64
				start := time.Now()
				for rows == 0 || time.Since(start) < bc.ingestDur {
					if err := copyBids(ctx, c, table, rows, windowSteadyCopy); err != nil {
						return 0, 0, err
					}
					rows += windowSteadyCopy
				}
				if err := execSQL(ctx, c, "FLUSH"); err != nil {
					return 0, 0, err
				}
				el := time.Since(start)
				if err := checkWindowMV(ctx, c, mv, rows, wq.factor); err != nil {
					return 0, 0, err
				}
				if err := execSQL(ctx, c, "DROP TABLE "+table+" CASCADE"); err != nil {
					return 0, 0, err
				}
				return rows, el, nil
			},
		})
	}
	return wls
}
