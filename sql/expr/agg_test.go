package expr

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/types"
)

func aggResult(s AggState, g int32, ret types.T) string {
	out := types.NewVec(ret, 1)
	s.Result(g, out)
	return types.FormatText(ret, out.Datum(0), nil)
}

func newAgg(t *testing.T, name string, args ...types.T) (AggState, types.T) {
	a, err := ResolveAgg(name, args)
	require.NoError(t, err)
	return a.New(args, a.Ret), a.Ret
}

func TestAggregatesBasic(t *testing.T) {
	vec := func(typ types.T, vals ...string) *types.Vec {
		v := types.NewVec(typ, len(vals))
		for _, s := range vals {
			if s == "NULL" {
				v.AppendNull()
				continue
			}
			d, err := types.ParseText(typ, s, nil)
			require.NoError(t, err)
			v.Append(d)
		}
		return v
	}
	groups := []int32{0, 0, 0, 0}
	tests := []struct {
		name string
		args []*types.Vec
		want string
	}{
		{"count", nil, "4"},
		{"count", []*types.Vec{vec(types.TInt4, "1", "NULL", "3", "4")}, "3"},
		{"sum", []*types.Vec{vec(types.TInt4, "1", "NULL", "3", "4")}, "8"},
		{"sum", []*types.Vec{vec(types.TInt8, "9223372036854775807", "1", "NULL", "0")}, "9223372036854775808"},
		{"sum", []*types.Vec{vec(types.TNumeric, "1.50", "2.5", "NULL", "0")}, "4.00"},
		{"sum", []*types.Vec{vec(types.TFloat8, "0.5", "0.25", "NULL", "1")}, "1.75"},
		{"sum", []*types.Vec{vec(types.TInterval, "1 day", "2 hours", "NULL", "1 mon")}, "1 mon 1 day 02:00:00"},
		{"avg", []*types.Vec{vec(types.TInt4, "1", "2", "NULL", "2")}, "1.6666666666666667"},
		{"avg", []*types.Vec{vec(types.TInt4, "1", "2", "NULL", "NULL")}, "1.5000000000000000"},
		{"avg", []*types.Vec{vec(types.TFloat8, "1", "2", "NULL", "NULL")}, "1.5"},
		{"avg", []*types.Vec{vec(types.TInterval, "1 day", "2 days", "NULL", "NULL")}, "1 day 12:00:00"},
		{"min", []*types.Vec{vec(types.TText, "b", "a", "NULL", "c")}, "a"},
		{"max", []*types.Vec{vec(types.TFloat8, "1", "NaN", "NULL", "2")}, "NaN"},
		{"max", []*types.Vec{vec(types.TInt4, "NULL", "NULL", "NULL", "NULL")}, "NULL"},
		{"bool_and", []*types.Vec{vec(types.TBool, "t", "f", "NULL", "t")}, "f"},
		{"bool_or", []*types.Vec{vec(types.TBool, "f", "f", "NULL", "t")}, "t"},
		{"every", []*types.Vec{vec(types.TBool, "t", "t", "NULL", "t")}, "t"},
		{"string_agg", []*types.Vec{vec(types.TText, "a", "b", "NULL", "c"), vec(types.TText, ",", ";", ",", "-")}, "a;b-c"},
		{"array_agg", []*types.Vec{vec(types.TText, "a", "b", "NULL", "c")}, "{a,b,NULL,c}"},
	}
	for _, tc := range tests {
		argTypes := make([]types.T, len(tc.args))
		for i, a := range tc.args {
			argTypes[i] = a.T
		}
		s, ret := newAgg(t, tc.name, argTypes...)
		s.Grow(1)
		require.NoError(t, s.Update(testCtx(), groups, tc.args, nil, nil))
		require.Equal(t, tc.want, aggResult(s, 0, ret), "%s(%v)", tc.name, argTypes)
	}
	// count(DISTINCT x) with retraction.
	inner, ret := newAgg(t, "count", types.TInt4)
	d := NewDistinctAggState(inner, []types.T{types.TInt4})
	d.Grow(1)
	v := vec(types.TInt4, "1", "1", "2", "NULL")
	require.NoError(t, d.Update(testCtx(), groups, []*types.Vec{v}, nil, nil))
	require.Equal(t, "2", aggResult(d, 0, ret))
	require.NoError(t, d.Update(testCtx(), []int32{0}, []*types.Vec{vec(types.TInt4, "1")}, []types.Op{types.Delete}, nil))
	require.Equal(t, "2", aggResult(d, 0, ret))
	require.NoError(t, d.Update(testCtx(), []int32{0}, []*types.Vec{vec(types.TInt4, "1")}, []types.Op{types.Delete}, nil))
	require.Equal(t, "1", aggResult(d, 0, ret))
}

