package exec

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// WindowAgg is the windowed aggregate (planner.WindowAgg, docs/windows.md):
// GROUP BY keys plus an event-time window of TUMBLE, HOP or SESSION. One
// operator serves bounded plans (Finish emits every window) and continuous
// queries (SetStreaming: changes at barriers, windows closed by the
// watermark).
//
// Tumble and hop are pane-based. A pane is [p, p+g) with g = gcd(size,
// slide), aligned to the epoch; each (group key, pane) has one partial
// state in the aggregate states, so a row costs one pane update whatever
// size/slide is. A window [s, s+size) is the panes it covers merged
// (expr.AggState.Merge); a tumbling window is its single pane. Only
// windows holding at least one live row have a row.
//
// Sessions: per group key, the open sessions sorted by start, each
// [start, last+gap) with its own aggregate state. A row at t joins the
// sessions whose interval overlaps [t, t+gap), merging them when it
// bridges several. Sessions need an append-only input: a Delete is a
// 0A000 error (a retraction could split a session).
//
// In a continuous query:
//   - a row whose event time is below the watermark (ctx.Watermark, or the
//     operator's own closing watermark if higher) is late: dropped and
//     reported through ctx.ReportLate. Rows with a NULL event time belong to
//     no window and are dropped silently, as the window TVFs drop them;
//   - default mode: at the barrier, each window whose rows changed in the
//     batch emits a Delete of its previous row and an Insert of its new one
//     (all Deletes of the batch first);
//   - Watermark(wm) closes the windows ending at or before wm. In EMIT ON
//     WINDOW CLOSE mode their final rows are emitted then, once, as inserts
//     (and nothing is emitted at barriers); in default mode their rows stay
//     as last emitted. Either way the panes and sessions no open window
//     needs are dropped, and their state entries deleted at the barrier, so
//     state is bounded by the watermark;
//   - state entries live under the operator's prefix: 'm' (the closing
//     watermark), 'p' + group key + pane start (one pane) and 's' + group
//     key + session start (one session), each value versioned with
//     planner.WindowAggStateVersion. The barrier writes the entries the
//     batch touched and deletes the closed or emptied ones.
//
// Output rows are the group keys, window_start, window_end and the
// aggregates, in planner.WindowAgg.Cols order.
type WindowAgg struct {
	n       *planner.WindowAgg
	out     Consumer
	keys    []expr.Evaluator
	args    [][]expr.Evaluator
	filters []expr.Evaluator
	argTs   [][]types.T
	// states hold one group per pane or session; rows counts each group's
	// live rows; free lists groups to reuse (reset to empty[j]).
	states []expr.AggState
	empty  [][]byte
	rows   []int64
	free   []int32
	// owner is the pane of each group (tumble/hop), nil when free.
	owner []*pane
	// released holds groups absorbed by a session merge during a Push;
	// they are freed once the chunk's rows are folded.
	released []int32
	// scratch is a one-group state per aggregate for merging a hopping
	// window's panes.
	scratch []expr.AggState

	keyTs, outTs []types.T
	byKey        map[string]*windowKey
	keyOrder     []*windowKey // first appearance, for bounded output
	paneLen      int64
	// paneStarts lists, ascending, the starts of panes that exist for
	// some key; paneKeys the keys having each.
	paneStarts []int64
	paneKeys   map[int64][]*windowKey

	appendOnly bool
	stream     *windowStream
	// paneUpdates counts rows folded into panes (one per row); see
	// PaneUpdates.
	paneUpdates int64
	keyBuf      []byte
}

// windowKey is one GROUP BY key's windows.
type windowKey struct {
	key      string // rowKey of vals
	vals     []types.Datum
	panes    map[int64]*pane
	sessions []*session // sorted by start, disjoint
}

// pane is one key's partial aggregate over [start, start+paneLen).
type pane struct {
	k      *windowKey
	start  int64
	g      int32
	stored bool // an entry exists in the committed state
	dirty  bool // changed by the current batch
	dead   bool // emptied or closed in the current batch
}

// session is one key's session window [start, last+gap).
type session struct {
	k           *windowKey
	start, last int64
	g           int32
	stored      bool  // an entry exists under storedStart
	storedStart int64 // start of the committed entry
	dirty       bool
	dead        bool   // absorbed or closed in the current batch
	emit        bool   // default mode: its change is still to be emitted
	touched     bool   // existed before the batch: old is its row then
	old         []byte // encoded row before the batch; nil = none
}

// windowRef names one tumbling or hopping window of a key.
type windowRef struct {
	k     *windowKey
	start int64
}

// windowStream is the streaming side of a WindowAgg.
type windowStream struct {
	prefix []byte
	input  int // LateRow.Input
	eowc   bool
	// closedWM is the highest watermark handled: windows ending at or
	// before it are closed. Persisted; NoWatermark when none yet.
	closedWM   int64
	storedWM   int64
	dirtyPanes []*pane
	deleted    [][]byte // state keys to delete at the barrier
	// Default mode: windows touched by the batch with their row before it
	// (nil: none), in first-touch order.
	oldRows   map[windowRef][]byte
	oldOrder  []windowRef
	sessTouch []*session
	valBuf    []byte
	aggBuf    []byte
}

