package expr

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// chunkOf builds a one-column int4 chunk; "NULL" entries are NULL.
func intChunk(t *testing.T, vals ...string) *types.Chunk {
	c := types.NewChunk([]types.T{types.TInt4}, len(vals))
	for _, v := range vals {
		d := types.NullDatum
		if v != "NULL" {
			var err error
			d, err = types.ParseText(types.TInt4, v, nil)
			require.NoError(t, err)
		}
		c.AppendRow([]types.Datum{d})
	}
	return c
}

func evalVec(t *testing.T, e Expr, c *types.Chunk) []string {
	t.Helper()
	ev, err := Compile(e)
	require.NoError(t, err)
	v, err := ev.Eval(testCtx(), c)
	require.NoError(t, err)
	out := make([]string, c.N)
	for i := range out {
		out[i] = types.FormatText(v.T, v.Datum(i), nil)
	}
	return out
}

func TestCaseIsLazy(t *testing.T) {
	x := &ColRef{Idx: 0, T: types.TInt4, Name: "x"}
	zero, one := lit(t, types.TInt4, "0"), lit(t, types.TInt4, "1")
	// CASE WHEN x = 0 THEN 0 ELSE 1/x END
	e := &Case{Whens: []When{{Cond: bop(t, "=", x, zero), Then: zero}}, Else: bop(t, "/", lit(t, types.TInt4, "10"), x), T: types.TInt4}
	require.Equal(t, []string{"5", "0", "NULL", "-10", "0"}, evalVec(t, e, intChunk(t, "2", "0", "NULL", "-1", "0")))
	// Without an ELSE the unmatched rows are NULL; a later arm sees only
	// rows earlier arms rejected.
	e2 := &Case{Whens: []When{
		{Cond: bop(t, ">", x, one), Then: lit(t, types.TText, "big")},
		{Cond: bop(t, ">", x, zero), Then: lit(t, types.TText, "one")},
	}, T: types.TText}
	require.Equal(t, []string{"big", "one", "NULL", "NULL"}, evalVec(t, e2, intChunk(t, "5", "1", "0", "NULL")))
	// The error still surfaces when a row reaches the failing branch.
	c := intChunk(t, "0")
	c.Cols[0].I[0] = 0
	e3 := &Case{Whens: []When{{Cond: bop(t, "=", x, one), Then: zero}}, Else: bop(t, "/", one, x), T: types.TInt4}
	ev, err := Compile(e3)
	require.NoError(t, err)
	_, err = ev.Eval(testCtx(), c)
	require.Equal(t, pgerror.CodeDivisionByZero, pgerror.Code(err))
}

func TestThreeValuedLogic(t *testing.T) {
	b := func(s string) Expr { return lit(t, types.TBool, s) }
	vals := []string{"true", "false", "NULL"}
	and := map[[2]string]string{}
	or := map[[2]string]string{}
	for _, l := range vals {
		for _, r := range vals {
			and[[2]string{l, r}] = mustText(t, &And{L: b(l), R: b(r)})
			or[[2]string{l, r}] = mustText(t, &Or{L: b(l), R: b(r)})
		}
	}
	require.Equal(t, map[[2]string]string{
		{"true", "true"}: "t", {"true", "false"}: "f", {"true", "NULL"}: "NULL",
		{"false", "true"}: "f", {"false", "false"}: "f", {"false", "NULL"}: "f",
		{"NULL", "true"}: "NULL", {"NULL", "false"}: "f", {"NULL", "NULL"}: "NULL",
	}, and)
	require.Equal(t, map[[2]string]string{
		{"true", "true"}: "t", {"true", "false"}: "t", {"true", "NULL"}: "t",
		{"false", "true"}: "t", {"false", "false"}: "f", {"false", "NULL"}: "NULL",
		{"NULL", "true"}: "t", {"NULL", "false"}: "NULL", {"NULL", "NULL"}: "NULL",
	}, or)
	require.Equal(t, "NULL", mustText(t, &Not{E: b("NULL")}))
	require.Equal(t, "f", mustText(t, &Not{E: b("true")}))

	// AND evaluates its right side only where the left is not FALSE.
	x := &ColRef{Idx: 0, T: types.TInt4}
	zero := lit(t, types.TInt4, "0")
	guard := &And{L: bop(t, "<>", x, zero), R: bop(t, ">", bop(t, "/", lit(t, types.TInt4, "10"), x), lit(t, types.TInt4, "1"))}
	require.Equal(t, []string{"t", "f", "NULL", "f"}, evalVec(t, guard, intChunk(t, "2", "0", "NULL", "20")))
	ev, err := Compile(guard)
	require.NoError(t, err)
	sel, err := Filter(testCtx(), ev, intChunk(t, "2", "0", "NULL", "20", "5"))
	require.NoError(t, err)
	require.Equal(t, []int{0, 4}, sel)
}