// TestAggregatesMetamorphic feeds random inserts and retractions over
// several groups and compares each aggregate with a recomputation from the
// surviving rows.
func TestAggregatesMetamorphic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type row struct {
		g int32
		v int64
	}
	for _, name := range []string{"count", "sum", "min", "max", "avg", "string_agg"} {
		argT := types.TInt4
		if name == "string_agg" {
			argT = types.TText
		}
		argTypes := []types.T{argT}
		if name == "string_agg" {
			argTypes = append(argTypes, types.TText)
		}
		s, ret := newAgg(t, name, argTypes...)
		const nGroups = 4
		s.Grow(nGroups)
		var live []row
		for step := 0; step < 300; step++ {
			n := 1 + rng.IntN(8)
			groups := make([]int32, 0, n)
			ops := make([]types.Op, 0, n)
			vals := types.NewVec(argT, n)
			delims := types.NewVec(types.TText, n)
			for k := 0; k < n; k++ {
				if len(live) > 0 && rng.IntN(3) == 0 {
					j := rng.IntN(len(live))
					r := live[j]
					live = append(live[:j], live[j+1:]...)
					groups = append(groups, r.g)
					ops = append(ops, types.Delete)
					appendVal(vals, r.v)
				} else {
					r := row{g: int32(rng.IntN(nGroups)), v: int64(rng.IntN(20) - 5)}
					live = append(live, r)
					groups = append(groups, r.g)
					ops = append(ops, types.Insert)
					appendVal(vals, r.v)
				}
				delims.Append(types.DString(","))
			}
			args := []*types.Vec{vals}
			if name == "string_agg" {
				args = append(args, delims)
			}
			require.NoError(t, s.Update(testCtx(), groups, args, ops, nil))
			for g := int32(0); g < nGroups; g++ {
				var vs []int64
				for _, r := range live {
					if r.g == g {
						vs = append(vs, r.v)
					}
				}
				got := aggResult(s, g, ret)
				if name == "string_agg" {
					// Order under retraction is arrival order of the
					// survivors; compare as multisets.
					require.Equal(t, sortedCSV(vs), sortCSV(got), "%s group %d", name, g)
					continue
				}
				require.Equal(t, recompute(t, name, vs), got, "%s group %d step %d", name, g, step)
			}
		}
	}
}

func appendVal(v *types.Vec, x int64) {
	if v.T.ID == types.Text {
		v.Append(types.DString(string(rune('a' + x + 5))))
		return
	}
	v.Append(types.DInt(x))
}

func recompute(t *testing.T, name string, vs []int64) string {
	s, ret := newAgg(t, name, types.TInt4)
	s.Grow(1)
	v := types.NewVec(types.TInt4, len(vs))
	for _, x := range vs {
		v.Append(types.DInt(x))
	}
	require.NoError(t, s.Update(testCtx(), make([]int32, len(vs)), []*types.Vec{v}, nil, nil))
	return aggResult(s, 0, ret)
}

func sortedCSV(vs []int64) string {
	if len(vs) == 0 {
		return "NULL"
	}
	var ss []string
	for _, x := range vs {
		ss = append(ss, string(rune('a'+x+5)))
	}
	sort.Strings(ss)
	out := ss[0]
	for _, s := range ss[1:] {
		out += "," + s
	}
	return out
}

func sortCSV(s string) string {
	if s == "NULL" {
		return s
	}
	var parts []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	sort.Strings(parts)
	out := parts[0]
	for _, p := range parts[1:] {
		out += "," + p
	}
	return out
}
