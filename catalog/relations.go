package catalog

import (
	"context"
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
// state.MVPrefix(id), one KindRow value (state.EncodeRowValue, all columns
// in Columns order) per primary key, written by the engine in its batch
// commits.
type MatViewRelation struct {
	objectRelation
	store *state.Store
}

var _ planner.ScanRelation = (*MatViewRelation)(nil)

// Query returns the materialized view's SELECT text.
func (r *MatViewRelation) Query() string { return r.obj.Query }

// Scan reads the materialized view at a snapshot, which is always at a
// batch boundary because each batch commits atomically.
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
}

func (m *mvReader) Next(ctx context.Context) (*types.Chunk, error) {
	if !m.valid {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := types.NewChunk(m.ts, state.ReadChunkRows)
	for ; m.valid && c.N < state.ReadChunkRows; m.valid = m.it.Next() {
		if err := state.DecodeRowValue(m.it.Value(), c); err != nil {
			return nil, err
		}
	}
	return c, nil
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
	return err
}
