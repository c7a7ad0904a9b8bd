package nexmark

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func open(t *testing.T, opts map[string]string, cols []connectors.Column) *Source {
	t.Helper()
	opts["connector"] = "nexmark"
	src, err := connectors.OpenSource(context.Background(), connectors.SourceSpec{Name: "s", Columns: cols, Options: opts,
		BadRecord: func(connectors.BadRecord) { t.Fatal("bad record") }})
	require.NoError(t, err)
	return src.(*Source)
}

// readAll reads [from, to) of partition p as printed rows.
func readAll(t *testing.T, s *Source, p int, from, to uint64) []string {
	t.Helper()
	rd, err := s.Read(context.Background(), p, from, to)
	require.NoError(t, err)
	defer rd.Close()
	var out []string
	for {
		c, err := rd.Next(context.Background())
		require.NoError(t, err)
		if c == nil {
			return out
		}
		require.Positive(t, c.N)
		for i := range c.N {
			out = append(out, fmt.Sprint(c.Row(i)))
		}
	}
}

func ends(t *testing.T, s *Source) []uint64 {
	n, err := s.Partitions(context.Background())
	require.NoError(t, err)
	out := make([]uint64, n)
	for p := range out {
		out[p], err = s.End(context.Background(), p)
		require.NoError(t, err)
	}
	return out
}

// TestProportions: per 50 events 1 person, 3 auctions and 46 bids; ids of
// persons and auctions are dense from 1000; event time advances by the
// inter-event delay.
func TestProportions(t *testing.T) {
	counts := map[Table]int{}
	for n := range uint64(5000) {
		counts[KindOf(n)]++
	}
	require.Equal(t, map[Table]int{Person: 100, Auction: 300, Bid: 4600}, counts)

	for _, tc := range []struct {
		table string
		rows  int
	}{{"person", 100}, {"auction", 300}, {"bid", 4600}} {
		s := open(t, map[string]string{"table": tc.table, "events": "5000"}, nil)
		rows := readAll(t, s, 0, 0, 5000)
		require.Len(t, rows, tc.rows, tc.table)
	}
	cfg := Config{Table: Person, Seed: 1, InterEvent: DefaultInterEvent}
	var g Generator
	for i, n := range []uint64{0, 50, 100} {
		row := g.Row(cfg, n, nil)
		require.Equal(t, int64(firstPersonID+i), row[0].I)
		require.Equal(t, BaseTime.UnixMicro()+int64(n)*100, row[6].I)
	}
	for i, n := range []uint64{1, 2, 3, 51} {
		require.Equal(t, int64(firstAuctionID+i), g.Row(cfg, n, nil)[0].I)
	}
}

// TestDeterminism: event n is a pure function of (seed, n): the same in
// any order and in another generator, different for another seed.
func TestDeterminism(t *testing.T) {
	a := open(t, map[string]string{"table": "bid", "events": "2000", "seed": "7"}, nil)
	b := open(t, map[string]string{"table": "bid", "events": "2000", "seed": "7"}, nil)
	c := open(t, map[string]string{"table": "bid", "events": "2000", "seed": "8"}, nil)
	all := readAll(t, a, 0, 0, 2000)
	require.Equal(t, all, readAll(t, b, 0, 0, 2000))
	require.NotEqual(t, all, readAll(t, c, 0, 0, 2000))
	// Pieces read backwards concatenate to the whole.
	var pieces [][]string
	for from := uint64(1900); ; from -= 100 {
		pieces = append([][]string{readAll(t, b, 0, from, from+100)}, pieces...)
		if from == 0 {
			break
		}
	}
	var joined []string
	for _, p := range pieces {
		joined = append(joined, p...)
	}
	require.Equal(t, all, joined)
}

// TestPartitions: partitions are disjoint and together hold every event
// once; offset k of partition p is event p + k*P; replaying any range
// yields the same rows.
func TestPartitions(t *testing.T) {
	one := open(t, map[string]string{"table": "auction", "events": "10001"}, nil)
	four := open(t, map[string]string{"table": "auction", "events": "10001", "partitions": "4"}, nil)
	require.Equal(t, []uint64{2501, 2500, 2500, 2500}, ends(t, four))
	want := map[string]int{}
	for _, r := range readAll(t, one, 0, 0, 10001) {
		want[r]++
	}
	got := map[string]int{}
	e := ends(t, four)
	for p := range 4 {
		rows := readAll(t, four, p, 0, e[p])
		for _, r := range rows {
			got[r]++
		}
		require.Equal(t, rows[10:20], readAll(t, four, p, offsetOfRow(four, p, 10), offsetOfRow(four, p, 20)))
	}
	require.Equal(t, want, got)
	require.Equal(t, uint64(9), four.Event(1, 2))
	_, err := four.Read(context.Background(), 0, 0, 2502)
	require.Error(t, err, "past the last event")
}

