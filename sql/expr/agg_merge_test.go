package expr

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// mergeRun is one metamorphic case: rows split into contiguous parts,
// each part folded (with retractions of its own rows) into its own group,
// then the parts merged in order.
type mergeRun struct {
	t    *testing.T
	c    stateCase
	rng  *rand.Rand
	ret  types.T
	live []modelRow // surviving rows in arrival order; g is the part
}

// updateOne folds one row with op into group g of s.
func updateOne(t *testing.T, s AggState, argTs []types.T, g int32, args []types.Datum, op types.Op) {
	t.Helper()
	vecs := make([]*types.Vec, len(argTs))
	for i, typ := range argTs {
		vecs[i] = types.NewVec(typ, 1)
		vecs[i].Append(args[i])
	}
	require.NoError(t, s.Update(testCtx(), []int32{g}, vecs, []types.Op{op}, nil))
}

// recompute folds the surviving rows, in arrival order, into a fresh
// state and returns its result and count.
func (m *mergeRun) recompute() (string, int64) {
	s, _ := m.c.newState(m.t)
	s.Grow(1)
	for _, r := range m.live {
		updateOne(m.t, s, m.c.args, 0, r.args, types.Insert)
	}
	return aggResult(s, 0, m.ret), s.Count(0)
}

func (m *mergeRun) check(s AggState, g int32, what string) {
	m.t.Helper()
	want, n := m.recompute()
	require.Equal(m.t, want, aggResult(s, g, m.ret), "%s: %s merged vs one state over all rows", m.c, what)
	require.Equal(m.t, n, s.Count(g), "%s: %s Count", m.c, what)
	// The merged group persists like any other.
	fresh, _ := m.c.newState(m.t)
	fresh.Grow(1)
	enc := s.AppendState(nil, g)
	require.NoError(m.t, fresh.LoadState(0, enc), "%s: %s", m.c, what)
	require.Equal(m.t, want, aggResult(fresh, 0, m.ret), "%s: %s reloaded", m.c, what)
}

// TestAggMergeRandomSplits is metamorphic: for every aggregate (DISTINCT
// and append-only min/max included), rows split at random into parts,
// folded per part (with retractions inside a part) and merged in order
// give the result of one state over all the surviving rows; so do later
// retractions of any surviving row. Parts are merged both across states
// (pane states into a fresh window state) and within one state (a session
// absorbing another).
func TestAggMergeRandomSplits(t *testing.T) {
	for ci, c := range stateCases() {
		t.Run(c.String(), func(t *testing.T) {
			for seed := uint64(0); seed < 30; seed++ {
				m := &mergeRun{t: t, c: c, rng: rand.New(rand.NewPCG(uint64(ci), seed))}
				parts := 1 + m.rng.IntN(5)
				// Layout 1: one state per part, merged into a fresh state.
				perPart := make([]AggState, parts)
				// Layout 2: one state, part p in group p, merged into group 0.
				one, ret := c.newState(t)
				m.ret = ret
				one.Grow(parts)
				for p := range perPart {
					perPart[p], _ = c.newState(t)
					perPart[p].Grow(1)
				}
				// Every part's rows go to both layouts.
				m.feedBoth(parts, perPart, one)

				dst, _ := c.newState(t)
				dst.Grow(2) // merge into group 1: groups need not be 0
				for p := range perPart {
					require.NoError(t, dst.Merge(1, perPart[p], 0))
				}
				m.check(dst, 1, "across states")
				for p := 1; p < parts; p++ {
					require.NoError(t, one.Merge(0, one, int32(p)))
				}
				m.check(one, 0, "within one state")
				for p := range perPart {
					// Sources are unchanged by a merge.
					want := recomputePart(t, c, m.ret, m.live, int32(p))
					require.Equal(t, want, aggResult(perPart[p], 0, m.ret), "%s: source part %d changed", c, p)
				}

				// Retract surviving rows (from any part) after the merge.
				if !c.appendOnly {
					for k := 0; k < 3 && len(m.live) > 0; k++ {
						j := m.rng.IntN(len(m.live))
						r := m.live[j]
						for x, l := range m.live {
							if l.id == r.id {
								m.live = append(m.live[:x:x], m.live[x+1:]...)
								break
							}
						}
						updateOne(t, dst, c.args, 1, r.args, types.Delete)
						updateOne(t, one, c.args, 0, r.args, types.Delete)
						m.check(dst, 1, fmt.Sprintf("after retraction %d, across states", k))
						m.check(one, 0, fmt.Sprintf("after retraction %d, within one state", k))
					}
				}
			}
		})
	}
}

