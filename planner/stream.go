package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
)

// Operator state format versions. Each stateful streaming operator writes
// its state with its version; a query whose recorded versions differ from
// this binary's is not restarted on its old state (DESIGN.md, upgrade
// rule). Bump a version with every incompatible change to the operator's
// encoding in exec.
const (
	// HashAggStateVersion is the layout of a streaming hash aggregate's
	// group entry (row count, key values, per-aggregate states); the
	// aggregate states carry their own versions (expr.AggState).
	//
	// 2: an aggregate over an insert-only input (HashAgg.AppendOnly)
	// keeps min/max as their extreme only (the aggregate states record
	// the mode); state written by version 1 kept value multisets.
	HashAggStateVersion uint32 = 2
	// TopNStateVersion is the layout of a top-N operator's row entries.
	TopNStateVersion uint32 = 1 + topNStateBump
	// MVSinkStateVersion is the layout of MV rows and changelog records
	// the MV sink writes.
	MVSinkStateVersion uint32 = 1
)

// StreamPlan is a continuous query's plan: a tree of the bounded plan's
// nodes (Scan, Filter, Project, HashAgg, SetOp UNION ALL, TopN) whose
// leaves are Scans of log relations, plus what the driver and the upgrade
// check need. It is immutable once built.
type StreamPlan struct {
	// Root is the streaming plan; its output rows (with ops) are the
	// changes of the MV's rows.
	Root Node
	// Inputs are the log relations the leaves read, each once, in the
	// order the leaves are first met (depth first, left to right).
	Inputs []Relation
	// ScanInputs maps each leaf Scan to its index in Inputs (a relation
	// read twice, as in a self-union, is one input feeding two leaves).
	ScanInputs map[*Scan]int
	// Key lists the stream key columns of Root's output: every live row
	// has a distinct key, and a change of a keyed row is a Delete of the
	// old row followed by an Insert of the new one. nil means no key: the
	// output is a multiset. A non-nil empty Key means at most one row (a
	// global aggregate).
	Key []int
	// OpIDs numbers the stateful operators (HashAgg, TopN) in depth-first
	// pre-order from 1; their state lives under q/<query>/op/<id>/.
	OpIDs map[Node]uint32
	// StateVersions maps "op<id>:<kind>" (and "op<id>:agg<j>:<name>" for
	// each aggregate's state, "sink:mv" for the MV rows) to the state
	// format version this binary writes.
	StateVersions map[string]uint32
	// EmitOnClose is EMIT ON WINDOW CLOSE: the windowed aggregate emits
	// each window's final row once, when the watermark passes its end
	// (WindowAgg.EmitOnClose), so the output is append-only. Set by
	// StreamifyOptions; part of the fingerprint.
	EmitOnClose bool
	// Fingerprint is a hex sha256 over the plan's text, its output types,
	// its key and StateVersions: equal fingerprints mean the same
	// operators with the same ids reading the same state.
	Fingerprint string
}

// Streamify turns an optimized bounded plan (the binder's Bound.Plan of a
// SELECT) into a streaming plan. Nodes that cannot run continuously yet are
// refused with a 0A000 error naming them: joins without an equality
// between their inputs (joins with one: stream_join.go), window functions other
// than a ROW_NUMBER top-N, DISTINCT ON, INTERSECT/EXCEPT, LIMIT without
// ORDER BY, VALUES and table functions, subqueries, ordered aggregates and
// functions whose value is not fixed by their arguments (now(), random()).
//
// Rewrites: a top-level ORDER BY without LIMIT is dropped (an MV's rows are
// unordered); DISTINCT and UNION become a hash aggregate without calls;
// LIMIT over ORDER BY and a ROW_NUMBER window filtered by a constant range
// become TopN.
func Streamify(root Node) (*StreamPlan, error) { return StreamifyWith(root, StreamOptions{}) }

// StreamOptions are the parts of a continuous query's definition outside
// its SELECT.
type StreamOptions struct {
	// EmitOnClose is EMIT ON WINDOW CLOSE: the plan must contain a
	// windowed aggregate (0A000 otherwise), which then emits each
	// window's final row once when the watermark passes its end.
	EmitOnClose bool
}

