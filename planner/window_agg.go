package planner

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// WindowAggStateVersion is the layout of a window aggregate's state
// entries (panes, sessions and its meta entry, exec/window_agg.go); the
// aggregate states inside carry their own versions (expr.AggState).
const WindowAggStateVersion uint32 = 1

// WindowAgg is an aggregate grouped by event-time windows: the fusion of a
// HashAgg whose GROUP BY holds window_start and/or window_end with the
// WindowTVF (TUMBLE, HOP or SESSION) below it (docs/windows.md).
//
// Its output row is the non-window group keys, window_start, window_end,
// then the aggregates (Cols); a Project above restores the order the query
// asked for. Only windows holding at least one live row have a row. Rows
// with a NULL event time belong to no window.
//
// Tumble and Hop are computed per pane (length gcd(Size, Slide)): a row
// updates exactly one pane's partial aggregate, and a window's row merges
// the Size/gcd panes it covers. Session groups rows of the same key whose
// event times are less than Gap apart into [first, last+Gap).
//
// EmitOnClose (EMIT ON WINDOW CLOSE, continuous queries only) emits each
// window's final row once, when the watermark reaches its end, instead of
// updating open windows at every batch. AppendOnly promises that the
// input holds inserts only (bounded plans, and continuous queries over
// tables), so min/max keep only their extreme.
type WindowAgg struct {
	Input   Node
	Kind    WindowTVFKind
	TimeCol int // event-time column of Input
	// Size and Slide (Tumble, Hop; Slide == Size for Tumble) and Gap
	// (Session) are in microseconds.
	Size, Slide, Gap int64
	GroupBy          []expr.Expr // non-window group keys, over Input
	Aggs             []AggCall   // over Input
	EmitOnClose      bool
	AppendOnly       bool
	Cols             []Column
}

func (n *WindowAgg) Schema() []Column { return n.Cols }
func (n *WindowAgg) Children() []Node { return []Node{n.Input} }

// PaneSize is the length of a Tumble/Hop pane: gcd(Size, Slide).
func (n *WindowAgg) PaneSize() int64 {
	a, b := n.Size, n.Slide
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// WindowStartCol is the index of window_start in Cols (window_end follows).
func (n *WindowAgg) WindowStartCol() int { return len(n.GroupBy) }

func formatMicros(us int64) string {
	return types.FormatText(types.TInterval, types.DInterval(types.IntervalValue{Micros: us}), nil)
}

func (n *WindowAgg) String() string {
	var b strings.Builder
	b.WriteString("WindowAgg ")
	col := n.Input.Schema()[n.TimeCol].Name
	switch n.Kind {
	case Tumble:
		fmt.Fprintf(&b, "tumble time=%s size=%s", col, formatMicros(n.Size))
	case Hop:
		fmt.Fprintf(&b, "hop time=%s slide=%s size=%s pane=%s", col, formatMicros(n.Slide), formatMicros(n.Size), formatMicros(n.PaneSize()))
	case Session:
		fmt.Fprintf(&b, "session time=%s gap=%s", col, formatMicros(n.Gap))
	}
	aggs := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		aggs[i] = a.String()
	}
	fmt.Fprintf(&b, " group=[%s] aggs=[%s]", exprList(n.GroupBy), strings.Join(aggs, ", "))
	if n.EmitOnClose {
		b.WriteString(" emit=on_window_close")
	}
	if n.AppendOnly {
		b.WriteString(" append_only")
	}
	return b.String()
}

// Exprs returns the expressions the node evaluates (group keys, aggregate
// arguments and filters).
func (n *WindowAgg) Exprs() []expr.Expr {
	out := append([]expr.Expr(nil), n.GroupBy...)
	for _, a := range n.Aggs {
		out = append(out, a.Args...)
		if a.Filter != nil {
			out = append(out, a.Filter)
		}
	}
	return out
}

// fuseWindowAgg is the rule turning
//
//	HashAgg(group=[keys..., window_start/window_end...])
//	  [Filter | Project]*     (projections are substituted, filters must
//	  WindowTVF               not read the window columns)
//	    input
//
// into Project(WindowAgg(Filter(input))). It leaves the plan alone when a
// group key, aggregate or filter computes anything from window_start or
// window_end other than grouping by them, when an aggregate has its own
// ORDER BY, or when the window lengths are not constant positive intervals
// without months (the WindowTVF then reports the error at execution).
func fuseWindowAgg(n Node) Node {
	return TransformUp(n, func(n Node) Node {
		agg, ok := n.(*HashAgg)
		if !ok {
			return n
		}
		if out := fuse(agg); out != nil {
			return out
		}
		return n
	})
}

