package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Join state format versions (see the const block in stream.go).
const (
	// StreamJoinStateVersion is the layout of a StreamJoin's row entries:
	// per side and row, its multiplicity, match degree, join key values
	// and row values.
	StreamJoinStateVersion uint32 = 1
	// IntervalJoinStateVersion is the layout of an IntervalJoin's row
	// entries (as StreamJoin's, keyed by join key and event time).
	IntervalJoinStateVersion uint32 = 1
)

// StreamJoin is the continuous form of an equi-join (docs/joins.md): a
// symmetric hash join that keeps both inputs' live rows by join key, with
// per-row multiplicities and match degrees, and emits ± joined rows (and
// ± NULL-padded rows of outer sides as their degrees cross 0) for every
// change of either input. Kind is inner, left, right or full; keys and
// Residual are as in HashJoin.
//
// A window join (WindowKey >= 0) joins two inputs windowed by the same
// TUMBLE/HOP on a window column: LeftKeys[WindowKey]/RightKeys[WindowKey]
// read window_start or window_end, and a window's rows are dropped from the
// state once the watermark reaches its end (key value + WindowOffset),
// after which no row of the window can arrive.
type StreamJoin struct {
	Kind                JoinKind
	Left, Right         Node
	LeftKeys, RightKeys []expr.Expr
	Residual            expr.Expr
	// WindowKey is the index of the window key pair, -1 for a regular join.
	WindowKey int
	// WindowOffset is added to the window key's value to get the window's
	// end (µs): 0 for window_end, the window size for window_start.
	WindowOffset int64
	// NoWatermark marks an inner interval join whose time columns are not
	// both bounded by a watermark, planned as a regular join with the time
	// bounds in Residual (EXPLAIN says so).
	NoWatermark bool
}

func (n *StreamJoin) Schema() []Column { return joinSchema(n.Kind, n.Left, n.Right) }
func (n *StreamJoin) Children() []Node { return []Node{n.Left, n.Right} }
func (n *StreamJoin) String() string {
	var b strings.Builder
	b.WriteString("StreamJoin ")
	if n.WindowKey >= 0 {
		b.WriteString("window ")
	}
	fmt.Fprintf(&b, "%s left=[%s] right=[%s]", n.Kind, exprList(n.LeftKeys), exprList(n.RightKeys))
	if n.Residual != nil {
		b.WriteString(" residual " + n.Residual.String())
	}
	if n.WindowKey >= 0 {
		end := n.LeftKeys[n.WindowKey].String()
		if n.WindowOffset != 0 {
			end += " + " + formatMicros(n.WindowOffset)
		}
		fmt.Fprintf(&b, " state: left and right rows by key until wm >= %s", end)
	} else {
		b.WriteString(" state: left and right rows by key, unbounded (live rows of both inputs)")
		if n.NoWatermark {
			b.WriteString(" (interval join without a watermark on both inputs: time bounds checked as residual)")
		}
	}
	return b.String()
}

// IntervalJoin is an inner or left equi-join of two insert-only inputs
// whose condition also bounds the right row's event time to the left
// row's: Right.ts ∈ [Left.ts + Lower, Left.ts + Upper] (µs, inclusive).
// Each side's rows are kept by (join key, event time) until the
// watermark makes a match impossible: a left row at t until the
// watermark passes t + Upper, a right row at s until it passes s - Lower.
// A left join emits an unmatched left row with NULLs when it is dropped.
// Rows whose event time is below the watermark on arrival are late:
// dropped and reported. The output is insert-only.
type IntervalJoin struct {
	Kind                JoinKind
	Left, Right         Node
	LeftKeys, RightKeys []expr.Expr
	// LeftTime and RightTime are the event-time columns of the inputs
	// (timestamp or timestamptz, the same type on both sides).
	LeftTime, RightTime int
	// LeftTimeName and RightTimeName name the time columns as the query
	// does (a.ts), for EXPLAIN.
	LeftTimeName, RightTimeName string
	Lower, Upper                int64
	// Residual is the rest of the condition (the time bounds excluded)
	// over the concatenated row.
	Residual expr.Expr
}

