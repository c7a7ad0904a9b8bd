package types

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Key encoding: an order-preserving, self-delimiting byte form of one value,
// the basis of group keys, join keys and state keys. For two values a, b of
// type t, bytes.Compare(AppendKey(nil, t, a, false), AppendKey(nil, t, b,
// false)) == CompareNullable(t, a, b, true): NULL sorts first. Keys of several
// columns are concatenated; each is self-delimiting, so the concatenation
// orders like the tuple.
//
// Equal values have identical keys, which makes keys usable for grouping.
// The price is that DecodeKey returns the canonical member of each equality
// class: numeric loses trailing zeros (1.50 decodes as 1.5), intervals come
// back with months folded into 30-day days and time beyond 24 hours folded
// into days ('1 mon' decodes as '30 days'), and float -0 decodes as 0. Callers
// that must show the original value keep it next to the key.
//
// With desc set every byte of the value's encoding (marker included) is
// complemented, so the key orders in reverse and NULL sorts last.
//
// Layout, after a marker byte (0x00 NULL, 0x01 value):
//
//	PhysInt      8 bytes big-endian with the sign bit flipped
//	PhysFloat    8 bytes: IEEE bits, sign bit flipped for positives and all
//	             bits flipped for negatives; NaN canonical and greatest
//	PhysDecimal  class byte (-Inf, negative, zero, positive, +Inf, NaN), then
//	             for non-zero finite values a 4-byte exponent and one byte per
//	             decimal digit terminated by 0x00, all complemented when negative
//	PhysString   bytes with 0x00 escaped as 0x00 0xff, terminated by 0x00 0x01
//	PhysInterval span as whole days then microseconds (see IntervalSpan),
//	             8 bytes each like PhysInt
//
// The layout is part of the persisted state format: changing it requires a
// state format version bump.

const (
	keyNull  = 0x00
	keyValue = 0x01
)

const (
	decNegInf = 0x01
	decNeg    = 0x02
	decZero   = 0x03
	decPos    = 0x04
	decPosInf = 0x05
	decNaN    = 0x06
)

// AppendKey appends the key encoding of d (a value of type t) to buf.
func AppendKey(buf []byte, t T, d Datum, desc bool) []byte {
	start := len(buf)
	if d.Null {
		buf = append(buf, keyNull)
	} else {
		buf = append(buf, keyValue)
		switch t.Phys() {
		case PhysInt:
			buf = appendKeyInt(buf, d.I)
		case PhysFloat:
			buf = appendKeyFloat(buf, d.F)
		case PhysDecimal:
			buf = appendKeyDecimal(buf, d.D)
		case PhysString:
			buf = appendEscaped(buf, d.S)
		default:
			days, micros := IntervalSpan(d.V)
			buf = appendKeyInt(buf, days)
			buf = appendKeyInt(buf, micros)
		}
	}
	if desc {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}

// AppendKey appends the ascending key encoding of row i to buf.
func (v *Vec) AppendKey(buf []byte, i int) []byte {
	if v.Nulls.Get(i) {
		return append(buf, keyNull)
	}
	switch v.T.Phys() {
	case PhysInt:
		return appendKeyInt(append(buf, keyValue), v.I[i])
	case PhysString:
		return appendEscaped(append(buf, keyValue), v.S[i])
	}
	return AppendKey(buf, v.T, v.Datum(i), false)
}

func appendKeyInt(buf []byte, i int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(i)^(1<<63))
}

func appendKeyFloat(buf []byte, f float64) []byte {
	if f == 0 {
		f = 0
	}
	b := math.Float64bits(f)
	if math.IsNaN(f) {
		b = 0x7ff8000000000000
	}
	if b&(1<<63) != 0 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(buf, b)
}

func appendKeyDecimal(buf []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, decNaN)
	case apd.Infinite:
		if d.Negative {
			return append(buf, decNegInf)
		}
		return append(buf, decPosInf)
	}
	if d.IsZero() {
		return append(buf, decZero)
	}
	digits := d.Coeff.String()
	exp := int64(d.Exponent)
	trimmed := strings.TrimRight(digits, "0")
	exp += int64(len(digits) - len(trimmed))
	// value = 0.<trimmed> * 10^e
	e := exp + int64(len(trimmed))
	neg := d.Negative
	if neg {
		buf = append(buf, decNeg)
	} else {
		buf = append(buf, decPos)
	}
	start := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, uint32(int32(e))^(1<<31))
	for i := 0; i < len(trimmed); i++ {
		buf = append(buf, trimmed[i]-'0'+1)
	}
	buf = append(buf, 0)
	if neg {
		for i := start; i < len(buf); i++ {
			buf[i] = ^buf[i]
		}
	}
	return buf
}

