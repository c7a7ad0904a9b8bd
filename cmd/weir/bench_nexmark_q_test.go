package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors/nexmark"
)

// TestNexmarkBidCount: the closed form agrees with the generator's kinds.
func TestNexmarkBidCount(t *testing.T) {
	var bids int64
	for n := int64(0); n < 1000; n++ {
		require.Equal(t, bids, nexmarkBidCount(n), "events %d", n)
		if nexmark.KindOf(uint64(n)) == nexmark.Bid {
			bids++
		}
	}
}

// TestBenchNexmarkQueries runs every Nexmark workload at a small size: each
// run checks its output (sink rows, MV contents), and the table has a
// throughput and a freshness for every query.
func TestBenchNexmarkQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	tg, err := startWeirInProcess()
	require.NoError(t, err)
	defer tg.stop()
	nc := &nexmarkQConfig{events: 20_000, partitions: 2, rate: 20_000, freshTime: 300 * time.Millisecond, trigger: "50ms"}
	require.NoError(t, nc.validate())
	bc := benchConfig{runs: 1, nexmark: nc}
	wls := nexmarkQueryWorkloads(bc, nc)
	require.Len(t, wls, 3*len(nexmarkQueries))
	ctx := context.Background()
	for _, wl := range wls {
		rows, d, err := wl.run(ctx, tg.url, 0)
		require.NoError(t, err, wl.name)
		require.Positive(t, d, wl.name)
		if regexp.MustCompile(`_freshness$`).MatchString(wl.name) {
			require.EqualValues(t, 6000, rows, wl.name)
		} else {
			require.EqualValues(t, nc.events, rows, wl.name)
		}
	}
	require.NotNil(t, wls[0].report)
	table := wls[0].report()
	for _, q := range nexmarkQueries {
		// query, 4 rates, 2 freshness figures: no "-" left.
		require.Regexp(t, `\| `+q.name+` \| [0-9.]+ [KM]? ?\| [0-9.]+ [KM]? ?\| [0-9.]+ [KM]? ?\| [0-9.]+ [KM]? ?\| [0-9]+ ms \| [0-9]+ ms \|`, table)
	}
	require.Nil(t, nexmarkQueryWorkloads(benchConfig{}, nil))
}
