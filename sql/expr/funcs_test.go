package expr

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func TestScalarFunctions(t *testing.T) {
	txt := func(s string) Expr { return lit(t, types.TText, s) }
	i4 := func(s string) Expr { return lit(t, types.TInt4, s) }
	i8 := func(s string) Expr { return lit(t, types.TInt8, s) }
	f8 := func(s string) Expr { return lit(t, types.TFloat8, s) }
	num := func(s string) Expr { return lit(t, types.TNumeric, s) }
	ts := func(s string) Expr { return lit(t, types.TTimestamp, s) }
	tz := func(s string) Expr { return lit(t, types.TTimestampTZ, s) }
	date := func(s string) Expr { return lit(t, types.TDate, s) }
	iv := func(s string) Expr { return lit(t, types.TInterval, s) }
	arr := func(s string) Expr { return lit(t, types.TTextArray, s) }
	js := func(s string) Expr { return lit(t, types.TJSONB, s) }
	null := func(typ types.T) Expr { return lit(t, typ, "NULL") }
	tests := []struct {
		e    Expr
		want string
	}{
		{fcall(t, "length", txt("héllo")), "5"},
		{fcall(t, "char_length", txt("héllo")), "5"},
		{fcall(t, "octet_length", txt("héllo")), "6"},
		{fcall(t, "length", null(types.TText)), "NULL"},
		{fcall(t, "lower", txt("HeLLo")), "hello"},
		{fcall(t, "upper", unknown("abc")), "ABC"},
		{fcall(t, "initcap", txt("hello wORLD-foo")), "Hello World-Foo"},
		{fcall(t, "substring", txt("hello"), i4("2"), i4("3")), "ell"},
		{fcall(t, "substring", txt("hello"), i4("0"), i4("3")), "he"},
		{fcall(t, "substring", txt("hello"), i4("-1"), i4("3")), "h"},
		{fcall(t, "substring", txt("hello"), i4("3")), "llo"},
		{fcall(t, "substr", txt("hello"), i4("10")), ""},
		{fcall(t, "substring", txt("foobar"), txt("o(.)b")), "o"},
		{fcall(t, "replace", txt("abcabc"), txt("b"), txt("X")), "aXcaXc"},
		{fcall(t, "split_part", txt("a,b,c"), txt(","), i4("2")), "b"},
		{fcall(t, "split_part", txt("a,b,c"), txt(","), i4("-1")), "c"},
		{fcall(t, "split_part", txt("a,b,c"), txt(","), i4("5")), ""},
		{fcall(t, "concat", txt("a"), null(types.TText), i4("1"), f8("0.5")), "a10.5"},
		{fcall(t, "concat_ws", txt("-"), txt("a"), null(types.TText), txt("b")), "a-b"},
		{fcall(t, "concat_ws", null(types.TText), txt("a")), "NULL"},
		{fcall(t, "btrim", txt("  x  ")), "x"},
		{fcall(t, "btrim", txt("xxaxx"), txt("x")), "a"},
		{fcall(t, "ltrim", txt("  x  ")), "x  "},
		{fcall(t, "rtrim", txt("  x  ")), "  x"},
		{fcall(t, "lpad", txt("hi"), i4("5")), "   hi"},
		{fcall(t, "lpad", txt("hi"), i4("5"), txt("ab")), "abahi"},
		{fcall(t, "rpad", txt("hello"), i4("3")), "hel"},
		{fcall(t, "left", txt("hello"), i4("2")), "he"},
		{fcall(t, "left", txt("hello"), i4("-2")), "hel"},
		{fcall(t, "right", txt("hello"), i4("2")), "lo"},
		{fcall(t, "right", txt("hello"), i4("-2")), "llo"},
		{fcall(t, "position", txt("héllo"), txt("llo")), "3"},
		{fcall(t, "strpos", txt("hello"), txt("z")), "0"},
		{fcall(t, "starts_with", txt("hello"), txt("he")), "t"},
		{fcall(t, "repeat", txt("ab"), i4("3")), "ababab"},
		{fcall(t, "reverse", txt("héllo")), "olléh"},
		{fcall(t, "md5", txt("abc")), "900150983cd24fb0d6963f7d28e17f72"},
		{fcall(t, "quote_ident", txt("Foo")), `"Foo"`},
		{fcall(t, "quote_ident", txt("foo_1")), `foo_1`},
		{fcall(t, "quote_literal", txt("it's")), `'it''s'`},
		{fcall(t, "regexp_match", txt("foobar"), txt("(o+)(b)")), "{oo,b}"},
		{fcall(t, "regexp_match", txt("foobar"), txt("z")), "NULL"},
		{fcall(t, "regexp_match", txt("FOO"), txt("o+"), txt("i")), "{OO}"},
		{fcall(t, "regexp_replace", txt("foobar"), txt("o"), txt("0")), "f0obar"},
		{fcall(t, "regexp_replace", txt("foobar"), txt("o"), txt("0"), txt("g")), "f00bar"},
		{fcall(t, "regexp_replace", txt("John Smith"), txt(`(\w+) (\w+)`), txt(`\2, \1`)), "Smith, John"},
		{fcall(t, "regexp_replace", txt("ABC"), txt("b"), txt("x"), txt("gi")), "AxC"},
		{fcall(t, "string_to_array", txt("a,b,,c"), txt(",")), `{a,b,"",c}`},
		{fcall(t, "string_to_array", txt("a,b,x"), txt(","), txt("x")), `{a,b,NULL}`},
		{fcall(t, "array_to_string", arr("{a,NULL,c}"), txt("-")), "a-c"},
		{fcall(t, "array_to_string", arr("{a,NULL,c}"), txt("-"), txt("*")), "a-*-c"},
		{fcall(t, "array_length", arr("{a,b,c}"), i4("1")), "3"},
		{fcall(t, "array_length", arr("{}"), i4("1")), "NULL"},
		{fcall(t, "cardinality", arr("{a,b}")), "2"},
		{fcall(t, "array_upper", arr("{a,b}"), i4("1")), "2"},
		{fcall(t, "abs", i4("-5")), "5"},
		{fcall(t, "abs", num("-1.50")), "1.50"},
		{fcall(t, "ceil", f8("1.2")), "2"},
		{fcall(t, "ceil", num("-1.2")), "-1"},
		{fcall(t, "floor", num("-1.2")), "-2"},
		{fcall(t, "round", f8("2.5")), "2"},
		{fcall(t, "round", num("2.5")), "3"},
		{fcall(t, "round", num("-2.5")), "-3"},
		{fcall(t, "round", num("3.14159"), i4("2")), "3.14"},
		{fcall(t, "round", num("1234.5"), i4("-2")), "1200"},
		{fcall(t, "round", i4("7")), "7"},
		{fcall(t, "trunc", num("3.789"), i4("1")), "3.7"},
		{fcall(t, "trunc", f8("-3.7")), "-3"},
		{fcall(t, "sqrt", f8("16")), "4"},
		{fcall(t, "sqrt", num("2")), "1.414213562373095"},
		{fcall(t, "power", f8("2"), f8("0.5")), "1.4142135623730951"},
		{fcall(t, "power", i4("2"), i4("3")), "8"},
		{fcall(t, "exp", f8("0")), "1"},
		{fcall(t, "ln", f8("1")), "0"},
		{fcall(t, "log", f8("1000")), "3"},
		{fcall(t, "log10", f8("100")), "2"},
		{fcall(t, "mod", i4("-7"), i4("3")), "-1"},
		{fcall(t, "sign", f8("-2")), "-1"},
		{fcall(t, "sign", num("0.5")), "1"},
		{fcall(t, "greatest", i4("1"), i4("3"), i4("2")), "3"},
		{fcall(t, "greatest", i4("1"), null(types.TInt4), num("2.5")), "2.5"},
		{fcall(t, "least", txt("b"), txt("a")), "a"},
		{fcall(t, "greatest", null(types.TInt4), null(types.TInt4)), "NULL"},
		{fcall(t, "nullif", i4("1"), i4("1")), "NULL"},
		{fcall(t, "nullif", i4("1"), i4("2")), "1"},
		{fcall(t, "nullif", i4("1"), null(types.TInt4)), "1"},
		{fcall(t, "date_trunc", txt("hour"), ts("2026-03-04 05:06:07.8")), "2026-03-04 05:00:00"},
		{fcall(t, "date_trunc", txt("month"), ts("2026-03-04 05:06:07")), "2026-03-01 00:00:00"},
		{fcall(t, "date_trunc", txt("week"), ts("2026-03-05 05:06:07")), "2026-03-02 00:00:00"},
		{fcall(t, "date_trunc", txt("quarter"), ts("2026-05-04 05:06:07")), "2026-04-01 00:00:00"},
		{fcall(t, "date_trunc", txt("year"), ts("2026-05-04 05:06:07")), "2026-01-01 00:00:00"},
		{fcall(t, "date_trunc", txt("day"), tz("2026-05-04 05:06:07+00")), "2026-05-04 00:00:00+00"},
		{fcall(t, "date_trunc", txt("hour"), iv("1 day 02:30:00")), "1 day 02:00:00"},
		{fcall(t, "date_part", txt("year"), ts("2026-03-04 05:06:07.5")), "2026"},
		{fcall(t, "date_part", txt("second"), ts("2026-03-04 05:06:07.5")), "7.5"},
		{fcall(t, "date_part", txt("epoch"), ts("2026-01-01 00:00:00")), "1767225600"},
		{fcall(t, "date_part", txt("dow"), date("2026-03-01")), "0"},
		{fcall(t, "date_part", txt("isodow"), date("2026-03-01")), "7"},
		{fcall(t, "date_part", txt("doy"), date("2026-02-01")), "32"},
		{fcall(t, "date_part", txt("week"), date("2026-01-01")), "1"},
		{fcall(t, "date_part", txt("quarter"), date("2026-11-01")), "4"},
		{fcall(t, "date_part", txt("epoch"), iv("1 day 1 hour")), "90000"},
		{fcall(t, "date_part", txt("hour"), iv("1 day 25 hours")), "25"},
		{fcall(t, "date_part", txt("century"), date("2000-01-01")), "20"},
		{fcall(t, "date_part", txt("century"), date("2001-01-01")), "21"},
		{fcall(t, "date_part", txt("decade"), date("2026-01-01")), "202"},
		{fcall(t, "extract", txt("second"), ts("2026-03-04 05:06:07.5")), "7.500000"},
		{fcall(t, "extract", txt("epoch"), ts("2026-01-01 00:00:00")), "1767225600.000000"},
		{fcall(t, "extract", txt("year"), ts("2026-01-01 00:00:00")), "2026"},
		{fcall(t, "extract", txt("milliseconds"), ts("2026-01-01 00:00:01.5")), "1500.000"},
		{fcall(t, "extract", txt("epoch"), date("2026-01-01")), "1767225600"},
		{fcall(t, "to_timestamp", f8("1767225600.5")), "2026-01-01 00:00:00.5+00"},
		{fcall(t, "to_timestamp", txt("2026-03-04 17:05"), txt("YYYY-MM-DD HH24:MI")), "2026-03-04 17:05:00+00"},
		{fcall(t, "to_timestamp", txt("04 Mar 2026 05 PM"), txt("DD Mon YYYY HH12 AM")), "2026-03-04 17:00:00+00"},
		{fcall(t, "to_date", txt("20260304"), txt("YYYYMMDD")), "2026-03-04"},
		{fcall(t, "to_char", ts("2026-03-04 17:05:06.789"), txt("YYYY-MM-DD HH24:MI:SS.MS")), "2026-03-04 17:05:06.789"},
		{fcall(t, "to_char", ts("2026-03-04 17:05:06"), txt("Mon DD, YYYY HH12:MI AM")), "Mar 04, 2026 05:05 PM"},
		{fcall(t, "to_char", ts("2026-03-04 17:05:06"), txt("Day Month")), "Wednesday March    "},
		{fcall(t, "to_char", ts("2026-03-04 17:05:06"), txt("FMDay FMMonth FMDD")), "Wednesday March 4"},
		{fcall(t, "to_char", ts("2026-03-04 17:05:06"), txt(`"Q"Q YYYY"w"IW`)), "Q1 2026w10"},
		{fcall(t, "to_char", num("123.45"), txt("999.99")), " 123.45"},
		{fcall(t, "to_char", num("-1.5"), txt("9.9")), "-1.5"},
		{fcall(t, "to_char", i4("1234"), txt("9,999")), " 1,234"},
		{fcall(t, "to_char", i4("5"), txt("000")), " 005"},
		{fcall(t, "to_char", num("1.5"), txt("FM999.99")), "1.5"},
		{fcall(t, "to_char", i4("12345"), txt("999")), " ###"},
		{fcall(t, "to_char", f8("0.5"), txt("0.99")), " 0.50"},
		{fcall(t, "age", ts("2026-03-01 00:00:00"), ts("2025-01-15 12:00:00")), "1 year 1 mon 16 days 12:00:00"},
		{fcall(t, "justify_hours", iv("27 hours")), "1 day 03:00:00"},
		{fcall(t, "make_interval", i4("1"), i4("2")), "1 year 2 mons"},
		{fcall(t, "now"), "2026-01-02 03:04:05.6+00"},
		{fcall(t, "current_date"), "2026-01-02"},
		{fcall(t, "localtimestamp"), "2026-01-02 03:04:05.6"},
		{fcall(t, "version"), "PostgreSQL 15.0 (weir) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"},
		{fcall(t, "current_setting", txt("DateStyle")), "ISO, MDY"},
		{fcall(t, "current_setting", txt("datestyle")), "ISO, MDY"},
		{fcall(t, "current_database"), "weir"},
		{fcall(t, "current_schema"), "public"},
		{fcall(t, "current_user"), "weir"},
		{fcall(t, "pg_typeof", i8("1")), "bigint"},
		{fcall(t, "pg_typeof", txt("x")), "text"},
		{fcall(t, "format_type", lit(t, types.TOid, "23"), i4("-1")), "integer"},
		{fcall(t, "format_type", lit(t, types.TOid, "1043"), i4("14")), "character varying(10)"},
		{fcall(t, "format_type", lit(t, types.TOid, "1700"), null(types.TInt4)), "numeric"},
		{fcall(t, "has_table_privilege", txt("t"), txt("SELECT")), "t"},
		{fcall(t, "pg_table_is_visible", lit(t, types.TOid, "16384")), "t"},
		{fcall(t, "obj_description", lit(t, types.TOid, "1"), lit(t, types.TName, "pg_class")), "NULL"},
		{fcall(t, "pg_get_userbyid", lit(t, types.TOid, "10")), "weir"},
		{fcall(t, "pg_encoding_to_char", i4("6")), "UTF8"},
		{bop(t, "->", js(`{"a": {"b": 1}}`), txt("a")), `{"b": 1}`},
		{bop(t, "->>", js(`{"a": "x"}`), txt("a")), `x`},
		{bop(t, "->>", js(`[1, "two"]`), i4("1")), `two`},
		{bop(t, "->", js(`{"a": 1}`), txt("z")), `NULL`},
		{fcall(t, "jsonb_typeof", js(`[1]`)), "array"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, mustText(t, tc.e), "%s", tc.e)
	}
}