var (
	_ WatermarkConsumer = (*WindowAgg)(nil)
	_ StatefulOperator  = (*WindowAgg)(nil)
)

// NewWindowAgg compiles n's expressions and creates the aggregate states.
// Aggregates with their own ORDER BY are not fused into a WindowAgg by the
// planner, so they are refused here.
func NewWindowAgg(n *planner.WindowAgg, out Consumer) (*WindowAgg, error) {
	w := &WindowAgg{n: n, out: out, byKey: map[string]*windowKey{}, paneKeys: map[int64][]*windowKey{}}
	switch n.Kind {
	case planner.Tumble, planner.Hop:
		if n.Size <= 0 || n.Slide <= 0 {
			return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "window size and slide must be positive")
		}
		w.paneLen = n.PaneSize()
	case planner.Session:
		if n.Gap <= 0 {
			return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "session gap must be positive")
		}
	}
	var err error
	if w.keys, err = compileAll(n.GroupBy); err != nil {
		return nil, err
	}
	for _, g := range n.GroupBy {
		w.keyTs = append(w.keyTs, g.Type())
	}
	w.outTs = planner.Types(n.Cols)
	for _, call := range n.Aggs {
		if len(call.OrderBy) > 0 {
			return nil, pgerror.NotSupported("an aggregate with ORDER BY over a window")
		}
		evs, err := compileAll(call.Args)
		if err != nil {
			return nil, err
		}
		w.args = append(w.args, evs)
		var f expr.Evaluator
		if call.Filter != nil {
			if f, err = expr.Compile(call.Filter); err != nil {
				return nil, err
			}
		}
		w.filters = append(w.filters, f)
		ts := make([]types.T, len(call.Args))
		for i, e := range call.Args {
			ts[i] = e.Type()
		}
		w.argTs = append(w.argTs, ts)
	}
	w.makeStates(n.AppendOnly)
	return w, nil
}

// makeStates (re)creates the aggregate states, empty.
func (w *WindowAgg) makeStates(appendOnly bool) {
	w.appendOnly = appendOnly
	w.states, w.scratch, w.empty = nil, nil, nil
	for j, call := range w.n.Aggs {
		w.states = append(w.states, w.newState(call, w.argTs[j]))
		sc := w.newState(call, w.argTs[j])
		sc.Grow(1)
		w.scratch = append(w.scratch, sc)
		w.empty = append(w.empty, sc.AppendState(nil, 0))
	}
}

func (w *WindowAgg) newState(call planner.AggCall, ts []types.T) expr.AggState {
	st := call.Fn.New(ts, call.Fn.Ret)
	if w.appendOnly {
		if h, ok := st.(expr.AppendOnlyHint); ok {
			h.SetAppendOnly()
		}
	}
	if call.Distinct {
		st = expr.NewDistinctAggState(st, ts)
	}
	return st
}

// SetAppendOnly promises that no Delete will arrive (bounded plans, and
// continuous queries over tables): min and max then keep only their
// extreme per pane or session. Call it before the first Push.
func (w *WindowAgg) SetAppendOnly() {
	if !w.appendOnly {
		w.makeStates(true)
	}
}

// SetStreaming switches the operator to continuous-query mode with its
// state under prefix; input is the plan input its rows come from (for late
// rows; -1 when several). Call it before LoadState and the first Push.
func (w *WindowAgg) SetStreaming(prefix []byte, input int) {
	w.stream = &windowStream{prefix: slices.Clone(prefix), input: input, eowc: w.n.EmitOnClose,
		closedWM: NoWatermark, storedWM: NoWatermark, oldRows: map[windowRef][]byte{}}
}

// PaneUpdates is the number of rows folded into panes or sessions so far:
// exactly one per row that has an event time and is not late, whatever
// the window's size/slide ratio (the pane-based hot path).
func (w *WindowAgg) PaneUpdates() int64 { return w.paneUpdates }

// StateVersion implements StatefulOperator.
func (w *WindowAgg) StateVersion() uint32 { return planner.WindowAggStateVersion }

// newGroup returns an empty aggregate group.
func (w *WindowAgg) newGroup() (int32, error) {
	if n := len(w.free); n > 0 {
		g := w.free[n-1]
		w.free = w.free[:n-1]
		for j, st := range w.states {
			if err := st.LoadState(g, w.empty[j]); err != nil {
				return 0, err
			}
		}
		w.rows[g] = 0
		return g, nil
	}
	g := int32(len(w.rows))
	w.rows = append(w.rows, 0)
	w.owner = append(w.owner, nil)
	for _, st := range w.states {
		st.Grow(len(w.rows))
	}
	return g, nil
}

// releaseGroup returns g to the free list; it is reset when reused.
func (w *WindowAgg) releaseGroup(g int32) {
	w.owner[g] = nil
	w.free = append(w.free, g)
}

