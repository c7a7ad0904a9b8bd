package expr

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/types"
)

// anyCall builds weir_any/weir_all('op', x, arr) as the binder does.
func anyCall(t *testing.T, all bool, op string, x, arr Expr) Expr {
	t.Helper()
	name := "weir_any"
	if all {
		name = "weir_all"
	}
	return fcall(t, name, &Const{D: types.DString(op), T: types.TText}, x, arr)
}

// TestAnyAll checks x op ANY/ALL(array) against PostgreSQL's results,
// NULL handling included (e.g. SELECT 1 = ANY('{2,NULL}'::int4[]) is NULL).
func TestAnyAll(t *testing.T) {
	i4 := func(s string) Expr { return lit(t, types.TInt4, s) }
	i4a := func(s string) Expr { return lit(t, types.TInt4Array, s) }
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{anyCall(t, false, "=", i4("1"), i4a("{1,2}")), "t"},
		{anyCall(t, false, "=", i4("3"), i4a("{1,2}")), "f"},
		{anyCall(t, false, "=", i4("3"), i4a("{1,NULL}")), "NULL"},
		{anyCall(t, false, "=", i4("1"), i4a("{1,NULL}")), "t"},
		{anyCall(t, false, "=", i4("NULL"), i4a("{}")), "f"},
		{anyCall(t, false, "=", i4("NULL"), i4a("{1}")), "NULL"},
		{anyCall(t, false, "=", i4("1"), i4a("NULL")), "NULL"},
		{anyCall(t, false, "<", i4("1"), i4a("{0,5}")), "t"},
		{anyCall(t, true, "<", i4("1"), i4a("{2,5}")), "t"},
		{anyCall(t, true, "<", i4("1"), i4a("{2,0}")), "f"},
		{anyCall(t, true, "<", i4("1"), i4a("{2,NULL}")), "NULL"},
		{anyCall(t, true, "=", i4("NULL"), i4a("{}")), "t"},
		{anyCall(t, false, "=", lit(t, types.TOid, "0"), lit(t, types.TOidArray, "{0}")), "t"},
		{anyCall(t, false, "=", unknown("d"), lit(t, types.TCharArray, "{d,f}")), "t"},
		{anyCall(t, false, "=", unknown("m"), lit(t, types.TCharArray, "{d,f}")), "f"},
		{anyCall(t, false, "=", unknown("b"), lit(t, types.TTextArray, "{a,b}")), "t"},
		{anyCall(t, false, "~~", unknown("abc"), lit(t, types.TTextArray, "{x%,a%}")), "t"},
		{anyCall(t, false, "=", lit(t, types.TInt2, "3"), lit(t, types.TInt2Vector, "1 3")), "t"},
	} {
		require.Equal(t, tc.want, mustText(t, tc.e), "%s", tc.e)
	}
}

