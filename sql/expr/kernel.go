package expr

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/types"
)

// Kernel builders. Each returns a VecFunc for a strict function: by the
// time it runs, every argument carries the combined NULL bitmap of the call
// (see callFunc), so a kernel skips exactly the rows whose result is NULL
// and never fails on them.

func gI(v *types.Vec) []int64               { return v.I }
func gF(v *types.Vec) []float64             { return v.F }
func gD(v *types.Vec) []*apd.Decimal        { return v.D }
func gS(v *types.Vec) []string              { return v.S }
func gV(v *types.Vec) []types.IntervalValue { return v.V }

func un[A, R any](ret types.T, ga func(*types.Vec) []A, gr func(*types.Vec) []R, f func(A) (R, error)) VecFunc {
	return func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(ret, n)
		a, r := ga(args[0]), gr(out)
		nulls := args[0].Nulls
		has := nulls.Any()
		for i := 0; i < n; i++ {
			if has && nulls.Get(i) {
				continue
			}
			v, err := f(a[i])
			if err != nil {
				return nil, err
			}
			r[i] = v
		}
		return out, nil
	}
}

func bin[A, B, R any](ret types.T, ga func(*types.Vec) []A, gb func(*types.Vec) []B, gr func(*types.Vec) []R, f func(A, B) (R, error)) VecFunc {
	return func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(ret, n)
		a, b, r := ga(args[0]), gb(args[1]), gr(out)
		nulls := args[0].Nulls
		has := nulls.Any()
		for i := 0; i < n; i++ {
			if has && nulls.Get(i) {
				continue
			}
			v, err := f(a[i], b[i])
			if err != nil {
				return nil, err
			}
			r[i] = v
		}
		return out, nil
	}
}

// binCtx is bin with the EvalCtx passed to f.
func binCtx[A, B, R any](ret types.T, ga func(*types.Vec) []A, gb func(*types.Vec) []B, gr func(*types.Vec) []R, f func(*EvalCtx, A, B) (R, error)) VecFunc {
	return func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(ret, n)
		a, b, r := ga(args[0]), gb(args[1]), gr(out)
		nulls := args[0].Nulls
		has := nulls.Any()
		for i := 0; i < n; i++ {
			if has && nulls.Get(i) {
				continue
			}
			v, err := f(ctx, a[i], b[i])
			if err != nil {
				return nil, err
			}
			r[i] = v
		}
		return out, nil
	}
}

// rowFunc builds a kernel from a row-at-a-time function over datums, for
// functions whose cost dwarfs the boxing (string functions, regexes).
func rowFunc(ret types.T, f func(ctx *EvalCtx, args []types.Datum) (types.Datum, error)) VecFunc {
	return func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(ret, n)
		row := make([]types.Datum, len(args))
		for i := 0; i < n; i++ {
			skip := false
			for k, a := range args {
				row[k] = a.Datum(i)
			}
			if len(args) > 0 && args[0].Nulls.Get(i) {
				skip = true
			}
			if skip {
				out.Nulls.Set(i)
				continue
			}
			d, err := f(ctx, row)
			if err != nil {
				return nil, err
			}
			setDatum(out, i, d)
		}
		return out, nil
	}
}

// rowFuncNullCall is rowFunc for functions that see NULL arguments
// (Func.NullCall): f is called for every row.
func rowFuncNullCall(ret types.T, f func(ctx *EvalCtx, args []types.Datum) (types.Datum, error)) VecFunc {
	return func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(ret, n)
		row := make([]types.Datum, len(args))
		for i := 0; i < n; i++ {
			for k, a := range args {
				row[k] = a.Datum(i)
			}
			d, err := f(ctx, row)
			if err != nil {
				return nil, err
			}
			setDatum(out, i, d)
		}
		return out, nil
	}
}

func reg1(name string, a, ret types.T, eval VecFunc) {
	RegisterFunc(&Func{Name: name, Args: []types.T{a}, Ret: ret, Eval: eval})
}

func reg2(name string, a, b, ret types.T, eval VecFunc) {
	RegisterFunc(&Func{Name: name, Args: []types.T{a, b}, Ret: ret, Eval: eval})
}
