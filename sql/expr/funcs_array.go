package expr

import (
	"strings"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Array operators and functions over every array type sql/types knows
// (text[], int2[], int4[], int8[], oid[], "char"[], name[], and int2vector /
// oidvector where PostgreSQL accepts them): comparison, ||, x op ANY/ALL
// (the front end's weir_any/weir_all markers), subscripts (weir_subscript),
// array_upper/lower/length, cardinality, array_to_string, array_agg.
// text[]'s own string functions (string_to_array, array_to_string(text[]))
// live in funcs_string.go.

// otherArrayTypes are the array types registered here; text[] has most of
// its functions in funcs_string.go already.
var otherArrayTypes = []types.T{
	types.TInt2Array, types.TInt4Array, types.TInt8Array, types.TOidArray, types.TCharArray, types.TNameArray,
}

// allArrayTypes is every array type, text[] included.
var allArrayTypes = append([]types.T{types.TTextArray}, otherArrayTypes...)

func init() {
	I := types.TInt4
	for _, at := range otherArrayTypes {
		for op, test := range compareOps {
			reg2(op, at, at, types.TBool, compareKernel(at, test))
		}
		at := at
		regRow("array_to_string", tt(at, types.TText), types.TText, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
			return arrayToStringOf(ctx, at, a[0].S, a[1].S, nil)
		})
		regRow("array_to_string", tt(at, types.TText, types.TText), types.TText, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
			if a[2].Null {
				return arrayToStringOf(ctx, at, a[0].S, a[1].S, nil)
			}
			return arrayToStringOf(ctx, at, a[0].S, a[1].S, &a[2].S)
		}, nullCall)
		for _, name := range []string{"array_length", "array_upper"} {
			regRow(name, tt(at, I), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
				n := types.ArrayLen(at, a[0].S)
				if n <= 0 || a[1].I != 1 {
					return types.NullDatum, nil
				}
				return dint(int64(n))
			})
		}
		regRow("array_lower", tt(at, I), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			if types.ArrayLen(at, a[0].S) <= 0 || a[1].I != 1 {
				return types.NullDatum, nil
			}
			return dint(1)
		})
		regRow("cardinality", tt(at), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			return dint(int64(max(types.ArrayLen(at, a[0].S), 0)))
		})
		elem, _ := at.ArrayElem()
		RegisterAgg(&AggFunc{Name: "array_agg", Args: []types.T{elem}, Ret: at, New: func([]types.T, types.T) AggState {
			return &arrayAggState{elem: elem}
		}})
	}
	for _, at := range allArrayTypes {
		at := at
		elem, _ := at.ArrayElem()
		// array || array (array_cat). Element || array and array ||
		// element are left out: with an untyped literal they would make
		// text[] || 'x' ambiguous, where PostgreSQL reads 'x' as an array.
		RegisterFunc(&Func{Name: "||", Args: tt(at, at), Ret: at, NullCall: true, Eval: arrayCatKernel(at)})
		for _, name := range []string{"weir_any", "weir_all"} {
			RegisterFunc(&Func{Name: name, Args: tt(types.TText, TAny, at), Ret: types.TBool, NullCall: true,
				Eval: anyAllKernel(at, name == "weir_all")})
		}
		RegisterFunc(&Func{Name: "weir_subscript", Args: tt(at, I), Ret: elem, Eval: subscriptKernel(at)})
	}
	for _, vt := range []types.T{types.TInt2Vector, types.TOidVector} {
		elem, _ := vt.ArrayElem()
		for _, name := range []string{"weir_any", "weir_all"} {
			RegisterFunc(&Func{Name: name, Args: tt(types.TText, TAny, vt), Ret: types.TBool, NullCall: true,
				Eval: anyAllKernel(vt, name == "weir_all")})
		}
		RegisterFunc(&Func{Name: "weir_subscript", Args: tt(vt, I), Ret: elem, Eval: subscriptKernel(vt)})
	}
}

// arrayElemsOf decodes an array value, turning corruption into an
// internal error.
func arrayElemsOf(t types.T, s string) ([]types.Datum, error) {
	elems, err := types.DecodeArray(t, s)
	if err != nil {
		return nil, pgerror.New(pgerror.CodeInternalError, "corrupt %s value: %v", t, err)
	}
	return elems, nil
}