// keyFor returns row i's group key entry, creating it.
func (w *WindowAgg) keyFor(kv []*types.Vec, i int) *windowKey {
	w.keyBuf = rowKey(w.keyBuf[:0], kv, i)
	if k := w.byKey[string(w.keyBuf)]; k != nil {
		return k
	}
	k := &windowKey{key: string(w.keyBuf), vals: make([]types.Datum, len(kv))}
	for j, v := range kv {
		k.vals[j] = v.Datum(i)
	}
	if w.n.Kind != planner.Session {
		k.panes = map[int64]*pane{}
	}
	w.byKey[k.key] = k
	w.keyOrder = append(w.keyOrder, k)
	return k
}

// lateBound is the event time below which a row is late (NoWatermark in
// bounded plans).
func (w *WindowAgg) lateBound(ctx *Ctx) int64 {
	if w.stream == nil {
		return NoWatermark
	}
	return max(ctx.Watermark, w.stream.closedWM)
}

// Push folds c's rows into their panes or sessions.
func (w *WindowAgg) Push(ctx *Ctx, c *types.Chunk) error {
	tv := c.Cols[w.n.TimeCol]
	late := w.lateBound(ctx)
	// Keep the rows that belong to a window.
	var keep []int
	for i := 0; i < c.N; i++ {
		if tv.IsNull(i) {
			continue
		}
		if t := tv.I[i]; t < late {
			in := -1
			if w.stream != nil {
				in = w.stream.input
			}
			ctx.ReportLate(LateRow{Input: in, EventTime: t, Watermark: late, Row: FormatRow(c, i)})
			continue
		}
		keep = append(keep, i)
	}
	if len(keep) == 0 {
		return nil
	}
	if len(keep) < c.N {
		c = c.Gather(keep)
		tv = c.Cols[w.n.TimeCol]
	}
	if w.appendOnly && c.Ops != nil && slices.Contains(c.Ops, types.Delete) {
		return pgerror.New(pgerror.CodeInternalError, "window aggregate: retraction fed to an append-only aggregate")
	}
	kv, err := evalAll(ctx, w.keys, c)
	if err != nil {
		return err
	}
	var groups []int32
	if w.n.Kind == planner.Session {
		groups, err = w.assignSessions(c, tv, kv)
	} else {
		groups, err = w.assignPanes(c, tv, kv)
	}
	if err != nil {
		return err
	}
	for j, st := range w.states {
		args, err := evalAll(ctx, w.args[j], c)
		if err != nil {
			return err
		}
		var sel []int
		if w.filters[j] != nil {
			if sel, err = expr.Filter(ctx.Eval, w.filters[j], c); err != nil {
				return err
			}
			if len(sel) == 0 {
				continue
			}
		}
		if err := st.Update(ctx.Eval, groups, args, c.Ops, sel); err != nil {
			return err
		}
	}
	if w.n.Kind != planner.Session {
		return w.dropEmptyPanes(groups)
	}
	for _, g := range w.released {
		w.releaseGroup(g)
	}
	w.released = w.released[:0]
	return nil
}

// assignPanes maps each row to its (key, pane) group. In default
// streaming mode, the first touch of a pane in a batch records the rows
// of the windows covering it before the batch changes them; row counts
// change only after every snapshot of the chunk is taken.
func (w *WindowAgg) assignPanes(c *types.Chunk, tv *types.Vec, kv []*types.Vec) ([]int32, error) {
	groups := make([]int32, c.N)
	snap := w.stream != nil && !w.stream.eowc
	for i := 0; i < c.N; i++ {
		k := w.keyFor(kv, i)
		ps := floorDiv(tv.I[i], w.paneLen) * w.paneLen
		p := k.panes[ps]
		if p == nil {
			g, err := w.newGroup()
			if err != nil {
				return nil, err
			}
			p = &pane{k: k, start: ps, g: g}
			w.owner[g] = p
			k.panes[ps] = p
			w.addPaneKey(ps, k)
		}
		if w.stream != nil && !p.dirty {
			p.dirty = true
			w.stream.dirtyPanes = append(w.stream.dirtyPanes, p)
			if snap {
				if err := w.snapshotWindows(p); err != nil {
					return nil, err
				}
			}
		}
		groups[i] = p.g
		w.paneUpdates++
	}
	for i, g := range groups {
		w.rows[g] += int64(c.Op(i))
	}
	return groups, nil
}

// dropEmptyPanes frees the panes of groups whose rows were all retracted.
func (w *WindowAgg) dropEmptyPanes(groups []int32) error {
	for _, g := range groups {
		switch {
		case w.rows[g] < 0:
			return pgerror.New(pgerror.CodeInternalError, "window aggregate: a pane has %d live rows (a retraction of a row never inserted)", w.rows[g])
		case w.rows[g] > 0:
			continue
		}
		if p := w.owner[g]; p != nil {
			w.removePane(p)
		}
	}
	return nil
}

// removePane drops p from memory; its entry is deleted at the barrier.
func (w *WindowAgg) removePane(p *pane) {
	p.dead = true
	delete(p.k.panes, p.start)
	w.removePaneKey(p.start, p.k)
	w.releaseGroup(p.g)
	if w.stream != nil && p.stored {
		w.stream.deleted = append(w.stream.deleted, w.paneKey(p.k, p.start))
	}
}

