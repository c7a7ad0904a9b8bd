package expr

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// stateCase is one aggregate under test: name(args), optionally DISTINCT
// or in append-only mode.
type stateCase struct {
	name       string
	args       []types.T
	distinct   bool
	appendOnly bool
}

func (c stateCase) String() string {
	var b strings.Builder
	b.WriteString(c.name + "(")
	if c.distinct {
		b.WriteString("DISTINCT ")
	}
	for i, a := range c.args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	b.WriteString(")")
	if c.appendOnly {
		b.WriteString(" append-only")
	}
	return b.String()
}

func (c stateCase) newState(t *testing.T) (AggState, types.T) {
	t.Helper()
	s, ret := newAgg(t, c.name, c.args...)
	if c.appendOnly {
		s.(AppendOnlyHint).SetAppendOnly()
	}
	if c.distinct {
		s = NewDistinctAggState(s, c.args)
	}
	return s, ret
}

func stateCases() []stateCase {
	var cases []stateCase
	add := func(name string, args ...types.T) {
		cases = append(cases, stateCase{name: name, args: args})
	}
	add("count")
	add("count", types.TInt4)
	add("count", types.TText)
	for _, t := range []types.T{types.TInt2, types.TInt4, types.TInt8, types.TFloat4, types.TFloat8, types.TNumeric, types.TInterval} {
		add("sum", t)
		add("avg", t)
	}
	for _, t := range []types.T{types.TInt8, types.TText, types.TNumeric, types.TFloat8, types.TInterval} {
		add("min", t)
		add("max", t)
		cases = append(cases, stateCase{name: "max", args: []types.T{t}, appendOnly: true})
	}
	add("bool_and", types.TBool)
	add("bool_or", types.TBool)
	add("every", types.TBool)
	add("string_agg", types.TText, types.TText)
	add("string_agg", types.TBytea, types.TBytea)
	add("array_agg", types.TText)
	add("array_agg", types.TInt4)
	add("array_agg", types.TInt8)
	for _, c := range []stateCase{
		{name: "count", args: []types.T{types.TInt4}},
		{name: "sum", args: []types.T{types.TNumeric}},
		{name: "avg", args: []types.T{types.TFloat8}},
		{name: "min", args: []types.T{types.TText}},
		{name: "max", args: []types.T{types.TInterval}},
	} {
		c.distinct = true
		cases = append(cases, c)
	}
	return cases
}

func parseDatum(t *testing.T, typ types.T, s string) types.Datum {
	t.Helper()
	d, err := types.ParseText(typ, s, nil)
	require.NoError(t, err, "%s %q", typ, s)
	return d
}

// genDatum draws a value of typ from a small domain (so groups see
// repeats), including NULLs, equal values that look different, special
// float and numeric values and int8 extremes. Float values are multiples
// of 1/4, whose sums are exact in any order.
//
// With canonical, equal values always look the same: which of two equal
// values a DISTINCT aggregate shows is unspecified (PostgreSQL keeps the
// first in sort order, weir the first that entered the distinct set), so
// only canonical inputs have one right answer.
func genDatum(t *testing.T, rng *rand.Rand, typ types.T, nullable, canonical bool) types.Datum {
	if nullable && rng.IntN(10) == 0 {
		return types.NullDatum
	}
	pick := func(vals ...string) types.Datum { return parseDatum(t, typ, vals[rng.IntN(len(vals))]) }
	switch typ.ID {
	case types.Int2, types.Int4:
		return types.DInt(int64(rng.IntN(21) - 10))
	case types.Int8:
		switch rng.IntN(12) {
		case 0:
			return types.DInt(math.MaxInt64)
		case 1:
			return types.DInt(math.MinInt64)
		}
		return types.DInt(int64(rng.IntN(21) - 10))
	case types.Float4, types.Float8:
		switch rng.IntN(30) {
		case 0:
			return types.DFloat(math.NaN())
		case 1:
			return types.DFloat(math.Inf(1))
		case 2:
			return types.DFloat(math.Inf(-1))
		case 3:
			if !canonical {
				return types.DFloat(math.Copysign(0, -1))
			}
		}
		return types.DFloat(float64(rng.IntN(41)-20) / 4)
	case types.Numeric:
		if rng.IntN(15) == 0 {
			return pick("NaN", "Infinity", "-Infinity")
		}
		if canonical {
			return pick("1.5", "-2", "0.001", "100", "0", "-7.25", "12345678901234567890.5")
		}
		return pick("1.5", "1.50", "-2", "0.001", "100", "0", "0.00", "-7.25", "12345678901234567890.5")
	case types.Interval:
		if canonical {
			return pick("1 day", "2 hours", "1 mon", "-3 days 04:00:00", "00:00:00.000001")
		}
		return pick("1 day", "2 hours", "1 mon", "30 days", "-3 days 04:00:00", "00:00:00.000001")
	case types.Text:
		return pick("a", "b", "c", "", "a,b", "é")
	case types.Bytea:
		return pick(`\x00ff`, `\x61`, `\x`, `\x0102`)
	case types.Bool:
		return types.DBool(rng.IntN(2) == 0)
	}
	t.Fatalf("no generator for %s", typ)
	return types.Datum{}
}