// arrayToStringOf is array_to_string(anyarray, delim [, null_string]):
// elements in their text form joined by delim; NULL elements are skipped
// unless null_string is given.
func arrayToStringOf(ctx *EvalCtx, t types.T, arr, delim string, nullStr *string) (types.Datum, error) {
	elems, err := arrayElemsOf(t, arr)
	if err != nil {
		return types.Datum{}, err
	}
	elem, _ := t.ArrayElem()
	var b strings.Builder
	first := true
	var buf []byte
	for _, e := range elems {
		var s string
		if e.Null {
			if nullStr == nil {
				continue
			}
			s = *nullStr
		} else {
			buf = types.AppendText(buf[:0], elem, e, ctx.Location)
			s = string(buf)
		}
		if !first {
			b.WriteString(delim)
		}
		first = false
		b.WriteString(s)
	}
	return dstr(b.String())
}

// arrayCatKernel is array || array: NULL operands act as empty arrays; the
// result is NULL only when both are NULL (PostgreSQL's array_cat).
func arrayCatKernel(t types.T) VecFunc {
	return func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(t, n)
		for i := 0; i < n; i++ {
			ln, rn := args[0].IsNull(i), args[1].IsNull(i)
			switch {
			case ln && rn:
				out.Nulls.Set(i)
			case ln:
				out.S[i] = args[1].S[i]
			case rn:
				out.S[i] = args[0].S[i]
			default:
				// The element framing is self-delimiting, so the
				// concatenation of two encodings is the encoding of the
				// concatenated arrays.
				out.S[i] = args[0].S[i] + args[1].S[i]
			}
		}
		return out, nil
	}
}

// anyAllKernel is x op ANY(arr) / x op ALL(arr); args are (op, x, arr)
// with op an operator name, x of any type (an untyped literal arrives as
// text) and arr of array type at. The operator is resolved between x's
// type and the element type as PostgreSQL does (int4 = ANY(int2[]) uses
// int4 = int4 after an implicit cast of the elements). SQL semantics: ANY is true when some comparison is true, else NULL
// when some comparison is NULL (a NULL x or element), else false; ALL is
// false when some comparison is false, else NULL when some is NULL, else
// true. An empty array gives false (ANY) or true (ALL) even for a NULL x;
// a NULL array gives NULL.
func anyAllKernel(at types.T, all bool) VecFunc {
	elem, _ := at.ArrayElem()
	ops := map[string]*Func{}
	return func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		xt := args[1].T
		out := newOut(types.TBool, n)
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) || args[2].IsNull(i) {
				out.Nulls.Set(i)
				continue
			}
			name := args[0].S[i]
			op, ok := ops[name]
			if !ok {
				lt := xt
				if lt.ID == types.Unknown {
					lt = elem
				}
				f, err := ResolveOperator(name, lt, elem)
				if err != nil {
					return nil, err
				}
				if f.Ret.ID != types.Bool {
					return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "op ANY/ALL (array) requires operator to yield boolean")
				}
				op, ops[name] = f, f
			}
			elems, err := arrayElemsOf(at, args[2].S[i])
			if err != nil {
				return nil, err
			}
			if len(elems) == 0 {
				out.I[i] = boolInt(all)
				continue
			}
			if args[1].IsNull(i) {
				out.Nulls.Set(i)
				continue
			}
			x, err := CastDatum(ctx, args[1].Datum(i), xt, op.Args[0], false)
			if err != nil {
				return nil, err
			}
			left := types.ConstVec(op.Args[0], x, len(elems))
			right := types.NewVec(op.Args[1], len(elems))
			for _, e := range elems {
				if e, err = CastDatum(ctx, e, elem, op.Args[1], false); err != nil {
					return nil, err
				}
				right.Append(e)
			}
			res, err := evalStrict(ctx, op, []*types.Vec{left, right}, len(elems))
			if err != nil {
				return nil, err
			}
			sawNull, decided := false, false
			for k := range elems {
				if res.IsNull(k) {
					sawNull = true
					continue
				}
				if (res.I[k] != 0) != all {
					decided = true
					break
				}
			}
			switch {
			case decided:
				out.I[i] = boolInt(!all)
			case sawNull:
				out.Nulls.Set(i)
			default:
				out.I[i] = boolInt(all)
			}
		}
		return out, nil
	}
}

