package expr

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func TestOperators(t *testing.T) {
	i4 := func(s string) Expr { return lit(t, types.TInt4, s) }
	i2 := func(s string) Expr { return lit(t, types.TInt2, s) }
	i8 := func(s string) Expr { return lit(t, types.TInt8, s) }
	f8 := func(s string) Expr { return lit(t, types.TFloat8, s) }
	num := func(s string) Expr { return lit(t, types.TNumeric, s) }
	txt := func(s string) Expr { return lit(t, types.TText, s) }
	ts := func(s string) Expr { return lit(t, types.TTimestamp, s) }
	tz := func(s string) Expr { return lit(t, types.TTimestampTZ, s) }
	date := func(s string) Expr { return lit(t, types.TDate, s) }
	iv := func(s string) Expr { return lit(t, types.TInterval, s) }
	tests := []struct {
		e        Expr
		want     string
		wantType types.T
	}{
		{bop(t, "+", i4("1"), i4("2")), "3", types.TInt4},
		{bop(t, "/", i4("7"), i4("2")), "3", types.TInt4},
		{bop(t, "/", i4("-7"), i4("2")), "-3", types.TInt4},
		{bop(t, "%", i4("-7"), i4("3")), "-1", types.TInt4},
		{bop(t, "%", i4("7"), i4("-3")), "1", types.TInt4},
		{bop(t, "+", i2("1"), i8("2")), "3", types.TInt8},
		{bop(t, "+", i4("1"), num("2.5")), "3.5", types.TNumeric},
		{bop(t, "+", i4("1"), f8("0.5")), "1.5", types.TFloat8},
		{bop(t, "+", num("1.5"), f8("0.25")), "1.75", types.TFloat8},
		{bop(t, "+", i4("1"), unknown("2")), "3", types.TInt4},
		{bop(t, "/", num("1"), num("3")), "0.33333333333333333333", types.TNumeric},
		{bop(t, "/", num("10"), num("4")), "2.5000000000000000", types.TNumeric},
		{bop(t, "/", num("2"), num("3")), "0.66666666666666666667", types.TNumeric},
		{bop(t, "/", num("1.000"), num("3")), "0.33333333333333333333", types.TNumeric},
		{bop(t, "/", num("100000"), num("3")), "33333.333333333333", types.TNumeric},
		{bop(t, "*", num("1.50"), num("2")), "3.00", types.TNumeric},
		{bop(t, "%", num("7.5"), num("2")), "1.5", types.TNumeric},
		{bop(t, "/", f8("1"), f8("3")), "0.3333333333333333", types.TFloat8},
		{bop(t, "^", f8("2"), f8("10")), "1024", types.TFloat8},
		{bop(t, "&", i4("12"), i4("10")), "8", types.TInt4},
		{bop(t, "|", i4("12"), i4("10")), "14", types.TInt4},
		{bop(t, "#", i4("12"), i4("10")), "6", types.TInt4},
		{bop(t, "<<", i4("1"), i4("4")), "16", types.TInt4},
		{bop(t, ">>", i4("-16"), i4("2")), "-4", types.TInt4},
		{uop(t, "~", i4("5")), "-6", types.TInt4},
		{uop(t, "-", num("1.50")), "-1.50", types.TNumeric},
		{bop(t, "=", i4("1"), i8("1")), "t", types.TBool},
		{bop(t, "<", i4("1"), num("1.5")), "t", types.TBool},
		{bop(t, "=", num("1.0"), num("1.00")), "t", types.TBool},
		{bop(t, "<", f8("1"), f8("NaN")), "t", types.TBool},
		{bop(t, "=", f8("NaN"), f8("NaN")), "t", types.TBool},
		{bop(t, "<", txt("a"), txt("b")), "t", types.TBool},
		{bop(t, "<", txt("a "), txt("a")), "f", types.TBool},
		{bop(t, "=", txt("a "), txt("a")), "f", types.TBool},
		{bop(t, "<>", txt("a"), unknown("a")), "f", types.TBool},
		{bop(t, "!=", i4("1"), i4("2")), "t", types.TBool},
		{bop(t, "=", iv("1 mon"), iv("30 days")), "t", types.TBool},
		{bop(t, "<", iv("1 day"), iv("25 hours")), "t", types.TBool},
		{bop(t, "<", date("2026-01-01"), ts("2026-01-01 00:00:01")), "t", types.TBool},
		{bop(t, "||", txt("a"), txt("b")), "ab", types.TText},
		{bop(t, "||", txt("a"), i4("1")), "a1", types.TText},
		{bop(t, "||", i4("1"), unknown("x")), "1x", types.TText},
		{bop(t, "||", txt("t="), ts("2026-01-01 00:00:00.5")), "t=2026-01-01 00:00:00.5", types.TText},
		{bop(t, "~~", txt("hello"), txt("h%o")), "t", types.TBool},
		{bop(t, "~~", txt("hello"), txt("h_llo")), "t", types.TBool},
		{bop(t, "~~", txt("hello"), txt("h_lo")), "f", types.TBool},
		{bop(t, "~~", txt("50%"), txt(`50\%`)), "t", types.TBool},
		{bop(t, "~~", txt("500"), txt(`50\%`)), "f", types.TBool},
		{bop(t, "~~", txt("a_c"), txt(`a\_c`)), "t", types.TBool},
		{bop(t, "~~", txt("abc"), txt(`a\_c`)), "f", types.TBool},
		{bop(t, "~~", txt("héllo"), txt("h_llo")), "t", types.TBool},
		{bop(t, "~~*", txt("HeLLo"), txt("hel%")), "t", types.TBool},
		{bop(t, "!~~", txt("hello"), txt("x%")), "t", types.TBool},
		{bop(t, "!~~*", txt("HELLO"), txt("h%")), "f", types.TBool},
		{bop(t, "~", txt("abc123"), txt("[0-9]+$")), "t", types.TBool},
		{bop(t, "~*", txt("ABC"), txt("^abc$")), "t", types.TBool},
		{bop(t, "!~", txt("abc"), txt("z")), "t", types.TBool},
		{bop(t, "+", ts("2026-01-31 10:00:00"), iv("1 month")), "2026-02-28 10:00:00", types.TTimestamp},
		{bop(t, "+", ts("2026-01-01 00:00:00"), iv("1 day 02:00:00")), "2026-01-02 02:00:00", types.TTimestamp},
		{bop(t, "-", ts("2026-01-01 00:00:00"), iv("1 second")), "2025-12-31 23:59:59", types.TTimestamp},
		{bop(t, "-", ts("2026-01-02 03:00:00"), ts("2026-01-01 00:00:00")), "1 day 03:00:00", types.TInterval},
		{bop(t, "-", tz("2026-01-02 00:00:00+00"), tz("2026-01-01 00:00:00+00")), "1 day", types.TInterval},
		{bop(t, "+", tz("2026-01-01 00:00:00+00"), iv("1 hour")), "2026-01-01 01:00:00+00", types.TTimestampTZ},
		{bop(t, "+", date("2026-02-28"), i4("1")), "2026-03-01", types.TDate},
		{bop(t, "-", date("2026-03-01"), date("2026-02-01")), "28", types.TInt4},
		{bop(t, "+", date("2026-01-01"), iv("1 hour")), "2026-01-01 01:00:00", types.TTimestamp},
		{bop(t, "+", iv("1 day"), iv("2 hours")), "1 day 02:00:00", types.TInterval},
		{bop(t, "*", iv("1 day"), f8("1.5")), "1 day 12:00:00", types.TInterval},
		{bop(t, "*", iv("1 mon"), f8("1.5")), "1 mon 15 days", types.TInterval},
		{bop(t, "/", iv("1 hour"), f8("4")), "00:15:00", types.TInterval},
		{uop(t, "-", iv("1 day")), "-1 days", types.TInterval},
	}
	for _, tc := range tests {
		require.Equal(t, tc.wantType, tc.e.Type(), "%s", tc.e)
		require.Equal(t, tc.want, mustText(t, tc.e), "%s", tc.e)
	}
}

