package exec

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// TopN keeps the rows of each partition (rows equal on the node's
// PartitionBy) ordered by the node's Order keys, ties broken by the whole
// row, and outputs the rows at positions Offset+1 .. Offset+N of each
// partition (with their position as row number when the node asks).
//
// It keeps every live row of every partition, not only the top N, so that
// a retraction of a top row can be filled from below: memory is
// proportional to the input's live rows. Equal rows share one entry with a
// count. A Delete retracts one copy of an equal row; retracting a row that
// is not there is an internal error (the input is inconsistent).
//
// Bounded mode (no SetStreaming): Finish outputs every partition's rows,
// partitions in key order. Streaming mode: Barrier outputs, for each
// partition the batch touched, the difference between its output rows
// before and after the batch (Deletes first, then Inserts) and stages the
// changed entries as state.
type TopN struct {
	n      *planner.TopN
	out    Consumer
	part   []expr.Evaluator
	order  []expr.Evaluator
	inTs   []types.T
	outTs  []types.T
	groups map[string]*topGroup
	stream *topStream
	keyBuf []byte
}

type topGroup struct {
	key     string // partition key (AppendKey of the partition values)
	entries []topEntry
}

type topEntry struct {
	sortKey string // order key, then the row's AppendKey
	row     []types.Datum
	count   int64
}

type topStream struct {
	prefix  []byte
	touched []*topGroup
	// old is the output of each touched partition before the batch.
	old   map[*topGroup][]topRow
	dirty map[string]*topGroup // pk+sortKey -> partition, entries to stage
	buf   []byte
}

type topRow struct {
	enc string
	row []types.Datum
}

// NewTopN compiles n's expressions.
func NewTopN(n *planner.TopN, out Consumer) (*TopN, error) {
	t := &TopN{n: n, out: out, inTs: planner.Types(n.Input.Schema()), outTs: planner.Types(n.Cols), groups: map[string]*topGroup{}}
	var err error
	if t.part, err = compileAll(n.PartitionBy); err != nil {
		return nil, err
	}
	keys := make([]expr.Expr, len(n.Order))
	for i, k := range n.Order {
		keys[i] = k.E
	}
	if t.order, err = compileAll(keys); err != nil {
		return nil, err
	}
	return t, nil
}

// SetStreaming switches to continuous-query mode with state entries under
// prefix. Call it before LoadState and the first Push.
func (t *TopN) SetStreaming(prefix []byte) {
	t.stream = &topStream{prefix: append([]byte(nil), prefix...), old: map[*topGroup][]topRow{}, dirty: map[string]*topGroup{}}
}

// StateVersion implements StatefulOperator.
func (t *TopN) StateVersion() uint32 { return planner.TopNStateVersion }

var _ StatefulOperator = (*TopN)(nil)
var _ BarrierConsumer = (*TopN)(nil)

// orderKey appends the sort key of row i: per order key a byte placing
// NULL first or last as the key asks, then the value's key encoding
// (complemented for DESC); then the whole row's key, the tie-breaker.
func (t *TopN) orderKey(buf []byte, vals []*types.Vec, c *types.Chunk, i int) []byte {
	for k, v := range vals {
		sk := t.n.Order[k]
		if v.IsNull(i) {
			if sk.NullsFirst {
				buf = append(buf, 0)
			} else {
				buf = append(buf, 2)
			}
			continue
		}
		buf = append(buf, 1)
		buf = types.AppendKey(buf, v.T, v.Datum(i), sk.Desc)
	}
	return rowKey(buf, c.Cols, i)
}

func (t *TopN) Push(ctx *Ctx, c *types.Chunk) error {
	pv, err := evalAll(ctx, t.part, c)
	if err != nil {
		return err
	}
	ov, err := evalAll(ctx, t.order, c)
	if err != nil {
		return err
	}
	for i := 0; i < c.N; i++ {
		t.keyBuf = rowKey(t.keyBuf[:0], pv, i)
		pk := len(t.keyBuf)
		g := t.groups[string(t.keyBuf)]
		if g == nil {
			g = &topGroup{key: string(t.keyBuf)}
			t.groups[g.key] = g
		}
		if st := t.stream; st != nil {
			if _, ok := st.old[g]; !ok {
				st.old[g] = t.window(g)
				st.touched = append(st.touched, g)
			}
		}
		t.keyBuf = t.orderKey(t.keyBuf, ov, c, i)
		sk := string(t.keyBuf[pk:])
		j, found := slices.BinarySearchFunc(g.entries, sk, func(e topEntry, k string) int { return strings.Compare(e.sortKey, k) })
		if c.Op(i) == types.Delete {
			if !found {
				return pgerror.New(pgerror.CodeInternalError, "top-N: retraction of a row that is not there")
			}
			g.entries[j].count--
			if g.entries[j].count == 0 {
				g.entries = slices.Delete(g.entries, j, j+1)
			}
		} else if found {
			g.entries[j].count++
		} else {
			g.entries = slices.Insert(g.entries, j, topEntry{sortKey: sk, row: c.Row(i), count: 1})
		}
		if st := t.stream; st != nil {
			st.dirty[string(t.keyBuf)] = g
		}
	}
	return nil
}

