package exec

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// StreamJoin is the continuous equi-join (planner.StreamJoin,
// docs/joins.md): a symmetric hash join with retractions. Each side keeps
// its live rows by join key, as a multiset (row → multiplicity) with each
// row's match degree: the number of rows of the other side it joins with
// (counting multiplicities, residual included). A change of a row on one
// side probes the other side's rows of the same key and emits the joined
// rows with the change's op; for an outer side, a row's NULL-padded row is
// emitted while its degree is 0, so it is retracted when the degree
// becomes 1 and emitted again when it returns to 0. Rows with a NULL in a
// join key never match. Within one change, retractions are emitted before
// insertions, so a keyed downstream sees a valid sequence of changes.
//
// A window join (StreamJoin.WindowKey >= 0) also drops every row of a
// window from the state when the watermark reaches the window's end.
//
// State (staged at the barrier, loaded by LoadState): one entry per side
// and distinct row, keyed by side ('l'/'r') + AppendKey(join key) +
// AppendKey(row), holding the multiplicity, the degree, the key values
// and the row (see encodeEntry).
//
// Left and Right are the consumers of the two inputs; the operator itself
// is not a Consumer. Watermarks and barriers are forwarded once both
// inputs delivered them.
type StreamJoin struct {
	j *symJoin
}

var _ StatefulOperator = (*StreamJoin)(nil)

// NewStreamJoin builds the operator of n with its state under prefix.
func NewStreamJoin(n *planner.StreamJoin, prefix []byte, out Consumer) (*StreamJoin, error) {
	j, err := newSymJoin(n.Kind, n.Left, n.Right, n.LeftKeys, n.RightKeys, n.Residual, prefix, out)
	if err != nil {
		return nil, err
	}
	j.version = planner.StreamJoinStateVersion
	j.windowKey, j.windowOffset = n.WindowKey, n.WindowOffset
	if j.windowKey >= 0 {
		for _, s := range j.sides {
			s.byEnd = map[int64][]string{}
		}
	}
	return &StreamJoin{j: j}, nil
}

// Left is the consumer of the left input.
func (s *StreamJoin) Left() WatermarkConsumer { return joinStreamPort{s.j, 0} }

// Right is the consumer of the right input.
func (s *StreamJoin) Right() WatermarkConsumer { return joinStreamPort{s.j, 1} }

// StateVersion implements StatefulOperator.
func (s *StreamJoin) StateVersion() uint32 { return s.j.version }

// LoadState implements StatefulOperator.
func (s *StreamJoin) LoadState(r state.Reader, prefix []byte) error { return s.j.loadState(r, prefix) }

// symJoin is the state and logic shared by StreamJoin and IntervalJoin.
type symJoin struct {
	kind     planner.JoinKind
	sides    [2]*joinSide
	residual expr.Evaluator
	out      Consumer
	outTs    []types.T
	cc       *changeChunk
	prefix   []byte
	version  uint32

	// Window join: join key windowKey (+ windowOffset) is the window end.
	windowKey    int
	windowOffset int64

	// Interval join: right.ts - left.ts in [lower, upper]; a left join's
	// NULL-padded rows are emitted when the left row expires (deferPad).
	interval     bool
	lower, upper int64
	deferPad     bool

	// dirty holds the state keys (without prefix) the batch changed.
	dirty map[string]dirtyEntry

	barriers, watermarks int // inputs that delivered the current batch's
	scratch              []byte
}

type dirtyEntry struct {
	side   int
	jk, rk string
}

// joinSide is one input's state.
type joinSide struct {
	keys    []expr.Evaluator
	keyTs   []types.T
	ts      []types.T
	outer   bool // its unmatched rows are NULL-padded
	timeCol int  // interval join: event-time column; -1 otherwise
	input   int  // plan input of its leaves (late rows), -1 when several
	buckets map[string]*joinBucket
	// byEnd (window join) maps a window end to the join keys of buckets
	// created for it; byTime (interval join) an event time to the join
	// keys of entries with that time. Either may list keys whose buckets
	// are gone.
	byEnd  map[int64][]string
	byTime map[int64][]string
}

// joinBucket holds one side's rows of one join key, in arrival order
// (swap-removed on deletion), indexed by row key.
type joinBucket struct {
	keyVals []types.Datum
	rows    []*joinEntry
	idx     map[string]int
}

type joinEntry struct {
	row    []types.Datum
	rk     string
	ts     int64
	count  int64
	degree int64
}