func (w *WindowAgg) addPaneKey(ps int64, k *windowKey) {
	ks := w.paneKeys[ps]
	if len(ks) == 0 {
		i, _ := slices.BinarySearch(w.paneStarts, ps)
		w.paneStarts = slices.Insert(w.paneStarts, i, ps)
	}
	w.paneKeys[ps] = append(ks, k)
}

func (w *WindowAgg) removePaneKey(ps int64, k *windowKey) {
	ks := w.paneKeys[ps]
	if i := slices.Index(ks, k); i >= 0 {
		ks = slices.Delete(ks, i, i+1)
	}
	if len(ks) > 0 {
		w.paneKeys[ps] = ks
		return
	}
	delete(w.paneKeys, ps)
	if i, ok := slices.BinarySearch(w.paneStarts, ps); ok {
		w.paneStarts = slices.Delete(w.paneStarts, i, i+1)
	}
}

// windowsOf calls f with the start of every window covering the pane at
// ps, in ascending order.
func (w *WindowAgg) windowsOf(ps int64, f func(s int64)) {
	last := floorDiv(ps, w.n.Slide) * w.n.Slide
	first := last
	for first-w.n.Slide > ps-w.n.Size {
		first -= w.n.Slide
	}
	for s := first; s <= last; s += w.n.Slide {
		f(s)
	}
}

// snapshotWindows records, for each window covering p not yet recorded in
// this batch, its current row.
func (w *WindowAgg) snapshotWindows(p *pane) error {
	st := w.stream
	var err error
	w.windowsOf(p.start, func(s int64) {
		ref := windowRef{k: p.k, start: s}
		if _, ok := st.oldRows[ref]; ok || err != nil {
			return
		}
		var row []types.Datum
		var n int64
		if row, n, err = w.windowRow(p.k, s); err != nil {
			return
		}
		var enc []byte
		if n > 0 {
			enc = state.EncodeRow(nil, w.outTs, row)
		}
		st.oldRows[ref] = enc
		st.oldOrder = append(st.oldOrder, ref)
	})
	return err
}

// windowRow computes the row of window [s, s+size) of k and its live row
// count (0: the window has no row).
func (w *WindowAgg) windowRow(k *windowKey, s int64) ([]types.Datum, int64, error) {
	var n int64
	var src []int32
	for ps := s; ps < s+w.n.Size; ps += w.paneLen {
		if p := k.panes[ps]; p != nil {
			n += w.rows[p.g]
			src = append(src, p.g)
		}
	}
	if n <= 0 {
		return nil, 0, nil
	}
	row := make([]types.Datum, 0, len(w.outTs))
	row = append(row, k.vals...)
	row = append(row, types.DInt(s), types.DInt(s+w.n.Size))
	if len(src) == 1 {
		return w.appendResults(row, w.states, src[0]), n, nil
	}
	for j, sc := range w.scratch {
		if err := sc.LoadState(0, w.empty[j]); err != nil {
			return nil, 0, err
		}
		for _, g := range src {
			if err := sc.Merge(0, w.states[j], g); err != nil {
				return nil, 0, err
			}
		}
	}
	return w.appendResults(row, w.scratch, 0), n, nil
}

// appendResults appends the aggregates' results for group g of sts.
func (w *WindowAgg) appendResults(row []types.Datum, sts []expr.AggState, g int32) []types.Datum {
	for j, st := range sts {
		v := types.NewVec(w.outTs[len(w.keyTs)+2+j], 1)
		st.Result(g, v)
		row = append(row, v.Datum(0))
	}
	return row
}

// ---- sessions ----

