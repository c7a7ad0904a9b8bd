package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// from binds a FROM item. The returned scope's parent is parent, so that
// expressions over it may reference enclosing queries.
func (b *binder) from(parent *scope, n ast.ResultSetNode) (planner.Node, *scope, error) {
	switch n := n.(type) {
	case *ast.TableSource:
		return b.tableSource(parent, n)
	case *ast.Join:
		return b.join(parent, n)
	case *ast.SelectStmt, *ast.SetOprStmt:
		return b.derived(parent, n, "")
	}
	return nil, nil, pgerror.NotSupported("FROM item %T is not supported", n)
}

func (b *binder) tableSource(parent *scope, ts *ast.TableSource) (planner.Node, *scope, error) {
	alias := ts.AsName.O
	switch src := ts.Source.(type) {
	case *ast.TableName:
		plan, cols, err := b.relation(src, alias)
		if err != nil {
			return nil, nil, err
		}
		return plan, &scope{cols: cols, parent: parent}, nil
	case *ast.SelectStmt, *ast.SetOprStmt:
		return b.derived(parent, src, alias)
	case *ast.Join:
		plan, sc, err := b.join(parent, src)
		if err != nil {
			return nil, nil, err
		}
		if alias != "" {
			for i := range sc.cols {
				sc.cols[i].table = alias
				if sc.cols[i].merged {
					// j.c names the merged column, not a side's copy.
					sc.cols[i].table, sc.cols[i].hidden = "", true
				}
			}
		}
		return plan, sc, nil
	}
	return nil, nil, pgerror.NotSupported("FROM item %T is not supported", ts.Source)
}

// derived binds a subquery in FROM. It cannot see sibling FROM items (no
// LATERAL); it may read enclosing queries' columns only through the same
// outer rows, which weir does not support, so it is bound without parent.
func (b *binder) derived(parent *scope, q ast.ResultSetNode, alias string) (planner.Node, *scope, error) {
	// A function in FROM may read the enclosing query's columns (it runs
	// within the same outer rows); its single column takes the alias as
	// its name unless a column list names it, as in PostgreSQL.
	var outer *scope
	isTVF, colList := tvfDerived(q)
	if isTVF {
		outer = parent
	}
	res, err := b.query(outer, q)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]scopeCol, len(res.cols))
	for i, c := range res.cols {
		cols[i] = scopeCol{table: alias, name: c.name, t: c.t, relOID: c.relOID, attNum: c.attNum}
	}
	if isTVF && !colList && alias != "" && len(cols) == 1 {
		cols[0].name = alias
	}
	return res.plan, &scope{cols: cols, parent: parent}, nil
}

