package catalog

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
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
		var key []int
		if k, ok := c.mvKeys.Load(o.ID); ok {
			key = k.([]int)
		}
		return &MatViewRelation{objectRelation{o}, c.store, key}
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

// WatermarkColumn implements planner.WatermarkedRelation: the column of a
// table's or source's WATERMARK FOR. Materialized views report none (their
// event time is their query's watermark, not a column's).
func (r *objectRelation) WatermarkColumn() (int, bool) {
	if r.obj.Watermark == nil || (r.obj.Kind != KindTable && r.obj.Kind != KindSource) {
		return 0, false
	}
	for i, c := range r.obj.Columns {
		if c.Name == r.obj.Watermark.Column {
			return i, true
		}
	}
	return 0, false
}

// TableRelation is a CREATE TABLE table. Without a primary key its rows
// are its append-only log. With one (docs/joins.md) it takes upserts,
// UPDATE and DELETE: its rows are the current rows of its primary-key
// index, and its log carries the changes (retractions included) that
// continuous queries read.
type TableRelation struct {
	objectRelation
	log *state.TableLog
}

var (
	_ planner.ScanRelation        = (*TableRelation)(nil)
	_ planner.LookupRelation      = (*TableRelation)(nil)
	_ planner.WatermarkedRelation = (*TableRelation)(nil)
)

// PrimaryKey returns the primary key's column indexes in key order; nil
// for an append-only table.
func (r *TableRelation) PrimaryKey() []int {
	if len(r.obj.PrimaryKey) == 0 {
		return nil
	}
	return r.obj.PrimaryKey
}

// pkTable is the store's description of a table with a primary key.
func (r *TableRelation) pkTable() state.PKTable {
	return state.PKTable{ID: r.obj.ID, Types: r.obj.ColumnTypes(), Key: r.obj.PrimaryKey}
}

// Scan reads the table's rows at one snapshot: for an append-only table
// its log from offset 0 up to its acknowledged end at the time of the
// call; for a table with a primary key its current rows, in key order.
func (r *TableRelation) Scan(ctx context.Context) (planner.ChunkReader, error) {
	if r.PrimaryKey() != nil {
		return r.log.ScanPK(r.obj.ID, r.obj.ColumnTypes())
	}
	return r.ScanRange(0, math.MaxUint64)
}

// ScanRange reads offsets [from, to) of the table's log (to clamped to its
// end): what a continuous query reads per batch. For a table with a
// primary key the chunks carry Ops (−old rows of upserts, updates and
// deletes).
func (r *TableRelation) ScanRange(from, to uint64) (*state.TableReader, error) {
	if r.PrimaryKey() != nil {
		return r.log.NewChangeReader(r.obj.ID, r.obj.ColumnTypes(), from, to)
	}
	return r.log.NewReader(r.obj.ID, r.obj.ColumnTypes(), from, to)
}

// Append writes rows (full rows in column order) and returns the log
// offsets [first, end) it wrote once synced. An append-only table appends
// them; a table with a primary key upserts them (Upsert), so COPY into it
// behaves as INSERT does.
func (r *TableRelation) Append(rows *types.Chunk) (first, end uint64, err error) {
	if r.PrimaryKey() != nil {
		return r.Upsert(rows)
	}
	return r.log.Append(r.obj.ID, rows)
}

// Upsert writes rows (full rows in column order) into a table with a
// primary key as one atomic, synced statement: a row whose key has a
// current row replaces it (−old, +new in the log), any other is inserted.
// Two rows of one statement with the same key fail the whole statement
// with 21000, as PostgreSQL's INSERT ... ON CONFLICT DO UPDATE does ("a
// command cannot affect row a second time"), since which row should win
// is not defined. It returns the log offsets written.
func (r *TableRelation) Upsert(rows *types.Chunk) (first, end uint64, err error) {
	if r.PrimaryKey() == nil {
		return 0, 0, pgerror.New(pgerror.CodeInternalError, "table %q has no primary key to upsert by", r.obj.Name)
	}
	if rows.N == 0 {
		e, err := r.log.End(r.obj.ID)
		return e, e, err
	}
	return r.log.WritePK(r.pkTable(), func(w *state.PKWriter) error {
		for i := range rows.N {
			row := rows.Row(i)
			pk := r.pkTable()
			touched, err := w.Touched(pk.KeyOf(row))
			if err != nil {
				return err
			}
			if touched {
				return pgerror.New(pgerror.CodeCardinalityViolation, "ON CONFLICT DO UPDATE command cannot affect row a second time").
					WithDetail("Key %s appears more than once in the statement.", r.KeyText(row)).
					WithHint("Ensure that no rows proposed for insertion within the same command have duplicate constrained values.")
			}
			if _, _, err := w.Upsert(row); err != nil {
				return err
			}
		}
		return nil
	})
}

