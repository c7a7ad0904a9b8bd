package state

import (
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/stretchr/testify/require"
	"github.com/weirdb/weir/sql/types"
)

func dec(t *testing.T, s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	require.NoError(t, err)
	return d
}

// requireDatumEqual compares datums of type typ by value (numerics by
// form, sign, coefficient and exponent: 1.50 and 1.5 differ).
func requireDatumEqual(t *testing.T, typ types.T, want, got types.Datum) {
	t.Helper()
	require.Equal(t, want.Null, got.Null)
	if want.Null {
		return
	}
	switch typ.Phys() {
	case types.PhysInt:
		require.Equal(t, want.I, got.I)
	case types.PhysFloat:
		if math.IsNaN(want.F) {
			require.True(t, math.IsNaN(got.F))
		} else {
			require.Equal(t, math.Float64bits(want.F), math.Float64bits(got.F))
		}
	case types.PhysDecimal:
		require.Equal(t, want.D.Form, got.D.Form)
		require.Equal(t, want.D.Negative, got.D.Negative)
		require.Equal(t, want.D.Exponent, got.D.Exponent)
		require.Equal(t, want.D.Coeff.String(), got.D.Coeff.String())
		require.Equal(t, want.D.String(), got.D.String())
	case types.PhysString:
		require.Equal(t, want.S, got.S)
	case types.PhysInterval:
		require.Equal(t, want.V, got.V)
	}
}

func TestRowCodecRoundTrip(t *testing.T) {
	huge := dec(t, "-123456789012345678901234567890.123456789012345678901")
	cases := []struct {
		typ  types.T
		vals []types.Datum
	}{
		{types.TBool, []types.Datum{types.DBool(true), types.DBool(false)}},
		{types.TInt2, []types.Datum{types.DInt(math.MinInt16), types.DInt(math.MaxInt16), types.DInt(0)}},
		{types.TInt4, []types.Datum{types.DInt(math.MinInt32), types.DInt(math.MaxInt32), types.DInt(-1)}},
		{types.TInt8, []types.Datum{types.DInt(math.MinInt64), types.DInt(math.MaxInt64), types.DInt(42)}},
		{types.TFloat4, []types.Datum{types.DFloat(float64(float32(3.14))), types.DFloat(math.Inf(-1))}},
		{types.TFloat8, []types.Datum{types.DFloat(math.Pi), types.DFloat(math.NaN()), types.DFloat(math.Copysign(0, -1)), types.DFloat(math.Inf(1))}},
		{types.TNumeric, []types.Datum{
			types.DDecimal(dec(t, "1.50")), types.DDecimal(dec(t, "0")), types.DDecimal(dec(t, "-0.000001")),
			types.DDecimal(dec(t, "1E+3")), types.DDecimal(huge), types.DDecimal(dec(t, "NaN")),
			types.DDecimal(dec(t, "Infinity")), types.DDecimal(dec(t, "-Infinity")),
		}},
		{types.WithNumericPrecScale(10, 2), []types.Datum{types.DDecimal(dec(t, "12345678.90"))}},
		{types.TText, []types.Datum{types.DString(""), types.DString("héllo, 世界"), types.DString("a\x00b")}},
		{types.WithVarcharLen(3), []types.Datum{types.DString("abc")}},
		{types.TTimestamp, []types.Datum{types.DInt(1767225601000000), types.DInt(-62135596800000000)}},
		{types.TTimestampTZ, []types.Datum{types.DInt(0), types.DInt(math.MaxInt64)}},
		{types.TDate, []types.Datum{types.DInt(20454), types.DInt(-1)}},
		{types.TInterval, []types.Datum{
			types.DInterval(types.IntervalValue{Months: 14, Days: -3, Micros: 4_000_001}),
			types.DInterval(types.IntervalValue{Months: math.MinInt32, Days: math.MaxInt32, Micros: math.MinInt64}),
		}},
		{types.TBytea, []types.Datum{types.DString("\xde\xad\xbe\xef"), types.DString("")}},
		{types.TJSONB, []types.Datum{types.DString(`{"a": [1, 2, null]}`)}},
		{types.TOid, []types.Datum{types.DInt(16384), types.DInt(math.MaxUint32)}},
		{types.TName, []types.Datum{types.DString("pg_class")}},
		{types.TChar, []types.Datum{types.DString("r")}},
		{types.TTextArray, []types.Datum{types.DString(`{a,"b c",NULL}`)}},
	}
	for _, tc := range cases {
		t.Run(tc.typ.String(), func(t *testing.T) {
			for _, v := range append(tc.vals, types.NullDatum) {
				// The value alone, and between NULL and non-NULL neighbours so
				// bitmap positions and offsets are exercised.
				ts := []types.T{types.TInt8, tc.typ, types.TText}
				row := []types.Datum{types.NullDatum, v, types.DString("tail")}
				enc := EncodeRow(nil, ts, row)
				got, err := DecodeRow(enc, ts, nil)
				require.NoError(t, err)
				require.Len(t, got, 3)
				require.True(t, got[0].Null)
				requireDatumEqual(t, tc.typ, v, got[1])
				require.Equal(t, "tail", got[2].S)

				// The chunk path encodes and decodes identically.
				c := types.NewChunk(ts, 1)
				c.AppendRow(row)
				require.Equal(t, enc, EncodeChunkRow(nil, c, 0))
				out := types.NewChunk(ts, 1)
				require.NoError(t, DecodeRowInto(enc, out))
				require.Equal(t, 1, out.N)
				for j := range ts {
					requireDatumEqual(t, ts[j], row[j], out.Cols[j].Datum(0))
				}
			}
		})
	}
}

