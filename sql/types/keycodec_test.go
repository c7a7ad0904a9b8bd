package types

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/stretchr/testify/require"
)

// randDatum returns a random value of t (NULL one time in ten), biased
// towards edge cases.
func randDatum(rng *rand.Rand, t T) Datum {
	if rng.IntN(10) == 0 {
		return NullDatum
	}
	switch t.Phys() {
	case PhysInt:
		switch t.ID {
		case Bool:
			return DBool(rng.IntN(2) == 0)
		case Int2:
			return DInt(int64(int16(rng.Uint32())))
		case Oid:
			return DInt(int64(rng.Uint32()))
		case Int4, Date:
			return DInt(int64(int32(rng.Uint32())) / 1000)
		}
		edges := []int64{0, 1, -1, math.MaxInt64, math.MinInt64}
		if rng.IntN(4) == 0 {
			return DInt(edges[rng.IntN(len(edges))])
		}
		return DInt(int64(rng.Uint64()) >> rng.IntN(64))
	case PhysFloat:
		edges := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1e-300, -1e300}
		if rng.IntN(4) == 0 {
			return DFloat(edges[rng.IntN(len(edges))])
		}
		return DFloat(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20)))
	case PhysDecimal:
		switch rng.IntN(12) {
		case 0:
			return DDecimal(&apd.Decimal{Form: apd.NaN})
		case 1:
			return DDecimal(&apd.Decimal{Form: apd.Infinite, Negative: rng.IntN(2) == 0})
		}
		d := apd.New(rng.Int64N(2000000)-1000000, int32(rng.IntN(12)-6))
		return DDecimal(d)
	case PhysString:
		if t.ID == TextArray {
			n := rng.IntN(4)
			elems, nulls := make([]string, n), make([]bool, n)
			for i := range elems {
				elems[i] = randDatum(rng, TText).S
				nulls[i] = rng.IntN(5) == 0
			}
			return DString(EncodeTextArray(elems, nulls))
		}
		n := rng.IntN(6)
		b := make([]byte, n)
		for i := range b {
			b[i] = []byte{0, 1, 'a', 'b', 0xff, 'z'}[rng.IntN(6)]
		}
		return DString(string(b))
	default:
		return DInterval(IntervalValue{Months: int32(rng.IntN(30) - 15), Days: int32(rng.IntN(60) - 30), Micros: rng.Int64N(4*MicrosPerDay) - 2*MicrosPerDay})
	}
}

var keyTypes = []T{TBool, TInt2, TInt4, TInt8, TFloat8, TNumeric, TText, TBytea, TTimestamp, TDate, TInterval, TTextArray}

// TestKeyOrderProperty: for random pairs, key byte order equals SQL order
// (NULL first), descending keys reverse it, and keys decode to equal values.
func TestKeyOrderProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for _, typ := range keyTypes {
		for range 2000 {
			a, b := randDatum(rng, typ), randDatum(rng, typ)
			ka, kb := AppendKey(nil, typ, a, false), AppendKey(nil, typ, b, false)
			want := CompareNullable(typ, a, b, true)
			require.Equal(t, want, bytes.Compare(ka, kb), "%s: %s vs %s", typ, FormatText(typ, a, nil), FormatText(typ, b, nil))
			da, db := AppendKey(nil, typ, a, true), AppendKey(nil, typ, b, true)
			require.Equal(t, -want, bytes.Compare(da, db), "desc %s", typ)
			// Self-delimiting: a key followed by more bytes decodes to the
			// same value and leaves the rest.
			got, rest, err := DecodeKey(append(ka, 0xAB), typ)
			require.NoError(t, err)
			require.Equal(t, []byte{0xAB}, rest)
			require.Equal(t, 0, CompareNullable(typ, a, got, true), "%s roundtrip %s", typ, FormatText(typ, a, nil))
			// Vec.AppendKey agrees with AppendKey.
			v := NewVec(typ, 1)
			v.Append(a)
			require.Equal(t, ka, v.AppendKey(nil, 0))
		}
	}
}

func TestKeyEqualValues(t *testing.T) {
	n1, _, _ := apd.NewFromString("1.0")
	n2, _, _ := apd.NewFromString("1.00")
	require.Equal(t, AppendKey(nil, TNumeric, DDecimal(n1), false), AppendKey(nil, TNumeric, DDecimal(n2), false))
	require.Equal(t, AppendKey(nil, TInterval, DInterval(IntervalValue{Months: 1}), false),
		AppendKey(nil, TInterval, DInterval(IntervalValue{Days: 30}), false))
	require.Equal(t, AppendKey(nil, TFloat8, DFloat(0), false), AppendKey(nil, TFloat8, DFloat(math.Copysign(0, -1)), false))
	// Tuple keys: concatenation orders like the tuple.
	k1 := AppendKey(AppendKey(nil, TText, DString("a"), false), TInt4, DInt(2), false)
	k2 := AppendKey(AppendKey(nil, TText, DString("a\x00"), false), TInt4, DInt(1), false)
	require.Negative(t, bytes.Compare(k1, k2))
}

func TestHashEqualValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, typ := range keyTypes {
		for range 1000 {
			a, b := randDatum(rng, typ), randDatum(rng, typ)
			if CompareNullable(typ, a, b, true) == 0 {
				require.Equal(t, HashDatum(typ, a), HashDatum(typ, b), "%s", typ)
			}
		}
	}
	n1, _, _ := apd.NewFromString("1.0")
	n2, _, _ := apd.NewFromString("1.00")
	require.Equal(t, HashDatum(TNumeric, DDecimal(n1)), HashDatum(TNumeric, DDecimal(n2)))
	require.Equal(t, HashDatum(TInt2, DInt(7)), HashDatum(TInt8, DInt(7)))
	require.NotEqual(t, HashDatum(TInt8, DInt(7)), HashDatum(TInt8, DInt(8)))
	// HashVec agrees with HashDatum and mixes NULLs in per column.
	v := NewVec(TInt4, 3)
	v.Append(DInt(1))
	v.AppendNull()
	v.Append(DInt(1))
	h := make([]uint64, 3)
	HashVec(v, h)
	require.Equal(t, h[0], h[2])
	require.NotEqual(t, h[0], h[1])
	require.Equal(t, Combine(0, HashDatum(TInt4, DInt(1))), h[0])
	require.Equal(t, Combine(0, HashDatum(TInt4, NullDatum)), h[1])
}

func TestCompareSemantics(t *testing.T) {
	require.Equal(t, 1, Compare(TFloat8, DFloat(math.NaN()), DFloat(math.Inf(1))))
	require.Equal(t, 0, Compare(TFloat8, DFloat(math.NaN()), DFloat(math.NaN())))
	require.Equal(t, 1, Compare(TText, DString("a "), DString("a")))
	require.Equal(t, 0, Compare(TInterval, DInterval(IntervalValue{Days: 1}), DInterval(IntervalValue{Micros: MicrosPerDay})))
	require.Equal(t, -1, CompareNullable(TInt4, NullDatum, DInt(1), true))
	require.Equal(t, 1, CompareNullable(TInt4, NullDatum, DInt(1), false))
}

// TestBinaryRoundTrip checks every type's binary form decodes to an equal
// value, and a few exact PostgreSQL encodings.
func TestBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, typ := range []T{TBool, TInt2, TInt4, TInt8, TFloat8, TNumeric, TText, TBytea, TTimestamp, TTimestampTZ, TDate, TInterval, TTextArray, TOid, TName, TChar} {
		for range 500 {
			d := randDatum(rng, typ)
			if d.Null {
				continue
			}
			if typ.ID == Char && len(d.S) > 1 {
				d.S = d.S[:1]
			}
			b, err := AppendBinary(nil, typ, d)
			require.NoError(t, err)
			got, err := ParseBinary(typ, b)
			require.NoError(t, err, "%s %x", typ, b)
			require.Equal(t, 0, Compare(typ, d, got), "%s: %s vs %s", typ, FormatText(typ, d, nil), FormatText(typ, got, nil))
			if typ.ID == Numeric {
				// The scale survives too.
				require.Equal(t, FormatText(typ, d, nil), FormatText(typ, got, nil))
			}
		}
	}
	hexOf := func(typ T, text string) string {
		d, err := ParseText(typ, text, nil)
		require.NoError(t, err)
		b, err := AppendBinary(nil, typ, d)
		require.NoError(t, err)
		return strconv.Quote(string(b))
	}
	// numeric 1234.5670: ndigits 2, weight 0, sign +, dscale 4, digits 1234 5670.
	require.Equal(t, strconv.Quote("\x00\x02\x00\x00\x00\x00\x00\x04\x04\xd2\x16\x26"), hexOf(TNumeric, "1234.5670"))
	// numeric -0.01: ndigits 1, weight -1, sign -, dscale 2, digit 100.
	require.Equal(t, strconv.Quote("\x00\x01\xff\xff\x40\x00\x00\x02\x00\x64"), hexOf(TNumeric, "-0.01"))
	// date 2000-01-02 is day 1.
	require.Equal(t, strconv.Quote("\x00\x00\x00\x01"), hexOf(TDate, "2000-01-02"))
	// timestamp 2000-01-01 00:00:01 is 1e6 µs.
	require.Equal(t, strconv.Quote("\x00\x00\x00\x00\x00\x0f\x42\x40"), hexOf(TTimestamp, "2000-01-01 00:00:01"))
	// interval 1 mon 2 days 00:00:03.
	require.Equal(t, strconv.Quote("\x00\x00\x00\x00\x00\x2d\xc6\xc0\x00\x00\x00\x02\x00\x00\x00\x01"), hexOf(TInterval, "1 mon 2 days 3 seconds"))
	_, err := ParseBinary(TInt4, []byte{1, 2})
	require.Error(t, err)
}
