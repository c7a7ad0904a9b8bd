package types

import "github.com/cockroachdb/apd/v3"

// Bitmap is a null bitmap: bit i set means row i is NULL. A nil Bitmap means
// no row is NULL.
type Bitmap []uint64

// Get reports whether bit i is set.
func (b Bitmap) Get(i int) bool {
	w := i >> 6
	return w < len(b) && b[w]&(1<<(uint(i)&63)) != 0
}

// Set sets bit i, growing the bitmap as needed.
func (b *Bitmap) Set(i int) {
	w := i >> 6
	for len(*b) <= w {
		*b = append(*b, 0)
	}
	(*b)[w] |= 1 << (uint(i) & 63)
}

// Any reports whether any bit is set.
func (b Bitmap) Any() bool {
	for _, w := range b {
		if w != 0 {
			return true
		}
	}
	return false
}

// Vec is a typed column vector. Exactly one of the value slices is used,
// chosen by T.Phys(); its length is the vector's length. Nulls marks NULL
// rows; the value slot of a NULL row holds the zero value.
type Vec struct {
	T     T
	Nulls Bitmap
	I     []int64
	F     []float64
	D     []*apd.Decimal
	S     []string
	V     []IntervalValue
}

// NewVec returns an empty vector of type t with room for n values.
func NewVec(t T, n int) *Vec {
	v := &Vec{T: t}
	switch t.Phys() {
	case PhysInt:
		v.I = make([]int64, 0, n)
	case PhysFloat:
		v.F = make([]float64, 0, n)
	case PhysDecimal:
		v.D = make([]*apd.Decimal, 0, n)
	case PhysString:
		v.S = make([]string, 0, n)
	case PhysInterval:
		v.V = make([]IntervalValue, 0, n)
	}
	return v
}

// Len returns the number of values.
func (v *Vec) Len() int {
	switch v.T.Phys() {
	case PhysInt:
		return len(v.I)
	case PhysFloat:
		return len(v.F)
	case PhysDecimal:
		return len(v.D)
	case PhysString:
		return len(v.S)
	default:
		return len(v.V)
	}
}

// IsNull reports whether row i is NULL.
func (v *Vec) IsNull(i int) bool { return v.Nulls.Get(i) }

// Append appends d.
func (v *Vec) Append(d Datum) {
	i := v.Len()
	if d.Null {
		v.Nulls.Set(i)
		d = Datum{}
	}
	switch v.T.Phys() {
	case PhysInt:
		v.I = append(v.I, d.I)
	case PhysFloat:
		v.F = append(v.F, d.F)
	case PhysDecimal:
		v.D = append(v.D, d.D)
	case PhysString:
		v.S = append(v.S, d.S)
	default:
		v.V = append(v.V, d.V)
	}
}

// AppendNull appends NULL.
func (v *Vec) AppendNull() { v.Append(NullDatum) }

// Datum returns row i as a Datum.
func (v *Vec) Datum(i int) Datum {
	if v.Nulls.Get(i) {
		return NullDatum
	}
	switch v.T.Phys() {
	case PhysInt:
		return Datum{I: v.I[i]}
	case PhysFloat:
		return Datum{F: v.F[i]}
	case PhysDecimal:
		return Datum{D: v.D[i]}
	case PhysString:
		return Datum{S: v.S[i]}
	default:
		return Datum{V: v.V[i]}
	}
}

// AppendFrom appends row i of src, which must have the same Phys.
func (v *Vec) AppendFrom(src *Vec, i int) { v.Append(src.Datum(i)) }

// Gather returns a new vector holding the rows of v at idx, in that order.
func (v *Vec) Gather(idx []int) *Vec {
	out := NewVec(v.T, len(idx))
	hasNulls := v.Nulls.Any()
	for j, i := range idx {
		if hasNulls && v.Nulls.Get(i) {
			out.Nulls.Set(j)
		}
		switch v.T.Phys() {
		case PhysInt:
			out.I = append(out.I, v.I[i])
		case PhysFloat:
			out.F = append(out.F, v.F[i])
		case PhysDecimal:
			out.D = append(out.D, v.D[i])
		case PhysString:
			out.S = append(out.S, v.S[i])
		default:
			out.V = append(out.V, v.V[i])
		}
	}
	return out
}

// ConstVec returns a vector of n copies of d.
func ConstVec(t T, d Datum, n int) *Vec {
	v := NewVec(t, n)
	for range n {
		v.Append(d)
	}
	return v
}

// Op is the change kind of a row in a Chunk.
type Op int8

const (
	// Insert adds the row.
	Insert Op = 1
	// Delete retracts a row previously inserted.
	Delete Op = -1
)

// Chunk is a columnar batch of rows. Ops, when non-nil, holds the change kind
// of each row; a nil Ops means every row is an Insert (as in ad-hoc queries
// and append-only streams). N is the row count, kept apart from the columns
// so a chunk of zero columns (SELECT count(*) ...) still has rows.
//
// A Chunk handed to another operator is owned by it and must not be changed
// by the sender afterwards.
type Chunk struct {
	Cols []*Vec
	Ops  []Op
	N    int
}

// NewChunk returns an empty chunk with one vector per type.
func NewChunk(ts []T, capacity int) *Chunk {
	c := &Chunk{Cols: make([]*Vec, len(ts))}
	for i, t := range ts {
		c.Cols[i] = NewVec(t, capacity)
	}
	return c
}

// Types returns the column types.
func (c *Chunk) Types() []T {
	ts := make([]T, len(c.Cols))
	for i, v := range c.Cols {
		ts[i] = v.T
	}
	return ts
}

// AppendRow appends one row of datums (len(row) == len(c.Cols)) as an insert.
func (c *Chunk) AppendRow(row []Datum) {
	for i, d := range row {
		c.Cols[i].Append(d)
	}
	if c.Ops != nil {
		c.Ops = append(c.Ops, Insert)
	}
	c.N++
}

// Row returns row i as datums.
func (c *Chunk) Row(i int) []Datum {
	row := make([]Datum, len(c.Cols))
	for j, v := range c.Cols {
		row[j] = v.Datum(i)
	}
	return row
}

// Op returns the change kind of row i.
func (c *Chunk) Op(i int) Op {
	if c.Ops == nil {
		return Insert
	}
	return c.Ops[i]
}

// Gather returns a new chunk holding the rows at idx, in that order.
func (c *Chunk) Gather(idx []int) *Chunk {
	out := &Chunk{Cols: make([]*Vec, len(c.Cols)), N: len(idx)}
	for i, v := range c.Cols {
		out.Cols[i] = v.Gather(idx)
	}
	if c.Ops != nil {
		out.Ops = make([]Op, len(idx))
		for j, i := range idx {
			out.Ops[j] = c.Ops[i]
		}
	}
	return out
}