func TestNullPredicates(t *testing.T) {
	x := &ColRef{Idx: 0, T: types.TInt4}
	c := intChunk(t, "1", "NULL", "3")
	require.Equal(t, []string{"f", "t", "f"}, evalVec(t, &IsNull{E: x}, c))
	require.Equal(t, []string{"t", "f", "t"}, evalVec(t, &IsNull{E: x, Not: true}, c))
	eq, err := ResolveOperator("=", types.TInt4, types.TInt4)
	require.NoError(t, err)
	one, null := lit(t, types.TInt4, "1"), lit(t, types.TInt4, "NULL")
	require.Equal(t, []string{"f", "t", "t"}, evalVec(t, &IsDistinct{L: x, R: one, Eq: eq}, c))
	require.Equal(t, []string{"t", "f", "t"}, evalVec(t, &IsDistinct{L: x, R: null, Eq: eq}, c))
	require.Equal(t, []string{"f", "t", "f"}, evalVec(t, &IsDistinct{L: x, R: null, Eq: eq, Not: true}, c))
	// IN with NULLs: 1 IN (1, NULL) is true; 3 IN (1, NULL) is NULL; NOT IN
	// likewise NULL.
	in := &InList{E: x, List: []Expr{one, null}, Eq: eq}
	require.Equal(t, []string{"t", "NULL", "NULL"}, evalVec(t, in, c))
	notIn := &InList{E: x, List: []Expr{one, lit(t, types.TInt4, "2")}, Eq: eq, Not: true}
	require.Equal(t, []string{"f", "NULL", "t"}, evalVec(t, notIn, c))
	co := &Coalesce{Args: []Expr{x, lit(t, types.TInt4, "9")}, T: types.TInt4}
	require.Equal(t, []string{"1", "9", "3"}, evalVec(t, co, c))
}

func TestFold(t *testing.T) {
	one, two := lit(t, types.TInt4, "1"), lit(t, types.TInt4, "2")
	x := &ColRef{Idx: 0, T: types.TInt4, Name: "x"}
	require.Equal(t, "3", Fold(bop(t, "+", one, two)).String())
	require.Equal(t, "(x + 3)", Fold(bop(t, "+", x, bop(t, "+", one, two))).String())
	// Errors are left for execution.
	div := bop(t, "/", one, lit(t, types.TInt4, "0"))
	require.Equal(t, "(1 / 0)", Fold(div).String())
	// Stable functions are not folded at plan time.
	require.Equal(t, "now()", Fold(fcall(t, "now")).String())
	f := lit(t, types.TBool, "false")
	require.Equal(t, "false", Fold(&And{L: bop(t, ">", x, one), R: f}).String())
	require.Equal(t, "1", Fold(&Case{Whens: []When{{Cond: f, Then: div}}, Else: one, T: types.TInt4}).String())
}

func TestParamsAndOuterRefs(t *testing.T) {
	ctx := testCtx()
	ctx.Params = []types.Datum{types.DInt(5)}
	ctx.Outer = [][]types.Datum{{types.DInt(7)}}
	e := bop(t, "+", &Param{Idx: 0, T: types.TInt4}, &OuterRef{Depth: 1, Idx: 0, T: types.TInt4})
	d, err := EvalConst(ctx, e)
	require.NoError(t, err)
	require.Equal(t, int64(12), d.I)
	_, err = EvalConst(testCtx(), &Param{Idx: 1, T: types.TInt4})
	require.Equal(t, pgerror.CodeUndefinedParameter, pgerror.Code(err))
}