// assignSessions puts each row into its key's session, creating, extending
// and merging sessions. Merges fold the absorbed sessions' states into the
// surviving one at once; rows of this chunk already assigned to an
// absorbed session are redirected before the chunk's Update.
func (w *WindowAgg) assignSessions(c *types.Chunk, tv *types.Vec, kv []*types.Vec) ([]int32, error) {
	if c.Ops != nil && slices.Contains(c.Ops, types.Delete) {
		return nil, pgerror.NotSupported("SESSION windows need an append-only input; a retraction reached the session window aggregate")
	}
	groups := make([]int32, c.N)
	redirect := map[int32]int32{}
	gap := w.n.Gap
	for i := 0; i < c.N; i++ {
		k := w.keyFor(kv, i)
		t := tv.I[i]
		// Sessions overlapping [t, t+gap): start < t+gap and last+gap > t.
		lo, _ := slices.BinarySearchFunc(k.sessions, t, func(s *session, t int64) int {
			return cmp.Compare(s.last+gap, t+1) // first with last+gap > t
		})
		hi := lo
		for hi < len(k.sessions) && k.sessions[hi].start < t+gap {
			hi++
		}
		var s *session
		if lo == hi {
			g, err := w.newGroup()
			if err != nil {
				return nil, err
			}
			s = &session{k: k, start: t, last: t, g: g}
			k.sessions = slices.Insert(k.sessions, lo, s)
			if err := w.touchSession(s, false); err != nil {
				return nil, err
			}
		} else {
			s = k.sessions[lo]
			if err := w.touchSession(s, true); err != nil {
				return nil, err
			}
			for _, o := range k.sessions[lo+1 : hi] {
				if err := w.touchSession(o, true); err != nil {
					return nil, err
				}
				for _, st := range w.states {
					if err := st.Merge(s.g, st, o.g); err != nil {
						return nil, err
					}
				}
				w.rows[s.g] += w.rows[o.g]
				s.last = max(s.last, o.last)
				o.dead = true
				redirect[o.g] = s.g
				w.released = append(w.released, o.g)
				if w.stream != nil && o.stored {
					w.stream.deleted = append(w.stream.deleted, w.sessionKey(k, o.storedStart))
					o.stored = false
				}
			}
			k.sessions = slices.Delete(k.sessions, lo+1, hi)
			s.start = min(s.start, t)
			s.last = max(s.last, t)
		}
		groups[i] = s.g
		w.paneUpdates++
	}
	if len(redirect) > 0 {
		// Follow chains: the session a row went to may have been
		// absorbed by one that was absorbed in turn. Absorbed groups are
		// freed only after the chunk is folded, so no id is reused here.
		for i, g := range groups {
			for {
				to, ok := redirect[g]
				if !ok {
					break
				}
				g = to
			}
			groups[i] = g
		}
	}
	for i, g := range groups {
		w.rows[g] += int64(c.Op(i))
	}
	return groups, nil
}

// touchSession marks s changed by the batch, recording its row before the
// batch (existing sessions, default streaming mode).
func (w *WindowAgg) touchSession(s *session, existed bool) error {
	st := w.stream
	if st == nil || s.dirty {
		return nil
	}
	s.dirty = true
	st.sessTouch = append(st.sessTouch, s)
	if st.eowc {
		return nil
	}
	s.emit = true
	if !existed {
		return nil
	}
	s.touched = true
	if w.rows[s.g] > 0 {
		s.old = state.EncodeRow(nil, w.outTs, w.sessionRow(s))
	}
	return nil
}

func (w *WindowAgg) sessionRow(s *session) []types.Datum {
	row := make([]types.Datum, 0, len(w.outTs))
	row = append(row, s.k.vals...)
	row = append(row, types.DInt(s.start), types.DInt(s.last+w.n.Gap))
	return w.appendResults(row, w.states, s.g)
}

// ---- bounded ----