func newSymJoin(kind planner.JoinKind, l, r planner.Node, lkeys, rkeys []expr.Expr, residual expr.Expr, prefix []byte, out Consumer) (*symJoin, error) {
	switch kind {
	case planner.InnerJoin, planner.LeftJoin, planner.RightJoin, planner.FullJoin:
	default:
		return nil, pgerror.NotSupported("a %s join in a continuous query", kind)
	}
	j := &symJoin{kind: kind, out: out, prefix: append([]byte(nil), prefix...), windowKey: -1,
		outTs: planner.Types(joinOutCols(kind, l, r)), dirty: map[string]dirtyEntry{}}
	j.cc = newChangeChunk(j.outTs)
	for i, keys := range [][]expr.Expr{lkeys, rkeys} {
		evs, err := compileAll(keys)
		if err != nil {
			return nil, err
		}
		n := l
		if i == 1 {
			n = r
		}
		s := &joinSide{keys: evs, ts: planner.Types(n.Schema()), timeCol: -1, input: -1, buckets: map[string]*joinBucket{}}
		for _, k := range keys {
			s.keyTs = append(s.keyTs, k.Type())
		}
		j.sides[i] = s
	}
	j.sides[0].outer = kind == planner.LeftJoin || kind == planner.FullJoin
	j.sides[1].outer = kind == planner.RightJoin || kind == planner.FullJoin
	if residual != nil {
		ev, err := expr.Compile(residual)
		if err != nil {
			return nil, err
		}
		j.residual = ev
	}
	return j, nil
}

// joinOutCols is the output schema of a join of kind over l and r.
func joinOutCols(kind planner.JoinKind, l, r planner.Node) []planner.Column {
	return (&planner.HashJoin{Kind: kind, Left: l, Right: r}).Schema()
}

// joinStreamPort is one input of a symJoin.
type joinStreamPort struct {
	j    *symJoin
	side int
}

func (p joinStreamPort) Push(ctx *Ctx, c *types.Chunk) error { return p.j.push(ctx, p.side, c) }

func (p joinStreamPort) Finish(ctx *Ctx) error {
	return pgerror.New(pgerror.CodeInternalError, "exec: Finish on a streaming join")
}

func (p joinStreamPort) Watermark(ctx *Ctx, wm int64) error {
	j := p.j
	j.watermarks++
	if j.watermarks < 2 {
		return nil
	}
	j.watermarks = 0
	if err := j.expire(ctx, wm); err != nil {
		return err
	}
	if err := j.cc.flush(ctx, j.out); err != nil {
		return err
	}
	return forwardWatermark(ctx, j.out, wm)
}

func (p joinStreamPort) Barrier(ctx *Ctx, b *Barrier) error {
	j := p.j
	j.barriers++
	if j.barriers < 2 {
		return nil
	}
	j.barriers = 0
	if err := j.cc.flush(ctx, j.out); err != nil {
		return err
	}
	keys := make([]string, 0, len(j.dirty))
	for k := range j.dirty {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d := j.dirty[k]
		j.scratch = append(append(j.scratch[:0], j.prefix...), k...)
		var e *joinEntry
		if bk := j.sides[d.side].buckets[d.jk]; bk != nil {
			if i, ok := bk.idx[d.rk]; ok {
				e = bk.rows[i]
			}
		}
		var err error
		if e == nil {
			err = b.W.Delete(j.scratch)
		} else {
			err = b.W.Set(j.scratch, j.encodeEntry(j.sides[d.side].keyTs, j.sides[d.side].ts, j.sides[d.side].buckets[d.jk].keyVals, e))
		}
		if err != nil {
			return err
		}
	}
	clear(j.dirty)
	return forwardBarrier(ctx, j.out, b)
}

var sideByte = [2]byte{'l', 'r'}

func (j *symJoin) markDirty(side int, jk, rk string) {
	k := string(sideByte[side]) + jk + rk
	j.dirty[k] = dirtyEntry{side: side, jk: jk, rk: rk}
}

// push applies the changes of chunk c of input side.
func (j *symJoin) push(ctx *Ctx, side int, c *types.Chunk) error {
	s := j.sides[side]
	kv, err := evalAll(ctx, s.keys, c)
	if err != nil {
		return err
	}
	var buf []byte
	for i := 0; i < c.N; i++ {
		op := c.Op(i)
		var ts int64
		if j.interval {
			if op != types.Insert {
				return pgerror.New(pgerror.CodeInternalError, "interval join: a retraction in an insert-only input")
			}
			tv := c.Cols[s.timeCol]
			if tv.IsNull(i) {
				// A NULL time matches nothing, ever.
				if s.outer {
					j.emitPad(side, op, c.Row(i), 1)
				}
				continue
			}
			ts = tv.I[i]
			if ts < ctx.Watermark {
				ctx.ReportLate(LateRow{Input: s.input, EventTime: ts, Watermark: ctx.Watermark, Row: FormatRow(c, i)})
				continue
			}
		}
		row := c.Row(i)
		if anyNull(kv, i) {
			if s.outer {
				j.emitPad(side, op, row, 1)
			}
			continue
		}
		buf = rowKey(buf[:0], kv, i)
		jk := string(buf)
		buf = buf[:0]
		if j.interval {
			buf = c.Cols[s.timeCol].AppendKey(buf, i)
		}
		buf = rowKey(buf, c.Cols, i)
		rk := string(buf)
		if err := j.change(ctx, side, jk, kv, i, rk, row, ts, op); err != nil {
			return err
		}
		if err := j.cc.flushIfFull(ctx, j.out); err != nil {
			return err
		}
	}
	return nil
}

