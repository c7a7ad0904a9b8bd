package expr

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/types"
)

// newOut returns a vector of type t with n zero-valued rows, ready for a
// kernel to fill by index.
func newOut(t types.T, n int) *types.Vec {
	v := &types.Vec{T: t}
	switch t.Phys() {
	case types.PhysInt:
		v.I = make([]int64, n)
	case types.PhysFloat:
		v.F = make([]float64, n)
	case types.PhysDecimal:
		v.D = make([]*apd.Decimal, n)
	case types.PhysString:
		v.S = make([]string, n)
	default:
		v.V = make([]types.IntervalValue, n)
	}
	return v
}

// nullOut returns a vector of n NULLs.
func nullOut(t types.T, n int) *types.Vec {
	v := newOut(t, n)
	for i := range n {
		v.Nulls.Set(i)
	}
	return v
}

// setRow copies row j of src into row i of dst (same Phys), NULL included.
func setRow(dst *types.Vec, i int, src *types.Vec, j int) {
	if src.Nulls.Get(j) {
		dst.Nulls.Set(i)
		return
	}
	clearNull(dst, i)
	switch dst.T.Phys() {
	case types.PhysInt:
		dst.I[i] = src.I[j]
	case types.PhysFloat:
		dst.F[i] = src.F[j]
	case types.PhysDecimal:
		dst.D[i] = src.D[j]
	case types.PhysString:
		dst.S[i] = src.S[j]
	default:
		dst.V[i] = src.V[j]
	}
}

func clearNull(v *types.Vec, i int) {
	w := i >> 6
	if w < len(v.Nulls) {
		v.Nulls[w] &^= 1 << (uint(i) & 63)
	}
}

// setDatum writes d into row i of v.
func setDatum(v *types.Vec, i int, d types.Datum) {
	if d.Null {
		v.Nulls.Set(i)
		return
	}
	clearNull(v, i)
	switch v.T.Phys() {
	case types.PhysInt:
		v.I[i] = d.I
	case types.PhysFloat:
		v.F[i] = d.F
	case types.PhysDecimal:
		v.D[i] = d.D
	case types.PhysString:
		v.S[i] = d.S
	default:
		v.V[i] = d.V
	}
}

// orNulls returns a new bitmap with the bits of a and b.
func orNulls(a, b types.Bitmap) types.Bitmap {
	if !a.Any() {
		return cloneBits(b)
	}
	if !b.Any() {
		return cloneBits(a)
	}
	n := max(len(a), len(b))
	out := make(types.Bitmap, n)
	copy(out, a)
	for i, w := range b {
		out[i] |= w
	}
	return out
}

func cloneBits(a types.Bitmap) types.Bitmap {
	if !a.Any() {
		return nil
	}
	return append(types.Bitmap(nil), a...)
}

// withNulls returns a shallow copy of v whose null bitmap is nulls; the
// value slices are shared (and must not be written).
func withNulls(v *types.Vec, nulls types.Bitmap) *types.Vec {
	c := *v
	c.Nulls = nulls
	return &c
}

// retype returns a shallow copy of v with type t (same Phys).
func retype(v *types.Vec, t types.T) *types.Vec {
	if v.T == t {
		return v
	}
	c := *v
	c.T = t
	return &c
}
