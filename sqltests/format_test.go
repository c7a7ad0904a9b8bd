package sqltests

import (
	"context"
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sqltests/pgoracle"
)

func TestFormatFloat(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		bits int
		want string
	}{
		{0.1, 64, "0.1"},
		{1e15, 64, "1e+15"},
		{123456789012345, 64, "123456789012345"},
		{1e-5, 64, "1e-05"},
		{0.0001, 64, "0.0001"},
		{1.5, 32, "1.5"},
		{1234567, 32, "1.234567e+06"},
		{123456, 32, "123456"},
		{math.Inf(-1), 64, "-Infinity"},
		{math.NaN(), 64, "NaN"},
		{math.Copysign(0, -1), 64, "-0"},
	} {
		require.Equal(t, tc.want, formatFloat(tc.f, tc.bits), "%v/%d", tc.f, tc.bits)
	}
}

func TestFormatInterval(t *testing.T) {
	const h = 3600 * usPerSecond
	for _, tc := range []struct {
		us           int64
		days, months int32
		want         string
	}{
		{0, 0, 0, "00:00:00"},
		{0, 0, 14, "1 year 2 mons"},
		{4*h + 5*60*usPerSecond + 6_500_000, 3, 1, "1 mon 3 days 04:05:06.5"},
		{2 * h, -1, 0, "-1 days +02:00:00"},
		{-2 * h, 1, 0, "1 day -02:00:00"},
		{-90 * usPerSecond, 0, 0, "-00:01:30"},
		{0, 1, 0, "1 day"},
		{0, 0, -13, "-1 years -1 mons"},
	} {
		require.Equal(t, tc.want, formatInterval(tc.us, tc.days, tc.months))
	}
}

func TestFormatNumeric(t *testing.T) {
	enc := func(weight, sign, dscale int, digits ...uint16) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(len(digits)))
		b = binary.BigEndian.AppendUint16(b, uint16(int16(weight)))
		b = binary.BigEndian.AppendUint16(b, uint16(sign))
		b = binary.BigEndian.AppendUint16(b, uint16(dscale))
		for _, d := range digits {
			b = binary.BigEndian.AppendUint16(b, d)
		}
		return b
	}
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{enc(0, 0, 0), "0"},
		{enc(0, 0, 2), "0.00"},
		{enc(1, 0, 2, 1, 2345, 6700), "12345.67"},
		{enc(-2, 0x4000, 6, 1200), "-0.000012"},
		{enc(0, 0xC000, 0), "NaN"},
		{enc(2, 0, 0, 1), "100000000"},
	} {
		got, err := formatNumeric(tc.b)
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
	_, err := formatNumeric([]byte{0, 1})
	require.Error(t, err)
}

func TestFormatTimestamp(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	us := (time.Date(2026, 1, 1, 12, 30, 0, 0, time.UTC).Unix() - pgEpochUnix) * usPerSecond
	require.Equal(t, "2026-01-01 12:30:00", formatTimestamp(us, nil))
	require.Equal(t, "2026-01-01 12:30:00.25+00", formatTimestamp(us+250_000, time.UTC))
	require.Equal(t, "2026-01-01 07:30:00-05", formatTimestamp(us, ny))
	require.Equal(t, "1999-12-31 23:59:59.999999", formatTimestamp(-1, nil))
	require.Equal(t, "infinity", formatTimestamp(math.MaxInt64, nil))
	require.Equal(t, "2000-01-01", formatDate(0))
	require.Equal(t, "0001-12-31 BC", formatDate(-730120))
	require.Equal(t, "+05:30", formatOffset(5*3600+30*60))
}

