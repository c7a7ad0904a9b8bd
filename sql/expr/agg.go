package expr

import (
	"bytes"
	"math"
	"math/big"
	"math/bits"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Aggregates. Every AggState supports retraction (Delete ops) so one
// implementation serves ad-hoc queries and continuous ones:
//
//   - count, sum, avg, bool_and/bool_or/every keep O(1) state per group
//     (sums of integers in 128 bits, numeric exactly; float sums under
//     retraction accumulate rounding error, as any incremental float sum
//     does, but an emptied group is exactly empty and NaN/±Infinity are
//     counted apart, see sumState);
//   - min and max keep a counted multiset of the group's values (keyed by
//     the order-preserving key encoding): O(distinct values) memory per
//     group, O(1) per insert, and a scan of the group's distinct values
//     when the current extreme is retracted. An executor that knows its
//     input is append-only calls SetAppendOnly to drop the multiset;
//   - string_agg and array_agg keep the live values in arrival order;
//     a retraction removes the earliest live equal value (O(group size)).
//
// Every state persists per group through AppendState/LoadState
// (agg_state.go, formats pinned by testdata/agg_state), so continuous
// queries keep their aggregates across restarts.

// AppendOnlyHint is implemented by aggregate states that can save memory
// when told no Delete will ever arrive. Call it before the first Update.
type AppendOnlyHint interface{ SetAppendOnly() }

// forRows calls f for each row of the update (restricted to sel), with +1
// for inserts and -1 for deletes.
func forRows(n int, ops []types.Op, sel []int, f func(i int, sign int64) error) error {
	if sel != nil {
		for _, i := range sel {
			s := int64(1)
			if ops != nil && ops[i] == types.Delete {
				s = -1
			}
			if err := f(i, s); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < n; i++ {
		s := int64(1)
		if ops != nil && ops[i] == types.Delete {
			s = -1
		}
		if err := f(i, s); err != nil {
			return err
		}
	}
	return nil
}

func growSlice[T any](s []T, n int) []T {
	if len(s) >= n {
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

// countState is count(*) (no arguments) and count(x) (one argument, NULLs
// skipped).
type countState struct {
	n []int64
}

func (s *countState) Grow(n int) { s.n = growSlice(s.n, n) }

func (s *countState) Update(_ *EvalCtx, groups []int32, args []*types.Vec, ops []types.Op, sel []int) error {
	var arg *types.Vec
	if len(args) > 0 {
		arg = args[0]
	}
	return forRows(len(groups), ops, sel, func(i int, sign int64) error {
		if arg != nil && arg.Nulls.Get(i) {
			return nil
		}
		s.n[groups[i]] += sign
		return nil
	})
}

func (s *countState) Result(g int32, out *types.Vec) { out.Append(types.DInt(s.n[g])) }
func (s *countState) Count(g int32) int64            { return s.n[g] }

// int128 is a signed 128-bit accumulator.
type int128 struct {
	hi int64
	lo uint64
}

func (a *int128) add(x int64, sign int64) {
	lo, hi := uint64(x), x>>63
	if sign < 0 {
		if x == math.MinInt64 {
			lo, hi = 1<<63, 0
		} else {
			lo, hi = uint64(-x), (-x)>>63
		}
	}
	var c uint64
	a.lo, c = bits.Add64(a.lo, lo, 0)
	a.hi += hi + int64(c)
}

func (a int128) big() *big.Int {
	b := new(big.Int).SetInt64(a.hi)
	b.Lsh(b, 64)
	return b.Add(b, new(big.Int).SetUint64(a.lo))
}

func (a int128) int64() (int64, bool) {
	if (a.hi == 0 && a.lo < 1<<63) || (a.hi == -1 && a.lo >= 1<<63) {
		return int64(a.lo), true
	}
	return 0, false
}

func (a int128) decimal() *apd.Decimal {
	d := new(apd.Decimal)
	d.Coeff.SetMathBigInt(a.big())
	if d.Coeff.Sign() < 0 {
		d.Coeff.Neg(&d.Coeff)
		d.Negative = true
	}
	return d
}

// sumState serves sum and avg over integers, floats, numerics and
// intervals.
//
// Retraction is exact for integers (128-bit sums), numerics (exact
// decimal sums, with special values and result scale tracked as below) and
// intervals. Float sums are plain float8 additions, as in PostgreSQL; under
// retraction they accumulate rounding error, so after inserts and deletes
// a continuous query's float sum may differ in the last bits from a
// recomputation over the surviving rows. Two things are exact regardless:
// a group whose contributing rows all left is reset (its sum is NULL and
// the next insert starts from 0), and NaN and ±Infinity are counted apart
// from the finite sum, so retracting them restores the finite result.
type sumState struct {
	argT, ret types.T
	avg       bool
	n         []int64 // contributing (non-NULL) rows per group
	ints      []int128
	floats    []float64 // finite part of a float sum
	decs      []apd.Decimal
	// special counts NaN, +Infinity and -Infinity inputs of float and
	// numeric sums, which an incremental sum could not retract.
	special [][3]int64
	// scales counts the live numeric inputs by display scale, so the sum
	// shows the largest scale among the surviving inputs, as a
	// recomputation (and PostgreSQL's moving numeric aggregate) does.
	scales []map[int32]int64
	ivs    []types.IntervalValue // Micros holds the microsecond sum
	// Interval days and months are summed in int64 apart from micros.
	ivDays, ivMonths []int64
}

const (
	specNaN = iota
	specPosInf
	specNegInf
)

func (s *sumState) Grow(n int) {
	s.n = growSlice(s.n, n)
	switch s.argT.Phys() {
	case types.PhysInt:
		s.ints = growSlice(s.ints, n)
	case types.PhysFloat:
		s.floats = growSlice(s.floats, n)
		s.special = growSlice(s.special, n)
	case types.PhysDecimal:
		s.decs = growSlice(s.decs, n)
		s.special = growSlice(s.special, n)
		s.scales = growSlice(s.scales, n)
	case types.PhysInterval:
		s.ivs = growSlice(s.ivs, n)
		s.ivDays = growSlice(s.ivDays, n)
		s.ivMonths = growSlice(s.ivMonths, n)
	}
}

// reset empties group g.
func (s *sumState) reset(g int32) {
	s.n[g] = 0
	switch s.argT.Phys() {
	case types.PhysInt:
		s.ints[g] = int128{}
	case types.PhysFloat:
		s.floats[g] = 0
		s.special[g] = [3]int64{}
	case types.PhysDecimal:
		s.decs[g] = apd.Decimal{}
		s.special[g] = [3]int64{}
		s.scales[g] = nil
	case types.PhysInterval:
		s.ivs[g] = types.IntervalValue{}
		s.ivDays[g], s.ivMonths[g] = 0, 0
	}
}

func (s *sumState) Update(_ *EvalCtx, groups []int32, args []*types.Vec, ops []types.Op, sel []int) error {
	a := args[0]
	return forRows(len(groups), ops, sel, func(i int, sign int64) error {
		if a.Nulls.Get(i) {
			return nil
		}
		g := groups[i]
		s.n[g] += sign
		if s.n[g] < 0 {
			return pgerror.New(pgerror.CodeInternalError, "sum: retraction of a value never inserted")
		}
		if s.n[g] == 0 {
			// Exact emptiness whatever rounding the sum accumulated.
			s.reset(g)
			return nil
		}
		switch s.argT.Phys() {
		case types.PhysInt:
			s.ints[g].add(a.I[i], sign)
		case types.PhysFloat:
			f := a.F[i]
			switch {
			case math.IsNaN(f):
				s.special[g][specNaN] += sign
			case math.IsInf(f, 1):
				s.special[g][specPosInf] += sign
			case math.IsInf(f, -1):
				s.special[g][specNegInf] += sign
			default:
				s.floats[g] += float64(sign) * f
			}
		case types.PhysDecimal:
			d := a.D[i]
			switch {
			case isNaN(d):
				s.special[g][specNaN] += sign
				return nil
			case d.Form == apd.Infinite && !d.Negative:
				s.special[g][specPosInf] += sign
				return nil
			case d.Form == apd.Infinite:
				s.special[g][specNegInf] += sign
				return nil
			}
			op := exact.Add
			if sign < 0 {
				op = exact.Sub
			}
			if _, err := op(&s.decs[g], &s.decs[g], d); err != nil {
				return pgerror.Wrap(err, pgerror.CodeNumericValueOutOfRange)
			}
			sc := int32(dscale(d))
			if s.scales[g] == nil {
				s.scales[g] = map[int32]int64{}
			}
			if c := s.scales[g][sc] + sign; c > 0 {
				s.scales[g][sc] = c
			} else {
				delete(s.scales[g], sc)
			}
		case types.PhysInterval:
			v := a.V[i]
			s.ivMonths[g] += sign * int64(v.Months)
			s.ivDays[g] += sign * int64(v.Days)
			s.ivs[g].Micros += sign * v.Micros
		}
		return nil
	})
}

func (s *sumState) Count(g int32) int64 { return s.n[g] }

// specialResult reports the value of a float or numeric sum with special
// inputs, as IEEE (and PostgreSQL's numeric) addition defines it: NaN if
// any NaN or both infinities, otherwise the infinity present.
func (s *sumState) specialResult(g int32) (nan, inf, neg bool) {
	sp := s.special[g]
	switch {
	case sp[specNaN] > 0 || (sp[specPosInf] > 0 && sp[specNegInf] > 0):
		return true, false, false
	case sp[specPosInf] > 0:
		return false, true, false
	case sp[specNegInf] > 0:
		return false, true, true
	}
	return false, false, false
}

// decimalSum returns group g's finite numeric sum at the largest display
// scale of its live inputs.
func (s *sumState) decimalSum(g int32) *apd.Decimal {
	var maxScale int32
	for sc := range s.scales[g] {
		maxScale = max(maxScale, sc)
	}
	sum := new(apd.Decimal).Set(&s.decs[g])
	if sum.Exponent != -maxScale {
		// Exact: every live input has at most maxScale fractional digits.
		if _, err := quantize(sum, sum, -maxScale); err != nil {
			sum.Set(&s.decs[g])
		}
	}
	if sum.IsZero() {
		sum.Negative = false
	}
	return sum
}

func (s *sumState) Result(g int32, out *types.Vec) {
	n := s.n[g]
	if n == 0 {
		out.AppendNull()
		return
	}
	switch s.argT.Phys() {
	case types.PhysInt:
		if !s.avg && s.ret.ID == types.Int8 {
			v, ok := s.ints[g].int64()
			if !ok {
				// Cannot happen for int2/int4 inputs within 2^32 rows.
				out.AppendNull()
				return
			}
			out.Append(types.DInt(v))
			return
		}
		sum := s.ints[g].decimal()
		if !s.avg {
			out.Append(types.DDecimal(sum))
			return
		}
		q, err := NumericDiv(sum, apd.New(n, 0))
		if err != nil {
			out.AppendNull()
			return
		}
		out.Append(types.DDecimal(q))
	case types.PhysFloat:
		v := s.floats[g]
		if nan, inf, neg := s.specialResult(g); nan {
			v = math.NaN()
		} else if inf {
			v = math.Inf(1)
			if neg {
				v = math.Inf(-1)
			}
		}
		if s.avg {
			v /= float64(n)
		}
		if s.ret.ID == types.Float4 {
			v = float64(float32(v))
		}
		out.Append(types.DFloat(v))
	case types.PhysDecimal:
		if nan, inf, neg := s.specialResult(g); nan || inf {
			// avg of an infinite sum is that infinity; of NaN, NaN.
			d := &apd.Decimal{Form: apd.NaN}
			if inf {
				d = &apd.Decimal{Form: apd.Infinite, Negative: neg}
			}
			out.Append(types.DDecimal(d))
			return
		}
		sum := s.decimalSum(g)
		if !s.avg {
			out.Append(types.DDecimal(sum))
			return
		}
		q, err := NumericDiv(sum, apd.New(n, 0))
		if err != nil {
			out.AppendNull()
			return
		}
		out.Append(types.DDecimal(q))
	case types.PhysInterval:
		v := types.IntervalValue{Months: int32(s.ivMonths[g]), Days: int32(s.ivDays[g]), Micros: s.ivs[g].Micros}
		if s.avg {
			r, err := MulInterval(v, 1/float64(n))
			if err != nil {
				out.AppendNull()
				return
			}
			v = r
		}
		out.Append(types.DInterval(v))
	}
}

// minMaxState keeps, per group, a counted multiset of values keyed by
// their order-preserving key.
//
// Equal values can look different (numeric 1.5 and 1.50, interval '1 mon'
// and '30 days', float 0 and -0). Like PostgreSQL's numeric_larger and
// friends, which return the later argument on a tie, the result shows the
// most recently inserted representation of the extreme; under retraction,
// the most recently inserted one that is still present.
type minMaxState struct {
	t          types.T
	max        bool
	appendOnly bool
	groups     []mmGroup
}

type mmGroup struct {
	n    int64
	best []byte // key of the current extreme; nil when empty
	val  types.Datum
	vals map[string]*mmEntry
}

// mmEntry is one key's copies.
type mmEntry struct {
	d types.Datum // the representation shown
	n int64
	// reps counts the copies by representation, in order of each one's
	// latest insert (d is the last), when not all copies look like d;
	// nil otherwise.
	reps []mmRep
}

type mmRep struct {
	d types.Datum
	n int64
}

// sameRep reports whether two equal values of physical type p also look
// the same.
func sameRep(p types.Phys, a, b types.Datum) bool {
	switch p {
	case types.PhysInt:
		return a.I == b.I
	case types.PhysFloat:
		return math.Float64bits(a.F) == math.Float64bits(b.F) || (math.IsNaN(a.F) && math.IsNaN(b.F))
	case types.PhysDecimal:
		return a.D.Form == b.D.Form && a.D.Negative == b.D.Negative && a.D.Exponent == b.D.Exponent &&
			a.D.Coeff.Cmp(&b.D.Coeff) == 0
	case types.PhysString:
		return a.S == b.S
	default:
		return a.V == b.V
	}
}

// add counts one more copy of x.
func (e *mmEntry) add(p types.Phys, x types.Datum) {
	e.n++
	if e.reps == nil {
		if sameRep(p, x, e.d) {
			return
		}
		e.reps = []mmRep{{d: e.d, n: e.n - 1}}
	}
	k := slices.IndexFunc(e.reps, func(r mmRep) bool { return sameRep(p, r.d, x) })
	r := mmRep{d: x, n: 1}
	if k >= 0 {
		r.n += e.reps[k].n
		e.reps = slices.Delete(e.reps, k, k+1)
	}
	e.reps = append(e.reps, r)
	e.d = x
}

// remove drops one copy of x. A representation never inserted (which a
// correct change stream does not produce) drops a copy of the shown one.
func (e *mmEntry) remove(p types.Phys, x types.Datum) {
	e.n--
	if e.reps == nil {
		return
	}
	k := slices.IndexFunc(e.reps, func(r mmRep) bool { return sameRep(p, r.d, x) })
	if k < 0 {
		k = len(e.reps) - 1
	}
	if e.reps[k].n--; e.reps[k].n == 0 {
		e.reps = slices.Delete(e.reps, k, k+1)
	}
	if len(e.reps) > 0 {
		e.d = e.reps[len(e.reps)-1].d
	}
	if len(e.reps) <= 1 {
		e.reps = nil
	}
}

func (s *minMaxState) SetAppendOnly() { s.appendOnly = true }

func (s *minMaxState) Grow(n int) { s.groups = growSlice(s.groups, n) }

func (s *minMaxState) better(a, b []byte) bool {
	c := bytes.Compare(a, b)
	if s.max {
		return c > 0
	}
	return c < 0
}

func (s *minMaxState) Update(_ *EvalCtx, groups []int32, args []*types.Vec, ops []types.Op, sel []int) error {
	a := args[0]
	p := s.t.Phys()
	var key []byte
	return forRows(len(groups), ops, sel, func(i int, sign int64) error {
		if a.Nulls.Get(i) {
			return nil
		}
		g := &s.groups[groups[i]]
		key = a.AppendKey(key[:0], i)
		x := a.Datum(i)
		if sign > 0 {
			g.n++
			if g.best == nil || s.better(key, g.best) {
				g.best = append(g.best[:0], key...)
				g.val = x
			} else if bytes.Equal(key, g.best) {
				g.val = x // the later of equal values, as PostgreSQL
			}
			if s.appendOnly {
				return nil
			}
			if g.vals == nil {
				g.vals = map[string]*mmEntry{}
			}
			if e := g.vals[string(key)]; e != nil {
				e.add(p, x)
			} else {
				g.vals[string(key)] = &mmEntry{d: x, n: 1}
			}
			return nil
		}
		if s.appendOnly {
			return pgerror.New(pgerror.CodeInternalError, "retraction fed to an append-only min/max")
		}
		e := g.vals[string(key)]
		if e == nil {
			return pgerror.New(pgerror.CodeInternalError, "min/max: retraction of a value never inserted")
		}
		g.n--
		e.remove(p, x)
		if e.n > 0 {
			if bytes.Equal(key, g.best) {
				g.val = e.d
			}
			return nil
		}
		delete(g.vals, string(key))
		if !bytes.Equal(key, g.best) {
			return nil
		}
		g.best, g.val = nil, types.Datum{}
		for k, e := range g.vals {
			if g.best == nil || s.better([]byte(k), g.best) {
				g.best, g.val = []byte(k), e.d
			}
		}
		return nil
	})
}

func (s *minMaxState) Result(g int32, out *types.Vec) {
	if s.groups[g].best == nil {
		out.AppendNull()
		return
	}
	out.Append(s.groups[g].val)
}

func (s *minMaxState) Count(g int32) int64 { return s.groups[g].n }

// boolState is bool_and/every (and=true) and bool_or.
type boolState struct {
	and           bool
	trues, falses []int64
}

func (s *boolState) Grow(n int) {
	s.trues = growSlice(s.trues, n)
	s.falses = growSlice(s.falses, n)
}

func (s *boolState) Update(_ *EvalCtx, groups []int32, args []*types.Vec, ops []types.Op, sel []int) error {
	a := args[0]
	return forRows(len(groups), ops, sel, func(i int, sign int64) error {
		if a.Nulls.Get(i) {
			return nil
		}
		if a.I[i] != 0 {
			s.trues[groups[i]] += sign
		} else {
			s.falses[groups[i]] += sign
		}
		return nil
	})
}

func (s *boolState) Result(g int32, out *types.Vec) {
	t, f := s.trues[g], s.falses[g]
	switch {
	case t+f == 0:
		out.AppendNull()
	case s.and:
		out.Append(types.DBool(f == 0))
	default:
		out.Append(types.DBool(t > 0))
	}
}

func (s *boolState) Count(g int32) int64 { return s.trues[g] + s.falses[g] }

// listState is string_agg(text, text) and array_agg(text): live values in
// arrival order.
type listState struct {
	array  bool
	groups [][]listEntry
}

type listEntry struct {
	val, delim string
	null       bool // array_agg keeps NULL elements
}

func (s *listState) Grow(n int) { s.groups = growSlice(s.groups, n) }

func (s *listState) Update(_ *EvalCtx, groups []int32, args []*types.Vec, ops []types.Op, sel []int) error {
	a := args[0]
	var d *types.Vec
	if len(args) > 1 {
		d = args[1]
	}
	return forRows(len(groups), ops, sel, func(i int, sign int64) error {
		null := a.Nulls.Get(i)
		if null && !s.array {
			return nil
		}
		e := listEntry{val: a.S[i], null: null}
		if d != nil && !d.Nulls.Get(i) {
			e.delim = d.S[i]
		}
		g := groups[i]
		if sign > 0 {
			s.groups[g] = append(s.groups[g], e)
			return nil
		}
		l := s.groups[g]
		for k := range l {
			if l[k] == e {
				s.groups[g] = append(l[:k], l[k+1:]...)
				return nil
			}
		}
		return pgerror.New(pgerror.CodeInternalError, "string_agg: retraction of a value never inserted")
	})
}

func (s *listState) Result(g int32, out *types.Vec) {
	l := s.groups[g]
	if len(l) == 0 {
		out.AppendNull()
		return
	}
	if s.array {
		elems := make([]string, len(l))
		var nulls []bool
		for k, e := range l {
			elems[k] = e.val
			if e.null {
				if nulls == nil {
					nulls = make([]bool, len(l))
				}
				nulls[k] = true
			}
		}
		out.Append(types.DString(types.EncodeTextArray(elems, nulls)))
		return
	}
	var b []byte
	for k, e := range l {
		if k > 0 {
			b = append(b, e.delim...)
		}
		b = append(b, e.val...)
	}
	out.Append(types.DString(string(b)))
}

func (s *listState) Count(g int32) int64 { return int64(len(s.groups[g])) }

// distinctState forwards a row to the inner aggregate only when its
// argument tuple enters the group's distinct set (first insert) or leaves
// it (last delete): DISTINCT aggregation under retraction.
type distinctState struct {
	inner    AggState
	argTypes []types.T
	sets     []map[string]int64
	// reps holds, when keepReps, the argument values forwarded to the
	// inner aggregate for each tuple, so that the tuple's last delete
	// retracts exactly what was inserted even if it arrives as an equal
	// value that looks different (1.50 after 1.5).
	keepReps bool
	reps     []map[string][]types.Datum
	n        []int64
}

// NewDistinctAggState wraps inner for agg(DISTINCT args): per group it keeps
// a reference count of each distinct argument tuple (by key encoding, so
// 1.0 and 1.00 are one value) and forwards only first inserts and last
// deletes. The inner aggregate sees the first-inserted representation of
// each tuple. Memory: one map entry per distinct tuple per group, plus the
// values themselves for argument types whose equal values can look
// different (numeric, interval, float).
func NewDistinctAggState(inner AggState, argTypes []types.T) AggState {
	s := &distinctState{inner: inner, argTypes: argTypes}
	for _, t := range argTypes {
		switch t.Phys() {
		case types.PhysDecimal, types.PhysInterval, types.PhysFloat:
			s.keepReps = true
		}
	}
	return s
}

func (s *distinctState) Grow(n int) {
	s.inner.Grow(n)
	s.sets = growSlice(s.sets, n)
	s.n = growSlice(s.n, n)
	if s.keepReps {
		s.reps = growSlice(s.reps, n)
	}
}

func (s *distinctState) Update(ctx *EvalCtx, groups []int32, args []*types.Vec, ops []types.Op, sel []int) error {
	var fwd []int
	var key []byte
	// With keepReps, the forwarded rows are rebuilt: deletes carry the
	// stored representation.
	var fwdArgs []*types.Vec
	var fwdGroups []int32
	var fwdOps []types.Op
	if s.keepReps {
		fwdArgs = make([]*types.Vec, len(args))
		for j, a := range args {
			fwdArgs[j] = types.NewVec(a.T, 0)
		}
	}
	err := forRows(len(groups), ops, sel, func(i int, sign int64) error {
		key = key[:0]
		for _, a := range args {
			key = a.AppendKey(key, i)
		}
		g := groups[i]
		if s.sets[g] == nil {
			s.sets[g] = map[string]int64{}
		}
		c := s.sets[g][string(key)] + sign
		s.n[g] += sign
		switch {
		case c < 0:
			return pgerror.New(pgerror.CodeInternalError, "DISTINCT aggregate: retraction of a value never inserted")
		case c == 0:
			delete(s.sets[g], string(key))
			if !s.keepReps {
				fwd = append(fwd, i)
				return nil
			}
			for j, d := range s.reps[g][string(key)] {
				fwdArgs[j].Append(d)
			}
			delete(s.reps[g], string(key))
			fwdGroups = append(fwdGroups, g)
			fwdOps = append(fwdOps, types.Delete)
		case c == 1 && sign > 0:
			s.sets[g][string(key)] = c
			if !s.keepReps {
				fwd = append(fwd, i)
				return nil
			}
			row := make([]types.Datum, len(args))
			for j, a := range args {
				row[j] = a.Datum(i)
				fwdArgs[j].Append(row[j])
			}
			if s.reps[g] == nil {
				s.reps[g] = map[string][]types.Datum{}
			}
			s.reps[g][string(key)] = row
			fwdGroups = append(fwdGroups, g)
			fwdOps = append(fwdOps, types.Insert)
		default:
			s.sets[g][string(key)] = c
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.keepReps {
		if len(fwdGroups) == 0 {
			return nil
		}
		return s.inner.Update(ctx, fwdGroups, fwdArgs, fwdOps, nil)
	}
	if len(fwd) == 0 {
		return nil
	}
	return s.inner.Update(ctx, groups, args, ops, fwd)
}

func (s *distinctState) Result(g int32, out *types.Vec) { s.inner.Result(g, out) }
func (s *distinctState) Count(g int32) int64            { return s.n[g] }

func init() {
	RegisterAgg(&AggFunc{Name: "count", Ret: types.TInt8, New: func([]types.T, types.T) AggState { return &countState{} }})
	RegisterAgg(&AggFunc{Name: "count", Args: []types.T{types.TUnknown}, Ret: types.TInt8,
		New: func([]types.T, types.T) AggState { return &countState{} }})
	sum := func(arg, ret types.T, avg bool) *AggFunc {
		name := "sum"
		if avg {
			name = "avg"
		}
		return &AggFunc{Name: name, Args: []types.T{arg}, Ret: ret, New: func(ts []types.T, r types.T) AggState {
			return &sumState{argT: arg, ret: r, avg: avg}
		}}
	}
	for _, a := range []*AggFunc{
		sum(types.TInt2, types.TInt8, false), sum(types.TInt4, types.TInt8, false),
		sum(types.TInt8, types.TNumeric, false), sum(types.TFloat4, types.TFloat4, false),
		sum(types.TFloat8, types.TFloat8, false), sum(types.TNumeric, types.TNumeric, false),
		sum(types.TInterval, types.TInterval, false),
		sum(types.TInt2, types.TNumeric, true), sum(types.TInt4, types.TNumeric, true),
		sum(types.TInt8, types.TNumeric, true), sum(types.TFloat4, types.TFloat8, true),
		sum(types.TFloat8, types.TFloat8, true), sum(types.TNumeric, types.TNumeric, true),
		sum(types.TInterval, types.TInterval, true),
	} {
		RegisterAgg(a)
	}
	for _, t := range orderedTypes {
		t := t
		for _, name := range []string{"min", "max"} {
			isMax := name == "max"
			RegisterAgg(&AggFunc{Name: name, Args: []types.T{t}, Ret: t, New: func(ts []types.T, r types.T) AggState {
				return &minMaxState{t: t, max: isMax}
			}})
		}
	}
	RegisterAgg(&AggFunc{Name: "bool_and", Args: []types.T{types.TBool}, Ret: types.TBool, New: func([]types.T, types.T) AggState { return &boolState{and: true} }})
	RegisterAgg(&AggFunc{Name: "every", Args: []types.T{types.TBool}, Ret: types.TBool, New: func([]types.T, types.T) AggState { return &boolState{and: true} }})
	RegisterAgg(&AggFunc{Name: "bool_or", Args: []types.T{types.TBool}, Ret: types.TBool, New: func([]types.T, types.T) AggState { return &boolState{} }})
	RegisterAgg(&AggFunc{Name: "string_agg", Args: []types.T{types.TText, types.TText}, Ret: types.TText, New: func([]types.T, types.T) AggState { return &listState{} }})
	RegisterAgg(&AggFunc{Name: "string_agg", Args: []types.T{types.TBytea, types.TBytea}, Ret: types.TBytea, New: func([]types.T, types.T) AggState { return &listState{} }})
	RegisterAgg(&AggFunc{Name: "array_agg", Args: []types.T{types.TText}, Ret: types.TTextArray, New: func([]types.T, types.T) AggState { return &listState{array: true} }})
}

var (
	_ AggState       = (*countState)(nil)
	_ AggState       = (*sumState)(nil)
	_ AggState       = (*minMaxState)(nil)
	_ AggState       = (*boolState)(nil)
	_ AggState       = (*listState)(nil)
	_ AggState       = (*distinctState)(nil)
	_ AppendOnlyHint = (*minMaxState)(nil)
)
