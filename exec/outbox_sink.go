package exec

import (
	"encoding/binary"
	"sort"
	"time"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// SinkType is how a sink's change rows are shaped (`type = 'upsert' |
// 'append'`).
type SinkType int

const (
	// SinkAppend passes the query's rows on as they come; the query must
	// be append-only: a retraction fails the batch.
	SinkAppend SinkType = iota
	// SinkUpsert consolidates the batch's changes per stream key: one
	// change per key the batch touched, in key order — an Insert holding
	// the key's row after the batch (the row to upsert), or a Delete
	// holding the key's row before the batch when the batch removed the
	// key (a tombstone). A key whose row the batch left unchanged yields
	// nothing.
	SinkUpsert
)

// OutboxFormatVersion is the version of the outbox value layout (below),
// recorded in a sink query's state versions as "sink:outbox".
const OutboxFormatVersion = 1

// outboxChunkRows bounds the rows of one outbox value.
const outboxChunkRows = 1024

// OutboxSink is the root of a sink's continuous query (docs/connectors.md,
// "Sinks in the engine"): at the barrier it stages the batch's change
// rows under o/<sink>/<batch>/<seq> in the batch's commit, from where the
// engine's delivery loop hands them to the connector after the commit.
// A batch without changes stages nothing.
//
// Value layout (after the state.KindOutbox header): uvarint
// OutboxFormatVersion, varint commit time (µs since the Unix epoch, the
// barrier's wall time), uvarint row count, then per row a uvarint length
// and state.EncodeChangeRow of the row.
type OutboxSink struct {
	sink    uint64
	ts      []types.T
	key     []int
	typ     SinkType
	rows    *types.Chunk // append: the batch's rows
	pending map[string]*upsertChange
	lastOut int64
	buf     []byte
	now     func() time.Time
}

type upsertChange struct {
	first    types.Op      // the first change of the key in the batch
	before   []types.Datum // the row the first Delete removed (nil: none)
	after    []types.Datum // the row after the batch (nil: deleted)
	firstSet bool
}

var _ Output = (*OutboxSink)(nil)

// NewOutboxSink returns the outbox of sink for a query with output column
// types ts and stream key key (required for SinkUpsert).
func NewOutboxSink(sink uint64, ts []types.T, key []int, typ SinkType) (*OutboxSink, error) {
	if typ == SinkUpsert && len(key) == 0 {
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "an upsert sink needs a query with a stream key")
	}
	return &OutboxSink{sink: sink, ts: ts, key: key, typ: typ, rows: types.NewChunk(ts, 0),
		pending: map[string]*upsertChange{}, now: time.Now}, nil
}

// ChangelogEnd implements Output: a sink has no changelog.
func (s *OutboxSink) ChangelogEnd() uint64 { return 0 }

// LastOutputRows implements Output: the change rows the last barrier
// staged.
func (s *OutboxSink) LastOutputRows() int64 { return s.lastOut }

// Push implements Consumer.
func (s *OutboxSink) Push(ctx *Ctx, c *types.Chunk) error {
	for i := 0; i < c.N; i++ {
		op := c.Op(i)
		if s.typ == SinkAppend {
			if op == types.Delete {
				return pgerror.New(pgerror.CodeObjectNotInPrerequisiteState,
					"an append sink received a retraction: its query is not append-only").
					WithHint("Use type = 'upsert' (the query needs a key), or a query whose rows never change (e.g. EMIT ON WINDOW CLOSE).")
			}
			s.rows.AppendRow(c.Row(i))
			continue
		}
		s.buf = s.buf[:0]
		for _, k := range s.key {
			s.buf = c.Cols[k].AppendKey(s.buf, i)
		}
		ch := s.pending[string(s.buf)]
		if ch == nil {
			ch = &upsertChange{}
			s.pending[string(s.buf)] = ch
		}
		row := c.Row(i)
		if !ch.firstSet {
			ch.first, ch.firstSet = op, true
			if op == types.Delete {
				ch.before = row
			}
		}
		if op == types.Delete {
			ch.after = nil
		} else {
			ch.after = row
		}
	}
	return nil
}

// Finish implements Consumer; a continuous query never finishes.
func (s *OutboxSink) Finish(ctx *Ctx) error {
	return pgerror.New(pgerror.CodeInternalError, "exec: Finish on a sink outbox")
}

// Watermark implements WatermarkConsumer: the outbox is the end of the
// graph.
func (s *OutboxSink) Watermark(ctx *Ctx, wm int64) error { return nil }