// evalStrict calls f's kernel, producing NULL for rows with a NULL
// argument when f is strict (the compiler does this for ordinary calls).
func evalStrict(ctx *EvalCtx, f *Func, args []*types.Vec, n int) (*types.Vec, error) {
	res, err := f.Eval(ctx, args, n)
	if err != nil || f.NullCall {
		return res, err
	}
	for _, a := range args {
		if !a.Nulls.Any() {
			continue
		}
		for k := 0; k < n; k++ {
			if a.IsNull(k) {
				res.Nulls.Set(k)
			}
		}
	}
	return res, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// subscriptKernel is arr[i]: NULL when i is out of range. Arrays have
// lower bound 1; int2vector and oidvector, as in PostgreSQL, lower bound 0.
func subscriptKernel(at types.T) VecFunc {
	elem, _ := at.ArrayElem()
	lower := int64(1)
	if at.ID == types.Int2Vector || at.ID == types.OidVector {
		lower = 0
	}
	return func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := types.NewVec(elem, n)
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) || args[1].IsNull(i) {
				out.AppendNull()
				continue
			}
			elems, err := arrayElemsOf(at, args[0].S[i])
			if err != nil {
				return nil, err
			}
			k := args[1].I[i] - lower
			if k < 0 || k >= int64(len(elems)) {
				out.AppendNull()
				continue
			}
			out.Append(elems[k])
		}
		return out, nil
	}
}

// arrayAggState is array_agg over non-text element types (text has its
// own in agg.go): each group's values in arrival order, NULLs included;
// a retraction removes the earliest equal value.
type arrayAggState struct {
	elem   types.T
	groups [][]types.Datum
}

var _ AggState = (*arrayAggState)(nil)

func (s *arrayAggState) Grow(n int) {
	for len(s.groups) < n {
		s.groups = append(s.groups, nil)
	}
}

func (s *arrayAggState) Update(_ *EvalCtx, groups []int32, args []*types.Vec, ops []types.Op, sel []int) error {
	apply := func(i int) error {
		g := groups[i]
		d := args[0].Datum(i)
		if ops == nil || ops[i] == types.Insert {
			s.groups[g] = append(s.groups[g], d)
			return nil
		}
		l := s.groups[g]
		for k, e := range l {
			if e.Null == d.Null && (d.Null || types.Compare(s.elem, e, d) == 0) {
				s.groups[g] = append(l[:k:k], l[k+1:]...)
				return nil
			}
		}
		return pgerror.New(pgerror.CodeInternalError, "array_agg: retraction of a value never inserted")
	}
	if sel != nil {
		for _, i := range sel {
			if err := apply(i); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range groups {
		if err := apply(i); err != nil {
			return err
		}
	}
	return nil
}

func (s *arrayAggState) Result(g int32, out *types.Vec) {
	l := s.groups[g]
	if len(l) == 0 {
		out.AppendNull()
		return
	}
	out.Append(types.DString(types.EncodeArray(s.elem, l)))
}

func (s *arrayAggState) Count(g int32) int64 { return int64(len(s.groups[g])) }

// arrayCast converts between array types element by element with the
// element cast (int2vector → int2[] and oidvector → oid[] are PostgreSQL's
// binary-coercible casts; weir's arrays keep lower bound 1, so those two
// lose the vectors' lower bound 0).
func arrayCast(from, to types.T, explicit bool) (castFunc, error) {
	fe, _ := from.ArrayElem()
	te, _ := to.ArrayElem()
	if to.ID == types.Int2Vector || to.ID == types.OidVector {
		return nil, cannotCast(from, to)
	}
	if fe.ID != te.ID && !CanCast(fe, te, explicit) {
		return nil, cannotCast(from, to)
	}
	return func(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
		return mapRows(v, to, n, func(i int, out *types.Vec) error {
			elems, err := arrayElemsOf(from, v.S[i])
			if err != nil {
				return err
			}
			for k, e := range elems {
				if elems[k], err = CastDatum(ctx, e, fe, te, explicit); err != nil {
					return err
				}
			}
			out.S[i] = types.EncodeArray(te, elems)
			return nil
		})
	}, nil
}