func (n *IntervalJoin) Schema() []Column { return joinSchema(n.Kind, n.Left, n.Right) }
func (n *IntervalJoin) Children() []Node { return []Node{n.Left, n.Right} }
func (n *IntervalJoin) String() string {
	lt, rt := n.LeftTimeName, n.RightTimeName
	var b strings.Builder
	fmt.Fprintf(&b, "IntervalJoin %s left=[%s] right=[%s] %s in [%s, %s]", n.Kind, exprList(n.LeftKeys), exprList(n.RightKeys),
		rt, offsetText(lt, n.Lower), offsetText(lt, n.Upper))
	if n.Residual != nil {
		b.WriteString(" residual " + n.Residual.String())
	}
	fmt.Fprintf(&b, " state: left rows by (key, %s) until wm > %s, right rows by (key, %s) until wm > %s",
		lt, offsetText(lt, n.Upper), rt, offsetText(rt, -n.Lower))
	return b.String()
}

func offsetText(col string, off int64) string {
	switch {
	case off > 0:
		return col + " + " + formatMicros(off)
	case off < 0:
		return col + " - " + formatMicros(-off)
	}
	return col
}

// join converts a join of a bounded plan (docs/joins.md): a HashJoin whose
// right input is a ProcTimeScan becomes a LookupJoin; an equi-join of two
// inputs windowed alike and joined on the window a window StreamJoin; an
// inner or left equi-join of insert-only inputs with event-time bounds an
// IntervalJoin; any other inner, left, right or full equi-join a regular
// StreamJoin. Joins without an equality between the inputs are refused.
func (s *streamifier) join(n Node) (Node, error) {
	switch n := n.(type) {
	case *ProcTimeScan:
		return nil, pgerror.NotSupported("FOR SYSTEM_TIME AS OF PROCTIME() outside a lookup join is not supported in a continuous query").
			WithHint("Use it on the right side of an inner or left join on the relation's primary key.")
	case *NestedLoopJoin:
		if lookupSide(n.Right) != nil || lookupSide(n.Left) != nil {
			return nil, notLookupKey(nil)
		}
		if n.On == nil {
			return nil, pgerror.NotSupported("a cross join is not supported in a continuous query").
				WithHint("Join the inputs on equal columns.")
		}
		return nil, pgerror.NotSupported("a join without an equality condition between its inputs is not supported in a continuous query").
			WithHint("Add an equality between a column of each input (an interval join also needs one).")
	case *Join:
		return nil, pgerror.New(pgerror.CodeInternalError, "planner: logical Join in a physical plan")
	}
	h := n.(*HashJoin)
	if lookupSide(h.Left) != nil {
		return nil, pgerror.NotSupported("FOR SYSTEM_TIME AS OF PROCTIME() must be on the right side of a lookup join")
	}
	if pts := lookupSide(h.Right); pts != nil {
		return s.lookupJoin(h, pts)
	}
	switch h.Kind {
	case InnerJoin, LeftJoin, RightJoin, FullJoin:
	default:
		return nil, notStreamable("a %s join (from IN, EXISTS or NOT IN)", h.Kind)
	}
	l, err := s.node(h.Left)
	if err != nil {
		return nil, err
	}
	r, err := s.node(h.Right)
	if err != nil {
		return nil, err
	}
	if windowStable(l) && windowStable(r) {
		if wk, off, ok := windowJoinKey(h); ok {
			return &StreamJoin{Kind: h.Kind, Left: l, Right: r, LeftKeys: h.LeftKeys, RightKeys: h.RightKeys,
				Residual: h.Residual, WindowKey: wk, WindowOffset: off}, nil
		}
	}
	if insertOnly(l) && insertOnly(r) {
		if h.Kind == InnerJoin || h.Kind == LeftJoin {
			if ij, ok := intervalJoin(h, l, r); ok {
				lw, rw := watermarkedColumn(l, ij.LeftTime), watermarkedColumn(r, ij.RightTime)
				if lw && rw {
					return ij, nil
				}
				// Without a watermark on both time columns the state
				// would never be dropped and a left join would never
				// emit its unmatched rows: an inner join becomes a
				// regular join checking the bounds as a residual
				// (correct, state unbounded); a left join is refused.
				if h.Kind == LeftJoin {
					missing := ij.LeftTimeName
					if lw {
						missing = ij.RightTimeName
					}
					return nil, pgerror.NotSupported("interval join needs a WATERMARK on both inputs: %s is not the event-time column of a table or source with WATERMARK FOR (a left interval join emits unmatched rows only as the watermark passes)", missing).
						WithHint("Add WATERMARK FOR <column> AS <column> - INTERVAL '...' to the tables or sources of both inputs, or use a regular join (without the time bounds).")
				}
				return &StreamJoin{Kind: h.Kind, Left: l, Right: r, LeftKeys: h.LeftKeys, RightKeys: h.RightKeys,
					Residual: h.Residual, WindowKey: -1, NoWatermark: true}, nil
			}
		}
	}
	return &StreamJoin{Kind: h.Kind, Left: l, Right: r, LeftKeys: h.LeftKeys, RightKeys: h.RightKeys,
		Residual: h.Residual, WindowKey: -1}, nil
}