// change applies one row change (op) of side: it probes the other side,
// emits the joined and padded rows, and updates both sides' entries.
func (j *symJoin) change(ctx *Ctx, side int, jk string, kv []*types.Vec, i int, rk string, row []types.Datum, ts int64, op types.Op) error {
	s, o := j.sides[side], j.sides[1-side]
	var m int64
	if b := o.buckets[jk]; b != nil {
		matches, err := j.matches(ctx, side, row, ts, b)
		if err != nil {
			return err
		}
		padOther := o.outer && !j.deferPad
		for _, e := range matches {
			m += e.count
			if op == types.Insert {
				if padOther && e.degree == 0 {
					j.emitPad(1-side, types.Delete, e.row, e.count)
				}
				j.emitJoined(side, op, row, e.row, e.count)
				e.degree++
			} else {
				j.emitJoined(side, op, row, e.row, e.count)
				e.degree--
				if e.degree < 0 {
					return pgerror.New(pgerror.CodeInternalError, "streaming join: negative match degree")
				}
				if padOther && e.degree == 0 {
					j.emitPad(1-side, types.Insert, e.row, e.count)
				}
			}
			j.markDirty(1-side, jk, e.rk)
		}
	}
	b := s.buckets[jk]
	if b == nil {
		if op == types.Delete {
			return pgerror.New(pgerror.CodeInternalError, "streaming join: retraction of a row that was never inserted")
		}
		b = &joinBucket{idx: map[string]int{}}
		b.keyVals = make([]types.Datum, len(kv))
		for k, v := range kv {
			b.keyVals[k] = v.Datum(i)
		}
		s.buckets[jk] = b
		j.indexBucket(s, jk, b)
	}
	pos, ok := b.idx[rk]
	var e *joinEntry
	if ok {
		e = b.rows[pos]
		if e.degree != m {
			return pgerror.New(pgerror.CodeInternalError, "streaming join: row degree %d, %d matches now", e.degree, m)
		}
	} else {
		if op == types.Delete {
			return pgerror.New(pgerror.CodeInternalError, "streaming join: retraction of a row that was never inserted")
		}
		e = &joinEntry{row: row, rk: rk, ts: ts, degree: m}
		b.idx[rk] = len(b.rows)
		b.rows = append(b.rows, e)
		if s.byTime != nil {
			s.byTime[ts] = append(s.byTime[ts], jk)
		}
	}
	e.count += int64(op)
	if s.outer && !j.deferPad && m == 0 {
		j.emitPad(side, op, row, 1)
	}
	if e.count == 0 {
		b.remove(rk)
		if len(b.rows) == 0 {
			delete(s.buckets, jk)
		}
	}
	j.markDirty(side, jk, rk)
	return nil
}

// indexBucket registers a new bucket for expiry.
func (j *symJoin) indexBucket(s *joinSide, jk string, b *joinBucket) {
	if s.byEnd != nil {
		end := b.keyVals[j.windowKey].I + j.windowOffset
		s.byEnd[end] = append(s.byEnd[end], jk)
	}
}

func (b *joinBucket) remove(rk string) {
	pos := b.idx[rk]
	last := len(b.rows) - 1
	if pos != last {
		b.rows[pos] = b.rows[last]
		b.idx[b.rows[pos].rk] = pos
	}
	b.rows = b.rows[:last]
	delete(b.idx, rk)
}