func TestFunctionErrors(t *testing.T) {
	txt := func(s string) Expr { return lit(t, types.TText, s) }
	i4 := func(s string) Expr { return lit(t, types.TInt4, s) }
	tests := []struct {
		e    Expr
		code string
	}{
		{fcall(t, "split_part", txt("a"), txt(","), i4("0")), pgerror.CodeInvalidParameterValue},
		{fcall(t, "substring", txt("a"), i4("1"), i4("-1")), "22011"},
		{fcall(t, "sqrt", lit(t, types.TFloat8, "-1")), "2201F"},
		{fcall(t, "ln", lit(t, types.TFloat8, "0")), "2201E"},
		{fcall(t, "date_trunc", txt("fortnight"), lit(t, types.TTimestamp, "2026-01-01")), pgerror.CodeInvalidParameterValue},
		{fcall(t, "current_setting", txt("no_such")), pgerror.CodeUndefinedObject},
		{fcall(t, "regexp_match", txt("a"), txt("a"), txt("g")), pgerror.CodeInvalidParameterValue},
	}
	for _, tc := range tests {
		_, err := evalText(t, tc.e)
		require.Error(t, err, "%s", tc.e)
		require.Equal(t, tc.code, pgerror.Code(err), "%s: %v", tc.e, err)
	}
	_, err := ResolveFunc("foo", []types.T{types.TInt4})
	require.Equal(t, pgerror.CodeUndefinedFunction, pgerror.Code(err))
	require.Equal(t, "function foo(integer) does not exist", err.Error())
	_, err = ResolveFunc("length", []types.T{types.TInt4})
	require.Equal(t, pgerror.CodeUndefinedFunction, pgerror.Code(err))
}