// DecodeKey decodes one ascending key of type t from the start of buf and
// returns it with the rest of buf. See the package comment on keys for the
// canonical forms it returns.
func DecodeKey(buf []byte, t T) (Datum, []byte, error) {
	if len(buf) == 0 {
		return Datum{}, nil, fmt.Errorf("decode key of type %s: empty", t)
	}
	switch buf[0] {
	case keyNull:
		return NullDatum, buf[1:], nil
	case keyValue:
	default:
		return Datum{}, nil, fmt.Errorf("decode key of type %s: bad marker %#x", t, buf[0])
	}
	buf = buf[1:]
	short := fmt.Errorf("decode key of type %s: truncated", t)
	switch t.Phys() {
	case PhysInt:
		if len(buf) < 8 {
			return Datum{}, nil, short
		}
		return DInt(int64(binary.BigEndian.Uint64(buf) ^ (1 << 63))), buf[8:], nil
	case PhysFloat:
		if len(buf) < 8 {
			return Datum{}, nil, short
		}
		b := binary.BigEndian.Uint64(buf)
		if b&(1<<63) != 0 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		return DFloat(math.Float64frombits(b)), buf[8:], nil
	case PhysDecimal:
		return decodeKeyDecimal(buf, t)
	case PhysString:
		s, rest, ok := cutEscaped(string(buf))
		if !ok {
			return Datum{}, nil, short
		}
		return DString(s), buf[len(buf)-len(rest):], nil
	default:
		if len(buf) < 16 {
			return Datum{}, nil, short
		}
		days := int64(binary.BigEndian.Uint64(buf) ^ (1 << 63))
		micros := int64(binary.BigEndian.Uint64(buf[8:]) ^ (1 << 63))
		if days > math.MaxInt32 || days < math.MinInt32 {
			return Datum{}, nil, fmt.Errorf("decode key of type %s: interval out of range", t)
		}
		return DInterval(IntervalValue{Days: int32(days), Micros: micros}), buf[16:], nil
	}
}

func decodeKeyDecimal(buf []byte, t T) (Datum, []byte, error) {
	if len(buf) == 0 {
		return Datum{}, nil, fmt.Errorf("decode key of type %s: truncated", t)
	}
	class := buf[0]
	buf = buf[1:]
	switch class {
	case decNaN:
		return DDecimal(&apd.Decimal{Form: apd.NaN}), buf, nil
	case decNegInf:
		return DDecimal(&apd.Decimal{Form: apd.Infinite, Negative: true}), buf, nil
	case decPosInf:
		return DDecimal(&apd.Decimal{Form: apd.Infinite}), buf, nil
	case decZero:
		return DDecimal(apd.New(0, 0)), buf, nil
	case decPos, decNeg:
	default:
		return Datum{}, nil, fmt.Errorf("decode key of type %s: bad class %#x", t, class)
	}
	neg := class == decNeg
	get := func(i int) byte {
		if neg {
			return ^buf[i]
		}
		return buf[i]
	}
	if len(buf) < 5 {
		return Datum{}, nil, fmt.Errorf("decode key of type %s: truncated", t)
	}
	e := int32(uint32(get(0))<<24|uint32(get(1))<<16|uint32(get(2))<<8|uint32(get(3))) ^ math.MinInt32
	var digits []byte
	i := 4
	for ; ; i++ {
		if i >= len(buf) {
			return Datum{}, nil, fmt.Errorf("decode key of type %s: truncated", t)
		}
		c := get(i)
		if c == 0 {
			break
		}
		digits = append(digits, c-1+'0')
	}
	d, _, err := apd.NewFromString(string(digits))
	if err != nil {
		return Datum{}, nil, fmt.Errorf("decode key of type %s: %w", t, err)
	}
	d.Exponent = e - int32(len(digits))
	d.Negative = neg
	return DDecimal(d), buf[i+1:], nil
}