// Barrier stages the batch's change rows.
func (s *OutboxSink) Barrier(ctx *Ctx, b *Barrier) error {
	out := s.rows
	if s.typ == SinkUpsert {
		out = types.NewChunk(s.ts, len(s.pending))
		out.Ops = []types.Op{}
		keys := make([]string, 0, len(s.pending))
		for k := range s.pending {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ch := s.pending[k]
			switch {
			case ch.after != nil:
				if ch.first == types.Delete && rowsEqual(s.ts, ch.before, ch.after) {
					continue // -old +old: unchanged
				}
				out.AppendRow(ch.after)
				out.Ops[len(out.Ops)-1] = types.Insert
			case ch.first == types.Delete:
				out.AppendRow(ch.before)
				out.Ops[len(out.Ops)-1] = types.Delete
			}
			// An insert retracted in the same batch never existed.
		}
		clear(s.pending)
	}
	s.rows = types.NewChunk(s.ts, 0)
	s.lastOut = int64(out.N)
	if out.N == 0 {
		return nil
	}
	at := s.now().UnixMicro()
	for seq, start := uint64(0), 0; start < out.N; seq, start = seq+1, start+outboxChunkRows {
		end := min(out.N, start+outboxChunkRows)
		v := state.AppendHeader(nil, state.KindOutbox)
		v = binary.AppendUvarint(v, OutboxFormatVersion)
		v = binary.AppendVarint(v, at)
		v = binary.AppendUvarint(v, uint64(end-start))
		for i := start; i < end; i++ {
			s.buf = state.EncodeChangeChunkRow(s.buf[:0], out, i)
			v = binary.AppendUvarint(v, uint64(len(s.buf)))
			v = append(v, s.buf...)
		}
		if err := b.W.Set(state.OutboxChunkKey(s.sink, b.BatchID, seq), v); err != nil {
			return err
		}
	}
	return nil
}

func rowsEqual(ts []types.T, a, b []types.Datum) bool {
	return string(state.EncodeRow(nil, ts, a)) == string(state.EncodeRow(nil, ts, b))
}

// OutboxBatch is one staged batch of a sink, read back for delivery.
type OutboxBatch struct {
	ID          uint64
	Changes     *types.Chunk // with Ops
	CommittedAt time.Time
}

// ReadOutbox reads the batches staged for sink with ids above after, in
// id order, at most max of them (0: all).
func ReadOutbox(r state.Reader, sink uint64, ts []types.T, after uint64, max int) ([]OutboxBatch, error) {
	var out []OutboxBatch
	start := state.OutboxBatchPrefix(sink, after+1)
	errStop := pgerror.New(pgerror.CodeInternalError, "stop")
	prefix := state.OutboxPrefix(sink)
	err := state.ScanPrefix(r, prefix, func(k, v []byte) error {
		if string(k) < string(start) {
			return nil
		}
		_, batch, _, ok := state.ParseOutboxChunkKey(k)
		if !ok {
			return pgerror.New(pgerror.CodeDataCorrupted, "sink %d: unexpected outbox key %x", sink, k)
		}
		if len(out) == 0 || out[len(out)-1].ID != batch {
			if max > 0 && len(out) == max {
				return errStop
			}
			c := types.NewChunk(ts, 0)
			c.Ops = []types.Op{}
			out = append(out, OutboxBatch{ID: batch, Changes: c})
		}
		return decodeOutboxValue(v, &out[len(out)-1])
	})
	if err == errStop {
		err = nil
	}
	return out, err
}

func decodeOutboxValue(v []byte, b *OutboxBatch) error {
	p, err := state.ParseHeader(v, state.KindOutbox)
	if err != nil {
		return err
	}
	corrupt := pgerror.New(pgerror.CodeDataCorrupted, "sink outbox batch %d is corrupt", b.ID)
	ver, n := binary.Uvarint(p)
	if n <= 0 {
		return corrupt
	}
	if ver != OutboxFormatVersion {
		return pgerror.New(pgerror.CodeDataCorrupted, "sink outbox batch %d has format version %d; this weir reads %d",
			b.ID, ver, OutboxFormatVersion)
	}
	p = p[n:]
	at, n := binary.Varint(p)
	if n <= 0 {
		return corrupt
	}
	p = p[n:]
	b.CommittedAt = time.UnixMicro(at).UTC()
	rows, n := binary.Uvarint(p)
	if n <= 0 {
		return corrupt
	}
	p = p[n:]
	for range rows {
		l, n := binary.Uvarint(p)
		if n <= 0 || uint64(len(p)-n) < l {
			return corrupt
		}
		if err := state.DecodeChangeRowInto(p[n:n+int(l)], b.Changes); err != nil {
			return err
		}
		p = p[n+int(l):]
	}
	if len(p) != 0 {
		return corrupt
	}
	return nil
}