func TestOperatorErrors(t *testing.T) {
	i2 := func(s string) Expr { return lit(t, types.TInt2, s) }
	i4 := func(s string) Expr { return lit(t, types.TInt4, s) }
	i8 := func(s string) Expr { return lit(t, types.TInt8, s) }
	f8 := func(s string) Expr { return lit(t, types.TFloat8, s) }
	num := func(s string) Expr { return lit(t, types.TNumeric, s) }
	txt := func(s string) Expr { return lit(t, types.TText, s) }
	tests := []struct {
		e    Expr
		code string
		msg  string
	}{
		{bop(t, "+", i4("2147483647"), i4("1")), pgerror.CodeNumericValueOutOfRange, "integer out of range"},
		{bop(t, "*", i8("9223372036854775807"), i8("2")), pgerror.CodeNumericValueOutOfRange, "bigint out of range"},
		{bop(t, "-", i8("-9223372036854775808"), i8("1")), pgerror.CodeNumericValueOutOfRange, "bigint out of range"},
		{bop(t, "/", i8("-9223372036854775808"), i8("-1")), pgerror.CodeNumericValueOutOfRange, "bigint out of range"},
		{bop(t, "+", i2("32767"), i2("1")), pgerror.CodeNumericValueOutOfRange, "smallint out of range"},
		{uop(t, "-", i4("-2147483648")), pgerror.CodeNumericValueOutOfRange, "integer out of range"},
		{bop(t, "/", i4("1"), i4("0")), pgerror.CodeDivisionByZero, "division by zero"},
		{bop(t, "%", i4("1"), i4("0")), pgerror.CodeDivisionByZero, "division by zero"},
		{bop(t, "/", f8("1"), f8("0")), pgerror.CodeDivisionByZero, "division by zero"},
		{bop(t, "/", num("1"), num("0")), pgerror.CodeDivisionByZero, "division by zero"},
		{bop(t, "*", f8("1e300"), f8("1e300")), pgerror.CodeNumericValueOutOfRange, "value out of range: overflow"},
		{bop(t, "~~", txt("a"), txt(`a\`)), "22025", "LIKE pattern must not end with escape character"},
		{bop(t, "~", txt("a"), txt(`(`)), pgerror.CodeInvalidRegularExpression, "invalid regular expression: error parsing regexp: missing closing ): `(`"},
	}
	for _, tc := range tests {
		_, err := evalText(t, tc.e)
		require.Error(t, err, "%s", tc.e)
		require.Equal(t, tc.code, pgerror.Code(err), "%s: %v", tc.e, err)
		require.Equal(t, tc.msg, err.Error(), "%s", tc.e)
	}
	_, err := ResolveOperator("+", types.TInt4, types.TBool)
	require.Equal(t, pgerror.CodeUndefinedFunction, pgerror.Code(err))
	require.Equal(t, "operator does not exist: integer + boolean", err.Error())
}

// NULL operands never reach a failing kernel: 1/NULL and NULL/0 are NULL.
func TestStrictNullSkipsKernel(t *testing.T) {
	i4 := func(s string) Expr { return lit(t, types.TInt4, s) }
	require.Equal(t, "NULL", mustText(t, bop(t, "/", i4("NULL"), i4("0"))))
	require.Equal(t, "NULL", mustText(t, bop(t, "/", i4("1"), i4("NULL"))))
	require.Equal(t, "NULL", mustText(t, bop(t, "+", i4("2147483647"), i4("NULL"))))
}
