package expr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/types"
)

// lit returns a typed constant from PostgreSQL text input; "NULL" is NULL.
func lit(t *testing.T, typ types.T, s string) Expr {
	t.Helper()
	if s == "NULL" {
		return &Const{D: types.NullDatum, T: typ}
	}
	d, err := types.ParseText(typ, s, time.UTC)
	require.NoError(t, err)
	return &Const{D: d, T: typ}
}

func unknown(s string) Expr { return &Const{D: types.DString(s), T: types.TUnknown} }

// coerce casts e to want when the types differ, as the binder does.
func coerce(e Expr, want types.T) Expr {
	if want.ID == types.Unknown || e.Type().ID == want.ID && e.Type().Mod == want.Mod {
		return e
	}
	return &Cast{E: e, To: want}
}

func bop(t *testing.T, op string, l, r Expr) Expr {
	t.Helper()
	f, err := ResolveOperator(op, l.Type(), r.Type())
	require.NoError(t, err, "%s %s %s", l.Type(), op, r.Type())
	return &Call{Fn: f, Args: []Expr{coerce(l, f.Args[0]), coerce(r, f.Args[1])}}
}

func uop(t *testing.T, op string, a Expr) Expr {
	t.Helper()
	f, err := ResolveUnaryOperator(op, a.Type())
	require.NoError(t, err)
	return &Call{Fn: f, Args: []Expr{coerce(a, f.Args[0])}}
}

func fcall(t *testing.T, name string, args ...Expr) Expr {
	t.Helper()
	ts := make([]types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	f, err := ResolveFunc(name, ts)
	require.NoError(t, err, "%s%v", name, ts)
	out := make([]Expr, len(args))
	for i, a := range args {
		decl := expandArgs(f, len(args))[i]
		out[i] = coerce(a, ImplicitCastTarget(a.Type(), decl))
	}
	return &Call{Fn: f, Args: out}
}

func testCtx() *EvalCtx {
	return &EvalCtx{
		Now:      time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC),
		Location: time.UTC,
		Settings: func(name string) (string, bool) {
			switch name {
			case "server_version":
				return "15.0", true
			case "datestyle":
				return "ISO, MDY", true
			}
			return "", false
		},
	}
}

// evalText evaluates e once and returns its text form ("NULL" for NULL).
func evalText(t *testing.T, e Expr) (string, error) {
	t.Helper()
	d, err := EvalConst(testCtx(), e)
	if err != nil {
		return "", err
	}
	return types.FormatText(e.Type(), d, time.UTC), nil
}

func mustText(t *testing.T, e Expr) string {
	t.Helper()
	s, err := evalText(t, e)
	require.NoError(t, err, "%s", e)
	return s
}