func fuse(agg *HashAgg) Node {
	// Walk down to the TVF, building subst: a column of the current node
	// as an expression over the TVF's output.
	var filters []expr.Expr
	var projects []*Project
	cur := agg.Input
	for {
		switch c := cur.(type) {
		case *Filter:
			filters = append(filters, c.Pred)
			cur = c.Input
			continue
		case *Project:
			projects = append(projects, c)
			cur = c.Input
			continue
		}
		break
	}
	tvf, ok := cur.(*WindowTVF)
	if !ok {
		return nil
	}
	// lower rewrites an expression over the node at depth d (0 = the
	// HashAgg's input) into one over the TVF's output, substituting the
	// projections below it. Filters sit between projections, so each is
	// lowered from its own depth.
	depthOf := func(n Node) int {
		d := 0
		for x := agg.Input; x != n; {
			if p, isP := x.(*Project); isP {
				d++
				x = p.Input
			} else {
				x = x.(*Filter).Input
			}
		}
		return d
	}
	okExpr := true
	lower := func(e expr.Expr, d int) expr.Expr {
		if e == nil {
			return nil
		}
		for _, p := range projects[d:] {
			if !fusable(e) {
				okExpr = false
				return e
			}
			e = Rewrite(e, func(x expr.Expr) expr.Expr {
				if c, isC := x.(*expr.ColRef); isC {
					return p.Exprs[c.Idx]
				}
				return x
			})
		}
		if !fusable(e) {
			okExpr = false
		}
		return e
	}
	nIn := len(tvf.Input.Schema())
	wsCol, weCol := nIn, nIn+1
	readsWindow := func(e expr.Expr) bool {
		cols, _ := ColumnsUsed(e)
		return cols[wsCol] || cols[weCol]
	}

	var keys []expr.Expr
	// pos maps each HashAgg output column to its WindowAgg column.
	pos := make([]int, 0, len(agg.Cols))
	var keyCols []Column
	hasWindow := false
	for i, g := range agg.GroupBy {
		e := lower(g, 0)
		if c, isC := e.(*expr.ColRef); isC && (c.Idx == wsCol || c.Idx == weCol) {
			hasWindow = true
			pos = append(pos, -1-(c.Idx-wsCol)) // -1 start, -2 end; fixed below
			continue
		}
		if readsWindow(e) {
			return nil
		}
		pos = append(pos, len(keys))
		keys = append(keys, e)
		keyCols = append(keyCols, agg.Cols[i])
	}
	if !hasWindow {
		return nil
	}
	aggs := make([]AggCall, len(agg.Aggs))
	for j, a := range agg.Aggs {
		if len(a.OrderBy) > 0 {
			return nil
		}
		c := a
		c.Args = make([]expr.Expr, len(a.Args))
		for k, x := range a.Args {
			if c.Args[k] = lower(x, 0); readsWindow(c.Args[k]) {
				return nil
			}
		}
		if c.Filter = lower(a.Filter, 0); c.Filter != nil && readsWindow(c.Filter) {
			return nil
		}
		aggs[j] = c
	}
	var preds []expr.Expr
	for x := agg.Input; x != Node(tvf); {
		switch f := x.(type) {
		case *Filter:
			p := lower(f.Pred, depthOf(f))
			if readsWindow(p) {
				return nil
			}
			preds = append(preds, p)
			x = f.Input
		case *Project:
			x = f.Input
		}
	}
	if !okExpr {
		return nil
	}
	w := &WindowAgg{Kind: tvf.Kind, TimeCol: tvf.TimeCol, GroupBy: keys, Aggs: aggs}
	var err error
	switch tvf.Kind {
	case Tumble:
		w.Size, err = constMicros(tvf.Size)
		w.Slide = w.Size
	case Hop:
		if w.Size, err = constMicros(tvf.Size); err == nil {
			w.Slide, err = constMicros(tvf.Slide)
		}
	case Session:
		w.Gap, err = constMicros(tvf.Size)
	}
	if err != nil {
		return nil
	}
	w.Input = tvf.Input
	if len(preds) > 0 {
		w.Input = &Filter{Input: tvf.Input, Pred: JoinAnd(preds)}
	}
	tcols := tvf.Schema()
	w.Cols = append(append(keyCols, tcols[wsCol], tcols[weCol]), agg.Cols[len(agg.GroupBy):]...)
	exprs := make([]expr.Expr, len(agg.Cols))
	for i, c := range agg.Cols {
		idx := 0
		switch {
		case i >= len(agg.GroupBy):
			idx = len(keys) + 2 + i - len(agg.GroupBy)
		case pos[i] >= 0:
			idx = pos[i]
		default:
			idx = len(keys) - 1 - pos[i]
		}
		exprs[i] = &expr.ColRef{Idx: idx, T: c.T, Name: w.Cols[idx].Name}
	}
	return &Project{Input: w, Exprs: exprs, Cols: agg.Cols}
}