// relation resolves a table name: a scannable relation becomes a Scan, a
// view is expanded by binding its query.
func (b *binder) relation(tn *ast.TableName, alias string) (planner.Node, []scopeCol, error) {
	if tn.AsOf != nil {
		return b.procTimeRelation(tn, alias) // lookup.go
	}
	schema, name := tn.Schema.O, tn.Name.O
	switch name {
	case markerTVFDual, markerValuesTable:
		// The input of a table function: one row without columns, replaced
		// by the function's output (see tvf).
		return &planner.Values{Rows: [][]expr.Expr{{}}}, nil, nil
	}
	if schema == "" {
		if q, ok := b.lookupCTE(name); ok {
			qual := alias
			if qual == "" {
				qual = name
			}
			cols := make([]scopeCol, len(q.cols))
			for i, c := range q.cols {
				cols[i] = scopeCol{table: qual, name: c.name, t: c.t, relOID: c.relOID, attNum: c.attNum}
			}
			return q.plan, cols, nil
		}
	}
	rel, err := b.cat.Resolve(schema, name)
	if err != nil {
		return nil, nil, pgerror.Wrap(err, pgerror.CodeUndefinedTable).WithPosition(b.identPos(name))
	}
	qual := alias
	if qual == "" {
		qual = rel.Name()
	}
	if v, ok := rel.(planner.ViewRelation); ok && rel.Kind() == planner.KindView {
		if b.opts.Parse == nil {
			return nil, nil, pgerror.NotSupported("views cannot be expanded here")
		}
		if b.viewDepth > 32 {
			return nil, nil, pgerror.New(pgerror.CodeInvalidParameterValue, "infinite recursion detected in rules for relation %q", rel.Name())
		}
		src, err := b.opts.Parse(v.Query())
		if err != nil {
			return nil, nil, err
		}
		q, ok := src.Node.(ast.ResultSetNode)
		if !ok {
			return nil, nil, pgerror.New(pgerror.CodeWrongObjectType, "view %q is not a query", rel.Name())
		}
		b.pushSource(src)
		b.viewDepth++
		// A view sees none of the statement's CTEs.
		saveAgg, saveWin, saveCTEs := b.agg, b.win, b.ctes
		b.agg, b.win, b.ctes = nil, nil, nil
		res, err := b.query(nil, q)
		b.agg, b.win, b.ctes = saveAgg, saveWin, saveCTEs
		b.viewDepth--
		b.popSource()
		if err != nil {
			return nil, nil, err
		}
		vcols := rel.Columns()
		cols := make([]scopeCol, len(res.cols))
		for i, c := range res.cols {
			name := c.name
			if i < len(vcols) {
				name = vcols[i].Name
			}
			cols[i] = scopeCol{table: qual, name: name, t: c.t, relOID: rel.OID(), attNum: int16(i + 1)}
		}
		return res.plan, cols, nil
	}
	sr, ok := rel.(planner.ScanRelation)
	if !ok {
		return nil, nil, pgerror.NotSupported("relation %q cannot be read by a query", rel.Name()).WithPosition(b.pos(tn))
	}
	return &planner.Scan{Rel: sr, Alias: alias}, relScope(rel, qual), nil
}

func (b *binder) join(parent *scope, j *ast.Join) (planner.Node, *scope, error) {
	lp, ls, err := b.from(parent, j.Left)
	if err != nil {
		return nil, nil, err
	}
	if j.Right == nil {
		return lp, ls, nil
	}
	rp, rs, err := b.from(parent, j.Right)
	if err != nil {
		return nil, nil, err
	}
	kind := planner.InnerJoin
	switch j.Tp {
	case ast.LeftJoin:
		kind = planner.LeftJoin
	case ast.RightJoin:
		kind = planner.RightJoin
	}
	cols := append(append([]scopeCol(nil), ls.cols...), rs.cols...)
	sc := &scope{cols: cols, parent: parent}
	var names []string
	for _, u := range j.Using {
		names = append(names, u.Name.O)
	}
	natural := j.NaturalJoin
	cond := ast.ExprNode(nil)
	if j.On != nil {
		cond = j.On.Expr
		if f, ok := cond.(*ast.FuncCallExpr); ok && f.FnName.L == markerFullJoin && len(f.Args) == 1 {
			kind = planner.FullJoin
			cond = f.Args[0]
			if u, ok := cond.(*ast.FuncCallExpr); ok && (u.FnName.L == markerUsing || u.FnName.L == markerNatural) {
				natural = u.FnName.L == markerNatural
				for _, a := range u.Args {
					if n, ok := constString(a); ok {
						names = append(names, n)
					}
				}
				cond = nil
			}
		}
	}
	if natural {
		names = nil
		for _, lc := range ls.cols {
			if lc.hidden || lc.unqualHidden {
				continue
			}
			if i, _ := rs.lookup("", lc.name); i >= 0 {
				names = append(names, lc.name)
			}
		}
	}
	if len(names) > 0 || natural {
		return b.usingJoin(parent, kind, lp, rp, ls, rs, names)
	}
	var on expr.Expr
	if cond != nil {
		if err = b.inClause("JOIN conditions", func() (err error) { on, err = b.boolExpr(sc, cond, "JOIN/ON"); return err }); err != nil {
			return nil, nil, err
		}
	}
	return &planner.Join{Kind: kind, Left: lp, Right: rp, On: on}, sc, nil
}