// StreamifyWith is Streamify with the query's options.
func StreamifyWith(root Node, opts StreamOptions) (*StreamPlan, error) {
	for {
		s, ok := root.(*Sort)
		if !ok {
			break
		}
		root = s.Input
	}
	s := &streamifier{emitOnClose: opts.EmitOnClose}
	out, err := s.node(root)
	if err != nil {
		return nil, err
	}
	if opts.EmitOnClose && s.windowAggs == 0 {
		return nil, pgerror.NotSupported("EMIT ON WINDOW CLOSE requires a windowed aggregate").
			WithHint("Group by window_start or window_end of TUMBLE, HOP or SESSION.")
	}
	p := &StreamPlan{Root: out, ScanInputs: map[*Scan]int{}, OpIDs: map[Node]uint32{},
		StateVersions: map[string]uint32{"sink:mv": MVSinkStateVersion}, EmitOnClose: opts.EmitOnClose}
	byOID := map[uint32]int{}
	var walk func(n Node) error
	walk = func(n Node) error {
		switch n := n.(type) {
		case *Scan:
			i, ok := byOID[n.Rel.OID()]
			if !ok {
				i = len(p.Inputs)
				byOID[n.Rel.OID()] = i
				p.Inputs = append(p.Inputs, n.Rel)
			}
			p.ScanInputs[n] = i
		case *HashAgg:
			registerStateful(p, n, "hash_agg", HashAggStateVersion, n.Aggs, n.AppendOnly)
		case *WindowAgg:
			registerWindowAgg(p, n)
		case *StreamJoin, *IntervalJoin:
			registerJoin(p, n) // stream_join.go
		case *TopN:
			id := uint32(len(p.OpIDs) + 1)
			p.OpIDs[n] = id
			p.StateVersions[fmt.Sprintf("op%d:top_n", id)] = TopNStateVersion
		}
		for _, c := range n.Children() {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(out); err != nil {
		return nil, err
	}
	p.Key = streamKey(out)
	p.Fingerprint = fingerprint(p)
	return p, nil
}

// StateVersionsDiff explains how two StateVersions maps differ ("" when
// equal), for the needs_rebuild reason.
func StateVersionsDiff(stored, current map[string]uint32) string {
	var diffs []string
	keys := map[string]bool{}
	for k := range stored {
		keys[k] = true
	}
	for k := range current {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		a, inA := stored[k]
		b, inB := current[k]
		switch {
		case !inA:
			diffs = append(diffs, fmt.Sprintf("%s is new (version %d)", k, b))
		case !inB:
			diffs = append(diffs, fmt.Sprintf("%s is gone (was version %d)", k, a))
		case a != b:
			diffs = append(diffs, fmt.Sprintf("%s state version %d, this weir writes %d", k, a, b))
		}
	}
	return strings.Join(diffs, "; ")
}

func fingerprint(p *StreamPlan) string {
	h := sha256.New()
	h.Write([]byte(Explain(p.Root)))
	for _, c := range p.Root.Schema() {
		fmt.Fprintf(h, "col %s %d %d\n", c.Name, c.T.OID(), c.T.Mod)
	}
	fmt.Fprintf(h, "key %v nil=%v\n", p.Key, p.Key == nil)
	if p.EmitOnClose {
		// Only when set, so that plans made before the option existed
		// keep their fingerprints.
		h.Write([]byte("emit on window close\n"))
	}
	keys := make([]string, 0, len(p.StateVersions))
	for k := range p.StateVersions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "state %s %d\n", k, p.StateVersions[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// streamKey derives the key of n's output (see StreamPlan.Key).
func streamKey(n Node) []int {
	switch n := n.(type) {
	case *WindowAgg:
		return windowAggKey(n)
	case *StreamJoin, *IntervalJoin, *LookupJoin:
		return joinStreamKey(n) // stream_join.go
	case *HashAgg:
		key := make([]int, len(n.GroupBy))
		for i := range key {
			key[i] = i
		}
		return key
	case *Filter:
		return streamKey(n.Input)
	case *Project:
		in := streamKey(n.Input)
		if in == nil {
			return nil
		}
		proj := func(k int) int {
			return slices.IndexFunc(n.Exprs, func(e expr.Expr) bool {
				c, ok := e.(*expr.ColRef)
				return ok && c.Idx == k
			})
		}
		key := make([]int, 0, len(in))
		for _, k := range in {
			j := proj(k)
			if j < 0 {
				if windowEndDroppable(n.Input, in, k, proj) {
					continue
				}
				return nil
			}
			key = append(key, j)
		}
		return key
	case *TopN:
		if !n.RowNumber {
			return nil
		}
		key := make([]int, 0, len(n.PartitionBy)+1)
		for _, e := range n.PartitionBy {
			c, ok := e.(*expr.ColRef)
			if !ok {
				return nil
			}
			key = append(key, c.Idx)
		}
		return append(key, len(n.Cols)-1)
	}
	return nil
}

// windowEndDroppable reports whether key column k of n (a key of n's
// output) may be left out of a projection's key: k is the window_end of a
// WindowAgg whose window_start is also in key and projected (proj >= 0).
// window_start identifies a window of a group key: it determines the end
// of a TUMBLE or HOP window, and the sessions of one key are disjoint, so
// two of them never share a start (a session whose end moves is an update
// of its row; the operator emits a batch's Deletes before its Inserts).
// The WindowAgg's own key keeps both columns, so that plans projecting
// window_end keep their key (and their fingerprints and sink keys).
func windowEndDroppable(n Node, key []int, k int, proj func(int) int) bool {
	wa, col, ok := windowAggColumn(n, k)
	if !ok || col != wa.WindowStartCol()+1 {
		return false
	}
	for _, k2 := range key {
		if wa2, col2, ok := windowAggColumn(n, k2); ok && wa2 == wa && col2 == wa.WindowStartCol() && proj(k2) >= 0 {
			return true
		}
	}
	return false
}

// windowAggColumn traces column col of n through filters and column
// projections to the WindowAgg that computes it, if any.
func windowAggColumn(n Node, col int) (*WindowAgg, int, bool) {
	for {
		switch x := n.(type) {
		case *WindowAgg:
			return x, col, true
		case *Filter:
			n = x.Input
		case *Project:
			c, ok := x.Exprs[col].(*expr.ColRef)
			if !ok {
				return nil, 0, false
			}
			n, col = x.Input, c.Idx
		default:
			return nil, 0, false
		}
	}
}

type streamifier struct {
	emitOnClose bool
	// windowAggs counts the windowed aggregates converted (EMIT ON WINDOW
	// CLOSE needs one).
	windowAggs int
}

func notStreamable(format string, args ...any) error {
	return pgerror.NotSupported(format+" is not supported in a continuous query yet", args...)
}

// node converts n and its inputs.
func (s *streamifier) node(n Node) (Node, error) {
	for _, e := range Exprs(n) {
		if err := checkStreamExpr(e); err != nil {
			return nil, err
		}
	}
	switch n := n.(type) {
	case *Scan:
		switch n.Rel.Kind() {
		case KindTable, KindMatView, KindSource:
			return n, nil
		}
		return nil, notStreamable("reading %s %q", relKindWord(n.Rel.Kind()), n.Rel.Name())
	case *Filter:
		if tn, rest, ok, err := s.rowNumberFilter(n); ok || err != nil {
			if err != nil {
				return nil, err
			}
			if rest == nil {
				return tn, nil
			}
			return &Filter{Input: tn, Pred: rest}, nil
		}
		in, err := s.node(n.Input)
		if err != nil {
			return nil, err
		}
		return &Filter{Input: in, Pred: n.Pred}, nil
	case *Project:
		in, err := s.node(n.Input)
		if err != nil {
			return nil, err
		}
		c := *n
		c.Input = in
		return &c, nil
	case *HashAgg:
		for _, a := range n.Aggs {
			if len(a.OrderBy) > 0 {
				return nil, notStreamable("an aggregate with ORDER BY (%s)", a.Fn.Name)
			}
		}
		in, err := s.node(n.Input)
		if err != nil {
			return nil, err
		}
		c := *n
		c.Input = in
		// Over an insert-only input (tables through stateless operators)
		// min/max need no value multisets (docs/bench.md).
		c.AppendOnly = insertOnly(in)
		return &c, nil
	case *WindowAgg:
		return s.windowAgg(n)
	case *Distinct:
		if n.On != nil {
			return nil, notStreamable("DISTINCT ON")
		}
		in, err := s.node(n.Input)
		if err != nil {
			return nil, err
		}
		return distinctAgg(in), nil
	case *SetOp:
		if n.Kind != Union {
			return nil, notStreamable("%s", strings.ToUpper(n.Kind.String()))
		}
		l, err := s.node(n.Left)
		if err != nil {
			return nil, err
		}
		r, err := s.node(n.Right)
		if err != nil {
			return nil, err
		}
		u := &SetOp{Kind: Union, All: true, Left: l, Right: r}
		if n.All {
			return u, nil
		}
		return distinctAgg(u), nil
	case *Sort:
		// Row order means nothing in an MV; only a Sort under a Limit
		// (handled there) changes the result.
		return s.node(n.Input)
	case *Limit:
		return s.limit(n)
	case *Window:
		return nil, pgerror.NotSupported("window function %s() is not supported in a continuous query yet; only row_number() filtered to a constant range (a top-N) is", n.Funcs[0].Name)
	case *Join, *HashJoin, *NestedLoopJoin, *ProcTimeScan:
		return s.join(n) // stream_join.go
	case *Values:
		return nil, notStreamable("VALUES")
	case *GenerateSeries:
		return nil, notStreamable("a set-returning function in FROM")
	case *WindowTVF:
		// Not fused into a windowed aggregate: a stateless operator that
		// assigns windows and drops rows below the watermark as late.
		in, err := s.node(n.Input)
		if err != nil {
			return nil, err
		}
		c := *n
		c.Input = in
		return &c, nil
	}
	return nil, notStreamable("plan node %T", n)
}

func relKindWord(k RelKind) string {
	switch k {
	case KindSource:
		return "source"
	case KindView:
		return "view"
	case KindSystem:
		return "system relation"
	}
	return "relation"
}

// distinctAgg groups by every column of in, with no aggregates.
func distinctAgg(in Node) *HashAgg {
	cols := in.Schema()
	keys := make([]expr.Expr, len(cols))
	for i, c := range cols {
		keys[i] = &expr.ColRef{Idx: i, T: c.T, Name: c.Name}
	}
	return &HashAgg{Input: in, GroupBy: keys, Cols: slices.Clone(cols), AppendOnly: insertOnly(in)}
}

// checkStreamExpr refuses expressions whose value is not a function of the
// input row alone.
func checkStreamExpr(e expr.Expr) error {
	var err error
	Walk(e, func(e expr.Expr) bool {
		switch e := e.(type) {
		case *expr.Subquery:
			err = notStreamable("a subquery")
		case *expr.Param:
			err = notStreamable("a parameter")
		case *expr.OuterRef:
			err = notStreamable("a correlated reference")
		case *expr.Call:
			if e.Fn.Volatile || e.Fn.Stable {
				err = notStreamable("function %s(), whose value changes between batches,", e.Fn.Name)
			}
		}
		return err == nil
	})
	return err
}

// constInt returns the value of a constant integer expression.
func constInt(e expr.Expr) (int64, bool) {
	for {
		c, ok := e.(*expr.Cast)
		if !ok {
			break
		}
		e = c.E
	}
	c, ok := e.(*expr.Const)
	if !ok || c.D.Null || !c.T.IsInteger() {
		return 0, false
	}
	return c.D.I, true
}

func isNullConst(e expr.Expr) bool {
	for {
		c, ok := e.(*expr.Cast)
		if !ok {
			break
		}
		e = c.E
	}
	c, ok := e.(*expr.Const)
	return ok && c.D.Null
}

// limit converts LIMIT/OFFSET over ORDER BY into a TopN.
func (s *streamifier) limit(n *Limit) (Node, error) {
	sort, ok := n.Input.(*Sort)
	if !ok {
		return nil, notStreamable("LIMIT or OFFSET without ORDER BY")
	}
	limit, offset := int64(-1), int64(0)
	if n.Count != nil && !isNullConst(n.Count) {
		v, ok := constInt(n.Count)
		if !ok {
			return nil, notStreamable("a LIMIT that is not a constant")
		}
		if v < 0 {
			return nil, pgerror.New("2201W", "LIMIT must not be negative")
		}
		limit = v
	}
	if n.Offset != nil && !isNullConst(n.Offset) {
		v, ok := constInt(n.Offset)
		if !ok {
			return nil, notStreamable("an OFFSET that is not a constant")
		}
		if v < 0 {
			return nil, pgerror.New("2201X", "OFFSET must not be negative")
		}
		offset = v
	}
	if limit < 0 && offset == 0 {
		return s.node(sort.Input)
	}
	in, err := s.node(sort.Input)
	if err != nil {
		return nil, err
	}
	return newTopN(in, nil, sort.Keys, offset, limit, ""), nil
}

// rowNumberFilter recognizes Filter(rn bounds [AND rest]) over Projects
// over Window(row_number() OVER (PARTITION BY .. ORDER BY ..)) and returns
// the TopN that replaces the Window (same output columns, so the Projects
// above it are kept) and the remaining conjuncts. ok is false when n is
// not such a filter.
func (s *streamifier) rowNumberFilter(n *Filter) (out Node, rest expr.Expr, ok bool, err error) {
	// Follow the column chain through projections down to the window.
	var projects []*Project
	cur := n.Input
	for {
		p, isProj := cur.(*Project)
		if !isProj {
			break
		}
		projects = append(projects, p)
		cur = p.Input
	}
	w, isWin := cur.(*Window)
	if !isWin || len(w.Funcs) != 1 || w.Funcs[0].Kind != WindowRowNumber {
		return nil, nil, false, nil
	}
	for _, e := range Exprs(w) {
		if err := checkStreamExpr(e); err != nil {
			return nil, nil, true, err
		}
	}
	for _, p := range projects {
		for _, e := range p.Exprs {
			if err := checkStreamExpr(e); err != nil {
				return nil, nil, true, err
			}
		}
	}
	rnCol := len(w.Input.Schema())
	// mapsToRN reports whether column c of the filter's input is the
	// window's row number.
	mapsToRN := func(c int) bool {
		for _, p := range projects {
			ref, isRef := p.Exprs[c].(*expr.ColRef)
			if !isRef {
				return false
			}
			c = ref.Idx
		}
		return c == rnCol
	}
	lo, hi := int64(1), int64(-1) // row numbers kept: [lo, hi], hi -1 = unbounded
	var others []expr.Expr
	found := false
	for _, conj := range SplitAnd(n.Pred) {
		call, isCall := conj.(*expr.Call)
		if !isCall || len(call.Args) != 2 {
			others = append(others, conj)
			continue
		}
		op := call.Fn.Name
		l, r := call.Args[0], call.Args[1]
		if ref, isRef := r.(*expr.ColRef); isRef && mapsToRN(ref.Idx) {
			l, r = r, l
			op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
		}
		ref, isRef := l.(*expr.ColRef)
		v, isConst := constInt(r)
		if !isRef || !mapsToRN(ref.Idx) || !isConst {
			others = append(others, conj)
			continue
		}
		found = true
		switch op {
		case "<=":
			hi = minBound(hi, v)
		case "<":
			hi = minBound(hi, v-1)
		case ">=":
			lo = max(lo, v)
		case ">":
			lo = max(lo, v+1)
		case "=":
			lo, hi = max(lo, v), minBound(hi, v)
		default:
			found = false
			others = append(others, conj)
		}
	}
	if !found || hi < 0 && lo <= 1 {
		// A row number that is not bounded above keeps every row; the
		// window itself cannot run continuously.
		return nil, nil, false, nil
	}
	for _, o := range others {
		if cols, _ := ColumnsUsed(o); cols != nil {
			for c := range cols {
				if mapsToRN(c) {
					return nil, nil, true, notStreamable("a condition on row_number() other than a constant bound")
				}
			}
		}
	}
	f := w.Funcs[0]
	in, err := s.node(w.Input)
	if err != nil {
		return nil, nil, true, err
	}
	limit := int64(-1)
	if hi >= 0 {
		limit = max(hi-lo+1, 0)
	}
	var top Node = newTopN(in, f.PartitionBy, f.OrderBy, lo-1, limit, w.Cols[rnCol].Name)
	for i := len(projects) - 1; i >= 0; i-- {
		c := *projects[i]
		c.Input = top
		top = &c
	}
	return top, JoinAnd(others), true, nil
}

func minBound(hi, v int64) int64 {
	if hi < 0 {
		return max(v, 0)
	}
	return min(hi, max(v, 0))
}