// matches returns the entries of bucket b (of the side opposite to side)
// that join with row: within the time bounds of an interval join, and
// with a TRUE residual.
func (j *symJoin) matches(ctx *Ctx, side int, row []types.Datum, ts int64, b *joinBucket) ([]*joinEntry, error) {
	cands := b.rows
	if j.interval {
		cands = nil
		for _, e := range b.rows {
			d := e.ts - ts // right.ts - left.ts
			if side == 1 {
				d = ts - e.ts
			}
			if d >= j.lower && d <= j.upper {
				cands = append(cands, e)
			}
		}
	}
	if j.residual == nil || len(cands) == 0 {
		return cands, nil
	}
	pairs := types.NewChunk(j.pairTypes(), len(cands))
	for _, e := range cands {
		if side == 0 {
			pairs.AppendRow(append(slices.Clip(row), e.row...))
		} else {
			pairs.AppendRow(append(slices.Clip(e.row), row...))
		}
	}
	sel, err := expr.Filter(ctx.Eval, j.residual, pairs)
	if err != nil {
		return nil, err
	}
	out := make([]*joinEntry, len(sel))
	for k, s := range sel {
		out[k] = cands[s]
	}
	return out, nil
}

// pairTypes are the types of a left row followed by a right row (the
// residual's input; the output types make the padded side nullable only,
// which does not change the types).
func (j *symJoin) pairTypes() []types.T { return j.outTs }

// emitJoined emits n copies of the join of row (of side) and other.
func (j *symJoin) emitJoined(side int, op types.Op, row, other []types.Datum, n int64) {
	l, r := row, other
	if side == 1 {
		l, r = other, row
	}
	out := append(slices.Clip(l), r...)
	for range n {
		j.cc.add(op, out)
	}
}

// emitPad emits n copies of row (of side) padded with NULLs for the other
// side.
func (j *symJoin) emitPad(side int, op types.Op, row []types.Datum, n int64) {
	nulls := make([]types.Datum, len(j.sides[1-side].ts))
	for k := range nulls {
		nulls[k] = types.NullDatum
	}
	out := append(slices.Clip(row), nulls...)
	if side == 1 {
		out = append(nulls, row...)
	}
	for range n {
		j.cc.add(op, out)
	}
}

// expire drops the state the watermark wm makes useless: the windows that
// ended at or before wm (window join), the rows that can no longer match
// (interval join; an unmatched left row of a left join is then emitted
// with NULLs). A regular join keeps everything.
func (j *symJoin) expire(ctx *Ctx, wm int64) error {
	for side, s := range j.sides {
		switch {
		case s.byEnd != nil:
			for _, end := range expiredTimes(s.byEnd, func(t int64) bool { return t <= wm }) {
				for _, jk := range s.byEnd[end] {
					b := s.buckets[jk]
					if b == nil {
						continue
					}
					for _, e := range b.rows {
						j.markDirty(side, jk, e.rk)
					}
					delete(s.buckets, jk)
				}
				delete(s.byEnd, end)
			}
		case s.byTime != nil:
			// A left row at t matches right rows up to t + upper; a right
			// row at t left rows from t - upper... down to t - lower.
			bound := j.upper
			if side == 1 {
				bound = -j.lower
			}
			for _, t := range expiredTimes(s.byTime, func(t int64) bool { return t+bound < wm }) {
				for _, jk := range s.byTime[t] {
					b := s.buckets[jk]
					if b == nil {
						continue
					}
					for k := 0; k < len(b.rows); {
						e := b.rows[k]
						if e.ts != t {
							k++
							continue
						}
						if s.outer && j.deferPad && e.degree == 0 {
							j.emitPad(side, types.Insert, e.row, e.count)
						}
						j.markDirty(side, jk, e.rk)
						b.remove(e.rk)
					}
					if len(b.rows) == 0 {
						delete(s.buckets, jk)
					}
				}
				delete(s.byTime, t)
			}
		}
	}
	return nil
}