// offsetOfRow is the offset of the i-th row (0-based) of partition p.
func offsetOfRow(s *Source, p, i int) uint64 {
	for k := uint64(0); ; k++ {
		if KindOf(s.Event(p, k)) == s.cfg.Table {
			if i == 0 {
				return k
			}
			i--
		}
	}
}

// TestJoinsMatch: bids reference auctions that exist (or are about to),
// and auctions' sellers persons, so joins find partners.
func TestJoinsMatch(t *testing.T) {
	const events = 20000
	ids := func(table string, col int) map[int64]bool {
		s := open(t, map[string]string{"table": table, "events": fmt.Sprint(events)}, nil)
		out := map[int64]bool{}
		rd, err := s.Read(context.Background(), 0, 0, events)
		require.NoError(t, err)
		for {
			c, err := rd.Next(context.Background())
			require.NoError(t, err)
			if c == nil {
				return out
			}
			for i := range c.N {
				out[c.Cols[col].I[i]] = true
			}
		}
	}
	auctions, persons := ids("auction", 0), ids("person", 0)
	bidAuctions, sellers := ids("bid", 0), ids("auction", 7)
	hit := 0
	for a := range bidAuctions {
		if auctions[a] {
			hit++
		}
	}
	require.Greater(t, float64(hit)/float64(len(bidAuctions)), 0.9)
	hit = 0
	for s := range sellers {
		if persons[s] {
			hit++
		}
	}
	require.Greater(t, float64(hit)/float64(len(sellers)), 0.9)
}

// TestRate: with a rate, the end grows with the time since first use and
// stops at events.
func TestRate(t *testing.T) {
	s := open(t, map[string]string{"table": "bid", "events": "1000", "rate": "100", "partitions": "2"}, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	require.Equal(t, []uint64{0, 0}, ends(t, s))
	now = now.Add(1500 * time.Millisecond) // 150 events
	require.Equal(t, []uint64{75, 75}, ends(t, s))
	now = now.Add(time.Hour)
	require.Equal(t, []uint64{500, 500}, ends(t, s))
}

// TestColumns: declared columns are a subset by name, in any order; the
// source defines all of them when none are declared.
func TestColumns(t *testing.T) {
	s := open(t, map[string]string{"table": "bid", "events": "100"}, nil)
	require.Equal(t, Columns(Bid), s.Columns())
	sub := open(t, map[string]string{"table": "bid", "events": "100"},
		[]connectors.Column{{Name: "price", T: types.TInt8}, {Name: "auction", T: types.TInt8}})
	full := readAllChunks(t, s)
	part := readAllChunks(t, sub)
	require.Equal(t, full.N, part.N)
	for i := range full.N {
		require.Equal(t, []types.Datum{full.Cols[2].Datum(i), full.Cols[0].Datum(i)}, part.Row(i))
	}
	for _, cols := range [][]connectors.Column{{{Name: "nope", T: types.TInt8}}, {{Name: "price", T: types.TText}}} {
		_, err := connectors.OpenSource(context.Background(), connectors.SourceSpec{Columns: cols,
			Options: map[string]string{"connector": "nexmark", "table": "bid", "events": "1"}})
		require.Error(t, err)
	}
}

func readAllChunks(t *testing.T, s *Source) *types.Chunk {
	rd, err := s.Read(context.Background(), 0, 0, 100)
	require.NoError(t, err)
	var out *types.Chunk
	for {
		c, err := rd.Next(context.Background())
		require.NoError(t, err)
		if c == nil {
			return out
		}
		if out == nil {
			out = types.NewChunk(c.Types(), 0)
		}
		for i := range c.N {
			out.AppendRow(c.Row(i))
		}
	}
}

// TestOptions: bad options are 22023 errors naming the option.
func TestOptions(t *testing.T) {
	for _, opts := range []map[string]string{
		{"table": "bids", "events": "1"}, {"table": "bid"}, {"table": "bid", "events": "x"},
		{"table": "bid", "events": "1", "rate": "-1"}, {"table": "bid", "events": "1", "partitions": "0"},
		{"table": "bid", "events": "1", "inter_event_ms": "fast"}, {"table": "bid", "events": "1", "topic": "x"},
	} {
		_, err := ParseConfig(opts)
		require.Error(t, err, "%v", opts)
		require.Equal(t, pgerror.CodeInvalidParameterValue, pgerror.Code(err), "%v", opts)
	}
	c, err := ParseConfig(map[string]string{"table": "person", "rate": "10", "inter_event_ms": "2", "startup": "latest"})
	require.NoError(t, err)
	require.Equal(t, Config{Table: Person, Rate: 10, Seed: 1, Partitions: 1, InterEvent: 2 * time.Millisecond}, c)
}