// modelRow is one live input row of the model.
type modelRow struct {
	g    int32
	args []types.Datum
	id   string // the row's text form: identical rows are interchangeable
}

func rowID(ts []types.T, args []types.Datum) string {
	parts := make([]string, len(args))
	for i, d := range args {
		parts[i] = types.FormatText(ts[i], d, nil)
		if d.Null {
			parts[i] = "<NULL>"
		}
	}
	return strings.Join(parts, "|")
}

// aggHarness drives a reference state (never restarted), a state that is
// saved and restored at random points, and a model of the live rows.
type aggHarness struct {
	t      *testing.T
	c      stateCase
	rng    *rand.Rand
	groups int
	ret    types.T
	ref    AggState // never restarted
	rest   AggState // restarted from its own encoding at checkpoints
	live   []modelRow
}

const harnessGroups = 5

func newHarness(t *testing.T, c stateCase, seed uint64) *aggHarness {
	h := &aggHarness{t: t, c: c, rng: rand.New(rand.NewPCG(seed, 7)), groups: harnessGroups}
	h.ref, h.ret = c.newState(t)
	h.rest, _ = c.newState(t)
	h.ref.Grow(h.groups)
	h.rest.Grow(h.groups)
	return h
}

// step feeds one random batch to both states and the model. Deleted rows
// are live rows of the model; rows outside sel are random and never
// applied.
func (h *aggHarness) step() {
	t := h.t
	n := 1 + h.rng.IntN(8)
	useSel := h.rng.IntN(4) == 0
	var (
		groups []int32
		ops    []types.Op
		sel    []int
	)
	if useSel {
		sel = []int{} // non-nil even when no row is selected
	}
	vecs := make([]*types.Vec, len(h.c.args))
	for i, typ := range h.c.args {
		vecs[i] = types.NewVec(typ, n)
	}
	for k := 0; k < n; k++ {
		applied := !useSel || h.rng.IntN(5) != 0
		var r modelRow
		op := types.Insert
		if !h.c.appendOnly && len(h.live) > 0 && h.rng.IntN(3) == 0 {
			op = types.Delete
			r = h.live[h.rng.IntN(len(h.live))]
		} else {
			r.g = int32(h.rng.IntN(h.groups))
			r.args = make([]types.Datum, len(h.c.args))
			for i, typ := range h.c.args {
				// string_agg's delimiter is never NULL here: a NULL
				// delimiter acts as '' and would make two rows that the
				// model tells apart interchangeable.
				r.args[i] = genDatum(t, h.rng, typ, i == 0, h.c.distinct)
			}
			r.id = rowID(h.c.args, r.args)
		}
		if applied {
			if useSel {
				sel = append(sel, k)
			}
			if op == types.Insert {
				h.live = append(h.live, r)
			} else {
				// Retraction cancels the earliest identical live row,
				// as the list aggregates do.
				for j, l := range h.live {
					if l.g == r.g && l.id == r.id {
						h.live = append(h.live[:j:j], h.live[j+1:]...)
						break
					}
				}
			}
		}
		groups = append(groups, r.g)
		ops = append(ops, op)
		for i := range vecs {
			vecs[i].Append(r.args[i])
		}
	}
	if h.c.appendOnly || h.rng.IntN(5) == 0 {
		// Some batches are all inserts, with nil ops.
		allIns := true
		for _, op := range ops {
			allIns = allIns && op == types.Insert
		}
		if allIns {
			ops = nil
		}
	}
	ctx := testCtx()
	require.NoError(t, h.ref.Update(ctx, groups, vecs, ops, sel), "%s", h.c)
	require.NoError(t, h.rest.Update(ctx, groups, vecs, ops, sel), "%s", h.c)
}