// window returns partition g's output rows in order.
func (t *TopN) window(g *topGroup) []topRow {
	var out []topRow
	pos := int64(0)
	lo, n := t.n.Offset, t.n.N
	for _, e := range g.entries {
		for range e.count {
			pos++
			if pos <= lo {
				continue
			}
			if n >= 0 && pos > lo+n {
				return out
			}
			row := e.row
			if t.n.RowNumber {
				row = append(slices.Clip(row), types.DInt(pos))
			}
			out = append(out, topRow{enc: string(state.EncodeRow(nil, t.outTs, row)), row: row})
		}
	}
	return out
}

// Finish (bounded mode) outputs every partition's rows.
func (t *TopN) Finish(ctx *Ctx) error {
	if t.stream != nil {
		return pgerror.New(pgerror.CodeInternalError, "exec: Finish on a streaming top-N")
	}
	keys := make([]string, 0, len(t.groups))
	for k := range t.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := newChangeChunk(t.outTs)
	for _, k := range keys {
		for _, r := range t.window(t.groups[k]) {
			out.add(types.Insert, r.row)
			if err := out.flushIfFull(ctx, t.out); err != nil {
				return err
			}
		}
	}
	if err := out.flush(ctx, t.out); err != nil {
		return err
	}
	return t.out.Finish(ctx)
}

// Watermark implements WatermarkConsumer: top-N keeps no windows, so it
// forwards wm.
func (t *TopN) Watermark(ctx *Ctx, wm int64) error { return forwardWatermark(ctx, t.out, wm) }

// Barrier implements BarrierConsumer.
func (t *TopN) Barrier(ctx *Ctx, b *Barrier) error {
	st := t.stream
	if st == nil {
		return pgerror.New(pgerror.CodeInternalError, "exec: barrier on a bounded top-N")
	}
	out := newChangeChunk(t.outTs)
	for _, g := range st.touched {
		old := st.old[g]
		cur := t.window(g)
		left := map[string]int{}
		for _, r := range old {
			left[r.enc]++
		}
		var ins []topRow
		for _, r := range cur {
			if left[r.enc] > 0 {
				left[r.enc]--
				continue
			}
			ins = append(ins, r)
		}
		for _, r := range old {
			if left[r.enc] > 0 {
				left[r.enc]--
				out.add(types.Delete, r.row)
			}
		}
		for _, r := range ins {
			out.add(types.Insert, r.row)
		}
		if err := out.flushIfFull(ctx, t.out); err != nil {
			return err
		}
		if len(g.entries) == 0 {
			delete(t.groups, g.key)
		}
	}
	// Stage changed entries in key order.
	keys := make([]string, 0, len(st.dirty))
	for k := range st.dirty {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := st.dirty[k]
		sk := k[len(g.key):]
		st.buf = append(append(st.buf[:0], st.prefix...), k...)
		j, found := slices.BinarySearchFunc(g.entries, sk, func(e topEntry, k string) int { return strings.Compare(e.sortKey, k) })
		if !found {
			if err := b.W.Delete(st.buf); err != nil {
				return err
			}
			continue
		}
		e := g.entries[j]
		v := state.AppendHeader(nil, state.KindOpState)
		v = binary.AppendUvarint(v, uint64(planner.TopNStateVersion))
		v = binary.AppendUvarint(v, uint64(len(g.key)))
		v = binary.AppendUvarint(v, uint64(e.count))
		v = state.EncodeRow(v, t.inTs, e.row)
		if err := b.W.Set(st.buf, v); err != nil {
			return err
		}
	}
	clear(st.dirty)
	clear(st.old)
	st.touched = st.touched[:0]
	if err := out.flush(ctx, t.out); err != nil {
		return err
	}
	return forwardBarrier(ctx, t.out, b)
}

// Entry value, after the state.KindOpState header:
//
//	uvarint  planner.TopNStateVersion
//	uvarint  length of the partition key at the start of the entry's key
//	uvarint  count of equal rows
//	...      state.EncodeRow of the input row
//
// The entry's key (after the operator's prefix) is the partition key, then
// the sort key.

// LoadState implements StatefulOperator.
func (t *TopN) LoadState(r state.Reader, prefix []byte) error {
	return state.ScanPrefix(r, prefix, func(key, v []byte) error {
		k := key[len(prefix):]
		p, err := state.ParseHeader(v, state.KindOpState)
		if err != nil {
			return err
		}
		var f [3]uint64
		for i := range f {
			x, n := binary.Uvarint(p)
			if n <= 0 {
				return corruptState("truncated top-N entry %x", k)
			}
			f[i], p = x, p[n:]
		}
		if uint32(f[0]) != planner.TopNStateVersion {
			return corruptState("top-N state version %d, this weir reads %d", f[0], planner.TopNStateVersion)
		}
		if f[1] > uint64(len(k)) || f[2] == 0 {
			return corruptState("bad top-N entry %x", k)
		}
		row, err := state.DecodeRow(p, t.inTs, nil)
		if err != nil {
			return fmt.Errorf("top-N entry %x: %w", k, err)
		}
		pk := string(k[:f[1]])
		g := t.groups[pk]
		if g == nil {
			g = &topGroup{key: pk}
			t.groups[pk] = g
		}
		// Keys arrive in order, so entries stay sorted.
		g.entries = append(g.entries, topEntry{sortKey: string(k[f[1]:]), row: row, count: int64(f[2])})
		return nil
	})
}
