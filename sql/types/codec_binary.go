package types

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
)

// Binary codec: PostgreSQL's send/receive formats, as used by the extended
// protocol when a client asks for format code 1. Integers are big-endian;
// dates are int32 days and timestamps int64 microseconds since 2000-01-01;
// intervals are (int64 microseconds, int32 days, int32 months); numeric is
// PostgreSQL's base-10000 form; arrays use the array_send layout; jsonb is a
// version byte 1 followed by the text.

const (
	pgEpochDays   = 10957           // 2000-01-01 - 1970-01-01 in days
	pgEpochMicros = 946684800000000 // the same in microseconds
)

// AppendBinary appends the binary send form of d (a non-NULL value of type
// t) to buf, without the length prefix.
func AppendBinary(buf []byte, t T, d Datum) ([]byte, error) {
	switch t.ID {
	case Bool:
		if d.I != 0 {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case Int2:
		return binary.BigEndian.AppendUint16(buf, uint16(d.I)), nil
	case Int4:
		return binary.BigEndian.AppendUint32(buf, uint32(d.I)), nil
	case Int8:
		return binary.BigEndian.AppendUint64(buf, uint64(d.I)), nil
	case Oid, RegClass, RegType, RegProc, RegNamespace:
		return binary.BigEndian.AppendUint32(buf, uint32(d.I)), nil
	case Float4:
		return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(d.F))), nil
	case Float8:
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(d.F)), nil
	case Numeric:
		return appendNumericBinary(buf, d.D), nil
	case Text, Varchar, Name, Char, Bytea, Unknown:
		return append(buf, d.S...), nil
	case JSONB:
		return append(append(buf, 1), d.S...), nil
	case Date:
		v := d.I
		switch v {
		case DateInfinity, DateNegInfinity:
		default:
			v -= pgEpochDays
		}
		return binary.BigEndian.AppendUint32(buf, uint32(int32(v))), nil
	case Timestamp, TimestampTZ:
		v := d.I
		switch v {
		case TimestampInfinity, TimestampNegInfinity:
		default:
			v -= pgEpochMicros
		}
		return binary.BigEndian.AppendUint64(buf, uint64(v)), nil
	case Interval:
		buf = binary.BigEndian.AppendUint64(buf, uint64(d.V.Micros))
		buf = binary.BigEndian.AppendUint32(buf, uint32(d.V.Days))
		return binary.BigEndian.AppendUint32(buf, uint32(d.V.Months)), nil
	case TextArray:
		elems, nulls, err := DecodeTextArray(d.S)
		if err != nil {
			return nil, err
		}
		return appendArrayBinary(buf, 25, elems, nulls, func(b []byte, e string) []byte { return append(b, e...) }), nil
	case Int2Array, Int4Array, Int8Array, OidArray, CharArray, NameArray:
		return appendArrayBinaryOf(buf, t, d.S)
	case Int2Vector, OidVector:
		elemOid, size := uint32(21), 2
		if t.ID == OidVector {
			elemOid, size = 26, 4
		}
		elems := strings.Fields(d.S)
		return appendArrayBinary(buf, elemOid, elems, nil, func(b []byte, e string) []byte {
			n, _ := strconv.ParseInt(e, 10, 64)
			if size == 2 {
				return binary.BigEndian.AppendUint16(b, uint16(n))
			}
			return binary.BigEndian.AppendUint32(b, uint32(n))
		}), nil
	}
	return nil, pgerror.NotSupported("binary output for type %s is not supported", t)
}