// restart encodes every group of rest and loads it into a fresh state,
// checking the encoding is deterministic and round-trips.
func (h *aggHarness) restart() {
	t := h.t
	fresh, _ := h.c.newState(t)
	fresh.Grow(h.groups)
	require.Equal(t, h.rest.StateVersion(), fresh.StateVersion())
	for g := int32(0); g < int32(h.groups); g++ {
		enc := h.rest.AppendState([]byte("prefix"), g)
		require.Equal(t, "prefix", string(enc[:6]), "AppendState appends")
		enc = enc[6:]
		require.Equal(t, enc, h.rest.AppendState(nil, g), "%s: encoding is deterministic", h.c)
		require.NoError(t, fresh.LoadState(g, enc), "%s group %d", h.c, g)
		require.Equal(t, enc, fresh.AppendState(nil, g), "%s group %d: re-encoding differs", h.c, g)
	}
	h.rest = fresh
}

// recompute folds group g's live rows, in arrival order, into a fresh
// state and returns its result.
func (h *aggHarness) recompute(g int32) string {
	s, _ := h.c.newState(h.t)
	s.Grow(1)
	vecs := make([]*types.Vec, len(h.c.args))
	for i, typ := range h.c.args {
		vecs[i] = types.NewVec(typ, 0)
	}
	var groups []int32
	for _, r := range h.live {
		if r.g != g {
			continue
		}
		groups = append(groups, 0)
		for i := range vecs {
			vecs[i].Append(r.args[i])
		}
	}
	require.NoError(h.t, s.Update(testCtx(), groups, vecs, nil, nil))
	return aggResult(s, 0, h.ret)
}

func (h *aggHarness) check(step int) {
	for g := int32(0); g < int32(h.groups); g++ {
		want := h.recompute(g)
		require.Equal(h.t, want, aggResult(h.ref, g, h.ret), "%s group %d step %d: incremental vs recomputed", h.c, g, step)
		require.Equal(h.t, want, aggResult(h.rest, g, h.ret), "%s group %d step %d: restored vs recomputed", h.c, g, step)
		require.Equal(h.t, h.ref.Count(g), h.rest.Count(g), "%s group %d step %d: Count", h.c, g, step)
	}
}

// TestAggStateRoundTrip is metamorphic: random inserts and retractions
// over several groups, with the state saved and restored at random
// points, must give at every step the same results as a state never
// restarted and as a recomputation from the surviving rows.
func TestAggStateRoundTrip(t *testing.T) {
	for i, c := range stateCases() {
		t.Run(c.String(), func(t *testing.T) {
			for seed := uint64(0); seed < 3; seed++ {
				h := newHarness(t, c, uint64(i)*100+seed)
				for step := 0; step < 120; step++ {
					h.step()
					if h.rng.IntN(6) == 0 {
						h.restart()
					}
					h.check(step)
				}
				// Empty every group: results must be exactly those of no
				// rows (NULL, or 0 for count), however the sums rounded.
				if !c.appendOnly {
					for len(h.live) > 0 {
						h.deleteAll()
					}
					h.restart()
					h.check(-1)
					for g := int32(0); g < harnessGroups; g++ {
						require.Zero(t, h.ref.Count(g))
					}
				}
			}
		})
	}
}

// deleteAll retracts every live row in one batch.
func (h *aggHarness) deleteAll() {
	vecs := make([]*types.Vec, len(h.c.args))
	for i, typ := range h.c.args {
		vecs[i] = types.NewVec(typ, len(h.live))
	}
	var groups []int32
	var ops []types.Op
	for _, r := range h.live {
		groups = append(groups, r.g)
		ops = append(ops, types.Delete)
		for i := range vecs {
			vecs[i].Append(r.args[i])
		}
	}
	h.live = nil
	require.NoError(h.t, h.ref.Update(testCtx(), groups, vecs, ops, nil))
	require.NoError(h.t, h.rest.Update(testCtx(), groups, vecs, ops, nil))
}

