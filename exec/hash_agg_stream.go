package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// aggStream is the streaming side of a HashAgg (see SetStreaming).
type aggStream struct {
	prefix []byte
	// touched lists the groups the current batch changed, in order of
	// first touch; isTouched is indexed by group.
	touched   []int32
	isTouched []bool
	// old holds, per touched group, the encoded result row the group had
	// before the batch (state.EncodeRow of the output columns), or nil
	// when the group had no row.
	old     map[int32][]byte
	outTs   []types.T
	keyTs   []types.T
	fresh   bool // a global aggregate that has never emitted its row
	scratch []types.Datum
	keyBuf  []byte
	valBuf  []byte
	aggBuf  []byte
}

// SetStreaming switches the aggregate to continuous-query mode: state
// entries live under prefix (one per group, keyed by the group key's
// AppendKey encoding); Push folds changes and remembers which groups a
// batch touched; Barrier emits, for each touched group whose row changed,
// a Delete of the old row and an Insert of the new one (a group whose live
// row count drops to 0 only loses its row; a global aggregate always has
// its row, from the first barrier on), stages the touched groups' state
// (deleting groups with no live rows) and forwards the barrier. Finish
// must not be called. Call it before LoadState and the first Push, after
// SetAppendOnly when the plan says the input is insert-only
// (planner.HashAgg.AppendOnly): min/max then keep only their extreme in
// memory and in the state entries, and a Delete fails the batch.
func (a *HashAgg) SetStreaming(prefix []byte) error {
	for _, o := range a.ordered {
		if o != nil {
			return pgerror.NotSupported("an aggregate with ORDER BY in a continuous query")
		}
	}
	st := &aggStream{prefix: append([]byte(nil), prefix...), old: map[int32][]byte{},
		outTs: planner.Types(a.n.Cols), isTouched: make([]bool, len(a.rows))}
	for _, g := range a.n.GroupBy {
		st.keyTs = append(st.keyTs, g.Type())
	}
	a.stream = st
	if len(a.keys) == 0 {
		// A global aggregate has a row even before any input: emit it at
		// the first barrier unless stored state says it was emitted.
		st.fresh = true
		a.touch(0)
	}
	return nil
}

// StateVersion implements StatefulOperator.
func (a *HashAgg) StateVersion() uint32 { return planner.HashAggStateVersion }

var _ StatefulOperator = (*HashAgg)(nil)
var _ BarrierConsumer = (*HashAgg)(nil)

// touch records group g's row before the batch changes it.
func (a *HashAgg) touch(g int32) {
	st := a.stream
	st.isTouched[g] = true
	st.touched = append(st.touched, g)
	if len(a.keys) == 0 && st.fresh || len(a.keys) > 0 && a.rows[g] <= 0 {
		st.old[g] = nil
		return
	}
	st.old[g] = state.EncodeRow(nil, st.outTs, a.resultRow(g))
}

// resultRow returns group g's output row.
func (a *HashAgg) resultRow(g int32) []types.Datum {
	c := types.NewChunk(a.stream.outTs, 1)
	for i, v := range a.keyVals {
		c.Cols[i].AppendFrom(v, int(g))
	}
	for j, st := range a.states {
		st.Result(g, c.Cols[len(a.keyVals)+j])
	}
	c.N = 1
	return c.Row(0)
}

// Watermark implements WatermarkConsumer: a hash aggregate keeps no
// windows (a windowed aggregate is a WindowAgg), so it forwards wm.
func (a *HashAgg) Watermark(ctx *Ctx, wm int64) error { return forwardWatermark(ctx, a.out, wm) }

// Barrier implements BarrierConsumer.
func (a *HashAgg) Barrier(ctx *Ctx, b *Barrier) error {
	st := a.stream
	if st == nil {
		return pgerror.New(pgerror.CodeInternalError, "exec: barrier on a bounded hash aggregate")
	}
	out := newChangeChunk(st.outTs)
	global := len(a.keys) == 0
	for _, g := range st.touched {
		if a.rows[g] < 0 {
			return pgerror.New(pgerror.CodeInternalError,
				"hash aggregate: group has %d live rows (a retraction of a row that was never inserted)", a.rows[g])
		}
		old := st.old[g]
		live := global || a.rows[g] > 0
		var row []types.Datum
		var enc []byte
		if live {
			row = a.resultRow(g)
			enc = state.EncodeRow(nil, st.outTs, row)
		}
		if !(old != nil && live && bytes.Equal(old, enc)) {
			if old != nil {
				var err error
				if st.scratch, err = state.DecodeRow(old, st.outTs, st.scratch[:0]); err != nil {
					return err
				}
				out.add(types.Delete, st.scratch)
			}
			if live {
				out.add(types.Insert, row)
			}
			if err := out.flushIfFull(ctx, a.out); err != nil {
				return err
			}
		}
		st.keyBuf = append(append(st.keyBuf[:0], st.prefix...), rowKey(nil, a.keyVals, int(g))...)
		if !global && a.rows[g] == 0 {
			if err := b.W.Delete(st.keyBuf); err != nil {
				return err
			}
		} else {
			st.valBuf = a.encodeGroup(st.valBuf[:0], g)
			if err := b.W.Set(st.keyBuf, st.valBuf); err != nil {
				return err
			}
		}
		st.isTouched[g] = false
		delete(st.old, g)
	}
	st.touched = st.touched[:0]
	st.fresh = false
	if err := out.flush(ctx, a.out); err != nil {
		return err
	}
	return forwardBarrier(ctx, a.out, b)
}