// feedBoth feeds the same random rows to perPart[p] group 0 and to group
// p of one.
func (m *mergeRun) feedBoth(parts int, perPart []AggState, one AggState) {
	for p := 0; p < parts; p++ {
		m.feedPart(p, []AggState{perPart[p], one}, []int32{0, int32(p)})
	}
	alive := m.live[:0]
	for _, r := range m.live {
		if r.g >= 0 {
			alive = append(alive, r)
		}
	}
	m.live = alive
}

func (m *mergeRun) feedPart(p int, sts []AggState, gs []int32) {
	n := m.rng.IntN(12)
	var partLive []int
	for k := 0; k < n; k++ {
		if !m.c.appendOnly && len(partLive) > 0 && m.rng.IntN(4) == 0 {
			r := m.live[partLive[m.rng.IntN(len(partLive))]]
			// Retraction cancels the earliest identical live row.
			for x, li := range partLive {
				if m.live[li].id == r.id {
					m.live[li].g = -1
					partLive = append(partLive[:x:x], partLive[x+1:]...)
					break
				}
			}
			for i, s := range sts {
				updateOne(m.t, s, m.c.args, gs[i], r.args, types.Delete)
			}
			continue
		}
		r := modelRow{g: int32(p), args: make([]types.Datum, len(m.c.args))}
		for i, typ := range m.c.args {
			r.args[i] = genDatum(m.t, m.rng, typ, i == 0, m.c.distinct)
		}
		r.id = rowID(m.c.args, r.args)
		partLive = append(partLive, len(m.live))
		m.live = append(m.live, r)
		for i, s := range sts {
			updateOne(m.t, s, m.c.args, gs[i], r.args, types.Insert)
		}
	}
}

func recomputePart(t *testing.T, c stateCase, ret types.T, live []modelRow, p int32) string {
	s, _ := c.newState(t)
	s.Grow(1)
	for _, r := range live {
		if r.g == p {
			updateOne(t, s, c.args, 0, r.args, types.Insert)
		}
	}
	return aggResult(s, 0, ret)
}

// TestAggMergeMismatch: merging states of different aggregates is an
// internal error, never a silent wrong result; an append-only min/max
// absorbs a retracting one but not the reverse.
func TestAggMergeMismatch(t *testing.T) {
	cnt, _ := newAgg(t, "count")
	sum, _ := newAgg(t, "sum", types.TInt8)
	cnt.Grow(1)
	sum.Grow(1)
	err := cnt.Merge(0, sum, 0)
	require.Error(t, err)
	require.Equal(t, pgerror.CodeInternalError, pgerror.Convert(err).Code)

	ao, _ := newAgg(t, "max", types.TInt8)
	ao.(AppendOnlyHint).SetAppendOnly()
	full, _ := newAgg(t, "max", types.TInt8)
	ao.Grow(1)
	full.Grow(1)
	updateOne(t, full, []types.T{types.TInt8}, 0, []types.Datum{types.DInt(7)}, types.Insert)
	require.NoError(t, ao.Merge(0, full, 0))
	require.Equal(t, "7", aggResult(ao, 0, types.TInt8))
	require.Error(t, full.Merge(0, ao, 0))

	d1 := NewDistinctAggState(cnt, []types.T{types.TInt8})
	d2 := NewDistinctAggState(sum, []types.T{types.TText})
	d1.Grow(1)
	d2.Grow(1)
	require.Error(t, d1.Merge(0, d2, 0))
}