// TestAggStateExactRetraction pins the cases where a naive incremental
// state would drift from a recomputation.
func TestAggStateExactRetraction(t *testing.T) {
	type op struct {
		del bool
		v   string
	}
	ins := func(v string) op { return op{v: v} }
	del := func(v string) op { return op{del: true, v: v} }
	tests := []struct {
		agg  string
		arg  types.T
		ops  []op
		want string
	}{
		// Float sums: an emptied group is NULL and restarts from 0; NaN
		// and infinities are retractable.
		{"sum", types.TFloat8, []op{ins("0.1"), ins("0.2"), del("0.1"), del("0.2")}, "NULL"},
		{"sum", types.TFloat8, []op{ins("0.1"), ins("0.2"), del("0.1"), del("0.2"), ins("0.3")}, "0.3"},
		{"sum", types.TFloat8, []op{ins("1"), ins("NaN"), del("NaN")}, "1"},
		{"sum", types.TFloat8, []op{ins("1"), ins("Infinity"), ins("-Infinity")}, "NaN"},
		{"sum", types.TFloat8, []op{ins("1"), ins("Infinity"), ins("-Infinity"), del("-Infinity")}, "Infinity"},
		{"avg", types.TFloat8, []op{ins("1"), ins("Infinity"), del("Infinity"), ins("2")}, "1.5"},
		// Numeric: the result scale is the largest among live inputs;
		// specials are counted, not folded into the sum.
		{"sum", types.TNumeric, []op{ins("1.50"), ins("2"), del("1.50")}, "2"},
		{"sum", types.TNumeric, []op{ins("1.50"), ins("2.5"), del("1.50")}, "2.5"},
		{"avg", types.TNumeric, []op{ins("1.005"), ins("3"), del("1.005")}, "3.0000000000000000"},
		{"sum", types.TNumeric, []op{ins("1"), ins("NaN"), del("NaN")}, "1"},
		{"sum", types.TNumeric, []op{ins("Infinity"), ins("-Infinity")}, "NaN"},
		{"sum", types.TNumeric, []op{ins("Infinity"), ins("-Infinity"), del("Infinity"), ins("5")}, "-Infinity"},
		{"avg", types.TNumeric, []op{ins("-Infinity"), ins("5")}, "-Infinity"},
		// Integer sums are exact beyond int64.
		{"sum", types.TInt8, []op{ins("9223372036854775807"), ins("9223372036854775807"), del("9223372036854775807")}, "9223372036854775807"},
		{"sum", types.TInt8, []op{ins("-9223372036854775808"), ins("-1"), del("-9223372036854775808")}, "-1"},
		// min/max show the latest inserted representation of the
		// extreme, as PostgreSQL's numeric_larger does on ties.
		{"max", types.TNumeric, []op{ins("1.5"), ins("1.50")}, "1.50"},
		{"max", types.TNumeric, []op{ins("1.5"), ins("1.50"), del("1.50")}, "1.5"},
		{"min", types.TInterval, []op{ins("1 mon"), ins("30 days"), ins("1 mon"), del("1 mon")}, "1 mon"},
		{"min", types.TInterval, []op{ins("1 mon"), ins("30 days"), ins("2 mons"), del("1 mon")}, "30 days"},
	}
	for _, tc := range tests {
		s, ret := newAgg(t, tc.agg, tc.arg)
		s.Grow(1)
		for i, o := range tc.ops {
			v := types.NewVec(tc.arg, 1)
			v.Append(parseDatum(t, tc.arg, o.v))
			var ops []types.Op
			if o.del {
				ops = []types.Op{types.Delete}
			}
			require.NoError(t, s.Update(testCtx(), []int32{0}, []*types.Vec{v}, ops, nil))
			if i == len(tc.ops)/2 {
				// Restart mid-way: the restored state goes on the same.
				fresh, _ := newAgg(t, tc.agg, tc.arg)
				fresh.Grow(1)
				require.NoError(t, fresh.LoadState(0, s.AppendState(nil, 0)))
				s = fresh
			}
		}
		require.Equal(t, tc.want, aggResult(s, 0, ret), "%s(%s) %v", tc.agg, tc.arg, tc.ops)
	}
}

// sampleState returns a non-trivial encoded state of c's group 0 and a
// loader for it.
func sampleState(t *testing.T, c stateCase) ([]byte, func(data []byte) error) {
	h := newHarness(t, c, 42)
	for range 20 {
		h.step()
	}
	enc := h.ref.AppendState(nil, 1)
	return enc, func(data []byte) error {
		s, _ := c.newState(t)
		s.Grow(2)
		return s.LoadState(1, data)
	}
}