func appendArrayBinary(buf []byte, elemOid uint32, elems []string, nulls []bool, enc func([]byte, string) []byte) []byte {
	if len(elems) == 0 {
		buf = binary.BigEndian.AppendUint32(buf, 0)
		buf = binary.BigEndian.AppendUint32(buf, 0)
		return binary.BigEndian.AppendUint32(buf, elemOid)
	}
	hasNull := uint32(0)
	for _, n := range nulls {
		if n {
			hasNull = 1
		}
	}
	buf = binary.BigEndian.AppendUint32(buf, 1)
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elemOid)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(elems)))
	buf = binary.BigEndian.AppendUint32(buf, 1)
	for i, e := range elems {
		if nulls != nil && nulls[i] {
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		buf = enc(buf, e)
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf
}

const (
	numPos    = 0x0000
	numNeg    = 0x4000
	numNaN    = 0xC000
	numPInf   = 0xD000
	numNInf   = 0xF000
	numMaxDig = 1000
)

func appendNumericBinary(buf []byte, d *apd.Decimal) []byte {
	header := func(ndig, weight int16, sign, dscale uint16) []byte {
		buf = binary.BigEndian.AppendUint16(buf, uint16(ndig))
		buf = binary.BigEndian.AppendUint16(buf, uint16(weight))
		buf = binary.BigEndian.AppendUint16(buf, sign)
		return binary.BigEndian.AppendUint16(buf, dscale)
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return header(0, 0, numNaN, 0)
	case apd.Infinite:
		if d.Negative {
			return header(0, 0, numNInf, 0)
		}
		return header(0, 0, numPInf, 0)
	}
	digits := d.Coeff.String()
	var intPart, frac string
	dscale := 0
	if d.Exponent >= 0 {
		intPart = digits + strings.Repeat("0", int(d.Exponent))
	} else {
		dscale = int(-d.Exponent)
		if len(digits) <= dscale {
			digits = strings.Repeat("0", dscale-len(digits)+1) + digits
		}
		intPart, frac = digits[:len(digits)-dscale], digits[len(digits)-dscale:]
	}
	if pad := (4 - len(intPart)%4) % 4; pad > 0 {
		intPart = strings.Repeat("0", pad) + intPart
	}
	if pad := (4 - len(frac)%4) % 4; pad > 0 {
		frac += strings.Repeat("0", pad)
	}
	all := intPart + frac
	groups := make([]int16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		n, _ := strconv.Atoi(all[i : i+4])
		groups = append(groups, int16(n))
	}
	weight := len(intPart)/4 - 1
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	sign := uint16(numPos)
	if d.Negative && len(groups) > 0 {
		sign = numNeg
	}
	if len(groups) == 0 {
		weight = 0
	}
	buf = header(int16(len(groups)), int16(weight), sign, uint16(dscale))
	for _, g := range groups {
		buf = binary.BigEndian.AppendUint16(buf, uint16(g))
	}
	return buf
}

func badBinary(t T) *pgerror.Error {
	return pgerror.New(pgerror.CodeInvalidBinaryRepresentation, "incorrect binary data format for type %s", t)
}

// ParseBinary decodes the binary receive form of a value of type t. Errors
// are 22P03.
func ParseBinary(t T, b []byte) (Datum, error) {
	need := func(n int) error {
		if len(b) != n {
			return badBinary(t)
		}
		return nil
	}
	switch t.ID {
	case Bool:
		if err := need(1); err != nil {
			return Datum{}, err
		}
		return DBool(b[0] != 0), nil
	case Int2:
		if err := need(2); err != nil {
			return Datum{}, err
		}
		return DInt(int64(int16(binary.BigEndian.Uint16(b)))), nil
	case Int4:
		if err := need(4); err != nil {
			return Datum{}, err
		}
		return DInt(int64(int32(binary.BigEndian.Uint32(b)))), nil
	case Int8:
		if err := need(8); err != nil {
			return Datum{}, err
		}
		return DInt(int64(binary.BigEndian.Uint64(b))), nil
	case Oid, RegClass, RegType, RegProc, RegNamespace:
		if err := need(4); err != nil {
			return Datum{}, err
		}
		return DInt(int64(binary.BigEndian.Uint32(b))), nil
	case Float4:
		if err := need(4); err != nil {
			return Datum{}, err
		}
		return DFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(b)))), nil
	case Float8:
		if err := need(8); err != nil {
			return Datum{}, err
		}
		return DFloat(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
	case Numeric:
		d, err := parseNumericBinary(b)
		if err != nil {
			return Datum{}, err
		}
		return DDecimal(d), nil
	case Text, Varchar, Name, Bytea, Unknown:
		return DString(string(b)), nil
	case Char:
		if len(b) > 1 {
			b = b[:1]
		}
		return DString(string(b)), nil
	case JSONB:
		if len(b) == 0 || b[0] != 1 {
			return Datum{}, pgerror.New(pgerror.CodeInvalidBinaryRepresentation, "unsupported jsonb version number")
		}
		j, err := NormalizeJSON(string(b[1:]))
		if err != nil {
			return Datum{}, err
		}
		return DString(j), nil
	case Date:
		if err := need(4); err != nil {
			return Datum{}, err
		}
		v := int64(int32(binary.BigEndian.Uint32(b)))
		if v != DateInfinity && v != DateNegInfinity {
			v += pgEpochDays
		}
		return DInt(v), nil
	case Timestamp, TimestampTZ:
		if err := need(8); err != nil {
			return Datum{}, err
		}
		v := int64(binary.BigEndian.Uint64(b))
		if v != TimestampInfinity && v != TimestampNegInfinity {
			v += pgEpochMicros
		}
		return DInt(v), nil
	case Interval:
		if err := need(16); err != nil {
			return Datum{}, err
		}
		return DInterval(IntervalValue{
			Micros: int64(binary.BigEndian.Uint64(b)),
			Days:   int32(binary.BigEndian.Uint32(b[8:])),
			Months: int32(binary.BigEndian.Uint32(b[12:])),
		}), nil
	case TextArray:
		elems, nulls, err := parseArrayBinary(t, b, func(e []byte) (string, error) { return string(e), nil })
		if err != nil {
			return Datum{}, err
		}
		return DString(EncodeTextArray(elems, nulls)), nil
	case Int2Array, Int4Array, Int8Array, OidArray, CharArray, NameArray:
		return parseArrayBinaryOf(t, b)
	case Int2Vector, OidVector:
		elems, nulls, err := parseArrayBinary(t, b, func(e []byte) (string, error) {
			switch len(e) {
			case 2:
				return strconv.Itoa(int(int16(binary.BigEndian.Uint16(e)))), nil
			case 4:
				if t.ID == OidVector {
					return strconv.FormatUint(uint64(binary.BigEndian.Uint32(e)), 10), nil
				}
				return strconv.Itoa(int(int32(binary.BigEndian.Uint32(e)))), nil
			}
			return "", badBinary(t)
		})
		if err != nil {
			return Datum{}, err
		}
		if nulls != nil {
			return Datum{}, badBinary(t)
		}
		return DString(strings.Join(elems, " ")), nil
	}
	return Datum{}, pgerror.NotSupported("binary input for type %s is not supported", t)
}

