package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql/expr"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/planner/plantest"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

var bidsCols = []planner.Column{{Name: "auction", T: types.TInt8}, {Name: "price", T: types.TInt8},
	{Name: "ts", T: types.TTimestamp}, {Name: "tz", T: types.TTimestampTZ}}

func windowCatalog(rows [][]types.Datum) *plantest.Catalog {
	cat := plantest.New()
	tbl := cat.AddTable("bids", bidsCols, rows)
	tbl.ChunkSize = 3 // several chunks per query
	return cat
}

// parseBids reads rows "auction | price | ts | tz" (NULL for NULL).
func parseBids(t *testing.T, text string) [][]types.Datum {
	var rows [][]types.Datum
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		vals := strings.Split(l, "|")
		require.Len(t, vals, len(bidsCols), "row %q", l)
		row := make([]types.Datum, len(bidsCols))
		for i, v := range vals {
			if v = strings.TrimSpace(v); v == "NULL" {
				row[i] = types.NullDatum
				continue
			}
			d, err := types.ParseText(bidsCols[i].T, v, time.UTC)
			require.NoError(t, err)
			row[i] = d
		}
		rows = append(rows, row)
	}
	return rows
}

// runQuery executes a bound plan and renders its rows sorted (the order
// of an aggregate's output is unspecified).
func runQuery(t *testing.T, plan planner.Node) (string, error) {
	c, err := exec.Collect(context.Background(), plan, &expr.EvalCtx{Location: time.UTC})
	if err != nil {
		return "", err
	}
	lines := make([]string, c.N)
	for r := 0; r < c.N; r++ {
		parts := make([]string, len(c.Cols))
		for i, v := range c.Cols {
			if v.IsNull(r) {
				parts[i] = "NULL"
			} else {
				parts[i] = string(v.AppendText(nil, r, time.UTC))
			}
		}
		lines[r] = strings.Join(parts, " | ")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n", nil
}

// TestWindowAggPlans runs testdata/window_agg: `plan` prints the optimized
// bounded plan, `logical` the binder's plan, `stream` the streaming plan;
// errors print their SQLSTATE. `bids` sets the rows of table bids that
// `query` reads (an ad-hoc SELECT; rows printed sorted).
func TestWindowAggPlans(t *testing.T) {
	var rows [][]types.Datum
	datadriven.RunTest(t, "testdata/window_agg", func(t *testing.T, d *datadriven.TestData) string {
		if d.Cmd == "bids" {
			rows = parseBids(t, d.Input)
			return ""
		}
		cat := windowCatalog(rows)
		b, err := bindSQL(t, cat, d.Input)
		if err != nil {
			pe := pgerror.Convert(err)
			return "error " + pe.Code + ": " + pe.Message + "\n"
		}
		switch d.Cmd {
		case "plan":
			return planner.Explain(b.Plan)
		case "logical":
			return planner.Explain(b.Logical)
		case "query":
			out, err := runQuery(t, b.Plan)
			if err != nil {
				pe := pgerror.Convert(err)
				return "error " + pe.Code + ": " + pe.Message + "\n"
			}
			return out
		case "stream":
			p, err := planner.StreamifyWith(b.Plan, planner.StreamOptions{EmitOnClose: d.HasArg("eowc")})
			if err != nil {
				pe := pgerror.Convert(err)
				return "error " + pe.Code + ": " + pe.Message + "\n"
			}
			return formatStream(p)
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

// formatStream prints a streaming plan, its key and state versions.
func formatStream(p *planner.StreamPlan) string {
	var sb strings.Builder
	sb.WriteString(planner.Explain(p.Root))
	if p.Key == nil {
		sb.WriteString("key: none (multiset)\n")
	} else {
		names := make([]string, len(p.Key))
		for i, k := range p.Key {
			names[i] = p.Root.Schema()[k].Name
		}
		fmt.Fprintf(&sb, "key: [%s]\n", strings.Join(names, ", "))
	}
	var vs []string
	for k, v := range p.StateVersions {
		vs = append(vs, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(vs)
	fmt.Fprintf(&sb, "state: %s\n", strings.Join(vs, " "))
	return sb.String()
}

// TestWindowAggMatchesUnfused is metamorphic: over random rows (out of
// order, NULL times, repeated keys), every windowed aggregate computed by
// the fused WindowAgg equals the HashAgg over the window TVF it replaces
// (the binder's logical plan, executed as is). SESSION, which has no
// unfused form, is checked against a direct computation.
func TestWindowAggMatchesUnfused(t *testing.T) {
	queries := []string{
		"SELECT auction, window_start, window_end, count(*), sum(price), min(price), max(price), avg(price) FROM TUMBLE(bids, ts, INTERVAL '10' SECOND) GROUP BY auction, window_start, window_end",
		"SELECT window_start, count(DISTINCT auction), max(price) FILTER (WHERE price > 50) FROM HOP(bids, ts, INTERVAL '2' SECOND, INTERVAL '10' SECOND) GROUP BY window_start",
		"SELECT auction % 3 AS a, window_end, count(price), bool_or(price > 90) FROM HOP(bids, tz, INTERVAL '4' SECOND, INTERVAL '6' SECOND) WHERE price < 95 GROUP BY auction % 3, window_end",
		"SELECT window_start, window_end, sum(price), min(auction) FROM HOP(bids, ts, INTERVAL '7' SECOND, INTERVAL '3' SECOND) GROUP BY window_start, window_end",
	}
	for seed := uint64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		var rows [][]types.Datum
		base := int64(1_767_225_600_000_000) // 2026-01-01 in µs since 1970
		for i := 0; i < 60; i++ {
			ts := types.DInt(base + rng.Int64N(60_000_000) - 5_000_000)
			if rng.IntN(15) == 0 {
				ts = types.NullDatum
			}
			rows = append(rows, []types.Datum{types.DInt(rng.Int64N(4)), types.DInt(rng.Int64N(100)), ts, ts})
		}
		cat := windowCatalog(rows)
		for _, q := range queries {
			b, err := bindSQL(t, cat, q)
			require.NoError(t, err)
			require.Contains(t, planner.Explain(b.Plan), "WindowAgg", q)
			require.NotContains(t, planner.Explain(b.Logical), "WindowAgg", q)
			fused, err := runQuery(t, b.Plan)
			require.NoError(t, err)
			unfused, err := runQuery(t, b.Logical)
			require.NoError(t, err)
			require.Equal(t, unfused, fused, "seed %d: %s", seed, q)
		}
		// Sessions: sort each auction's times; a gap of 5 s or more
		// starts a new session [first, last+gap).
		b, err := bindSQL(t, cat, "SELECT auction, window_start, window_end, count(*), sum(price) FROM SESSION(bids, ts, INTERVAL '5' SECOND) GROUP BY auction, window_start, window_end")
		require.NoError(t, err)
		got, err := runQuery(t, b.Plan)
		require.NoError(t, err)
		require.Equal(t, directSessions(rows, 5_000_000), got, "seed %d", seed)
	}
}

// directSessions computes sessions per auction by sorting event times.
func directSessions(rows [][]types.Datum, gap int64) string {
	type ev struct{ t, price int64 }
	byKey := map[int64][]ev{}
	for _, r := range rows {
		if !r[2].Null {
			byKey[r[0].I] = append(byKey[r[0].I], ev{r[2].I, r[1].I})
		}
	}
	var lines []string
	ts := func(us int64) string {
		return types.FormatText(types.TTimestamp, types.DInt(us), time.UTC)
	}
	for k, evs := range byKey {
		slices.SortFunc(evs, func(a, b ev) int { return int(a.t - b.t) })
		for i := 0; i < len(evs); {
			j, sum := i, int64(0)
			for ; j < len(evs) && (j == i || evs[j].t-evs[j-1].t < gap); j++ {
				sum += evs[j].price
			}
			lines = append(lines, fmt.Sprintf("%d | %s | %s | %d | %d", k, ts(evs[i].t), ts(evs[j-1].t+gap), j-i, sum))
			i = j
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}