func TestDisplayAndSort(t *testing.T) {
	require.Equal(t, "NULL", displayValue("", true))
	require.Equal(t, "(empty)", displayValue("", false))
	require.Equal(t, `a\nb`, displayValue("a\nb", false))
	rows := [][]string{{"b", "1"}, {"a", "2"}}
	require.Equal(t, []string{"b 1", "a 2"}, resultLines(rows, noSort))
	require.Equal(t, []string{"a 2", "b 1"}, resultLines(rows, rowSort))
	require.Equal(t, []string{"1", "2", "a", "b"}, resultLines(rows, valueSort))
	require.Equal(t, `{a,"b c",NULL,"",\"q\"}`, "{"+quoteArrayElem("a")+","+quoteArrayElem("b c")+",NULL,"+quoteArrayElem("")+","+`\"q\"`+"}")
	require.Equal(t, `"x\"y"`, quoteArrayElem(`x"y`))
	require.Equal(t, `"null"`, quoteArrayElem("null"))
}

// TestBinaryFormatMatchesPostgres asks PostgreSQL for the same values in
// text and in binary and requires the formatter to turn the binary form
// into exactly PostgreSQL's text. This is what lets the extended-protocol
// pass share expected results with the simple one.
func TestBinaryFormatMatchesPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgoracle.Start(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	exprs := []string{
		"true", "false", "1::int2", "(-32768)::int2", "2147483647", "(-9223372036854775808)::int8",
		"0.1::float8", "1e300::float8", "1.5e-7::float8", "123456789012345678::float8", "'NaN'::float8",
		"'-Infinity'::float8", "0.1::float4", "1234567::float4", "(-0.0)::float8", "1e-40::float4",
		"0::numeric", "0.00::numeric", "12345.6789::numeric", "-0.000012::numeric", "1e20::numeric",
		"123.4500::numeric(10,4)", "'NaN'::numeric", "1.0000000000000000000001::numeric",
		"'abc'::text", "''::text", "'x y'::varchar(5)", "'n'::name", "'c'::\"char\"", "''::\"char\"",
		"'\\x00ff10'::bytea", "''::bytea",
		"'2026-01-01'::date", "'0001-01-01 BC'::date", "'infinity'::date", "'1970-01-01'::date",
		"'2026-01-01 12:34:56.789'::timestamp", "'1999-12-31 23:59:59.999999'::timestamp",
		"'0044-03-15 12:00:00 BC'::timestamp", "'-infinity'::timestamp",
		"'2026-07-01 12:00:00+02'::timestamptz", "'12:34:56.5'::time",
		"'1 year 2 mons 3 days 04:05:06.7'::interval", "'-1 day 2 hours'::interval",
		"'1 day -02:00:00'::interval", "'0'::interval", "'-13 months'::interval", "'100 hours'::interval",
		"'{\"b\": [1, 2.50], \"a\": null}'::jsonb", "'{\"x\":1}'::json",
		"ARRAY['a', 'b c', NULL, '', 'q\"']", "ARRAY[1, 2, NULL]::int8[]", "'{}'::text[]",
		"ARRAY[[1,2],[3,4]]", "'[0:1]={1,2}'::int4[]", "ARRAY[1.5, 2]::numeric[]",
		"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
	}
	for _, tz := range []string{"UTC", "America/New_York", "Asia/Kolkata"} {
		_, err := conn.Exec(ctx, "SET TimeZone = '"+tz+"'")
		require.NoError(t, err)
		loc, err := time.LoadLocation(tz)
		require.NoError(t, err)
		for _, e := range exprs {
			sql := "SELECT " + e
			text := conn.PgConn().ExecParams(ctx, sql, nil, nil, nil, []int16{pgx.TextFormatCode}).Read()
			require.NoError(t, text.Err, sql)
			bin := conn.PgConn().ExecParams(ctx, sql, nil, nil, nil, []int16{pgx.BinaryFormatCode}).Read()
			require.NoError(t, bin.Err, sql)
			got, err := formatValue(bin.Rows[0][0], bin.FieldDescriptions[0].DataTypeOID, true, formatOptions{loc: loc})
			require.NoError(t, err, sql)
			require.Equal(t, string(text.Rows[0][0]), got, "%s (TimeZone %s)", sql, tz)
		}
	}
}