// Finish emits every window (bounded plans): keys in order of first
// appearance, each key's windows by start.
func (w *WindowAgg) Finish(ctx *Ctx) error {
	out := types.NewChunk(w.outTs, 64)
	flush := func(force bool) error {
		if out.N == 0 || (!force && out.N < MaxChunkRows) {
			return nil
		}
		c := out
		out = types.NewChunk(w.outTs, 64)
		return w.out.Push(ctx, c)
	}
	for _, k := range w.keyOrder {
		if w.n.Kind == planner.Session {
			for _, s := range k.sessions {
				out.AppendRow(w.sessionRow(s))
				if err := flush(false); err != nil {
					return err
				}
			}
			continue
		}
		starts := w.windowStarts(k)
		for _, s := range starts {
			row, n, err := w.windowRow(k, s)
			if err != nil {
				return err
			}
			if n > 0 {
				out.AppendRow(row)
				if err := flush(false); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	return w.out.Finish(ctx)
}

// windowStarts lists the starts of the windows covering k's panes,
// ascending.
func (w *WindowAgg) windowStarts(k *windowKey) []int64 {
	ps := make([]int64, 0, len(k.panes))
	for p := range k.panes {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	var starts []int64
	for _, p := range ps {
		w.windowsOf(p, func(s int64) {
			if n := len(starts); n == 0 || starts[n-1] < s {
				starts = append(starts, s)
			}
		})
	}
	return starts
}

// ---- streaming: barrier, watermark, state ----

// emitChanges pushes, for default mode, the −old/+new rows of every
// window and session the batch touched (all deletes first).
func (w *WindowAgg) emitChanges(ctx *Ctx) error {
	st := w.stream
	var dels, ins [][]types.Datum
	decode := func(enc []byte) error {
		row, err := state.DecodeRow(enc, w.outTs, nil)
		if err == nil {
			dels = append(dels, row)
		}
		return err
	}
	for _, ref := range st.oldOrder {
		old := st.oldRows[ref]
		row, n, err := w.windowRow(ref.k, ref.start)
		if err != nil {
			return err
		}
		var enc []byte
		if n > 0 {
			enc = state.EncodeRow(nil, w.outTs, row)
		}
		if bytes.Equal(old, enc) {
			continue
		}
		if old != nil {
			if err := decode(old); err != nil {
				return err
			}
		}
		if n > 0 {
			ins = append(ins, row)
		}
	}
	clear(st.oldRows)
	st.oldOrder = st.oldOrder[:0]
	for _, s := range st.sessTouch {
		if !s.emit {
			continue
		}
		s.emit = false
		if !s.touched && s.dead {
			continue
		}
		var enc []byte
		var row []types.Datum
		if !s.dead && w.rows[s.g] > 0 {
			row = w.sessionRow(s)
			enc = state.EncodeRow(nil, w.outTs, row)
		}
		if s.touched {
			s.touched = false
			if bytes.Equal(s.old, enc) {
				s.old = nil
				continue
			}
			if s.old != nil {
				if err := decode(s.old); err != nil {
					return err
				}
			}
			s.old = nil
		}
		if row != nil {
			ins = append(ins, row)
		}
	}
	return w.pushRows(ctx, dels, ins)
}

func (w *WindowAgg) pushRows(ctx *Ctx, dels, ins [][]types.Datum) error {
	cc := newChangeChunk(w.outTs)
	for _, r := range dels {
		cc.add(types.Delete, r)
		if err := cc.flushIfFull(ctx, w.out); err != nil {
			return err
		}
	}
	for _, r := range ins {
		cc.add(types.Insert, r)
		if err := cc.flushIfFull(ctx, w.out); err != nil {
			return err
		}
	}
	return cc.flush(ctx, w.out)
}

// Watermark implements WatermarkConsumer: windows ending at or before wm
// close (see the type comment), then wm is forwarded.
func (w *WindowAgg) Watermark(ctx *Ctx, wm int64) error {
	st := w.stream
	if st == nil {
		return pgerror.New(pgerror.CodeInternalError, "exec: watermark on a bounded window aggregate")
	}
	if wm <= st.closedWM {
		return forwardWatermark(ctx, w.out, wm)
	}
	if !st.eowc {
		// The batch's changes go out before their windows close.
		if err := w.emitChanges(ctx); err != nil {
			return err
		}
	}
	var err error
	if w.n.Kind == planner.Session {
		err = w.closeSessions(ctx, wm)
	} else {
		err = w.closePanes(ctx, wm)
	}
	if err != nil {
		return err
	}
	st.closedWM = wm
	return forwardWatermark(ctx, w.out, wm)
}

// closePanes emits (EOWC) the windows ending in (closedWM, wm] and drops
// the panes whose every window has closed.
func (w *WindowAgg) closePanes(ctx *Ctx, wm int64) error {
	st := w.stream
	if st.eowc {
		type cand struct {
			start int64
			k     *windowKey
		}
		seen := map[windowRef]bool{}
		var cands []cand
		for _, ps := range w.paneStarts {
			if ps >= wm {
				break
			}
			w.windowsOf(ps, func(s int64) {
				if end := s + w.n.Size; end <= st.closedWM || end > wm {
					return
				}
				for _, k := range w.paneKeys[ps] {
					if r := (windowRef{k: k, start: s}); !seen[r] {
						seen[r] = true
						cands = append(cands, cand{start: s, k: k})
					}
				}
			})
		}
		slices.SortFunc(cands, func(a, b cand) int {
			if c := cmp.Compare(a.start, b.start); c != 0 {
				return c
			}
			return cmp.Compare(a.k.key, b.k.key)
		})
		var ins [][]types.Datum
		for _, c := range cands {
			row, n, err := w.windowRow(c.k, c.start)
			if err != nil {
				return err
			}
			if n > 0 {
				ins = append(ins, row)
			}
		}
		if err := w.pushRows(ctx, nil, ins); err != nil {
			return err
		}
	}
	// The last window covering pane ps ends at floor(ps/slide)*slide+size,
	// which grows with ps.
	for len(w.paneStarts) > 0 {
		ps := w.paneStarts[0]
		if floorDiv(ps, w.n.Slide)*w.n.Slide+w.n.Size > wm {
			break
		}
		for _, k := range slices.Clone(w.paneKeys[ps]) {
			w.removePane(k.panes[ps])
		}
	}
	return nil
}

// closeSessions emits (EOWC) and drops the sessions ending at or before
// wm.
func (w *WindowAgg) closeSessions(ctx *Ctx, wm int64) error {
	st := w.stream
	var closed []*session
	for _, k := range w.byKey {
		n := 0
		for _, s := range k.sessions {
			if s.last+w.n.Gap <= wm {
				closed = append(closed, s)
				continue
			}
			k.sessions[n] = s
			n++
		}
		clear(k.sessions[n:])
		k.sessions = k.sessions[:n]
	}
	slices.SortFunc(closed, func(a, b *session) int {
		if c := cmp.Compare(a.last+w.n.Gap, b.last+w.n.Gap); c != 0 {
			return c
		}
		if c := cmp.Compare(a.k.key, b.k.key); c != 0 {
			return c
		}
		return cmp.Compare(a.start, b.start)
	})
	var ins [][]types.Datum
	for _, s := range closed {
		if st.eowc && w.rows[s.g] > 0 {
			ins = append(ins, w.sessionRow(s))
		}
		s.dead = true
		w.releaseGroup(s.g)
		if s.stored {
			st.deleted = append(st.deleted, w.sessionKey(s.k, s.storedStart))
			s.stored = false
		}
	}
	return w.pushRows(ctx, nil, ins)
}

// Barrier implements BarrierConsumer: default mode emits the batch's
// changes; the touched panes and sessions are written, the closed and
// emptied ones deleted; then the barrier is forwarded.
func (w *WindowAgg) Barrier(ctx *Ctx, b *Barrier) error {
	st := w.stream
	if st == nil {
		return pgerror.New(pgerror.CodeInternalError, "exec: barrier on a bounded window aggregate")
	}
	if !st.eowc {
		if err := w.emitChanges(ctx); err != nil {
			return err
		}
	}
	for _, k := range st.deleted {
		if err := b.W.Delete(k); err != nil {
			return err
		}
	}
	st.deleted = st.deleted[:0]
	for _, p := range st.dirtyPanes {
		p.dirty = false
		if p.dead {
			continue
		}
		st.valBuf = w.encodeEntry(st.valBuf[:0], p.k, p.g, p.start)
		if err := b.W.Set(w.paneKey(p.k, p.start), st.valBuf); err != nil {
			return err
		}
		p.stored = true
	}
	st.dirtyPanes = st.dirtyPanes[:0]
	for _, s := range st.sessTouch {
		s.dirty, s.emit, s.touched, s.old = false, false, false, nil
		if s.dead {
			continue
		}
		if s.stored && s.storedStart != s.start {
			if err := b.W.Delete(w.sessionKey(s.k, s.storedStart)); err != nil {
				return err
			}
		}
		st.valBuf = w.encodeEntry(st.valBuf[:0], s.k, s.g, s.start, s.last)
		if err := b.W.Set(w.sessionKey(s.k, s.start), st.valBuf); err != nil {
			return err
		}
		s.stored, s.storedStart = true, s.start
	}
	st.sessTouch = st.sessTouch[:0]
	if st.closedWM != st.storedWM {
		v := state.AppendHeader(nil, state.KindOpState)
		v = binary.AppendUvarint(v, uint64(planner.WindowAggStateVersion))
		v = binary.AppendVarint(v, st.closedWM)
		if err := b.W.Set(w.metaKey(), v); err != nil {
			return err
		}
		st.storedWM = st.closedWM
	}
	return forwardBarrier(ctx, w.out, b)
}

// State keys under the prefix.
const (
	windowMetaTag    = 'm'
	windowPaneTag    = 'p'
	windowSessionTag = 's'
)

func (w *WindowAgg) metaKey() []byte {
	return append(slices.Clip(w.stream.prefix), windowMetaTag)
}

func (w *WindowAgg) paneKey(k *windowKey, ps int64) []byte {
	key := append(append(slices.Clip(w.stream.prefix), windowPaneTag), k.key...)
	return types.AppendKey(key, types.TInt8, types.DInt(ps), false)
}

func (w *WindowAgg) sessionKey(k *windowKey, start int64) []byte {
	key := append(append(slices.Clip(w.stream.prefix), windowSessionTag), k.key...)
	return types.AppendKey(key, types.TInt8, types.DInt(start), false)
}

// Entry value (pane or session), after the state.KindOpState header:
//
//	uvarint  planner.WindowAggStateVersion
//	varint   live row count
//	varint   pane start | session start
//	varint   session only: the session's last event time
//	uvarint  length, then state.EncodeRow of the group key values
//	per aggregate: uvarint length, then AggState.AppendState
//
// The meta entry holds the version and a varint closing watermark.
func (w *WindowAgg) encodeEntry(buf []byte, k *windowKey, g int32, times ...int64) []byte {
	st := w.stream
	buf = state.AppendHeader(buf, state.KindOpState)
	buf = binary.AppendUvarint(buf, uint64(planner.WindowAggStateVersion))
	buf = binary.AppendVarint(buf, w.rows[g])
	for _, t := range times {
		buf = binary.AppendVarint(buf, t)
	}
	enc := state.EncodeRow(nil, w.keyTs, k.vals)
	buf = binary.AppendUvarint(buf, uint64(len(enc)))
	buf = append(buf, enc...)
	for _, s := range w.states {
		st.aggBuf = s.AppendState(st.aggBuf[:0], g)
		buf = binary.AppendUvarint(buf, uint64(len(st.aggBuf)))
		buf = append(buf, st.aggBuf...)
	}
	return buf
}

// LoadState implements StatefulOperator: it recreates the closing
// watermark, every pane and every session.
func (w *WindowAgg) LoadState(r state.Reader, prefix []byte) error {
	st := w.stream
	if st == nil {
		return pgerror.New(pgerror.CodeInternalError, "exec: LoadState on a bounded window aggregate")
	}
	return state.ScanPrefix(r, prefix, func(key, v []byte) error {
		rest := key[len(prefix):]
		if len(rest) == 0 {
			return corruptState("window aggregate: empty key")
		}
		var err error
		switch rest[0] {
		case windowMetaTag:
			err = w.loadMeta(v)
		case windowPaneTag, windowSessionTag:
			err = w.loadEntry(rest[0], v)
		default:
			err = corruptState("window aggregate: unknown entry tag %q", rest[0])
		}
		if err != nil {
			return fmt.Errorf("window aggregate entry %x: %w", rest, err)
		}
		return nil
	})
}

// entryDecoder reads the varint fields of a state entry.
type entryDecoder struct {
	p   []byte
	err error
}

func (d *entryDecoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.p)
	if n <= 0 {
		d.err = corruptState("window aggregate: truncated %s", what)
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *entryDecoder) varint(what string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.p)
	if n <= 0 {
		d.err = corruptState("window aggregate: truncated %s", what)
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *entryDecoder) bytes(what string) []byte {
	l := d.uvarint(what)
	if d.err != nil {
		return nil
	}
	if uint64(len(d.p)) < l {
		d.err = corruptState("window aggregate: truncated %s", what)
		return nil
	}
	b := d.p[:l]
	d.p = d.p[l:]
	return b
}

func (w *WindowAgg) openEntry(v []byte) (*entryDecoder, error) {
	p, err := state.ParseHeader(v, state.KindOpState)
	if err != nil {
		return nil, err
	}
	d := &entryDecoder{p: p}
	if ver := d.uvarint("version"); d.err == nil && uint32(ver) != planner.WindowAggStateVersion {
		return nil, corruptState("window aggregate state version %d, this weir reads %d", ver, planner.WindowAggStateVersion)
	}
	return d, d.err
}

func (w *WindowAgg) loadMeta(v []byte) error {
	d, err := w.openEntry(v)
	if err != nil {
		return err
	}
	wm := d.varint("watermark")
	if d.err == nil && len(d.p) != 0 {
		d.err = corruptState("window aggregate: %d trailing bytes", len(d.p))
	}
	if d.err != nil {
		return d.err
	}
	w.stream.closedWM, w.stream.storedWM = wm, wm
	return nil
}

func (w *WindowAgg) loadEntry(tag byte, v []byte) error {
	isSession := tag == windowSessionTag
	if isSession != (w.n.Kind == planner.Session) {
		return corruptState("window aggregate: %q entry in a %v window", tag, w.n.Kind)
	}
	d, err := w.openEntry(v)
	if err != nil {
		return err
	}
	rows := d.varint("row count")
	start := d.varint("start")
	var last int64
	if isSession {
		last = d.varint("last event time")
	}
	keyEnc := d.bytes("group key")
	if d.err != nil {
		return d.err
	}
	if rows <= 0 {
		return corruptState("window aggregate: entry with %d live rows", rows)
	}
	vals, err := state.DecodeRow(keyEnc, w.keyTs, nil)
	if err != nil {
		return err
	}
	kc := types.NewChunk(w.keyTs, 1)
	kc.AppendRow(vals)
	k := w.keyFor(kc.Cols, 0)
	g, err := w.newGroup()
	if err != nil {
		return err
	}
	w.rows[g] = rows
	for j, s := range w.states {
		enc := d.bytes("aggregate state")
		if d.err != nil {
			return d.err
		}
		if err := s.LoadState(g, enc); err != nil {
			return fmt.Errorf("aggregate %d: %w", j, err)
		}
	}
	if len(d.p) != 0 {
		return corruptState("window aggregate: %d trailing bytes", len(d.p))
	}
	if isSession {
		s := &session{k: k, start: start, last: last, g: g, stored: true, storedStart: start}
		// Entries come in key order: sessions of a key by start.
		if n := len(k.sessions); n > 0 && k.sessions[n-1].last+w.n.Gap > start {
			return corruptState("window aggregate: overlapping sessions")
		}
		k.sessions = append(k.sessions, s)
		return nil
	}
	if floorDiv(start, w.paneLen)*w.paneLen != start || k.panes[start] != nil {
		return corruptState("window aggregate: bad pane start %d", start)
	}
	p := &pane{k: k, start: start, g: g, stored: true}
	k.panes[start] = p
	w.owner[g] = p
	w.addPaneKey(start, k)
	return nil
}

// ---- builders ----

// buildWindowAgg is the bounded builder's case for planner.WindowAgg: a
// bounded input holds only inserts.
func (b *builder) buildWindowAgg(n *planner.WindowAgg, out Consumer) error {
	op, err := NewWindowAgg(n, out)
	if err != nil {
		return err
	}
	if b.bounded {
		op.SetAppendOnly()
	}
	return b.build(n.Input, op)
}

// windowAgg is BuildStream's case for planner.WindowAgg: a stateful
// operator under q/<query>/op/<id>/.
func (b *streamBuilder) windowAgg(n *planner.WindowAgg, out BarrierConsumer) error {
	op, err := NewWindowAgg(n, out)
	if err != nil {
		return err
	}
	id := b.p.OpIDs[n]
	prefix := state.QueryOpPrefix(b.query, uint64(id))
	op.SetStreaming(prefix, b.inputOf(n))
	b.g.Stateful = append(b.g.Stateful, StatefulState{Op: op, OpID: id, Prefix: prefix})
	return b.build(n.Input, op)
}
