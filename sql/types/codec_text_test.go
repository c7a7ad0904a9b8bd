package types

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
)

// TestTextRoundTrip parses PostgreSQL input text and checks the exact text
// PostgreSQL prints for it.
func TestTextRoundTrip(t *testing.T) {
	tests := []struct {
		t    T
		in   string
		want string
	}{
		{TBool, "true", "t"},
		{TBool, " yes ", "t"},
		{TBool, "off", "f"},
		{TBool, "0", "f"},
		{TBool, "F", "f"},
		{TInt4, " 42 ", "42"},
		{TInt4, "-2147483648", "-2147483648"},
		{TInt2, "+7", "7"},
		{TInt8, "9223372036854775807", "9223372036854775807"},
		{TFloat8, "0.1", "0.1"},
		{TFloat8, "1e20", "1e+20"},
		{TFloat8, "1e3", "1000"},
		{TFloat8, "1e15", "1e+15"},
		{TFloat8, "123456789012345", "123456789012345"},
		{TFloat8, "0.0001", "0.0001"},
		{TFloat8, "0.00001", "1e-05"},
		{TFloat8, "NaN", "NaN"},
		{TFloat8, "-Infinity", "-Infinity"},
		{TFloat8, "-0", "-0"},
		{TFloat8, "3.141592653589793", "3.141592653589793"},
		{TFloat4, "1e6", "1e+06"},
		{TFloat4, "123456", "123456"},
		{TFloat4, "0.1", "0.1"},
		{TNumeric, "1.50", "1.50"},
		{TNumeric, " -0.001 ", "-0.001"},
		{TNumeric, "1e3", "1000"},
		{TNumeric, "1.5e-3", "0.0015"},
		{TNumeric, "NaN", "NaN"},
		{TNumeric, "0.00", "0.00"},
		{TNumeric, "-0.00", "0.00"},
		{TNumeric, "0", "0"},
		{TNumeric, "0e5", "0"},
		{TNumeric, "18446744073709551615", "18446744073709551615"},
		{TNumeric, "18446744073709551616", "18446744073709551616"},
		{TNumeric, "-1844674407370955.1616", "-1844674407370955.1616"},
		{TNumeric, "123456789012345678901234.5678", "123456789012345678901234.5678"},
		{TNumeric, "0.000000000000000000000000000001", "0.000000000000000000000000000001"},
		{TNumeric, "-12.5e2", "-1250"},
		{TText, " a b ", " a b "},
		{TBytea, `\x41ff`, `\x41ff`},
		{TBytea, `ab\\c\001`, `\x61625c6301`},
		{TDate, "2026-01-31", "2026-01-31"},
		{TDate, "1/2/2026", "2026-01-02"},
		{TDate, "0044-03-15 BC", "0044-03-15 BC"},
		{TDate, "infinity", "infinity"},
		{TTimestamp, "2026-01-01 00:00:00", "2026-01-01 00:00:00"},
		{TTimestamp, "2026-01-01T00:00:00Z", "2026-01-01 00:00:00"},
		{TTimestamp, "2026-01-01 00:00:00.5", "2026-01-01 00:00:00.5"},
		{TTimestamp, "2026-01-01 12:34:56.123456", "2026-01-01 12:34:56.123456"},
		{TTimestamp, "2026-01-01", "2026-01-01 00:00:00"},
		{TTimestamp, "1969-12-31 23:59:59.9", "1969-12-31 23:59:59.9"},
		{TTimestampTZ, "2026-01-01 00:00:00.123+02", "2025-12-31 22:00:00.123+00"},
		{TTimestampTZ, "2026-01-01 00:00:00", "2026-01-01 00:00:00+00"},
		{TTimestampTZ, "2026-01-01 05:30:00+05:30", "2026-01-01 00:00:00+00"},
		{TInterval, "10 seconds", "00:00:10"},
		{TInterval, "1 day 02:00:00", "1 day 02:00:00"},
		{TInterval, "1 day 2 hours", "1 day 02:00:00"},
		{TInterval, "P1DT2H", "1 day 02:00:00"},
		{TInterval, "1 hour 30 minutes", "01:30:00"},
		{TInterval, "-00:00:01", "-00:00:01"},
		{TInterval, "1 year 2 months", "1 year 2 mons"},
		{TInterval, "1 day 02:03:04.5", "1 day 02:03:04.5"},
		{TInterval, "1.5 days", "1 day 12:00:00"},
		{TInterval, "1.5 months", "1 mon 15 days"},
		{TInterval, "-1 day +2 hours", "-1 days +02:00:00"},
		{TInterval, "-1 year 2 mons", "-10 mons"},
		{TInterval, "-1 year -2 mons 3 days", "-1 years -2 mons +3 days"},
		{TInterval, "0", "00:00:00"},
		{TInterval, "10", "00:00:10"},
		{TInterval, "@ 1 hour ago", "-01:00:00"},
		{TInterval, "2 weeks", "14 days"},
		{TInterval, "100 hours", "100:00:00"},
		{TInterval, "1-2", "1 year 2 mons"},
		{TInterval, "P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"},
		{TInterval, "3 ms", "00:00:00.003"},
		{TTextArray, "{a,b}", "{a,b}"},
		{TTextArray, `{"a b", NULL, "NULL", "", "x\"y"}`, `{"a b",NULL,"NULL","","x\"y"}`},
		{TTextArray, "{}", "{}"},
		{TJSONB, `{"b": 1, "a": [1, 2.50, "x"], "aa": null, "b": true}`, `{"a": [1, 2.50, "x"], "b": true, "aa": null}`},
		{TJSONB, ` "a\nb" `, `"a\nb"`},
		{TOid, "4294967295", "4294967295"},
		{TRegType, "int4", "integer"},
		{TName, "pg_class", "pg_class"},
		{TOidVector, "23  25", "23 25"},
	}
	for _, tc := range tests {
		d, err := ParseText(tc.t, tc.in, time.UTC)
		require.NoError(t, err, "%s %q", tc.t, tc.in)
		require.Equal(t, tc.want, string(AppendText(nil, tc.t, d, time.UTC)), "%s %q", tc.t, tc.in)
		// The vector form (the DataRow path) prints the same.
		v := NewVec(tc.t, 1)
		v.Append(d)
		require.Equal(t, tc.want, string(v.AppendText([]byte("x"), 0, time.UTC))[1:], "vector %s %q", tc.t, tc.in)
		// The output must parse back to an equal value.
		d2, err := ParseText(tc.t, tc.want, time.UTC)
		require.NoError(t, err, "reparse %s %q", tc.t, tc.want)
		require.Equal(t, 0, Compare(tc.t, d, d2), "reparse %s %q", tc.t, tc.want)
	}
}

func TestTimestampTZOutputInZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	d, err := ParseText(TTimestampTZ, "2026-07-01 12:00:00+00", nil)
	require.NoError(t, err)
	require.Equal(t, "2026-07-01 08:00:00-04", FormatText(TTimestampTZ, d, ny))
	require.Equal(t, "2026-07-01 17:30:00+05:30", FormatText(TTimestampTZ, d, kolkata))
	// Input without zone is read in the session zone.
	d, err = ParseText(TTimestampTZ, "2026-01-15 10:00:00", ny)
	require.NoError(t, err)
	require.Equal(t, "2026-01-15 15:00:00+00", FormatText(TTimestampTZ, d, time.UTC))
	// Named zone in the input.
	d, err = ParseText(TTimestampTZ, "2026-01-15 10:00:00 America/New_York", time.UTC)
	require.NoError(t, err)
	require.Equal(t, "2026-01-15 15:00:00+00", FormatText(TTimestampTZ, d, time.UTC))
}

func TestTextInputErrors(t *testing.T) {
	tests := []struct {
		t    T
		in   string
		code string
		msg  string
	}{
		{TInt4, "x", pgerror.CodeInvalidTextRepresentation, `invalid input syntax for type integer: "x"`},
		{TInt4, "", pgerror.CodeInvalidTextRepresentation, `invalid input syntax for type integer: ""`},
		{TInt4, "1.5", pgerror.CodeInvalidTextRepresentation, `invalid input syntax for type integer: "1.5"`},
		{TInt4, "2147483648", pgerror.CodeNumericValueOutOfRange, `value "2147483648" is out of range for type integer`},
		{TInt2, "40000", pgerror.CodeNumericValueOutOfRange, `value "40000" is out of range for type smallint`},
		{TInt8, "abc", pgerror.CodeInvalidTextRepresentation, `invalid input syntax for type bigint: "abc"`},
		{TBool, "maybe", pgerror.CodeInvalidTextRepresentation, `invalid input syntax for type boolean: "maybe"`},
		{TFloat8, "1e400", pgerror.CodeNumericValueOutOfRange, `"1e400" is out of range for type double precision`},
		{TFloat8, "abc", pgerror.CodeInvalidTextRepresentation, `invalid input syntax for type double precision: "abc"`},
		{TNumeric, "1.2.3", pgerror.CodeInvalidTextRepresentation, `invalid input syntax for type numeric: "1.2.3"`},
		{TDate, "2026-13-01", pgerror.CodeDatetimeFieldOverflow, `date/time field value out of range: "2026-13-01"`},
		{TDate, "2026-02-30", pgerror.CodeDatetimeFieldOverflow, `date/time field value out of range: "2026-02-30"`},
		{TDate, "garbage", pgerror.CodeInvalidDatetimeFormat, `invalid input syntax for type date: "garbage"`},
		{TTimestamp, "2026-01-01 25:00:00", pgerror.CodeDatetimeFieldOverflow, `date/time field value out of range: "2026-01-01 25:00:00"`},
		{TInterval, "1 fortnight", pgerror.CodeInvalidDatetimeFormat, `invalid input syntax for type interval: "1 fortnight"`},
		{TJSONB, "{a:1}", pgerror.CodeInvalidTextRepresentation, `invalid input syntax for type json`},
		{TTextArray, "a,b", pgerror.CodeInvalidTextRepresentation, `malformed array literal: "a,b"`},
	}
	for _, tc := range tests {
		_, err := ParseText(tc.t, tc.in, time.UTC)
		require.Error(t, err, "%s %q", tc.t, tc.in)
		require.Equal(t, tc.code, pgerror.Code(err), "%s %q: %v", tc.t, tc.in, err)
		require.Equal(t, tc.msg, err.Error())
	}
}
