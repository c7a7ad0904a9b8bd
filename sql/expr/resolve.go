package expr

import (
	"strings"
	"sync"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// The registries of scalar functions, operators and aggregates. Built-ins
// register from init functions in this package; other packages (the
// catalog's psql helpers) may add more from their own init. Registration
// after the server starts is allowed but must not race with resolution.
var reg = struct {
	sync.RWMutex
	funcs map[string][]*Func // functions and operators by name
	aggs  map[string][]*AggFunc
}{funcs: map[string][]*Func{}, aggs: map[string][]*AggFunc{}}

// RegisterFunc adds a scalar function or operator overload. Operators are
// registered under their symbol ("+", "~~"); unary operators have one
// argument. Names are lower case.
func RegisterFunc(f *Func) {
	reg.Lock()
	defer reg.Unlock()
	reg.funcs[f.Name] = append(reg.funcs[f.Name], f)
}

// RegisterAgg adds an aggregate overload. count(*) is "count" with no
// arguments.
func RegisterAgg(a *AggFunc) {
	reg.Lock()
	defer reg.Unlock()
	reg.aggs[a.Name] = append(reg.aggs[a.Name], a)
}

// FuncExists reports whether any function or aggregate has the name.
func FuncExists(name string) bool {
	reg.RLock()
	defer reg.RUnlock()
	return len(reg.funcs[name]) > 0 || len(reg.aggs[name]) > 0
}

// IsAggregate reports whether name is an aggregate function.
func IsAggregate(name string) bool {
	reg.RLock()
	defer reg.RUnlock()
	return len(reg.aggs[name]) > 0
}

func argList(args []types.T) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// ResolveFunc picks the overload of a scalar function for the argument
// types, with PostgreSQL's rules (func_select_candidate): an exact match;
// else the candidates every argument can reach by implicit casts, narrowed
// by the most exact matches, then the most preferred types where casts are
// needed, then by the categories of unknown arguments (string preferred).
// The binder then casts each argument to the returned Func's Args (for a
// variadic function the last Args entry repeats).
//
// Errors: 42883 `function foo(integer) does not exist` with PostgreSQL's
// hint; 42725 when ambiguous.
func ResolveFunc(name string, args []types.T) (*Func, error) {
	name = strings.ToLower(strings.TrimPrefix(name, "pg_catalog."))
	reg.RLock()
	cands := reg.funcs[name]
	reg.RUnlock()
	f, err := selectCandidate(cands, args)
	if err != nil {
		return nil, err
	}
	if f == nil {
		if IsAggregate(name) {
			return nil, pgerror.New(pgerror.CodeWrongObjectType, "%s is an aggregate function", name)
		}
		return nil, pgerror.New(pgerror.CodeUndefinedFunction, "function %s(%s) does not exist", name, argList(args)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	return f, nil
}

// ResolveOperator picks a binary operator overload. When one side is an
// untyped literal (unknown), an overload taking the other side's type on
// both sides wins, as in PostgreSQL. `!=` is `<>`. `||` with one text-like
// side and a non-array other side resolves to the anynonarray || text form.
// Error 42883 `operator does not exist: integer + boolean` with a hint.
func ResolveOperator(op string, left, right types.T) (*Func, error) {
	if op == "!=" {
		op = "<>"
	}
	reg.RLock()
	all := reg.funcs[op]
	reg.RUnlock()
	var cands []*Func
	for _, f := range all {
		if len(f.Args) == 2 {
			cands = append(cands, f)
		}
	}
	args := []types.T{left, right}
	// One unknown side: try the known type on both sides first.
	if left.ID == types.Unknown && right.ID != types.Unknown || right.ID == types.Unknown && left.ID != types.Unknown {
		known := left
		if known.ID == types.Unknown {
			known = right
		}
		for _, f := range cands {
			if f.Args[0].ID == known.ID && f.Args[1].ID == known.ID {
				return f, nil
			}
		}
	}
	f, err := selectCandidate(cands, args)
	if err != nil {
		return nil, err
	}
	if f == nil && op == "||" {
		if f := concatAnyOperator(left, right); f != nil {
			return f, nil
		}
	}
	if f == nil {
		return nil, pgerror.New(pgerror.CodeUndefinedFunction, "operator does not exist: %s %s %s", left, op, right).
			WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
	}
	return f, nil
}

// ResolveUnaryOperator picks a prefix operator overload (- + ~).
func ResolveUnaryOperator(op string, arg types.T) (*Func, error) {
	reg.RLock()
	all := reg.funcs[op]
	reg.RUnlock()
	var cands []*Func
	for _, f := range all {
		if len(f.Args) == 1 {
			cands = append(cands, f)
		}
	}
	f, err := selectCandidate(cands, []types.T{arg})
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, pgerror.New(pgerror.CodeUndefinedFunction, "operator does not exist: %s %s", op, arg).
			WithHint("No operator matches the given name and argument type. You might need to add an explicit type cast.")
	}
	return f, nil
}

// ResolveAgg picks an aggregate overload by the same rules as ResolveFunc.
func ResolveAgg(name string, args []types.T) (*AggFunc, error) {
	name = strings.ToLower(strings.TrimPrefix(name, "pg_catalog."))
	reg.RLock()
	aggs := reg.aggs[name]
	reg.RUnlock()
	// Reuse the scalar machinery on stand-in Funcs.
	stand := make([]*Func, len(aggs))
	byStand := map[*Func]*AggFunc{}
	for i, a := range aggs {
		stand[i] = &Func{Name: a.Name, Args: a.Args, Ret: a.Ret}
		byStand[stand[i]] = a
	}
	f, err := selectCandidate(stand, args)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, pgerror.New(pgerror.CodeUndefinedFunction, "function %s(%s) does not exist", name, argList(args)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	return byStand[f], nil
}

// expandArgs returns f's argument types for n actual arguments, or nil when
// f cannot take n.
func expandArgs(f *Func, n int) []types.T {
	if !f.Variadic {
		if len(f.Args) != n {
			return nil
		}
		if f.Args == nil {
			return []types.T{}
		}
		return f.Args
	}
	fixed := len(f.Args) - 1
	if n < fixed+1 {
		return nil
	}
	out := make([]types.T, n)
	copy(out, f.Args[:fixed])
	for i := fixed; i < n; i++ {
		out[i] = f.Args[fixed]
	}
	return out
}

// isAny reports whether a declared argument type accepts any type (used by
// functions such as pg_typeof and concat: declared Unknown).
func isAny(t types.T) bool { return t.ID == types.Unknown }

func selectCandidate(cands []*Func, args []types.T) (*Func, error) {
	type cand struct {
		f    *Func
		decl []types.T
	}
	var viable []cand
	for _, f := range cands {
		decl := expandArgs(f, len(args))
		if decl == nil {
			continue
		}
		// Exact match on every argument (unknown arguments match only
		// "any").
		exactAll := true
		ok := true
		for i, a := range args {
			d := decl[i]
			if isAny(d) || a.ID == d.ID {
				continue
			}
			exactAll = false
			if a.ID == types.Unknown || CanCast(a, d, false) {
				continue
			}
			ok = false
			break
		}
		if !ok {
			continue
		}
		if exactAll && !hasUnknown(args) {
			return f, nil
		}
		viable = append(viable, cand{f, decl})
	}
	if len(viable) <= 1 {
		if len(viable) == 1 {
			return viable[0].f, nil
		}
		return nil, nil
	}
	// Most exact matches.
	best := -1
	var keep []cand
	for _, c := range viable {
		n := 0
		for i, a := range args {
			if a.ID == c.decl[i].ID {
				n++
			}
		}
		switch {
		case n > best:
			best, keep = n, []cand{c}
		case n == best:
			keep = append(keep, c)
		}
	}
	viable = keep
	if len(viable) == 1 {
		return viable[0].f, nil
	}
	// Most preferred types where a cast is needed.
	best, keep = -1, nil
	for _, c := range viable {
		n := 0
		for i, a := range args {
			if a.ID != c.decl[i].ID && isPreferred(c.decl[i]) {
				n++
			}
		}
		switch {
		case n > best:
			best, keep = n, []cand{c}
		case n == best:
			keep = append(keep, c)
		}
	}
	viable = keep
	if len(viable) == 1 {
		return viable[0].f, nil
	}
	// Unknown arguments: prefer the string category, then a category all
	// candidates agree on with its preferred type.
	if hasUnknown(args) {
		for i, a := range args {
			if a.ID != types.Unknown {
				continue
			}
			var str []cand
			for _, c := range viable {
				if c.decl[i].Category() == 'S' || isAny(c.decl[i]) {
					str = append(str, c)
				}
			}
			if len(str) > 0 {
				viable = str
				continue
			}
			var pref []cand
			for _, c := range viable {
				if isPreferred(c.decl[i]) {
					pref = append(pref, c)
				}
			}
			if len(pref) > 0 {
				viable = pref
			}
		}
		if len(viable) >= 1 {
			// Prefer text over other string types for unknowns.
			for _, c := range viable {
				allText := true
				for i, a := range args {
					if a.ID == types.Unknown && c.decl[i].ID != types.Text && !isAny(c.decl[i]) {
						allText = false
					}
				}
				if allText {
					return c.f, nil
				}
			}
			if len(viable) == 1 {
				return viable[0].f, nil
			}
		}
	}
	return nil, pgerror.New("42725", "function %s(%s) is not unique", viable[0].f.Name, argList(args)).
		WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
}

func hasUnknown(args []types.T) bool {
	for _, a := range args {
		if a.ID == types.Unknown {
			return true
		}
	}
	return false
}

// isPreferred reports pg_type.typispreferred.
func isPreferred(t types.T) bool {
	switch t.ID {
	case types.Float8, types.Text, types.TimestampTZ, types.Interval, types.Bool, types.Oid:
		return true
	}
	return false
}

// CanCast reports whether a value of type from converts to type to: by an
// implicit cast (explicit false: what PostgreSQL applies silently in
// expressions and function calls) or by any cast (explicit true: CAST and
// ::). Assignment casts (INSERT) are CanAssign.
func CanCast(from, to types.T, explicit bool) bool {
	if from.ID == to.ID || from.ID == types.Unknown {
		return true
	}
	if implicitCast(from.ID, to.ID) {
		return true
	}
	if !explicit {
		return false
	}
	_, err := castKernel(from, to, true)
	return err == nil
}

// CanAssign reports whether a value of type from may be stored in a column
// of type to (PostgreSQL's assignment context: implicit casts plus
// narrowing numeric casts and any type to a string type).
func CanAssign(from, to types.T) bool {
	if CanCast(from, to, false) {
		return true
	}
	switch {
	case from.IsNumeric() && to.IsNumeric():
		return true
	case isStringish(to.ID) && from.ID != types.Bytea:
		return true
	case (from.ID == types.Timestamp || from.ID == types.TimestampTZ) && to.ID == types.Date:
		return true
	case from.ID == types.TimestampTZ && to.ID == types.Timestamp:
		return true
	case from.ID == types.JSONB && to.IsNumeric():
		return false
	}
	return false
}

// implicitCast is PostgreSQL's castcontext 'i' table for weir's types.
func implicitCast(f, t types.ID) bool {
	switch f {
	case types.Int2:
		switch t {
		case types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric, types.Oid, types.RegClass, types.RegType, types.RegProc, types.RegNamespace:
			return true
		}
	case types.Int4:
		switch t {
		case types.Int8, types.Float4, types.Float8, types.Numeric, types.Oid, types.RegClass, types.RegType, types.RegProc, types.RegNamespace:
			return true
		}
	case types.Int8:
		switch t {
		case types.Float4, types.Float8, types.Numeric, types.Oid, types.RegClass, types.RegType, types.RegProc, types.RegNamespace:
			return true
		}
	case types.Float4:
		return t == types.Float8
	case types.Numeric:
		return t == types.Float4 || t == types.Float8
	case types.Text:
		return t == types.Varchar || t == types.Name || t == types.RegClass
	case types.Varchar:
		return t == types.Text || t == types.Name || t == types.RegClass
	case types.Name:
		return t == types.Text || t == types.Varchar
	case types.Char:
		return t == types.Text || t == types.Varchar
	case types.Date:
		return t == types.Timestamp || t == types.TimestampTZ
	case types.Timestamp:
		return t == types.TimestampTZ
	case types.Oid, types.RegClass, types.RegType, types.RegProc, types.RegNamespace:
		return isOidish(t) || t == types.Int8
	case types.Int2Vector:
		return t == types.Int2Array
	case types.OidVector:
		return t == types.OidArray
	}
	return false
}

// ImplicitCastTarget returns the type an argument of type from should be
// cast to for a parameter declared as to: to itself, or from when to
// accepts any type.
func ImplicitCastTarget(from, to types.T) types.T {
	if isAny(to) {
		if from.ID == types.Unknown {
			return types.TText
		}
		return from
	}
	return to
}

// CommonType resolves the result type of CASE, COALESCE, UNION, VALUES
// and IN lists with PostgreSQL's select_common_type rules: unknowns adapt
// (all unknown: text); all inputs must share a category; within it a
// preferred type wins, else a type the others cast to implicitly. Error
// 42804 `CASE types integer and boolean cannot be matched` style (the
// context word is "CASE/COALESCE/UNION"; see CommonTypeFor to choose it).
func CommonType(ts []types.T) (types.T, error) { return CommonTypeFor("CASE", ts) }

// CommonTypeFor is CommonType with the construct named in errors ("UNION",
// "CASE", "COALESCE", "VALUES", "IN").
func CommonTypeFor(context string, ts []types.T) (types.T, error) {
	var p types.T
	found := false
	for _, t := range ts {
		if t.ID == types.Unknown {
			continue
		}
		if !found {
			p, found = t, true
			continue
		}
		if t.ID == p.ID {
			if t.Mod != p.Mod {
				p.Mod = -1
			}
			continue
		}
		pc, nc := categoryOf(p), categoryOf(t)
		if pc != nc {
			return types.T{}, pgerror.New(pgerror.CodeDatatypeMismatch, "%s types %s and %s cannot be matched", context, p, t)
		}
		if !isPreferred(p) && CanCast(p, t, false) && !CanCast(t, p, false) {
			p = t
		}
	}
	if !found {
		return types.TText, nil
	}
	for _, t := range ts {
		if t.ID != types.Unknown && t.ID != p.ID && !CanCast(t, p, false) {
			return types.T{}, pgerror.New(pgerror.CodeDatatypeMismatch, "%s could not convert type %s to %s", context, t, p)
		}
	}
	if p.ID != types.Varchar && p.ID != types.Numeric {
		p.Mod = -1
	}
	return p, nil
}

func categoryOf(t types.T) byte {
	switch t.ID {
	case types.Oid, types.RegClass, types.RegType, types.RegProc:
		return 'N'
	}
	return t.Category()
}