func parseArrayBinary(t T, b []byte, dec func([]byte) (string, error)) ([]string, []bool, error) {
	if len(b) < 12 {
		return nil, nil, badBinary(t)
	}
	ndim := binary.BigEndian.Uint32(b)
	b = b[12:]
	if ndim == 0 {
		return nil, nil, nil
	}
	if ndim != 1 || len(b) < 8 {
		return nil, nil, pgerror.NotSupported("multi-dimensional arrays are not supported")
	}
	n := int(binary.BigEndian.Uint32(b))
	b = b[8:]
	if n < 0 || n > len(b)/4 {
		return nil, nil, badBinary(t)
	}
	elems := make([]string, n)
	var nulls []bool
	for i := range n {
		if len(b) < 4 {
			return nil, nil, badBinary(t)
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l < 0 {
			if nulls == nil {
				nulls = make([]bool, n)
			}
			nulls[i] = true
			continue
		}
		if int(l) > len(b) {
			return nil, nil, badBinary(t)
		}
		e, err := dec(b[:l])
		if err != nil {
			return nil, nil, err
		}
		elems[i] = e
		b = b[l:]
	}
	if len(b) != 0 {
		return nil, nil, badBinary(t)
	}
	return elems, nulls, nil
}

func parseNumericBinary(b []byte) (*apd.Decimal, error) {
	if len(b) < 8 {
		return nil, badBinary(TNumeric)
	}
	ndig := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	b = b[8:]
	switch sign {
	case numNaN:
		return &apd.Decimal{Form: apd.NaN}, nil
	case numPInf:
		return &apd.Decimal{Form: apd.Infinite}, nil
	case numNInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	case numPos, numNeg:
	default:
		return nil, badBinary(TNumeric)
	}
	if ndig < 0 || len(b) != 2*ndig || dscale > 0x3fff {
		return nil, badBinary(TNumeric)
	}
	var sb strings.Builder
	sb.WriteByte('0')
	for i := range ndig {
		g := binary.BigEndian.Uint16(b[2*i:])
		if g >= 10000 {
			return nil, badBinary(TNumeric)
		}
		s := strconv.Itoa(int(g))
		sb.WriteString(strings.Repeat("0", 4-len(s)))
		sb.WriteString(s)
	}
	exp := (weight - ndig + 1) * 4
	d, _, err := apd.NewFromString(sb.String() + "E" + strconv.Itoa(exp))
	if err != nil {
		return nil, badBinary(TNumeric)
	}
	// Express the value with exactly dscale fractional digits.
	ctx := apd.BaseContext.WithPrecision(uint32(max(len(sb.String())+dscale+weight*4+8, 16)))
	ctx.Rounding = apd.RoundHalfUp
	if _, err := ctx.Quantize(d, d, int32(-dscale)); err != nil {
		return nil, badBinary(TNumeric)
	}
	d.Negative = sign == numNeg && !d.IsZero()
	return d, nil
}
