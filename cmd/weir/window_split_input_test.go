package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The window metamorphic test (issue 4): the same out-of-order input, fed
// to `weir serve` in random batch splits — random INSERT sizes, random
// FLUSHes, random restarts (graceful and SIGKILL) — gives identical final
// windowed MVs in every run, equal to the windows computed directly here
// from the input.
//
// Which rows are late must not depend on the splits, so the input is built
// in groups g = 0, 1, ... with increasing maxima M_g (event time of the
// group's newest row). Every on-time row of group g has event time in
// [M_g - delay, M_g]: at or above any watermark the query can have while
// reading groups up to g (the watermark is at most max seen - delay), so
// it is never late, whatever the batches; rows of a group are older than
// the previous group's newest row, so the input is out of order within the
// delay. In the variant with late rows, a FLUSH ends every group (so the
// watermark when group g is read is at least M_{g-1} - delay), and group g
// also holds rows older than M_{g-1} - delay: late in every split. The
// variant without late rows puts FLUSHes at random points only.
//
//	WEIR_WINDOW_SPLIT_RUNS   runs per variant, each with its own splits (default 3)
//	WEIR_WINDOW_SPLIT_SEED   seed of the input and the splits (default: time-based, logged)

const (
	winSplitDelay   = 5 * time.Second // the table's watermark delay
	winSplitStep    = 3 * time.Second // M_g - M_{g-1}
	winSplitGroups  = 40
	winSplitPerGrp  = 25 // on-time rows per group
	winSplitKeys    = 5
	winSplitLateMax = 4 // late rows per group at most (variant with late rows)
)

// winSplitBase is the event time of offset 0 (µs since the epoch).
var winSplitBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// winRow is one input row; ts is µs after winSplitBase.
type winRow struct {
	k    string
	v    int64
	ts   int64
	late bool // below the watermark in every split (by construction)
}

// winInput builds the groups of the input; everything is a function of
// seed. With late, groups after the first also hold late rows.
func winInput(seed uint64, late bool) [][]winRow {
	rng := rand.New(rand.NewPCG(seed, 0x3a1d))
	delay, step := winSplitDelay.Microseconds(), winSplitStep.Microseconds()
	ms := func(lo, hi int64) int64 { // a whole millisecond in [lo, hi]
		lo, hi = (lo+999)/1000, hi/1000
		return (lo + rng.Int64N(hi-lo+1)) * 1000
	}
	row := func(ts int64) winRow {
		return winRow{k: "k" + strconv.Itoa(rng.IntN(winSplitKeys)), v: int64(rng.IntN(1000)), ts: ts}
	}
	groups := make([][]winRow, winSplitGroups)
	for g := range groups {
		m := delay + int64(g+1)*step
		rows := []winRow{row(m)}
		for range winSplitPerGrp - 1 {
			rows = append(rows, row(ms(m-delay, m)))
		}
		if late && g > 0 {
			prevW := m - step - delay // the watermark after group g-1
			for range rng.IntN(winSplitLateMax + 1) {
				r := row(ms(max(0, prevW-3*step), prevW-1000))
				r.late = true
				rows = append(rows, r)
			}
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		groups[g] = rows
	}
	return groups
}

// winTime renders µs after winSplitBase as PostgreSQL prints a timestamp.
func winTime(us int64) string {
	return time.UnixMicro(winSplitBase + us).UTC().Format("2006-01-02 15:04:05.999999")
}

// winExpected computes every MV of winSplitViews directly from the input,
// as sorted lines in queryLines' format.
func winExpected(groups [][]winRow) map[string][]string {
	var rows []winRow
	var maxTS int64
	for _, g := range groups {
		for _, r := range g {
			maxTS = max(maxTS, r.ts)
			if !r.late {
				rows = append(rows, r)
			}
		}
	}
	closedBy := maxTS - winSplitDelay.Microseconds() // the final watermark
	type win struct {
		k          string
		start, end int64
	}
	type agg struct{ n, s, lo, hi int64 }
	add := func(m map[win]*agg, w win, v int64) {
		a := m[w]
		if a == nil {
			a = &agg{lo: v, hi: v}
			m[w] = a
		}
		a.n++
		a.s += v
		a.lo, a.hi = min(a.lo, v), max(a.hi, v)
	}
	floorDiv := func(a, b int64) int64 {
		q := a / b
		if a%b != 0 && (a < 0) != (b < 0) {
			q--
		}
		return q
	}
	// Windows are aligned to the Unix epoch, not to winSplitBase.
	tumble, hop := map[win]*agg{}, map[win]*agg{}
	size2, slide1, size3 := int64(2e6), int64(1e6), int64(3e6)
	for _, r := range rows {
		abs := winSplitBase + r.ts
		st := floorDiv(abs, size2) * size2
		add(tumble, win{r.k, st - winSplitBase, st + size2 - winSplitBase}, r.v)
		for s := floorDiv(abs, slide1) * slide1; s > abs-size3; s -= slide1 {
			add(hop, win{r.k, s - winSplitBase, s + size3 - winSplitBase}, r.v)
		}
	}
	sessions := map[win]*agg{}
	byKey := slices.Clone(rows)
	slices.SortStableFunc(byKey, func(a, b winRow) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return int(a.ts - b.ts)
	})
	gap := int64(1e6)
	for i := 0; i < len(byKey); {
		j := i + 1
		for j < len(byKey) && byKey[j].k == byKey[i].k && byKey[j].ts-byKey[j-1].ts < gap {
			j++
		}
		w := win{byKey[i].k, byKey[i].ts, byKey[j-1].ts + gap}
		for _, r := range byKey[i:j] {
			add(sessions, w, r.v)
		}
		i = j
	}
	render := func(m map[win]*agg, cols func(a *agg) string, onlyClosed bool) []string {
		var out []string
		for w, a := range m {
			if onlyClosed && w.end > closedBy {
				continue
			}
			out = append(out, w.k+"|"+winTime(w.start)+"|"+winTime(w.end)+"|"+cols(a))
		}
		slices.Sort(out)
		return out
	}
	nslohi := func(a *agg) string { return fmt.Sprintf("%d|%d|%d|%d", a.n, a.s, a.lo, a.hi) }
	ns := func(a *agg) string { return fmt.Sprintf("%d|%d", a.n, a.s) }
	nshi := func(a *agg) string { return fmt.Sprintf("%d|%d|%d", a.n, a.s, a.hi) }
	return map[string][]string{
		"w_tumble":       render(tumble, nslohi, false),
		"w_hop":          render(hop, ns, false),
		"w_session":      render(sessions, nshi, false),
		"w_tumble_eowc":  render(tumble, ns, true),
		"w_session_eowc": render(sessions, ns, true),
	}
}