// expiredTimes returns the keys of m for which expired holds, ascending.
func expiredTimes(m map[int64][]string, expired func(int64) bool) []int64 {
	var out []int64
	for t := range m {
		if expired(t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Entry value, after the state.KindOpState header:
//
//	uvarint  state version (planner.StreamJoinStateVersion or IntervalJoinStateVersion)
//	varint   multiplicity
//	varint   match degree
//	uvarint  length, then state.EncodeRow of the join key values
//	state.EncodeRow of the row
func (j *symJoin) encodeEntry(keyTs, ts []types.T, keyVals []types.Datum, e *joinEntry) []byte {
	buf := state.AppendHeader(nil, state.KindOpState)
	buf = binary.AppendUvarint(buf, uint64(j.version))
	buf = binary.AppendVarint(buf, e.count)
	buf = binary.AppendVarint(buf, e.degree)
	enc := state.EncodeRow(nil, keyTs, keyVals)
	buf = binary.AppendUvarint(buf, uint64(len(enc)))
	buf = append(buf, enc...)
	return state.EncodeRow(buf, ts, e.row)
}

// loadState recreates both sides' entries from the committed state.
func (j *symJoin) loadState(r state.Reader, prefix []byte) error {
	return state.ScanPrefix(r, prefix, func(key, v []byte) error {
		if err := j.loadEntry(key[len(prefix):], v); err != nil {
			return fmt.Errorf("join state entry %x: %w", key[len(prefix):], err)
		}
		return nil
	})
}

func (j *symJoin) loadEntry(key, v []byte) error {
	if len(key) == 0 || (key[0] != 'l' && key[0] != 'r') {
		return corruptState("join entry without a side")
	}
	side := 0
	if key[0] == 'r' {
		side = 1
	}
	s := j.sides[side]
	p, err := state.ParseHeader(v, state.KindOpState)
	if err != nil {
		return err
	}
	ver, n := binary.Uvarint(p)
	if n <= 0 {
		return corruptState("truncated version")
	}
	if uint32(ver) != j.version {
		return corruptState("join state version %d, this weir reads %d", ver, j.version)
	}
	p = p[n:]
	count, n := binary.Varint(p)
	if n <= 0 || count <= 0 {
		return corruptState("bad multiplicity")
	}
	p = p[n:]
	degree, n := binary.Varint(p)
	if n <= 0 || degree < 0 {
		return corruptState("bad match degree")
	}
	p = p[n:]
	kl, n := binary.Uvarint(p)
	if n <= 0 || uint64(len(p)-n) < kl {
		return corruptState("truncated join key")
	}
	keyVals, err := state.DecodeRow(p[n:n+int(kl)], s.keyTs, nil)
	if err != nil {
		return err
	}
	row, err := state.DecodeRow(p[n+int(kl):], s.ts, nil)
	if err != nil {
		return err
	}
	var buf []byte
	for k, d := range keyVals {
		buf = types.AppendKey(buf, s.keyTs[k], d, false)
	}
	jk := string(buf)
	buf = buf[:0]
	var ts int64
	if j.interval {
		ts = row[s.timeCol].I
		buf = types.AppendKey(buf, s.ts[s.timeCol], row[s.timeCol], false)
	}
	for k, d := range row {
		buf = types.AppendKey(buf, s.ts[k], d, false)
	}
	rk := string(buf)
	if string(sideByte[side])+jk+rk != string(key) {
		return corruptState("entry key does not match its row")
	}
	b := s.buckets[jk]
	if b == nil {
		b = &joinBucket{keyVals: keyVals, idx: map[string]int{}}
		s.buckets[jk] = b
		j.indexBucket(s, jk, b)
	}
	b.idx[rk] = len(b.rows)
	b.rows = append(b.rows, &joinEntry{row: row, rk: rk, ts: ts, count: count, degree: degree})
	if s.byTime != nil {
		s.byTime[ts] = append(s.byTime[ts], jk)
	}
	return nil
}

// join builds a streaming join (called from streamBuilder.build): the
// operator, registered as stateful when it keeps state, then both inputs.
// The relation of a lookup join must implement Lookuper (the catalog's
// keyed tables and MVs do).
func (b *streamBuilder) join(n planner.Node, out BarrierConsumer) error {
	switch n := n.(type) {
	case *planner.LookupJoin:
		rel, ok := n.Rel.(Lookuper)
		if !ok {
			return pgerror.NotSupported("relation %q cannot be read by key lookups", n.Rel.Name())
		}
		op, err := NewLookupJoin(n, rel, out)
		if err != nil {
			return err
		}
		return b.build(n.Input, op)
	case *planner.StreamJoin:
		id := b.p.OpIDs[n]
		prefix := state.QueryOpPrefix(b.query, uint64(id))
		op, err := NewStreamJoin(n, prefix, out)
		if err != nil {
			return err
		}
		b.g.Stateful = append(b.g.Stateful, StatefulState{Op: op, OpID: id, Prefix: prefix})
		if err := b.build(n.Left, op.Left()); err != nil {
			return err
		}
		return b.build(n.Right, op.Right())
	case *planner.IntervalJoin:
		id := b.p.OpIDs[n]
		prefix := state.QueryOpPrefix(b.query, uint64(id))
		op, err := NewIntervalJoin(n, prefix, b.inputOf(n.Left), b.inputOf(n.Right), out)
		if err != nil {
			return err
		}
		b.g.Stateful = append(b.g.Stateful, StatefulState{Op: op, OpID: id, Prefix: prefix})
		if err := b.build(n.Left, op.Left()); err != nil {
			return err
		}
		return b.build(n.Right, op.Right())
	}
	return pgerror.New(pgerror.CodeInternalError, "exec: no streaming join for plan node %T", n)
}