func TestArrayFunctions(t *testing.T) {
	oa := func(s string) Expr { return lit(t, types.TOidArray, s) }
	i2a := func(s string) Expr { return lit(t, types.TInt2Array, s) }
	i4 := func(s string) Expr { return lit(t, types.TInt4, s) }
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{fcall(t, "array_upper", i2a("{1,2,3}"), i4("1")), "3"},
		{fcall(t, "array_upper", i2a("{}"), i4("1")), "NULL"},
		{fcall(t, "array_upper", i2a("{1}"), i4("2")), "NULL"},
		{fcall(t, "array_lower", i2a("{1}"), i4("1")), "1"},
		{fcall(t, "array_length", oa("{1,2}"), i4("1")), "2"},
		{fcall(t, "cardinality", oa("{}")), "0"},
		{fcall(t, "array_to_string", oa("{1,NULL,3}"), unknown(",")), "1,3"},
		{fcall(t, "array_to_string", oa("{1,NULL,3}"), unknown(","), unknown("*")), "1,*,3"},
		{fcall(t, "weir_subscript", i2a("{5,6}"), i4("2")), "6"},
		{fcall(t, "weir_subscript", i2a("{5,6}"), i4("0")), "NULL"},
		{fcall(t, "weir_subscript", i2a("{5,6}"), i4("3")), "NULL"},
		// int2vector subscripts start at 0, as in PostgreSQL.
		{fcall(t, "weir_subscript", lit(t, types.TInt2Vector, "5 6"), i4("0")), "5"},
		{bop(t, "||", lit(t, types.TTextArray, "{a}"), lit(t, types.TTextArray, "{b,NULL}")), "{a,b,NULL}"},
		{bop(t, "||", lit(t, types.TTextArray, "NULL"), lit(t, types.TTextArray, "{b}")), "{b}"},
		{bop(t, "||", oa("{1}"), oa("{2}")), "{1,2}"},
		{bop(t, "=", oa("{1,2}"), oa("{1,2}")), "t"},
		{bop(t, "<", oa("{1,2}"), oa("{1,10}")), "t"},
		{&Cast{E: lit(t, types.TInt2Vector, "1 3"), To: types.TInt2Array}, "{1,3}"},
		{&Cast{E: lit(t, types.TOidVector, "26 23"), To: types.TOidArray}, "{26,23}"},
		{&Cast{E: i2a("{1,2}"), To: types.TText}, "{1,2}"},
		{&Cast{E: unknown("{0}"), To: types.TOidArray}, "{0}"},
		{&Cast{E: lit(t, types.TTextArray, "{1,2}"), To: types.TInt4Array}, "{1,2}"},
		{&Cast{E: lit(t, types.TOid, "11"), To: types.TRegNamespace}, "11"},
		{&Cast{E: &Cast{E: lit(t, types.TOid, "11"), To: types.TRegNamespace}, To: types.TText}, "pg_catalog"},
		{&Cast{E: &Cast{E: unknown("public"), To: types.TRegNamespace}, To: types.TOid}, "2200"},
		{fcall(t, "pg_size_pretty", lit(t, types.TInt8, "8192")), "8192 bytes"},
	} {
		require.Equal(t, tc.want, mustText(t, tc.e), "%s", tc.e)
	}
	_, err := evalText(t, &Cast{E: unknown("nosuch"), To: types.TRegNamespace})
	require.ErrorContains(t, err, `schema "nosuch" does not exist`)
}

// TestPrettySize checks pg_size_pretty against PostgreSQL 15's outputs.
func TestPrettySize(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0 bytes"}, {10239, "10239 bytes"}, {10240, "10 kB"}, {10752, "11 kB"}, {-10752, "-11 kB"},
		{20 * 1024 * 1024, "20 MB"}, {20*1024*1024 - 1, "20 MB"}, {1 << 40, "1024 GB"}, {1 << 50, "1024 TB"},
		{1 << 62, "4096 PB"},
	} {
		require.Equal(t, tc.want, PrettySize(tc.in), "%d", tc.in)
	}
}

// TestArrayAgg checks array_agg over a non-text element type, with a
// retraction.
func TestArrayAgg(t *testing.T) {
	a, err := ResolveAgg("array_agg", []types.T{types.TOid})
	require.NoError(t, err)
	require.Equal(t, types.TOidArray, a.Ret)
	st := a.New(a.Args, a.Ret)
	st.Grow(1)
	v := types.NewVec(types.TOid, 3)
	for _, d := range []types.Datum{types.DInt(3), types.NullDatum, types.DInt(1)} {
		v.Append(d)
	}
	require.NoError(t, st.Update(nil, []int32{0, 0, 0}, []*types.Vec{v}, nil, nil))
	require.NoError(t, st.Update(nil, []int32{0}, []*types.Vec{v}, []types.Op{types.Delete}, nil))
	out := types.NewVec(types.TOidArray, 1)
	st.Result(0, out)
	require.Equal(t, "{NULL,1}", types.FormatText(types.TOidArray, out.Datum(0), nil))
	require.Equal(t, int64(2), st.Count(0))
}