// watermarkedColumn reports whether column col of the streaming node n is
// an event-time column a watermark bounds: it traces, through filters,
// column projections, window TVFs, UNION ALL (every branch) and the window
// columns of windowed aggregates, to the watermark column of a scanned
// table or source (WatermarkedRelation). A materialized view is not
// watermarked here (an interval join needs insert-only inputs, which an
// MV's changelog is not). A relation that does not implement
// WatermarkedRelation cannot be checked and is taken as watermarked, as
// before the check existed (the server's wrapper of sources for ad-hoc
// scans hides the catalog's implementation).
func watermarkedColumn(n Node, col int) bool {
	for {
		switch x := n.(type) {
		case *Scan:
			w, ok := x.Rel.(WatermarkedRelation)
			if !ok {
				return true
			}
			c, ok := w.WatermarkColumn()
			return ok && c == col
		case *Filter:
			n = x.Input
		case *Project:
			c, ok := x.Exprs[col].(*expr.ColRef)
			if !ok {
				return false
			}
			n, col = x.Input, c.Idx
		case *WindowTVF:
			if col >= len(x.Input.Schema()) {
				// window_start/window_end follow the time column.
				col = x.TimeCol
			}
			n = x.Input
		case *WindowAgg:
			if col != x.WindowStartCol() && col != x.WindowStartCol()+1 {
				return false
			}
			n, col = x.Input, x.TimeCol
		case *SetOp:
			if !x.All || !watermarkedColumn(x.Left, col) {
				return false
			}
			n = x.Right
		default:
			return false
		}
	}
}

// lookupSide returns the ProcTimeScan n reads through filters, or nil.
func lookupSide(n Node) *ProcTimeScan {
	for {
		switch x := n.(type) {
		case *Filter:
			n = x.Input
		case *ProcTimeScan:
			return x
		default:
			return nil
		}
	}
}

func notLookupKey(rel Relation) error {
	name := "the relation"
	if rel != nil {
		name = fmt.Sprintf("%q", rel.Name())
	}
	return pgerror.NotSupported("a lookup join must join on every primary key column of %s by equality", name).
		WithHint("Write ON s.col = t.pk for each primary key column of the table or key column of the materialized view.")
}