// WritePK runs one statement's writes (UPDATE, DELETE) on a table with a
// primary key; see state.TableLog.WritePK for the contract: fn runs under
// the table's write lock, so an ad-hoc Scan inside it sees every earlier
// statement, and its staged changes are written atomically and synced.
func (r *TableRelation) WritePK(fn func(w *state.PKWriter) error) (first, end uint64, err error) {
	if r.PrimaryKey() == nil {
		return 0, 0, pgerror.New(pgerror.CodeInternalError, "table %q has no primary key", r.obj.Name)
	}
	return r.log.WritePK(r.pkTable(), fn)
}

// Lookup returns the current row of a table with a primary key whose key
// columns equal keyVals (in PrimaryKey order), at the latest applied
// state; ok is false when there is none. keyVals must have the key
// columns' types. An append-only table has no key to look up by (0A000).
func (r *TableRelation) Lookup(keyVals []types.Datum) (row []types.Datum, ok bool, err error) {
	if r.PrimaryKey() == nil {
		return nil, false, pgerror.NotSupported("table %q has no primary key to look up by", r.obj.Name)
	}
	return r.log.LookupPK(r.pkTable(), keyVals)
}

// KeyText renders the primary key of row (a full row) as PostgreSQL does in
// constraint violation details: "(a, b)=(1, x)".
func (r *TableRelation) KeyText(row []types.Datum) string {
	names := make([]string, len(r.obj.PrimaryKey))
	vals := make([]string, len(r.obj.PrimaryKey))
	for i, k := range r.obj.PrimaryKey {
		c := r.obj.Columns[k]
		names[i] = c.Name
		if row[k].Null {
			vals[i] = "null"
		} else {
			vals[i] = types.FormatText(c.T, row[k], time.UTC)
		}
	}
	return "(" + strings.Join(names, ", ") + ")=(" + strings.Join(vals, ", ") + ")"
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
	key   []int // stream key; nil when unknown or a multiset
}

var (
	_ planner.ScanRelation   = (*MatViewRelation)(nil)
	_ planner.LookupRelation = (*MatViewRelation)(nil)
)

// SetStreamKey records the stream key of materialized view id (column
// indexes of its rows; nil for a multiset), as its continuous query's
// plan derives it. The engine calls it whenever it plans the view (create
// and every start), before anything looks the view up by key; relations
// made afterwards report it as their PrimaryKey.
func (c *Catalog) SetStreamKey(id uint64, key []int) {
	if len(key) == 0 {
		c.mvKeys.Delete(id)
		return
	}
	c.mvKeys.Store(id, slices.Clone(key))
}

// PrimaryKey returns the materialized view's stream key (docs/streaming.md,
// "MV rows"): its rows are unique by these columns. nil when the view is
// a multiset or its plan is not known (its query has not been started).
func (r *MatViewRelation) PrimaryKey() []int { return r.key }

// Lookup returns the materialized view's row whose stream key columns
// equal keyVals (in PrimaryKey order) at the latest committed batch; ok is
// false when there is none. A view without a stream key cannot be looked
// up (0A000).
func (r *MatViewRelation) Lookup(keyVals []types.Datum) (row []types.Datum, ok bool, err error) {
	if len(r.key) == 0 {
		return nil, false, pgerror.NotSupported("materialized view %q has no key to look up by", r.obj.Name).
			WithHint("Only a materialized view with a top-level GROUP BY (or a top-N) has a key.")
	}
	if len(keyVals) != len(r.key) {
		return nil, false, pgerror.New(pgerror.CodeInternalError, "materialized view %q: key of %d columns given %d values", r.obj.Name, len(r.key), len(keyVals))
	}
	var pk []byte
	for i, k := range r.key {
		pk = types.AppendKey(pk, r.obj.Columns[k].T, keyVals[i], false)
	}
	v, ok, err := r.store.Get(state.MVKey(r.obj.ID, pk))
	if err != nil || !ok {
		return nil, false, err
	}
	_, row, err = state.DecodeMVRow(v, r.obj.ColumnTypes(), nil)
	if err != nil {
		return nil, false, fmt.Errorf("materialized view %q row: %w", r.obj.Name, err)
	}
	return row, true, nil
}

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
