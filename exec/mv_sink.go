package exec

import (
	"bytes"
	"sort"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// MVSink is the root of a materialized view's continuous query: it applies
// the query's output changes to the MV's rows (m/<mv>/...) and appends them
// to the MV's changelog (l/<mv>/...), both staged into the batch's commit
// at the barrier (docs/streaming.md, "MV rows").
//
// With a stream key (NewMVSink's key non-nil) each key holds one row: an
// Insert upserts it and a Delete removes it, the last change of a batch
// winning. Without one the MV is a multiset keyed by the whole row with a
// multiplicity: an Insert adds one copy and a Delete removes one. Changes
// are consolidated per key over the batch, so the changelog holds the net
// change of each row, in key order: a Delete of the old row before an
// Insert of the new one. A row whose multiplicity would drop below zero is
// an internal error that fails the batch.
//
// The sink reads the rows a batch replaces from r, the committed state:
// only its own query writes the MV, and nothing of the batch is applied
// before the commit.
type MVSink struct {
	mv      uint64
	ts      []types.T
	key     []int
	r       state.Reader
	pending map[string]*mvChange
	end     uint64 // changelog end, including staged records
	lastOut int64
	buf     []byte
}

type mvChange struct {
	row   []types.Datum // keyed: the row after the batch (nil: none); multiset: the row
	delta int64         // multiset only
}

// NewMVSink returns the sink of materialized view mv with column types ts
// and stream key columns key (nil: multiset), whose changelog ends at
// changelogEnd (the committed end).
func NewMVSink(mv uint64, ts []types.T, key []int, r state.Reader, changelogEnd uint64) *MVSink {
	return &MVSink{mv: mv, ts: ts, key: key, r: r, pending: map[string]*mvChange{}, end: changelogEnd}
}

var _ BarrierConsumer = (*MVSink)(nil)

// ChangelogEnd returns the changelog end after the last barrier (which is
// committed only when that batch's commit succeeds).
func (s *MVSink) ChangelogEnd() uint64 { return s.end }

// LastOutputRows returns the number of changelog records the last barrier
// staged.
func (s *MVSink) LastOutputRows() int64 { return s.lastOut }

func (s *MVSink) Push(ctx *Ctx, c *types.Chunk) error {
	for i := 0; i < c.N; i++ {
		s.buf = s.buf[:0]
		if s.key != nil {
			for _, k := range s.key {
				s.buf = c.Cols[k].AppendKey(s.buf, i)
			}
		} else {
			s.buf = rowKey(s.buf, c.Cols, i)
		}
		ch := s.pending[string(s.buf)]
		if ch == nil {
			ch = &mvChange{}
			s.pending[string(s.buf)] = ch
		}
		if s.key != nil {
			if c.Op(i) == types.Delete {
				ch.row = nil
			} else {
				ch.row = c.Row(i)
			}
			continue
		}
		if ch.row == nil {
			ch.row = c.Row(i)
		}
		ch.delta += int64(c.Op(i))
	}
	return nil
}

func (s *MVSink) Finish(ctx *Ctx) error {
	return pgerror.New(pgerror.CodeInternalError, "exec: Finish on a materialized view sink")
}

// Watermark implements WatermarkConsumer: the MV sink is the end of the
// graph; the driver commits the query's watermark itself.
func (s *MVSink) Watermark(ctx *Ctx, wm int64) error { return nil }

// Barrier stages the batch's net changes and its changelog records.
func (s *MVSink) Barrier(ctx *Ctx, b *Barrier) error {
	keys := make([]string, 0, len(s.pending))
	for k := range s.pending {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start := s.end
	log := func(op types.Op, row []types.Datum) error {
		v := state.EncodeChangeRow(nil, op, s.ts, row)
		if err := b.W.Set(state.ChangelogKey(s.mv, s.end), v); err != nil {
			return err
		}
		s.end++
		return nil
	}
	for _, k := range keys {
		ch := s.pending[k]
		mk := state.MVKey(s.mv, []byte(k))
		oldV, ok, err := s.r.Get(mk)
		if err != nil {
			return err
		}
		var oldCount uint64
		var oldRow []types.Datum
		if ok {
			if oldCount, oldRow, err = state.DecodeMVRow(oldV, s.ts, nil); err != nil {
				return err
			}
		}
		if s.key != nil {
			var newV []byte
			if ch.row != nil {
				newV = state.EncodeMVRow(nil, 1, s.ts, ch.row)
				if ok && bytes.Equal(oldV, newV) {
					continue
				}
			}
			if ok {
				if err := log(types.Delete, oldRow); err != nil {
					return err
				}
			}
			if ch.row == nil {
				if ok {
					if err := b.W.Delete(mk); err != nil {
						return err
					}
				}
				continue
			}
			if err := b.W.Set(mk, newV); err != nil {
				return err
			}
			if err := log(types.Insert, ch.row); err != nil {
				return err
			}
			continue
		}
		if ch.delta == 0 {
			continue
		}
		n := int64(oldCount) + ch.delta
		if n < 0 {
			return pgerror.New(pgerror.CodeInternalError,
				"materialized view sink: row retracted %d times more than it was inserted", -n)
		}
		row := ch.row
		if ok {
			row = oldRow
		}
		if n == 0 {
			err = b.W.Delete(mk)
		} else {
			err = b.W.Set(mk, state.EncodeMVRow(nil, uint64(n), s.ts, row))
		}
		if err != nil {
			return err
		}
		op, times := types.Insert, ch.delta
		if times < 0 {
			op, times = types.Delete, -times
		}
		for range times {
			if err := log(op, row); err != nil {
				return err
			}
		}
	}
	clear(s.pending)
	s.lastOut = int64(s.end - start)
	return nil
}
