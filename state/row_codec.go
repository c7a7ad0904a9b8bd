package state

import (
	"encoding/binary"
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Row encoding (the payload of a KindRow value: table log records and
// materialized view rows). It is compact and self-delimiting; the column
// types are not stored, the reader supplies them (the catalog knows them).
//
//	uvarint      n, the number of columns written
//	ceil(n/8)    null bitmap: bit i%8 of byte i/8 set means column i is NULL
//	then, for each non-NULL column in order, by the column type's Phys:
//	  PhysInt      zigzag varint (bool 0/1, integers, oid, date days,
//	               timestamp microseconds)
//	  PhysFloat    8 bytes: big-endian IEEE-754 float64 bits (float4 values
//	               are held as float64 and round-trip exactly)
//	  PhysDecimal  1 byte flags (low 2 bits apd.Form, bit 2 negative),
//	               zigzag varint exponent, uvarint length, then the
//	               coefficient's magnitude as big-endian bytes
//	  PhysString   uvarint length, then the bytes
//	  PhysInterval zigzag varints months, days, microseconds
//
// A reader given more column types than the record holds decodes the missing
// trailing columns as NULL (a column added after the row was written); a
// record with more columns than the reader expects is an error.

// EncodeRow appends the encoding of row (whose values have types ts) to buf
// and returns the extended buffer. len(row) must equal len(ts).
func EncodeRow(buf []byte, ts []types.T, row []types.Datum) []byte {
	n := len(row)
	buf = binary.AppendUvarint(buf, uint64(n))
	bm := len(buf)
	for range (n + 7) / 8 {
		buf = append(buf, 0)
	}
	for i, d := range row {
		if d.Null {
			buf[bm+i/8] |= 1 << (i % 8)
			continue
		}
		buf = appendDatum(buf, ts[i].Phys(), d)
	}
	return buf
}

// EncodeChunkRow appends the encoding of row i of c to buf, reading the
// vectors directly (no Datum per column for the common types).
func EncodeChunkRow(buf []byte, c *types.Chunk, i int) []byte {
	n := len(c.Cols)
	buf = binary.AppendUvarint(buf, uint64(n))
	bm := len(buf)
	for range (n + 7) / 8 {
		buf = append(buf, 0)
	}
	for j, v := range c.Cols {
		if v.Nulls.Get(i) {
			buf[bm+j/8] |= 1 << (j % 8)
			continue
		}
		switch v.T.Phys() {
		case types.PhysInt:
			buf = binary.AppendVarint(buf, v.I[i])
		case types.PhysString:
			buf = binary.AppendUvarint(buf, uint64(len(v.S[i])))
			buf = append(buf, v.S[i]...)
		default:
			buf = appendDatum(buf, v.T.Phys(), v.Datum(i))
		}
	}
	return buf
}

func appendDatum(buf []byte, p types.Phys, d types.Datum) []byte {
	switch p {
	case types.PhysInt:
		return binary.AppendVarint(buf, d.I)
	case types.PhysFloat:
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(d.F))
	case types.PhysDecimal:
		dec := d.D
		if dec == nil {
			dec = &apd.Decimal{}
		}
		flags := byte(dec.Form) & 3
		if dec.Negative {
			flags |= 4
		}
		buf = append(buf, flags)
		buf = binary.AppendVarint(buf, int64(dec.Exponent))
		mag := dec.Coeff.Bytes()
		buf = binary.AppendUvarint(buf, uint64(len(mag)))
		return append(buf, mag...)
	case types.PhysString:
		buf = binary.AppendUvarint(buf, uint64(len(d.S)))
		return append(buf, d.S...)
	default:
		buf = binary.AppendVarint(buf, int64(d.V.Months))
		buf = binary.AppendVarint(buf, int64(d.V.Days))
		return binary.AppendVarint(buf, d.V.Micros)
	}
}

func errCorruptRow(format string, args ...any) error {
	return pgerror.New(pgerror.CodeDataCorrupted, "corrupt stored row: "+format, args...)
}

// rowDecoder walks one encoded row.
type rowDecoder struct {
	data []byte
	n    int    // columns in the record
	nb   []byte // null bitmap
}

func newRowDecoder(data []byte, want int) (rowDecoder, error) {
	n, k := binary.Uvarint(data)
	if k <= 0 {
		return rowDecoder{}, errCorruptRow("bad column count")
	}
	if n > uint64(want) {
		return rowDecoder{}, errCorruptRow("record has %d columns, relation has %d", n, want)
	}
	data = data[k:]
	nbLen := (int(n) + 7) / 8
	if len(data) < nbLen {
		return rowDecoder{}, errCorruptRow("truncated null bitmap")
	}
	return rowDecoder{data: data[nbLen:], n: int(n), nb: data[:nbLen]}, nil
}

func (r *rowDecoder) isNull(i int) bool { return i >= r.n || r.nb[i/8]&(1<<(i%8)) != 0 }

func (r *rowDecoder) varint() (int64, error) {
	v, k := binary.Varint(r.data)
	if k <= 0 {
		return 0, errCorruptRow("bad varint")
	}
	r.data = r.data[k:]
	return v, nil
}

func (r *rowDecoder) bytes() ([]byte, error) {
	l, k := binary.Uvarint(r.data)
	if k <= 0 || uint64(len(r.data)-k) < l {
		return nil, errCorruptRow("bad length")
	}
	b := r.data[k : k+int(l)]
	r.data = r.data[k+int(l):]
	return b, nil
}

// decimalSlab hands out decimals carved from shared allocations, so that
// decoding a chunk allocates one block per decimalSlabSize numerics rather
// than one per value. A decimal handed out keeps its block alive; the
// zero value is ready to use.
type decimalSlab []apd.Decimal

const decimalSlabSize = 256

func (s *decimalSlab) next() *apd.Decimal {
	if s == nil {
		return new(apd.Decimal)
	}
	if len(*s) == cap(*s) {
		*s = make([]apd.Decimal, 0, decimalSlabSize)
	}
	*s = (*s)[:len(*s)+1]
	return &(*s)[len(*s)-1]
}

func (r *rowDecoder) datum(p types.Phys) (types.Datum, error) {
	return r.datumSlab(p, nil)
}

// datumSlab is datum with numerics allocated from slab (nil: one each).
func (r *rowDecoder) datumSlab(p types.Phys, slab *decimalSlab) (types.Datum, error) {
	switch p {
	case types.PhysInt:
		v, err := r.varint()
		return types.Datum{I: v}, err
	case types.PhysFloat:
		if len(r.data) < 8 {
			return types.Datum{}, errCorruptRow("truncated float")
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(r.data))
		r.data = r.data[8:]
		return types.Datum{F: f}, nil
	case types.PhysDecimal:
		if len(r.data) < 1 {
			return types.Datum{}, errCorruptRow("truncated numeric")
		}
		flags := r.data[0]
		r.data = r.data[1:]
		exp, err := r.varint()
		if err != nil {
			return types.Datum{}, err
		}
		mag, err := r.bytes()
		if err != nil {
			return types.Datum{}, err
		}
		d := slab.next()
		d.Form, d.Negative, d.Exponent = apd.Form(flags&3), flags&4 != 0, int32(exp)
		d.Coeff.SetBytes(mag)
		return types.Datum{D: d}, nil
	case types.PhysString:
		b, err := r.bytes()
		return types.Datum{S: string(b)}, err
	default:
		var v [3]int64
		for i := range v {
			x, err := r.varint()
			if err != nil {
				return types.Datum{}, err
			}
			v[i] = x
		}
		return types.Datum{V: types.IntervalValue{Months: int32(v[0]), Days: int32(v[1]), Micros: v[2]}}, nil
	}
}

// DecodeRow decodes a row encoded by EncodeRow with column types ts,
// appending one Datum per column to dst[:0] and returning it. The decoded
// strings do not alias data.
func DecodeRow(data []byte, ts []types.T, dst []types.Datum) ([]types.Datum, error) {
	r, err := newRowDecoder(data, len(ts))
	if err != nil {
		return nil, err
	}
	dst = dst[:0]
	for i, t := range ts {
		if r.isNull(i) {
			dst = append(dst, types.NullDatum)
			continue
		}
		d, err := r.datum(t.Phys())
		if err != nil {
			return nil, err
		}
		dst = append(dst, d)
	}
	if len(r.data) != 0 {
		return nil, errCorruptRow("%d trailing bytes", len(r.data))
	}
	return dst, nil
}

// DecodeRowInto decodes a row encoded by EncodeRow and appends it to c as an
// insert; c's column types are the row's types. On error c is unchanged only
// if the error is detected before any column is appended, so callers should
// discard c after an error.
func DecodeRowInto(data []byte, c *types.Chunk) error {
	return decodeRowInto(data, c, nil)
}

// decodeRowInto is DecodeRowInto with numerics allocated from slab (nil:
// one allocation each).
func decodeRowInto(data []byte, c *types.Chunk, slab *decimalSlab) error {
	r, err := newRowDecoder(data, len(c.Cols))
	if err != nil {
		return err
	}
	for i, v := range c.Cols {
		if r.isNull(i) {
			v.AppendNull()
			continue
		}
		switch v.T.Phys() {
		case types.PhysInt:
			x, err := r.varint()
			if err != nil {
				return err
			}
			v.I = append(v.I, x)
		case types.PhysString:
			b, err := r.bytes()
			if err != nil {
				return err
			}
			v.S = append(v.S, string(b))
		case types.PhysFloat:
			if len(r.data) < 8 {
				return errCorruptRow("truncated float")
			}
			v.F = append(v.F, math.Float64frombits(binary.BigEndian.Uint64(r.data)))
			r.data = r.data[8:]
		default:
			d, err := r.datumSlab(v.T.Phys(), slab)
			if err != nil {
				return err
			}
			v.Append(d)
		}
	}
	if len(r.data) != 0 {
		return errCorruptRow("%d trailing bytes", len(r.data))
	}
	if c.Ops != nil {
		c.Ops = append(c.Ops, types.Insert)
	}
	c.N++
	return nil
}

// EncodeRowValue returns a complete stored value for a row: the KindRow
// header followed by EncodeRow.
func EncodeRowValue(buf []byte, ts []types.T, row []types.Datum) []byte {
	return EncodeRow(AppendHeader(buf, KindRow), ts, row)
}

// DecodeRowValue checks the header of a stored row value and appends the
// row to c (see DecodeRowInto).
func DecodeRowValue(v []byte, c *types.Chunk) error {
	return decodeRowValue(v, c, nil)
}

func decodeRowValue(v []byte, c *types.Chunk, slab *decimalSlab) error {
	payload, err := ParseHeader(v, KindRow)
	if err != nil {
		return err
	}
	return decodeRowInto(payload, c, slab)
}