// lookupJoin converts h, whose right input is pts under filters.
func (s *streamifier) lookupJoin(h *HashJoin, pts *ProcTimeScan) (Node, error) {
	if h.Kind != InnerJoin && h.Kind != LeftJoin {
		return nil, pgerror.NotSupported("a %s lookup join is not supported; only inner and left", h.Kind)
	}
	kr, ok := pts.Rel.(keyedRelation)
	if !ok || len(kr.PrimaryKey()) == 0 {
		return nil, pgerror.NotSupported("a lookup join needs a table with a primary key or a materialized view with a key; %q has none", pts.Rel.Name())
	}
	pk := kr.PrimaryKey()
	nl := len(h.Left.Schema())
	keys := make([]expr.Expr, len(pk))
	var rest []expr.Expr
	for i, rk := range h.RightKeys {
		c, isCol := rk.(*expr.ColRef)
		j := -1
		if isCol {
			j = slices.Index(pk, c.Idx)
		}
		if j < 0 || keys[j] != nil {
			// An extra equality is checked on the looked-up row.
			eq, err := equality(h.LeftKeys[i], RemapColumns(rk, func(c int) int { return c + nl }))
			if err != nil {
				return nil, err
			}
			rest = append(rest, eq)
			continue
		}
		keys[j] = h.LeftKeys[i]
	}
	if slices.Contains(keys, nil) {
		return nil, notLookupKey(pts.Rel)
	}
	// Filters pushed onto the looked-up relation decide matching.
	for n := h.Right; n != Node(pts); n = n.(*Filter).Input {
		rest = append(rest, RemapColumns(n.(*Filter).Pred, func(c int) int { return c + nl }))
	}
	if h.Residual != nil {
		rest = append(rest, h.Residual)
	}
	in, err := s.node(h.Left)
	if err != nil {
		return nil, err
	}
	if !insertOnly(in) {
		return nil, pgerror.NotSupported("a lookup join over an input that retracts rows is not supported").
			WithHint("A lookup join enriches new rows at processing time; join a table's log, or use a regular join.")
	}
	for i, k := range keys {
		if !hashCompatible(k, &expr.ColRef{T: pts.Rel.Columns()[pk[i]].T}) {
			return nil, notLookupKey(pts.Rel)
		}
	}
	return &LookupJoin{Kind: h.Kind, Input: in, Rel: pts.Rel, Alias: pts.Alias, Keys: keys, Residual: JoinAnd(rest)}, nil
}

// equality builds l = r for two expressions of hash-compatible types.
func equality(l, r expr.Expr) (expr.Expr, error) {
	fn, err := expr.ResolveOperator("=", l.Type(), r.Type())
	if err != nil {
		return nil, err
	}
	args := []expr.Expr{l, r}
	for i, a := range args {
		if want := fn.Args[i]; a.Type().ID != want.ID {
			args[i] = &expr.Cast{E: a, To: want}
		}
	}
	return &expr.Call{Fn: fn, Args: args}, nil
}

// windowStable reports whether the streaming node n changes a window's
// rows only until the watermark reaches the window's end, so that a window
// join may drop a window's state then: n is insert-only (its rows never
// change; late rows are dropped by the join's inputs' windowing), or
// filters and projections of a TUMBLE/HOP WindowAgg over an insert-only
// input (it drops late rows, and its open windows' retractions all come
// before the watermark passes their end).
func windowStable(n Node) bool {
	for {
		switch x := n.(type) {
		case *Filter:
			n = x.Input
		case *Project:
			n = x.Input
		case *WindowAgg:
			return x.Kind != Session && insertOnly(x.Input)
		default:
			return insertOnly(n)
		}
	}
}

// windowDesc describes the window a join key column reads: its kind,
// size and slide (µs), the type of its time column, and whether the
// column is window_end (else window_start).
type windowDesc struct {
	kind        WindowTVFKind
	size, slide int64
	timeType    types.ID
	isEnd       bool
}

// windowColumn follows column col of n through filters, projections and
// aggregates' group keys to a window TVF's or a windowed aggregate's
// window_start or window_end column.
func windowColumn(n Node, col int) (windowDesc, bool) {
	for {
		switch x := n.(type) {
		case *HashAgg:
			if col >= len(x.GroupBy) {
				return windowDesc{}, false
			}
			c, isCol := x.GroupBy[col].(*expr.ColRef)
			if !isCol {
				return windowDesc{}, false
			}
			col, n = c.Idx, x.Input
		case *Filter:
			n = x.Input
		case *Project:
			c, isCol := x.Exprs[col].(*expr.ColRef)
			if !isCol {
				return windowDesc{}, false
			}
			col, n = c.Idx, x.Input
		case *WindowAgg:
			ws := x.WindowStartCol()
			if x.Kind == Session || (col != ws && col != ws+1) {
				return windowDesc{}, false
			}
			return windowDesc{kind: x.Kind, size: x.Size, slide: x.Slide,
				timeType: x.Input.Schema()[x.TimeCol].T.ID, isEnd: col == ws+1}, true
		case *WindowTVF:
			nin := len(x.Input.Schema())
			if col == nin || col == nin+1 {
				if x.Kind == Session {
					return windowDesc{}, false
				}
				size, err := constMicros(x.Size)
				if err != nil {
					return windowDesc{}, false
				}
				slide := size
				if x.Kind == Hop {
					if slide, err = constMicros(x.Slide); err != nil {
						return windowDesc{}, false
					}
				}
				return windowDesc{kind: x.Kind, size: size, slide: slide,
					timeType: x.Input.Schema()[x.TimeCol].T.ID, isEnd: col == nin+1}, true
			}
			if x.Kind == Session {
				return windowDesc{}, false
			}
			n = x.Input
		default:
			return windowDesc{}, false
		}
	}
}

