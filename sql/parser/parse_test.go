package parser

import (
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// TestParse runs testdata/parse: one statement in, its debug form (or the
// error with SQLSTATE and position) out.
func TestParse(t *testing.T) {
	p := New()
	datadriven.RunTest(t, "testdata/parse", func(t *testing.T, d *datadriven.TestData) string {
		stmt, err := p.Parse(d.Input)
		if err != nil {
			return fmtErr(err)
		}
		return stmt.String() + "\n"
	})
}

func TestParseErrorPositions(t *testing.T) {
	tests := []struct {
		in   string
		code string
		pos  int
		msg  string
	}{
		{"SELECT * FRM t", pgerror.CodeSyntaxError, 10, `syntax error at or near "FRM"`},
		{"SELECT 'ü', 'é' FRM t", pgerror.CodeSyntaxError, 21, `syntax error at or near "t"`},
		{"SELECT 'ü' ,* FRM t", pgerror.CodeSyntaxError, 15, `syntax error at or near "FRM"`},
		{"SELECT x::int, INTERVAL '1' SECOND, $1 FROM t WHERE a = = 1", pgerror.CodeSyntaxError, 57, `syntax error at or near "="`},
		{"SELECT a FROM t WHERE", pgerror.CodeSyntaxError, 22, "syntax error at end of input"},
		{"SELECT 1 +;", pgerror.CodeSyntaxError, 11, `syntax error at or near ";"`},
		{"SELEC 1", pgerror.CodeSyntaxError, 1, `syntax error at or near "SELEC"`},
		{"SELECT 'abc", pgerror.CodeSyntaxError, 8, "unterminated quoted string"},
		{"SELECT 1; SELECT 2", pgerror.CodeSyntaxError, 9, "cannot insert multiple commands"},
		{"CREATE TABLE t (a foo)", pgerror.CodeUndefinedObject, 19, `type "foo" does not exist`},
		{"CREATE TABLE t (a int, é serial)", pgerror.CodeFeatureNotSupported, 26, "type serial is not supported"},
		{"CREATE TABLE t (a int PRIMARY KEY, b int, PRIMARY KEY (b))", "42P16", 43, "multiple primary keys"},
		{"SELECT * FROM db.s.t", pgerror.CodeFeatureNotSupported, 15, `cross-database references are not implemented: "db.s.t"`},
		{"CREATE INDEX i ON t (a)", pgerror.CodeFeatureNotSupported, 8, "CREATE INDEX"},
		{"COPY t FROM STDIN (FORMAT xml)", pgerror.CodeInvalidParameterValue, 0, `COPY format "xml" not recognized`},
	}
	p := New()
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := p.Parse(tc.in)
			require.Error(t, err)
			pe := pgerror.Convert(err)
			require.Equal(t, tc.code, pe.Code, pe.Message)
			require.Equal(t, tc.pos, pe.Position, pe.Message)
			require.Contains(t, pe.Message, tc.msg)
		})
	}
}

func TestQueryOrigPos(t *testing.T) {
	p := New()
	stmt, err := p.Parse("SELECT ÄBC, x::int, yy FROM t")
	require.NoError(t, err)
	q := stmt.(*Query)
	require.Equal(t, "select Äbc, weir_cast(x, 'integer'), yy from t", q.Text)
	// "yy" in rewritten text maps to its original character position.
	require.Equal(t, 21, q.OrigPos(len("select Äbc, weir_cast(x, 'integer'), ")))
	// Inside the synthesised cast: the position of "::".
	require.Equal(t, 14, q.OrigPos(len("select äbc, weir")))
	// A byte inside a verbatim token keeps its offset in the token.
	require.Equal(t, 22, q.OrigPos(len("select Äbc, weir_cast(x, 'integer'), y")))
	require.Equal(t, 30, q.OrigPos(len(q.Text)))
}

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in   string
		want types.IntervalValue
	}{
		{"4 second", types.IntervalValue{Micros: 4e6}},
		{"10 seconds", types.IntervalValue{Micros: 10e6}},
		{"1 day 02:00:00", types.IntervalValue{Days: 1, Micros: 7200e6}},
		{"1.5 minutes", types.IntervalValue{Micros: 90e6}},
		{"1 year 2 mons", types.IntervalValue{Months: 14}},
		{"0.5 month", types.IntervalValue{Days: 15}},
		{"500ms", types.IntervalValue{Micros: 500e3}},
		{"2 hours ago", types.IntervalValue{Micros: -7200e6}},
	}
	for _, tc := range tests {
		got, err := ParseInterval(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"", "abc", "1 fortnight", "1:2:3:4"} {
		_, err := ParseInterval(bad)
		require.Error(t, err, bad)
	}
}