func TestSubqueries(t *testing.T) {
	x := &ColRef{Idx: 0, T: types.TInt4}
	eq, err := ResolveOperator("=", types.TInt4, types.TInt4)
	require.NoError(t, err)
	ctx := testCtx()
	ctx.Subquery = func(ctx *EvalCtx, sq *Subquery) (types.Datum, error) {
		// A correlated "SELECT outer.x * 10".
		return types.DInt(ctx.Outer[len(ctx.Outer)-1][0].I * 10), nil
	}
	vals := types.NewVec(types.TInt4, 2)
	vals.Append(types.DInt(1))
	vals.AppendNull()
	ctx.SubqueryValues = func(*EvalCtx, *Subquery) (*types.Vec, error) { return vals, nil }
	scalar, err := Compile(&Subquery{Kind: SubqueryScalar, Correlated: true, T: types.TInt4})
	require.NoError(t, err)
	v, err := scalar.Eval(ctx, intChunk(t, "1", "2"))
	require.NoError(t, err)
	require.Equal(t, []int64{10, 20}, v.I)
	in, err := Compile(&Subquery{Kind: SubqueryIn, Left: x, Eq: eq, T: types.TBool})
	require.NoError(t, err)
	v, err = in.Eval(ctx, intChunk(t, "1", "2", "NULL"))
	require.NoError(t, err)
	require.Equal(t, "t", types.FormatText(types.TBool, v.Datum(0), nil))
	require.True(t, v.IsNull(1), "2 IN (1, NULL) is NULL")
	require.True(t, v.IsNull(2))
}