// The input's construction: late rows are below every watermark the query
// can have when it reads them, on-time rows at or above every one.
func TestWindowInputLateness(t *testing.T) {
	delay := winSplitDelay.Microseconds()
	for _, late := range []bool{false, true} {
		groups := winInput(7, late)
		require.Equal(t, groups, winInput(7, late), "deterministic")
		var maxPrev int64 = -1 << 62 // max event time of the groups before
		lateRows := 0
		for g, rows := range groups {
			var maxHere int64 = -1 << 62
			for _, r := range rows {
				if !r.late {
					maxHere = max(maxHere, r.ts)
				}
			}
			for _, r := range rows {
				require.Zero(t, r.ts%1000, "whole milliseconds")
				if r.late {
					lateRows++
					require.True(t, late)
					require.Less(t, r.ts, maxPrev-delay, "group %d: a late row is below the watermark after the previous group", g)
				} else {
					require.GreaterOrEqual(t, r.ts, maxHere-delay, "group %d: an on-time row is at or above any watermark up to this group", g)
				}
			}
			require.Greater(t, maxHere, maxPrev)
			maxPrev = maxHere
		}
		require.Equal(t, late, lateRows > 0)
	}
	// The direct computation drops the late rows and closes windows by
	// the final watermark.
	groups := [][]winRow{{{k: "a", v: 1, ts: 500_000}, {k: "a", v: 2, ts: 1_200_000}, {k: "b", v: 5, ts: 9_000_000}},
		{{k: "a", v: 100, ts: 700_000, late: true}, {k: "a", v: 3, ts: 4_000_000}}}
	got := winExpected(groups)
	require.Equal(t, []string{
		"a|2026-01-01 00:00:00|2026-01-01 00:00:02|2|3|1|2",
		"a|2026-01-01 00:00:04|2026-01-01 00:00:06|1|3|3|3",
		"b|2026-01-01 00:00:08|2026-01-01 00:00:10|1|5|5|5",
	}, got["w_tumble"])
	require.Equal(t, []string{"a|2026-01-01 00:00:00|2026-01-01 00:00:02|2|3"}, got["w_tumble_eowc"], "final watermark 4 s")
	require.Equal(t, []string{
		"a|2026-01-01 00:00:00.5|2026-01-01 00:00:02.2|2|3|2",
		"a|2026-01-01 00:00:04|2026-01-01 00:00:05|1|3|3",
		"b|2026-01-01 00:00:09|2026-01-01 00:00:10|1|5|5",
	}, got["w_session"])
	require.Equal(t, []string{"a|2026-01-01 00:00:00.5|2026-01-01 00:00:02.2|2|3"}, got["w_session_eowc"])
	require.Len(t, got["w_hop"], 7+3, "a: starts -2..4 s, b: 7..9 s")
	require.Contains(t, got["w_hop"], "a|2025-12-31 23:59:58|2026-01-01 00:00:01|1|1")
	require.Contains(t, got["w_hop"], "a|2026-01-01 00:00:00|2026-01-01 00:00:03|2|3")
	require.Contains(t, got["w_hop"], "a|2026-01-01 00:00:01|2026-01-01 00:00:04|1|2")
}