// TestAggStateCorrupt: unknown versions, another aggregate's state,
// truncations, trailing bytes and random damage are errors (XX001), never
// panics or silent misreads.
func TestAggStateCorrupt(t *testing.T) {
	cases := stateCases()
	for i, c := range cases {
		enc, load := sampleState(t, c)
		require.NoError(t, load(enc), "%s", c)

		// Unknown version: the byte after the tag is the uvarint version.
		bumped := append([]byte{enc[0]}, 0x7f)
		bumped = append(bumped, enc[2:]...)
		err := load(bumped)
		require.Error(t, err, "%s", c)
		require.True(t, errors.Is(err, ErrUnknownStateVersion), "%s: %v", c, err)
		require.Equal(t, pgerror.CodeDataCorrupted, pgerror.Code(err))
		require.Contains(t, err.Error(), "format version 127")

		// Another aggregate's state (a different implementation tag).
		other := cases[(i+1)%len(cases)]
		for other.name == c.name || (other.distinct != c.distinct) {
			i++
			other = cases[(i+1)%len(cases)]
		}
		otherEnc, _ := sampleState(t, other)
		if otherEnc[0] != enc[0] {
			require.Error(t, load(otherEnc), "%s loading %s", c, other)
		}

		// Every truncation and trailing garbage.
		for n := 0; n < len(enc); n++ {
			require.Error(t, load(enc[:n]), "%s truncated to %d of %d bytes", c, n, len(enc))
		}
		require.Error(t, load(append(append([]byte(nil), enc...), 0)), "%s with a trailing byte", c)

		// Random damage must not panic (it may happen to decode).
		rng := rand.New(rand.NewPCG(uint64(i), 3))
		for range 200 {
			d := append([]byte(nil), enc...)
			d[rng.IntN(len(d))] ^= byte(1 + rng.IntN(255))
			require.NotPanics(t, func() { _ = load(d) }, "%s damaged %x", c, d)
		}
	}
}

// TestAggStateAppendOnlyMismatch: state written in append-only mode keeps
// only the extreme, so it cannot serve a state that must retract.
func TestAggStateAppendOnlyMismatch(t *testing.T) {
	ao := stateCase{name: "min", args: []types.T{types.TInt8}, appendOnly: true}
	rt := stateCase{name: "min", args: []types.T{types.TInt8}}
	enc, _ := sampleState(t, ao)
	s, _ := rt.newState(t)
	s.Grow(2)
	err := s.LoadState(1, enc)
	require.ErrorContains(t, err, "append-only")

	// The other way round keeps the extreme.
	enc, _ = sampleState(t, rt)
	src := newHarness(t, rt, 42)
	for range 20 {
		src.step()
	}
	s, ret := ao.newState(t)
	s.Grow(2)
	require.NoError(t, s.LoadState(1, enc))
	require.Equal(t, aggResult(src.ref, 1, ret), aggResult(s, 1, ret))
	require.Equal(t, src.ref.Count(1), s.Count(1))
}

// TestAggStateVersions: each implementation reports its version, and a
// DISTINCT wrapper's version changes with its inner aggregate's.
func TestAggStateVersions(t *testing.T) {
	for _, c := range stateCases() {
		s, _ := c.newState(t)
		require.NotZero(t, s.StateVersion(), "%s", c)
		if c.distinct {
			inner, _ := newAgg(t, c.name, c.args...)
			require.Equal(t, distinctStateVersion<<16|inner.StateVersion(), s.StateVersion())
		}
	}
	require.Equal(t, fmt.Sprint(uint32(1)<<16|1), fmt.Sprint(NewDistinctAggState(&countState{}, nil).StateVersion()))
}

// TestDistinctRetractsWhatItForwarded: the last delete of a DISTINCT tuple
// retracts from the inner aggregate the representation it was given, even
// when the delete arrives as an equal value that looks different, so the
// inner state stays consistent (here: sum's result scale).
func TestDistinctRetractsWhatItForwarded(t *testing.T) {
	inner, ret := newAgg(t, "sum", types.TNumeric)
	s := NewDistinctAggState(inner, []types.T{types.TNumeric})
	s.Grow(1)
	apply := func(op types.Op, vals ...string) {
		v := types.NewVec(types.TNumeric, len(vals))
		ops := make([]types.Op, len(vals))
		for i, x := range vals {
			v.Append(parseDatum(t, types.TNumeric, x))
			ops[i] = op
		}
		require.NoError(t, s.Update(testCtx(), make([]int32, len(vals)), []*types.Vec{v}, ops, nil))
	}
	apply(types.Insert, "7", "1.5", "1.50")
	require.Equal(t, "8.5", aggResult(s, 0, ret))
	// Restart: the forwarded representation is part of the state.
	fresh, _ := newAgg(t, "sum", types.TNumeric)
	restored := NewDistinctAggState(fresh, []types.T{types.TNumeric})
	restored.Grow(1)
	require.NoError(t, restored.LoadState(0, s.AppendState(nil, 0)))
	s = restored
	apply(types.Delete, "1.5")
	require.Equal(t, "8.5", aggResult(s, 0, ret))
	apply(types.Delete, "1.50")
	require.Equal(t, "7", aggResult(s, 0, ret))
	require.Equal(t, int64(1), s.Count(0))
}