// usingJoin binds l JOIN r USING (names) (and NATURAL JOIN, whose names
// are the common column names) as PostgreSQL does: the join condition is
// the conjunction of l.c = r.c, and the output starts with one merged
// column per name (the left value for inner and left joins, the right one
// for right joins, COALESCE(l.c, r.c) for full joins, in the common type
// of the two), followed by the left columns and then the right columns
// other than the merged ones. The merged-away copies stay reachable only
// qualified (l.c, r.c), and only a qualified l.* expands them.
func (b *binder) usingJoin(parent *scope, kind planner.JoinKind, lp, rp planner.Node, ls, rs *scope, names []string) (planner.Node, *scope, error) {
	nl := len(ls.cols)
	var conds, merged []expr.Expr
	var mergedCols []scopeCol
	lUsed, rUsed := map[int]bool{}, map[int]bool{}
	for _, name := range names {
		li, err := ls.lookup("", name)
		if err != nil {
			return nil, nil, pgerror.New(pgerror.CodeAmbiguousColumn, "common column name %q appears more than once in left table", name)
		}
		ri, err := rs.lookup("", name)
		if err != nil {
			return nil, nil, pgerror.New(pgerror.CodeAmbiguousColumn, "common column name %q appears more than once in right table", name)
		}
		if li < 0 || ri < 0 {
			side := "left"
			if li >= 0 {
				side = "right"
			}
			return nil, nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, side)
		}
		if lUsed[li] {
			return nil, nil, pgerror.New(pgerror.CodeDuplicateColumn, "column name %q appears more than once in USING clause", name)
		}
		lUsed[li], rUsed[ri] = true, true
		l := &expr.ColRef{Idx: li, T: ls.cols[li].t, Name: displayName(ls.cols[li])}
		r := &expr.ColRef{Idx: nl + ri, T: rs.cols[ri].t, Name: displayName(rs.cols[ri])}
		c, err := b.binop("=", l, r)
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, c)
		ct, err := b.commonType([]expr.Expr{l, r}, "JOIN/USING")
		if err != nil {
			return nil, nil, err
		}
		lc, err := b.coerce(l, ct, false, "JOIN/USING")
		if err != nil {
			return nil, nil, err
		}
		rc, err := b.coerce(r, ct, false, "JOIN/USING")
		if err != nil {
			return nil, nil, err
		}
		var m expr.Expr = lc
		switch kind {
		case planner.RightJoin:
			m = rc
		case planner.FullJoin:
			m = &expr.Coalesce{Args: []expr.Expr{lc, rc}, T: ct}
		}
		merged = append(merged, m)
		mergedCols = append(mergedCols, scopeCol{name: name, t: ct})
	}
	join := &planner.Join{Kind: kind, Left: lp, Right: rp, On: planner.JoinAnd(conds)}
	exprs := append([]expr.Expr(nil), merged...)
	cols := append([]scopeCol(nil), mergedCols...)
	for i, c := range ls.cols {
		exprs = append(exprs, &expr.ColRef{Idx: i, T: c.t, Name: displayName(c)})
		if lUsed[i] {
			c.merged, c.unqualHidden = true, true
		}
		cols = append(cols, c)
	}
	for i, c := range rs.cols {
		exprs = append(exprs, &expr.ColRef{Idx: nl + i, T: c.t, Name: displayName(c)})
		if rUsed[i] {
			c.merged, c.unqualHidden = true, true
		}
		cols = append(cols, c)
	}
	proj := &planner.Project{Input: join, Exprs: exprs, Cols: planCols(cols)}
	return proj, &scope{cols: cols, parent: parent}, nil
}