// Group state value, after the state.KindOpState header:
//
//	uvarint  planner.HashAggStateVersion
//	varint   live row count
//	uvarint  length, then state.EncodeRow of the group key values
//	per aggregate: uvarint length, then AggState.AppendState
func (a *HashAgg) encodeGroup(buf []byte, g int32) []byte {
	st := a.stream
	buf = state.AppendHeader(buf, state.KindOpState)
	buf = binary.AppendUvarint(buf, uint64(planner.HashAggStateVersion))
	buf = binary.AppendVarint(buf, a.rows[g])
	key := make([]types.Datum, len(a.keyVals))
	for i, v := range a.keyVals {
		key[i] = v.Datum(int(g))
	}
	enc := state.EncodeRow(nil, st.keyTs, key)
	buf = binary.AppendUvarint(buf, uint64(len(enc)))
	buf = append(buf, enc...)
	for _, s := range a.states {
		st.aggBuf = s.AppendState(st.aggBuf[:0], g)
		buf = binary.AppendUvarint(buf, uint64(len(st.aggBuf)))
		buf = append(buf, st.aggBuf...)
	}
	return buf
}

// LoadState implements StatefulOperator: it recreates every stored group.
func (a *HashAgg) LoadState(r state.Reader, prefix []byte) error {
	st := a.stream
	if st == nil {
		return pgerror.New(pgerror.CodeInternalError, "exec: LoadState on a bounded hash aggregate")
	}
	return state.ScanPrefix(r, prefix, func(key, v []byte) error {
		if err := a.loadGroup(key[len(prefix):], v); err != nil {
			return fmt.Errorf("hash aggregate group %x: %w", key[len(prefix):], err)
		}
		return nil
	})
}

func corruptState(format string, args ...any) error {
	return pgerror.New(pgerror.CodeDataCorrupted, "operator state: "+format, args...)
}

func (a *HashAgg) loadGroup(key, v []byte) error {
	st := a.stream
	p, err := state.ParseHeader(v, state.KindOpState)
	if err != nil {
		return err
	}
	ver, n := binary.Uvarint(p)
	if n <= 0 {
		return corruptState("truncated version")
	}
	if uint32(ver) != planner.HashAggStateVersion {
		return corruptState("hash aggregate state version %d, this weir reads %d", ver, planner.HashAggStateVersion)
	}
	p = p[n:]
	rows, n := binary.Varint(p)
	if n <= 0 {
		return corruptState("truncated row count")
	}
	p = p[n:]
	kl, n := binary.Uvarint(p)
	if n <= 0 || uint64(len(p)-n) < kl {
		return corruptState("truncated group key")
	}
	keyRow, err := state.DecodeRow(p[n:n+int(kl)], st.keyTs, nil)
	if err != nil {
		return err
	}
	p = p[n+int(kl):]
	var g int32
	if len(a.keys) == 0 {
		st.fresh = false
		if st.isTouched[0] {
			st.isTouched[0] = false
			st.touched = st.touched[:0]
			delete(st.old, 0)
		}
	} else {
		kc := types.NewChunk(st.keyTs, 1)
		kc.AppendRow(keyRow)
		g = a.newGroup(kc.Cols, 0)
		a.groups[string(key)] = g
	}
	a.rows[g] = rows
	for j, s := range a.states {
		l, n := binary.Uvarint(p)
		if n <= 0 || uint64(len(p)-n) < l {
			return corruptState("truncated state of aggregate %d", j)
		}
		if err := s.LoadState(g, p[n:n+int(l)]); err != nil {
			return err
		}
		p = p[n+int(l):]
	}
	if len(p) != 0 {
		return corruptState("%d trailing bytes", len(p))
	}
	return nil
}

// changeChunk accumulates output changes and pushes them in chunks of at
// most MaxChunkRows rows.
type changeChunk struct {
	ts []types.T
	c  *types.Chunk
}

func newChangeChunk(ts []types.T) *changeChunk { return &changeChunk{ts: ts} }

func (cc *changeChunk) add(op types.Op, row []types.Datum) {
	if cc.c == nil {
		cc.c = types.NewChunk(cc.ts, 64)
		cc.c.Ops = make([]types.Op, 0, 64)
	}
	cc.c.AppendRow(row)
	cc.c.Ops[cc.c.N-1] = op
}

func (cc *changeChunk) flushIfFull(ctx *Ctx, out Consumer) error {
	if cc.c != nil && cc.c.N >= MaxChunkRows {
		return cc.flush(ctx, out)
	}
	return nil
}

func (cc *changeChunk) flush(ctx *Ctx, out Consumer) error {
	if cc.c == nil || cc.c.N == 0 {
		return nil
	}
	c := cc.c
	cc.c = nil
	return out.Push(ctx, c)
}