func TestRowCodecManyColumnsAllNull(t *testing.T) {
	ts := make([]types.T, 19)
	row := make([]types.Datum, 19)
	for i := range ts {
		ts[i] = types.TInt4
		row[i] = types.NullDatum
		if i%7 == 3 {
			row[i] = types.DInt(int64(i))
		}
	}
	enc := EncodeRow(nil, ts, row)
	got, err := DecodeRow(enc, ts, nil)
	require.NoError(t, err)
	for i := range ts {
		requireDatumEqual(t, ts[i], row[i], got[i])
	}
	allNull := EncodeRow(nil, ts, make([]types.Datum, 19))
	got, err = DecodeRow(allNull, ts, got)
	require.NoError(t, err)
	require.Equal(t, int64(0), got[3].I) // zero value, not NULL: Datum{} is a non-NULL zero
	require.False(t, got[3].Null)
}

func TestRowCodecAddedColumnReadsNull(t *testing.T) {
	old := []types.T{types.TInt8}
	enc := EncodeRow(nil, old, []types.Datum{types.DInt(7)})
	got, err := DecodeRow(enc, []types.T{types.TInt8, types.TText}, nil)
	require.NoError(t, err)
	require.Equal(t, int64(7), got[0].I)
	require.True(t, got[1].Null)
}

func TestRowCodecRejectsCorruption(t *testing.T) {
	ts := []types.T{types.TInt8, types.TText}
	enc := EncodeRow(nil, ts, []types.Datum{types.DInt(300), types.DString("hello")})
	for _, tc := range []struct {
		name string
		data []byte
		ts   []types.T
		msg  string
	}{
		{"empty", nil, ts, "bad column count"},
		{"truncated", enc[:len(enc)-2], ts, "bad length"},
		{"trailing", append(append([]byte(nil), enc...), 0), ts, "trailing bytes"},
		{"more columns than relation", enc, ts[:1], "record has 2 columns, relation has 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRow(tc.data, tc.ts, nil)
			require.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestRowValueHeader(t *testing.T) {
	ts := []types.T{types.TInt8}
	v := EncodeRowValue(nil, ts, []types.Datum{types.DInt(1)})
	require.Equal(t, FormatVersion, v[0])
	require.Equal(t, byte(KindRow), v[1])

	c := types.NewChunk(ts, 1)
	require.NoError(t, DecodeRowValue(v, c))
	require.Equal(t, int64(1), c.Cols[0].I[0])

	future := append([]byte(nil), v...)
	future[0] = FormatVersion + 1
	err := DecodeRowValue(future, types.NewChunk(ts, 1))
	require.ErrorIs(t, err, ErrUnknownVersion)
	require.ErrorContains(t, err, "format version 2, this weir reads version 1")

	wrongKind := append([]byte(nil), v...)
	wrongKind[1] = byte(KindCatalog)
	require.ErrorContains(t, DecodeRowValue(wrongKind, types.NewChunk(ts, 1)), "stored value is a catalog, expected a row")
	require.ErrorContains(t, DecodeRowValue(v[:1], types.NewChunk(ts, 1)), "truncated")
}