// tvf binds `SELECT * FROM rel WHERE weir_tvf('tumble'|'hop', col, ...)`
// (the front end's form of TUMBLE/HOP in FROM) and
// `... FROM weir_tvf_dual WHERE weir_tvf('generate_series', a, b[, c])`.
func (b *binder) tvf(sc *scope, plan planner.Node, f *ast.FuncCallExpr) (planner.Node, *scope, error) {
	if len(f.Args) == 0 {
		return nil, nil, pgerror.Syntax(b.pos(f), "malformed table function")
	}
	name, ok := constString(f.Args[0])
	if !ok {
		return nil, nil, pgerror.Syntax(b.pos(f), "malformed table function")
	}
	args := f.Args[1:]
	// An optional trailing weir_tvf_columns('c') names the output column.
	var colNames []string
	if n := len(args); n > 0 {
		if c, ok := args[n-1].(*ast.FuncCallExpr); ok && c.FnName.L == markerTVFColumns {
			for _, a := range c.Args {
				if s, ok := constString(a); ok {
					colNames = append(colNames, s)
				}
			}
			args = args[:n-1]
		}
	}
	empty := &scope{parent: sc.parent}
	switch name {
	case "generate_series":
		if len(args) < 2 || len(args) > 3 {
			return nil, nil, pgerror.New(pgerror.CodeUndefinedFunction, "function generate_series with %d arguments does not exist", len(args)).WithPosition(b.pos(f))
		}
		es := make([]expr.Expr, len(args))
		for i, a := range args {
			e, err := b.expr(empty, a)
			if err != nil {
				return nil, nil, b.errAt(err, a)
			}
			es[i] = e
		}
		t, err := b.commonType(es[:2], "generate_series")
		if err != nil {
			return nil, nil, err
		}
		switch {
		case t.ID == types.Unknown || t.ID == types.Int2:
			t = types.TInt4
		case t.ID == types.Float4 || t.ID == types.Float8:
			t = types.TNumeric
		}
		stepT := t
		if t.ID == types.Timestamp || t.ID == types.TimestampTZ || t.ID == types.Date {
			if t.ID == types.Date {
				t = types.TTimestamp
			}
			stepT = types.TInterval
			if len(es) != 3 {
				return nil, nil, pgerror.New(pgerror.CodeUndefinedFunction, "function generate_series(%s, %s) does not exist", t, t).WithPosition(b.pos(f))
			}
		} else if !t.IsInteger() && t.ID != types.Numeric {
			return nil, nil, pgerror.New(pgerror.CodeUndefinedFunction, "function generate_series(%s, %s) does not exist", t, t).WithPosition(b.pos(f))
		}
		for i := range es {
			want := t
			if i == 2 {
				want = stepT
			}
			if es[i], err = b.coerce(es[i], want, false, "generate_series"); err != nil {
				return nil, nil, err
			}
		}
		col := "generate_series"
		if len(colNames) > 0 {
			col = colNames[0]
		}
		qual := ""
		if len(sc.cols) == 0 {
			qual = ""
		}
		return &planner.GenerateSeries{Args: es, Cols: []planner.Column{{Name: col, T: t}}},
			&scope{cols: []scopeCol{{table: qual, name: col, t: t}}, parent: sc.parent}, nil
	case "tumble", "hop":
		want := 2
		if name == "hop" {
			want = 3
		}
		if len(args) != want {
			return nil, nil, pgerror.New(pgerror.CodeUndefinedFunction, "%s takes a relation, a time column and %d interval(s)", name, want-1).WithPosition(b.pos(f))
		}
		te, err := b.expr(sc, args[0])
		if err != nil {
			return nil, nil, b.errAt(err, args[0])
		}
		c, ok := te.(*expr.ColRef)
		if !ok || (c.T.ID != types.Timestamp && c.T.ID != types.TimestampTZ) {
			return nil, nil, pgerror.New(pgerror.CodeDatatypeMismatch, "the time column of %s must be a timestamp column", name).WithPosition(b.pos(args[0]))
		}
		ivs := make([]expr.Expr, len(args)-1)
		for i, a := range args[1:] {
			e, err := b.expr(empty, a)
			if err != nil {
				return nil, nil, b.errAt(err, a)
			}
			if ivs[i], err = b.coerce(e, types.TInterval, false, name); err != nil {
				return nil, nil, err
			}
		}
		n := &planner.WindowTVF{Input: plan, TimeCol: c.Idx}
		if name == "hop" {
			n.Kind, n.Slide, n.Size = planner.Hop, ivs[0], ivs[1]
		} else {
			n.Size = ivs[0]
		}
		qual := ""
		if len(sc.cols) > 0 {
			qual = sc.cols[0].table
		}
		cols := append(append([]scopeCol(nil), sc.cols...),
			scopeCol{table: qual, name: "window_start", t: c.T}, scopeCol{table: qual, name: "window_end", t: c.T})
		n.Cols = planCols(cols)
		return n, &scope{cols: cols, parent: sc.parent}, nil
	}
	if name == "session" {
		return b.sessionTVF(sc, plan, args, f)
	}
	if name == "unnest" {
		return b.unnestTVF(sc, args, colNames, f)
	}
	return nil, nil, pgerror.New(pgerror.CodeUndefinedFunction, "table function %s does not exist", name).WithPosition(b.pos(f))
}