// fusable reports whether e may be moved into the window aggregate:
// known nodes, no subquery, nothing volatile (a substituted projection is
// evaluated where it is used).
func fusable(e expr.Expr) bool {
	if _, ok := ColumnsUsed(e); !ok {
		return false
	}
	ok := true
	Walk(e, func(e expr.Expr) bool {
		if c, isC := e.(*expr.Call); isC && c.Fn.Volatile {
			ok = false
		}
		return ok
	})
	return ok
}

// constMicros evaluates a constant interval without months to
// microseconds; it must be positive.
func constMicros(e expr.Expr) (int64, error) {
	if e == nil {
		return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "missing window length")
	}
	if cols, ok := ColumnsUsed(e); !ok || len(cols) > 0 {
		return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "window length must be a constant")
	}
	d, err := expr.EvalConst(&expr.EvalCtx{}, e)
	if err != nil {
		return 0, err
	}
	if d.Null || d.V.Months != 0 {
		return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "window length must be a non-NULL interval without months or years")
	}
	us := int64(d.V.Days)*86_400_000_000 + d.V.Micros
	if us <= 0 {
		return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "window length must be positive")
	}
	return us, nil
}

// ---- streaming (hooks called from stream.go) ----

// windowAgg converts a WindowAgg for a continuous query: its input is
// converted, EMIT ON WINDOW CLOSE applied, and SESSION refused over an
// input that may retract rows.
func (s *streamifier) windowAgg(n *WindowAgg) (Node, error) {
	for _, e := range n.Exprs() {
		if err := checkStreamExpr(e); err != nil {
			return nil, err
		}
	}
	in, err := s.node(n.Input)
	if err != nil {
		return nil, err
	}
	if n.Kind == Session && !insertOnly(in) {
		return nil, pgerror.NotSupported("SESSION windows over an input that retracts rows (a materialized view or an aggregate) are not supported").
			WithHint("Read the table directly, or use TUMBLE or HOP.")
	}
	s.windowAggs++
	c := *n
	c.Input = in
	c.EmitOnClose = s.emitOnClose
	c.AppendOnly = insertOnly(in)
	return &c, nil
}

// insertOnly reports whether every row n produces in a continuous query
// is an insert: tables without a primary key and sources are append-only
// logs; tables with one (upserts, UPDATE, DELETE), materialized views'
// changelogs and aggregates retract.
func insertOnly(n Node) bool {
	switch n := n.(type) {
	case *Scan:
		return n.Rel.Kind() == KindTable && !HasPrimaryKey(n.Rel) || n.Rel.Kind() == KindSource
	case *Filter, *Project, *WindowTVF, *SetOp:
		for _, c := range n.Children() {
			if !insertOnly(c) {
				return false
			}
		}
		return true
	case *WindowAgg:
		return n.EmitOnClose
	}
	return false
}

// registerWindowAgg numbers a WindowAgg as the next stateful operator and
// records its state versions: the operator's layout and each aggregate's.
func registerWindowAgg(p *StreamPlan, n *WindowAgg) {
	registerStateful(p, n, "window_agg", WindowAggStateVersion, n.Aggs, n.AppendOnly)
}

// registerStateful numbers an aggregating operator as the next stateful
// operator of p and records the state versions it writes: the operator's
// own layout (kind, version) and each aggregate's, as the executor will
// create it (append-only and DISTINCT variants encode differently).
func registerStateful(p *StreamPlan, n Node, kind string, version uint32, aggs []AggCall, appendOnly bool) {
	id := uint32(len(p.OpIDs) + 1)
	p.OpIDs[n] = id
	p.StateVersions[fmt.Sprintf("op%d:%s", id, kind)] = version
	for j, a := range aggs {
		argTypes := make([]types.T, len(a.Args))
		for i, e := range a.Args {
			argTypes[i] = e.Type()
		}
		st := a.Fn.New(argTypes, a.Fn.Ret)
		if appendOnly {
			if h, ok := st.(expr.AppendOnlyHint); ok {
				h.SetAppendOnly()
			}
		}
		if a.Distinct {
			st = expr.NewDistinctAggState(st, argTypes)
		}
		p.StateVersions[fmt.Sprintf("op%d:agg%d:%s", id, j, a.Fn.Name)] = st.StateVersion()
	}
}

// windowAggKey is the stream key of a WindowAgg's output: the group keys
// and the window (window_start alone identifies a window of a key, but
// both columns are keyed so that a session whose end moves is a new row).
func windowAggKey(n *WindowAgg) []int {
	key := make([]int, len(n.GroupBy)+2)
	for i := range key {
		key[i] = i
	}
	return key
}