// windowJoinKey finds a key pair of h joining the same window column of
// two inputs windowed by the same TUMBLE or HOP (directly or through
// windowed aggregates' group keys), and returns its index and the offset
// from its value to the window's end.
func windowJoinKey(h *HashJoin) (int, int64, bool) {
	for i := range h.LeftKeys {
		lc, okL := h.LeftKeys[i].(*expr.ColRef)
		rc, okR := h.RightKeys[i].(*expr.ColRef)
		if !okL || !okR {
			continue
		}
		lw, okL := windowColumn(h.Left, lc.Idx)
		rw, okR := windowColumn(h.Right, rc.Idx)
		if !okL || !okR || lw != rw {
			continue
		}
		var off int64
		if !lw.isEnd {
			off = lw.size
		}
		return i, off, true
	}
	return 0, 0, false
}

// timeTerm recognizes col, col + c and col - c (c a constant interval
// without months; days count as 24 hours for timestamp, and are refused
// for timestamptz, whose days follow the session's time zone).
func timeTerm(e expr.Expr) (col int, name string, off int64, ok bool) {
	switch x := e.(type) {
	case *expr.ColRef:
		if x.T.ID != types.Timestamp && x.T.ID != types.TimestampTZ {
			return 0, "", 0, false
		}
		return x.Idx, x.Name, 0, true
	case *expr.Call:
		if len(x.Args) != 2 || (x.Fn.Name != "+" && x.Fn.Name != "-") {
			return 0, "", 0, false
		}
		a, b := x.Args[0], x.Args[1]
		if x.Fn.Name == "+" {
			if _, isCol := b.(*expr.ColRef); isCol {
				a, b = b, a
			}
		}
		c, isCol := a.(*expr.ColRef)
		if !isCol || (c.T.ID != types.Timestamp && c.T.ID != types.TimestampTZ) || x.Fn.Ret.ID != c.T.ID {
			return 0, "", 0, false
		}
		if cols, okC := ColumnsUsed(b); !okC || len(cols) > 0 || b.Type().ID != types.Interval {
			return 0, "", 0, false
		}
		d, err := expr.EvalConst(&expr.EvalCtx{}, b)
		if err != nil || d.Null || d.V.Months != 0 || (d.V.Days != 0 && c.T.ID == types.TimestampTZ) {
			return 0, "", 0, false
		}
		us := int64(d.V.Days)*86_400_000_000 + d.V.Micros
		if x.Fn.Name == "-" {
			us = -us
		}
		return c.Idx, c.Name, us, true
	}
	return 0, "", 0, false
}

// timeBound recognizes a conjunct bounding a right time column by a left
// one: right.ts op left.ts + c in any arrangement. It returns the columns
// (left's index in the left input, right's in the right input) and the
// bound on right.ts - left.ts: lower (isLower) or upper, inclusive.
func timeBound(c expr.Expr, nl int) (lcol, rcol int, lname, rname string, bound int64, isLower, ok bool) {
	call, isCall := c.(*expr.Call)
	if !isCall || len(call.Args) != 2 {
		return
	}
	op := call.Fn.Name
	switch op {
	case "<", "<=", ">", ">=":
	default:
		return
	}
	ca, na, oa, okA := timeTerm(call.Args[0])
	cb, nb, ob, okB := timeTerm(call.Args[1])
	if !okA || !okB || call.Args[0].Type().ID != call.Args[1].Type().ID {
		return
	}
	// Make it right.ts + oa op left.ts + ob.
	switch {
	case ca >= nl && cb < nl:
	case ca < nl && cb >= nl:
		ca, cb, oa, ob, na, nb = cb, ca, ob, oa, nb, na
		op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
	default:
		return
	}
	// right.ts - left.ts op ob - oa
	d := ob - oa
	switch op {
	case ">=":
		return cb, ca - nl, nb, na, d, true, true
	case ">":
		return cb, ca - nl, nb, na, d + 1, true, true
	case "<=":
		return cb, ca - nl, nb, na, d, false, true
	default: // "<"
		return cb, ca - nl, nb, na, d - 1, false, true
	}
}