// sessionTVF binds SESSION(rel, col, gap): a WindowTVF of kind Session
// whose Size is the gap. The gap must be a constant positive interval
// without months. A session window only has a meaning per GROUP BY key,
// so the plan must fuse it into a windowed aggregate; checkSessionWindows
// refuses it elsewhere.
func (b *binder) sessionTVF(sc *scope, plan planner.Node, args []ast.ExprNode, f *ast.FuncCallExpr) (planner.Node, *scope, error) {
	if len(args) != 2 {
		return nil, nil, pgerror.New(pgerror.CodeUndefinedFunction, "session takes a relation, a time column and a gap interval").WithPosition(b.pos(f))
	}
	te, err := b.expr(sc, args[0])
	if err != nil {
		return nil, nil, b.errAt(err, args[0])
	}
	c, ok := te.(*expr.ColRef)
	if !ok || (c.T.ID != types.Timestamp && c.T.ID != types.TimestampTZ) {
		return nil, nil, pgerror.New(pgerror.CodeDatatypeMismatch, "the time column of session must be a timestamp column").WithPosition(b.pos(args[0]))
	}
	ge, err := b.expr(&scope{parent: sc.parent}, args[1])
	if err != nil {
		return nil, nil, b.errAt(err, args[1])
	}
	if ge, err = b.coerce(ge, types.TInterval, false, "session"); err != nil {
		return nil, nil, b.errAt(err, args[1])
	}
	gap, err := expr.EvalConst(&expr.EvalCtx{}, ge)
	if err != nil {
		return nil, nil, b.errAt(err, args[1])
	}
	if gap.Null || gap.V.Months != 0 || int64(gap.V.Days)*86_400_000_000+gap.V.Micros <= 0 {
		return nil, nil, pgerror.New(pgerror.CodeInvalidParameterValue, "session gap must be a positive interval without months or years").WithPosition(b.pos(args[1]))
	}
	n := &planner.WindowTVF{Kind: planner.Session, Input: plan, TimeCol: c.Idx, Size: &expr.Const{D: gap, T: types.TInterval}}
	qual := ""
	if len(sc.cols) > 0 {
		qual = sc.cols[0].table
	}
	cols := append(append([]scopeCol(nil), sc.cols...),
		scopeCol{table: qual, name: "window_start", t: c.T}, scopeCol{table: qual, name: "window_end", t: c.T})
	n.Cols = planCols(cols)
	return n, &scope{cols: cols, parent: sc.parent}, nil
}

// checkSessionWindows refuses an optimized plan (subquery plans included)
// in which a SESSION window was not fused into a windowed aggregate: a
// session exists only per GROUP BY key, so SESSION must feed a GROUP BY
// that includes window_start or window_end.
func checkSessionWindows(n planner.Node) error {
	if t, ok := n.(*planner.WindowTVF); ok && t.Kind == planner.Session {
		return pgerror.NotSupported("SESSION windows are only supported under a GROUP BY that includes window_start or window_end").
			WithHint("Aggregate over the session windows, e.g. SELECT k, window_start, window_end, count(*) FROM SESSION(t, ts, INTERVAL '10' SECOND) GROUP BY k, window_start, window_end.")
	}
	var err error
	for _, e := range planner.Exprs(n) {
		planner.Walk(e, func(e expr.Expr) bool {
			if sq, ok := e.(*expr.Subquery); ok && err == nil {
				if p, ok := sq.Plan.(planner.Node); ok {
					err = checkSessionWindows(p)
				}
			}
			return err == nil
		})
	}
	for _, c := range n.Children() {
		if err == nil {
			err = checkSessionWindows(c)
		}
	}
	return err
}
