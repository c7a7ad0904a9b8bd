package types

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
)

// TestArrayText checks array input and output against what PostgreSQL
// prints for the same literal (e.g. SELECT '{ 3 , -1,NULL}'::int2[]).
func TestArrayText(t *testing.T) {
	tests := []struct {
		t    T
		in   string
		want string
	}{
		{TOidArray, "{0}", "{0}"},
		{TOidArray, "{}", "{}"},
		{TOidArray, "{4294967295,10}", "{4294967295,10}"},
		{TInt2Array, "{ 3 , -1,NULL}", "{3,-1,NULL}"},
		{TInt4Array, "{-2147483648}", "{-2147483648}"},
		{TInt8Array, "{9223372036854775807,-9223372036854775808}", "{9223372036854775807,-9223372036854775808}"},
		{TCharArray, "{d,f,m}", "{d,f,m}"},
		{TCharArray, `{"",x}`, `{"",x}`},
		{TNameArray, `{a,"b c",NULL,"NULL"}`, `{a,"b c",NULL,"NULL"}`},
	}
	for _, tc := range tests {
		d, err := ParseText(tc.t, tc.in, nil)
		require.NoError(t, err, "%s %q", tc.t, tc.in)
		require.Equal(t, tc.want, string(AppendText(nil, tc.t, d, nil)), "%s %q", tc.t, tc.in)
	}
}

func TestArrayTextErrors(t *testing.T) {
	tests := []struct {
		t    T
		in   string
		code string
	}{
		{TOidArray, "0", pgerror.CodeInvalidTextRepresentation},
		{TInt2Array, "{1,x}", pgerror.CodeInvalidTextRepresentation},
		{TInt2Array, "{40000}", pgerror.CodeNumericValueOutOfRange},
		{TInt4Array, "{1,}", pgerror.CodeInvalidTextRepresentation},
	}
	for _, tc := range tests {
		_, err := ParseText(tc.t, tc.in, nil)
		require.Error(t, err, "%s %q", tc.t, tc.in)
		require.Equal(t, tc.code, pgerror.Code(err), "%s %q: %v", tc.t, tc.in, err)
	}
}

// TestArrayOrder checks that array values compare as PostgreSQL orders
// them: element by element (numerically for integer elements), NULL
// elements last, a proper prefix first.
func TestArrayOrder(t *testing.T) {
	sorted := []string{"{}", "{-5}", "{-5,1}", "{-1}", "{0}", "{2}", "{2,NULL}", "{10}", "{NULL}"}
	for i := 1; i < len(sorted); i++ {
		a, err := ParseText(TInt4Array, sorted[i-1], nil)
		require.NoError(t, err)
		b, err := ParseText(TInt4Array, sorted[i], nil)
		require.NoError(t, err)
		require.Equal(t, -1, Compare(TInt4Array, a, b), "%s < %s", sorted[i-1], sorted[i])
		require.Equal(t, 1, Compare(TInt4Array, b, a), "%s > %s", sorted[i], sorted[i-1])
	}
}

func TestArrayBinaryRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		t  T
		in string
	}{
		{TOidArray, "{0,16384}"},
		{TInt2Array, "{1,NULL,-3}"},
		{TInt8Array, "{}"},
		{TCharArray, "{d,f}"},
		{TNameArray, `{"a b",NULL}`},
	} {
		d, err := ParseText(tc.t, tc.in, nil)
		require.NoError(t, err)
		b, err := AppendBinary(nil, tc.t, d)
		require.NoError(t, err)
		back, err := ParseBinary(tc.t, b)
		require.NoError(t, err)
		require.Equal(t, d.S, back.S, "%s %s", tc.t, tc.in)
	}
	// The element type OID is in the header (ndim, hasnull, elemtype).
	d, err := ParseText(TOidArray, "{7}", nil)
	require.NoError(t, err)
	b, err := AppendBinary(nil, TOidArray, d)
	require.NoError(t, err)
	require.Equal(t, []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 26}, b[:12])
}

func TestArrayElemAndOf(t *testing.T) {
	for _, a := range []T{TTextArray, TInt2Array, TInt4Array, TInt8Array, TOidArray, TCharArray, TNameArray} {
		e, ok := a.ArrayElem()
		require.True(t, ok, "%s", a)
		back, ok := ArrayOf(e)
		require.True(t, ok, "%s", e)
		require.Equal(t, a, back)
		require.True(t, a.IsArray())
		require.Equal(t, byte('A'), a.Category())
	}
	e, ok := TInt2Vector.ArrayElem()
	require.True(t, ok)
	require.Equal(t, TInt2, e)
	elems, err := DecodeArray(TInt2Vector, "1 3")
	require.NoError(t, err)
	require.Equal(t, []Datum{DInt(1), DInt(3)}, elems)
	_, ok = TInt4.ArrayElem()
	require.False(t, ok)
	require.Equal(t, `"char"[]`, TCharArray.String())
	require.Equal(t, "smallint[]", TInt2Array.String())
	got, ok := ByOID(1028)
	require.True(t, ok)
	require.Equal(t, TOidArray, got)
}