// intervalJoin recognizes event-time bounds in h's residual (both a lower
// and an upper bound between the same pair of time columns).
func intervalJoin(h *HashJoin, l, r Node) (*IntervalJoin, bool) {
	nl := len(h.Left.Schema())
	type pair struct{ l, r int }
	type bounds struct {
		lo, hi       int64
		hasLo, hasHi bool
		conj         []int
		lname, rname string
	}
	conj := SplitAnd(h.Residual)
	found := map[pair]*bounds{}
	var order []pair
	for i, c := range conj {
		lc, rc, ln, rn, v, isLower, ok := timeBound(c, nl)
		if !ok {
			continue
		}
		p := pair{lc, rc}
		b := found[p]
		if b == nil {
			b = &bounds{lname: ln, rname: rn}
			found[p] = b
			order = append(order, p)
		}
		if isLower {
			b.lo, b.hasLo = maxBound(b.lo, v, b.hasLo), true
		} else {
			b.hi, b.hasHi = minBoundTime(b.hi, v, b.hasHi), true
		}
		b.conj = append(b.conj, i)
	}
	for _, p := range order {
		b := found[p]
		if !b.hasLo || !b.hasHi {
			continue
		}
		var rest []expr.Expr
		for i, c := range conj {
			if !slices.Contains(b.conj, i) {
				rest = append(rest, c)
			}
		}
		return &IntervalJoin{Kind: h.Kind, Left: l, Right: r, LeftKeys: h.LeftKeys, RightKeys: h.RightKeys,
			LeftTime: p.l, RightTime: p.r, LeftTimeName: b.lname, RightTimeName: b.rname, Lower: b.lo, Upper: b.hi, Residual: JoinAnd(rest)}, true
	}
	return nil, false
}

func maxBound(cur, v int64, has bool) int64 {
	if !has {
		return v
	}
	return max(cur, v)
}

func minBoundTime(cur, v int64, has bool) int64 {
	if !has {
		return v
	}
	return min(cur, v)
}

// joinStreamKey is the stream key of a join's output: both inputs' keys
// (the right's shifted past the left's columns) when both have one; nil
// otherwise, and for full joins, whose NULL-padded rows of either side
// could share a key. A lookup join's output has its input's key.
func joinStreamKey(n Node) []int {
	switch n := n.(type) {
	case *LookupJoin:
		return streamKey(n.Input)
	case *StreamJoin:
		if n.Kind == FullJoin {
			return nil
		}
		return concatKeys(n.Left, n.Right)
	case *IntervalJoin:
		return concatKeys(n.Left, n.Right)
	}
	return nil
}

func concatKeys(l, r Node) []int {
	lk, rk := streamKey(l), streamKey(r)
	if lk == nil || rk == nil {
		return nil
	}
	nl := len(l.Schema())
	key := slices.Clone(lk)
	for _, k := range rk {
		key = append(key, nl+k)
	}
	return key
}

// registerJoin numbers a stateful join and records its state version.
func registerJoin(p *StreamPlan, n Node) {
	id := uint32(len(p.OpIDs) + 1)
	p.OpIDs[n] = id
	switch n.(type) {
	case *StreamJoin:
		p.StateVersions[fmt.Sprintf("op%d:stream_join", id)] = StreamJoinStateVersion
	case *IntervalJoin:
		p.StateVersions[fmt.Sprintf("op%d:interval_join", id)] = IntervalJoinStateVersion
	}
}
