package catalog

import (
	"context"
	"fmt"
	"math"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// Relation returns the planner view of a user object: a *TableRelation for
// tables, *ViewRelation for views, *MatViewRelation for materialized views,
// and a plain relation (not scannable ad hoc yet) for sources.
func (c *Catalog) Relation(o *Object) planner.Relation {
	switch o.Kind {
	case KindTable:
		return &TableRelation{objectRelation{o}, c.store.TableLog()}
	case KindView:
		return &ViewRelation{objectRelation{o}}
	case KindMatView:
		return &MatViewRelation{objectRelation{o}, c.store}
	default:
		return &objectRelation{o}
	}
}

type objectRelation struct{ obj *Object }

func (r *objectRelation) OID() uint32               { return r.obj.OID }
func (r *objectRelation) Schema() string            { return r.obj.Schema }
func (r *objectRelation) Name() string              { return r.obj.Name }
func (r *objectRelation) Kind() planner.RelKind     { return r.obj.Kind }
func (r *objectRelation) Columns() []planner.Column { return r.obj.Columns }
func (r *objectRelation) Object() *Object           { return r.obj }

// TableRelation is a CREATE TABLE table: its rows are its log.
type TableRelation struct {
	objectRelation
	log *state.TableLog
}

var _ planner.ScanRelation = (*TableRelation)(nil)

// Scan reads the table's log from offset 0 up to its acknowledged end at
// the time of the call, at one snapshot.
func (r *TableRelation) Scan(ctx context.Context) (planner.ChunkReader, error) {
	return r.ScanRange(0, math.MaxUint64)
}

// ScanRange reads offsets [from, to) of the table's log (to clamped to its
// end): what a continuous query reads per batch.
func (r *TableRelation) ScanRange(from, to uint64) (*state.TableReader, error) {
	return r.log.NewReader(r.obj.ID, r.obj.ColumnTypes(), from, to)
}

// Append appends rows (full rows in column order) to the table's log and
// returns their offsets [first, end) once synced.
func (r *TableRelation) Append(rows *types.Chunk) (first, end uint64, err error) {
	return r.log.Append(r.obj.ID, rows)
}

// ViewRelation is a CREATE VIEW view: expanded where used.
type ViewRelation struct{ objectRelation }

var _ planner.ViewRelation = (*ViewRelation)(nil)

// Query returns the view's SELECT text.
func (r *ViewRelation) Query() string { return r.obj.Query }

// MatViewRelation is a materialized view: its rows live under
// state.MVPrefix(id), one value per stream key (or per distinct row when
// the MV has no stream key) written by the engine's MV sink in its batch
// commits with state.EncodeMVRow: a multiplicity, then all columns in
// Columns order (docs/streaming.md, "MV rows").
type MatViewRelation struct {
	objectRelation
	store *state.Store
}

var _ planner.ScanRelation = (*MatViewRelation)(nil)

// Query returns the materialized view's SELECT text.
func (r *MatViewRelation) Query() string { return r.obj.Query }

// Scan reads the materialized view at a snapshot, which is always at a
// batch boundary because each batch commits atomically. Each stored row is
// emitted as many times as its multiplicity, in key order.
func (r *MatViewRelation) Scan(ctx context.Context) (planner.ChunkReader, error) {
	snap := r.store.NewSnapshot()
	prefix := state.MVPrefix(r.obj.ID)
	it, err := snap.NewIter(prefix, state.PrefixEnd(prefix))
	if err != nil {
		_ = snap.Close()
		return nil, err
	}
	return &mvReader{ts: r.obj.ColumnTypes(), snap: snap, it: it, valid: it.First()}, nil
}

type mvReader struct {
	ts    []types.T
	snap  *state.Snapshot
	it    *state.Iter
	valid bool
	// repeat more copies of row are still to be emitted: a multiplicity
	// that did not fit in the previous chunk.
	row    []types.Datum
	repeat uint64
}

func (m *mvReader) Next(ctx context.Context) (*types.Chunk, error) {
	if !m.valid && m.repeat == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := types.NewChunk(m.ts, state.ReadChunkRows)
	m.emitRepeats(c)
	for ; m.valid && c.N < state.ReadChunkRows; m.valid = m.it.Next() {
		n, err := state.DecodeMVRowInto(m.it.Value(), c)
		if err != nil {
			return nil, fmt.Errorf("materialized view row %x: %w", m.it.Key(), err)
		}
		if n > 1 {
			m.row = c.Row(c.N - 1)
			m.repeat = n - 1
			m.emitRepeats(c)
		}
	}
	if c.N == 0 {
		return nil, nil
	}
	return c, nil
}

// emitRepeats appends pending copies of m.row to c while it has room.
func (m *mvReader) emitRepeats(c *types.Chunk) {
	for ; m.repeat > 0 && c.N < state.ReadChunkRows; m.repeat-- {
		c.AppendRow(m.row)
	}
	if m.repeat == 0 {
		m.row = nil
	}
}

func (m *mvReader) Close() error {
	var err error
	if m.it != nil {
		err = m.it.Close()
		m.it = nil
	}
	if m.snap != nil {
		if e := m.snap.Close(); err == nil {
			err = e
		}
		m.snap = nil
	}
	m.valid = false
	m.repeat = 0
	return err
}