func TestCasts(t *testing.T) {
	tests := []struct {
		from   types.T
		in     string
		to     types.T
		want   string
		errSQL string
	}{
		{types.TText, " 42 ", types.TInt4, "42", ""},
		{types.TText, "x", types.TInt4, "", pgerror.CodeInvalidTextRepresentation},
		{types.TInt8, "3000000000", types.TInt4, "", pgerror.CodeNumericValueOutOfRange},
		{types.TInt4, "7", types.TInt8, "7", ""},
		{types.TFloat8, "2.5", types.TInt4, "2", ""},
		{types.TFloat8, "3.5", types.TInt4, "4", ""},
		{types.TFloat8, "-2.5", types.TInt4, "-2", ""},
		{types.TNumeric, "2.5", types.TInt4, "3", ""},
		{types.TNumeric, "-2.5", types.TInt4, "-3", ""},
		{types.TFloat8, "1e10", types.TInt4, "", pgerror.CodeNumericValueOutOfRange},
		{types.TFloat8, "NaN", types.TInt8, "", pgerror.CodeNumericValueOutOfRange},
		{types.TFloat8, "0.1", types.TNumeric, "0.1", ""},
		{types.TNumeric, "1.005", types.WithNumericPrecScale(5, 2), "1.01", ""},
		{types.TNumeric, "-1.005", types.WithNumericPrecScale(5, 2), "-1.01", ""},
		{types.TNumeric, "999.995", types.WithNumericPrecScale(5, 2), "", pgerror.CodeNumericValueOutOfRange},
		{types.TNumeric, "999.994", types.WithNumericPrecScale(5, 2), "999.99", ""},
		{types.TNumeric, "1000.5", types.WithNumericPrecScale(4, 1), "", pgerror.CodeNumericValueOutOfRange},
		{types.TInt4, "12345", types.WithNumericPrecScale(4, 0), "", pgerror.CodeNumericValueOutOfRange},
		{types.TText, "abcdef", types.WithVarcharLen(3), "abc", ""},
		{types.TText, "héllo", types.WithVarcharLen(2), "hé", ""},
		{types.TInt4, "12345", types.WithVarcharLen(3), "123", ""},
		{types.TBool, "true", types.TInt4, "1", ""},
		{types.TInt4, "0", types.TBool, "f", ""},
		{types.TInt4, "5", types.TText, "5", ""},
		{types.TFloat8, "0.1", types.TText, "0.1", ""},
		{types.TNumeric, "1.50", types.TText, "1.50", ""},
		{types.TDate, "2026-01-02", types.TTimestamp, "2026-01-02 00:00:00", ""},
		{types.TTimestamp, "2026-01-02 23:59:59", types.TDate, "2026-01-02", ""},
		{types.TTimestamp, "2026-01-02 10:00:00", types.TTimestampTZ, "2026-01-02 10:00:00+00", ""},
		{types.TText, "1 day", types.TInterval, "1 day", ""},
		{types.TInterval, "1 day 02:00:00", types.TText, "1 day 02:00:00", ""},
		{types.TText, `{"b":1,"a":2}`, types.TJSONB, `{"a": 2, "b": 1}`, ""},
		{types.TJSONB, `12.5`, types.TNumeric, `12.5`, ""},
		{types.TText, "{a,b}", types.TTextArray, "{a,b}", ""},
		{types.TText, "int8", types.TRegType, "bigint", ""},
		{types.TText, "t", types.TBool, "t", ""},
		{types.TBytea, `\x0102`, types.TText, `\x0102`, ""},
		{types.TBool, "t", types.TDate, "", pgerror.CodeCannotCoerce},
	}
	for _, tc := range tests {
		d, err := types.ParseText(tc.from, tc.in, nil)
		require.NoError(t, err)
		got, err := CastDatum(testCtx(), d, tc.from, tc.to, true)
		if tc.errSQL != "" {
			require.Error(t, err, "%s::%s", tc.in, tc.to)
			require.Equal(t, tc.errSQL, pgerror.Code(err), "%s::%s: %v", tc.in, tc.to, err)
			continue
		}
		require.NoError(t, err, "%s::%s", tc.in, tc.to)
		require.Equal(t, tc.want, types.FormatText(tc.to, got, nil), "%s %s::%s", tc.from, tc.in, tc.to)
	}
	// Assignment to varchar(n) errors instead of truncating, except for
	// trailing spaces.
	_, err := CastDatum(testCtx(), types.DString("abcd"), types.TText, types.WithVarcharLen(3), false)
	require.Equal(t, pgerror.CodeStringDataRightTruncation, pgerror.Code(err))
	require.Equal(t, "value too long for type character varying(3)", err.Error())
	d, err := CastDatum(testCtx(), types.DString("abc  "), types.TText, types.WithVarcharLen(3), false)
	require.NoError(t, err)
	require.Equal(t, "abc", d.S)
	require.True(t, CanCast(types.TInt4, types.TInt8, false))
	require.False(t, CanCast(types.TInt8, types.TInt4, false))
	require.True(t, CanCast(types.TInt8, types.TInt4, true))
	require.True(t, CanAssign(types.TInt8, types.TInt4))
	require.False(t, CanCast(types.TBool, types.TDate, true))
}

func TestCommonType(t *testing.T) {
	tests := []struct {
		in   []types.T
		want types.T
		err  string
	}{
		{[]types.T{types.TInt4, types.TInt8}, types.TInt8, ""},
		{[]types.T{types.TInt4, types.TNumeric}, types.TNumeric, ""},
		{[]types.T{types.TNumeric, types.TFloat8}, types.TFloat8, ""},
		{[]types.T{types.TUnknown, types.TInt4}, types.TInt4, ""},
		{[]types.T{types.TUnknown, types.TUnknown}, types.TText, ""},
		// Order matters, as in PostgreSQL: text is preferred, but varchar and
		// text cast to each other implicitly.
		{[]types.T{types.TVarchar, types.TText}, types.TVarchar, ""},
		{[]types.T{types.TText, types.TVarchar}, types.TText, ""},
		{[]types.T{types.TDate, types.TTimestamp}, types.TTimestamp, ""},
		{[]types.T{types.TInt4, types.TBool}, types.T{}, "CASE types integer and boolean cannot be matched"},
	}
	for _, tc := range tests {
		got, err := CommonType(tc.in)
		if tc.err != "" {
			require.Equal(t, tc.err, err.Error())
			require.Equal(t, pgerror.CodeDatatypeMismatch, pgerror.Code(err))
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "%v", tc.in)
	}
}
