package expr

import (
	"strings"

	"github.com/weirdb/weir/sql/types"
)

// Comparison operators for every ordered type. Cross-type comparisons
// (int4 = int8, int = numeric, date < timestamp, text = name) resolve to one
// of these after implicit casts, as in PostgreSQL.

// orderedTypes lists the types with a full set of comparison operators.
var orderedTypes = []types.T{
	types.TBool, types.TInt2, types.TInt4, types.TInt8, types.TFloat4, types.TFloat8,
	types.TNumeric, types.TText, types.TName, types.TChar, types.TTimestamp,
	types.TTimestampTZ, types.TDate, types.TInterval, types.TBytea, types.TJSONB,
	types.TOid, types.TTextArray, types.TRegClass, types.TRegType,
}

// CompareOps maps each comparison operator to the test on a three-way
// comparison result.
var compareOps = map[string]func(c int) bool{
	"=":  func(c int) bool { return c == 0 },
	"<>": func(c int) bool { return c != 0 },
	"<":  func(c int) bool { return c < 0 },
	"<=": func(c int) bool { return c <= 0 },
	">":  func(c int) bool { return c > 0 },
	">=": func(c int) bool { return c >= 0 },
}

func init() {
	for _, t := range orderedTypes {
		for op, test := range compareOps {
			reg2(op, t, t, types.TBool, compareKernel(t, test))
		}
	}
}

func compareKernel(t types.T, test func(int) bool) VecFunc {
	return func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(types.TBool, n)
		a, b := args[0], args[1]
		nulls := a.Nulls
		has := nulls.Any()
		switch t.Phys() {
		case types.PhysInt:
			for i := 0; i < n; i++ {
				x, y := a.I[i], b.I[i]
				c := 0
				if x < y {
					c = -1
				} else if x > y {
					c = 1
				}
				if test(c) {
					out.I[i] = 1
				}
			}
		case types.PhysString:
			for i := 0; i < n; i++ {
				if test(strings.Compare(a.S[i], b.S[i])) {
					out.I[i] = 1
				}
			}
		default:
			for i := 0; i < n; i++ {
				if has && nulls.Get(i) {
					continue
				}
				if test(a.Compare(i, b, i)) {
					out.I[i] = 1
				}
			}
		}
		return out, nil
	}
}
