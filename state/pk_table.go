package state

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Tables with a primary key (docs/joins.md, "Tables with a primary key").
//
// Such a table has two parts, always written together in one synced batch:
//
//   - its log, t/<table>/<offset>, dense offsets from 0 like any table log,
//     whose records carry an op: an insert of a new key appends +row, an
//     upsert of an existing key −old then +new, a delete −old. A record's
//     value is the op byte, the header (FormatVersion, KindTableChange) and
//     the row as EncodeRow writes it — the layout of a changelog record
//     under its own kind, so a reader that expects append-only KindRow
//     records fails instead of misreading, and vice versa. Continuous
//     queries read it with NewChangeReader, retractions included.
//   - its primary-key index, k/<table>/<pk>, where pk is types.AppendKey of
//     the key columns in key order and the value is EncodeRowValue of the
//     key's current row. Ad-hoc reads (ScanPK), point lookups (LookupPK)
//     and the writer (to find the old row) use it.
//
// Writes go through WritePK, which holds the table's append lock while the
// caller reads current rows and stages its changes, so statements on one
// table serialize: each sees every earlier statement's effect. The sync is
// awaited after the lock is released, so concurrent statements still share
// WAL syncs (group commit), exactly like Append.
//
// Visibility: log readers are bounded by the acknowledged end, as for
// append-only tables. The index is read at Pebble snapshots, which may
// include a statement applied but whose sync is still in flight (a few
// milliseconds): a reader can see a row a moment before its INSERT is
// acknowledged. If that sync then fails, the table refuses every further
// write (the sticky error below) and the row is lost on restart, as it
// would be for any store that fails its WAL.

// PKTable describes a table with a primary key to the store.
type PKTable struct {
	ID uint64
	// Types are the column types in column order.
	Types []types.T
	// Key holds the primary key's column indexes in key order.
	Key []int
}

// appendKey appends the index key encoding of key values (in key order).
func (t *PKTable) appendKey(buf []byte, key []types.Datum) ([]byte, error) {
	if len(key) != len(t.Key) {
		return nil, fmt.Errorf("state: table %d: primary key of %d columns given %d values", t.ID, len(t.Key), len(key))
	}
	for i, c := range t.Key {
		if key[i].Null {
			return nil, pgerror.New(pgerror.CodeNotNullViolation, "primary key column value is null")
		}
		buf = types.AppendKey(buf, t.Types[c], key[i], false)
	}
	return buf, nil
}

// KeyOf returns the key values (in key order) of a full row.
func (t *PKTable) KeyOf(row []types.Datum) []types.Datum {
	out := make([]types.Datum, len(t.Key))
	for i, c := range t.Key {
		out[i] = row[c]
	}
	return out
}

// PKWriter stages one statement's changes to a table with a primary key
// inside TableLog.WritePK. Reads (Get) see the table as the statement has
// changed it so far. Not safe for concurrent use; valid only during the
// WritePK callback.
type PKWriter struct {
	t *PKTable
	r Reader
	// cur holds the rows this statement changed, by encoded key: the new
	// row, or nil when the key was deleted.
	cur map[string][]types.Datum
	// order lists cur's keys in first-touch order, so the index writes
	// (and tests) are deterministic.
	order []string
	recs  []pkRecord
}

type pkRecord struct {
	op  types.Op
	row []types.Datum
}

// Get returns the current row of key (values in key order), with this
// statement's changes applied.
func (w *PKWriter) Get(key []types.Datum) (row []types.Datum, ok bool, err error) {
	k, err := w.t.appendKey(nil, key)
	if err != nil {
		return nil, false, err
	}
	return w.get(k)
}

func (w *PKWriter) get(k []byte) ([]types.Datum, bool, error) {
	if row, ok := w.cur[string(k)]; ok {
		return row, row != nil, nil
	}
	return getPKRow(w.r, w.t, k)
}

// Touched reports whether this statement already wrote (inserted, upserted
// or deleted) key.
func (w *PKWriter) Touched(key []types.Datum) (bool, error) {
	k, err := w.t.appendKey(nil, key)
	if err != nil {
		return false, err
	}
	_, ok := w.cur[string(k)]
	return ok, nil
}

func (w *PKWriter) set(k []byte, row []types.Datum) {
	if _, ok := w.cur[string(k)]; !ok {
		w.order = append(w.order, string(k))
	}
	w.cur[string(k)] = row
}

// Delete removes key's row, staging a −old record; ok is false (and
// nothing is staged) when the key has no row.
func (w *PKWriter) Delete(key []types.Datum) (old []types.Datum, ok bool, err error) {
	k, err := w.t.appendKey(nil, key)
	if err != nil {
		return nil, false, err
	}
	old, ok, err = w.get(k)
	if err != nil || !ok {
		return nil, false, err
	}
	w.recs = append(w.recs, pkRecord{types.Delete, old})
	w.set(k, nil)
	return old, true, nil
}

// Insert adds row (a full row in column order) under its key, staging a
// +row record. It returns false and stages nothing when the key already
// has a row: the caller reports the conflict its statement defines.
func (w *PKWriter) Insert(row []types.Datum) (bool, error) {
	if len(row) != len(w.t.Types) {
		return false, fmt.Errorf("state: table %d: row of %d columns, table has %d", w.t.ID, len(row), len(w.t.Types))
	}
	k, err := w.t.appendKey(nil, w.t.KeyOf(row))
	if err != nil {
		return false, err
	}
	if _, ok, err := w.get(k); err != nil || ok {
		return false, err
	}
	w.recs = append(w.recs, pkRecord{types.Insert, row})
	w.set(k, row)
	return true, nil
}

// Upsert writes row under its key: −old, +row when the key has a row, else
// +row. It returns the replaced row, if any.
func (w *PKWriter) Upsert(row []types.Datum) (old []types.Datum, existed bool, err error) {
	if len(row) != len(w.t.Types) {
		return nil, false, fmt.Errorf("state: table %d: row of %d columns, table has %d", w.t.ID, len(row), len(w.t.Types))
	}
	k, err := w.t.appendKey(nil, w.t.KeyOf(row))
	if err != nil {
		return nil, false, err
	}
	old, existed, err = w.get(k)
	if err != nil {
		return nil, false, err
	}
	if existed {
		w.recs = append(w.recs, pkRecord{types.Delete, old})
	}
	w.recs = append(w.recs, pkRecord{types.Insert, row})
	w.set(k, row)
	return old, existed, nil
}

// Records returns the number of log records staged so far.
func (w *PKWriter) Records() int { return len(w.recs) }

// WritePK runs one statement against table t: fn reads current rows and
// stages changes through w; when fn returns nil, the staged log records
// (at consecutive offsets [first, end)) and the index changes are written
// in one atomic batch, and WritePK returns once it is synced. When fn
// fails, nothing is written and its error is returned.
//
// fn runs under the table's append lock: no other statement (WritePK or
// Append) on t runs meanwhile, and a snapshot taken inside fn (an ad-hoc
// scan of the table, ScanPK) reflects every earlier statement. fn must not
// call WritePK, Append or Drop on t.
//
// A statement that stages no records writes nothing and returns
// first == end == End(t.ID).
func (l *TableLog) WritePK(t PKTable, fn func(w *PKWriter) error) (first, end uint64, err error) {
	st, err := l.state(t.ID)
	if err != nil {
		return 0, 0, err
	}
	b, first, end, err := l.writePKLocked(st, &t, fn)
	if b == nil || err != nil {
		return first, end, err
	}
	defer b.Close()
	return first, end, l.awaitSync(st, t.ID, b, end)
}

// writePKLocked runs fn and applies its batch (without waiting for the
// sync) under st.mu. It returns a nil batch when nothing was written.
func (l *TableLog) writePKLocked(st *tableLogState, t *PKTable, fn func(w *PKWriter) error) (*pebble.Batch, uint64, uint64, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.usableLocked(t.ID); err != nil {
		return nil, 0, 0, err
	}
	w := &PKWriter{t: t, r: l.s, cur: make(map[string][]types.Datum)}
	if err := fn(w); err != nil {
		return nil, 0, 0, err
	}
	if len(w.recs) == 0 {
		e := st.durable.Load()
		return nil, e, e, nil
	}
	b := l.s.db.NewBatch()
	first := st.next
	var buf []byte
	k := TablePrefix(t.ID)
	for i, r := range w.recs {
		buf = EncodeTableChange(buf[:0], r.op, t.Types, r.row)
		k = AppendUint64(k[:len(TablePrefix(0))], first+uint64(i))
		if err := b.Set(k, buf, nil); err != nil {
			_ = b.Close()
			return nil, 0, 0, ioErr("table write", err)
		}
	}
	for _, ks := range w.order {
		ik := PKIndexKey(t.ID, []byte(ks))
		var err error
		if row := w.cur[ks]; row != nil {
			err = b.Set(ik, EncodeRowValue(buf[:0], t.Types, row), nil)
		} else {
			err = b.Delete(ik, nil)
		}
		if err != nil {
			_ = b.Close()
			return nil, 0, 0, ioErr("table index write", err)
		}
	}
	if err := l.s.db.ApplyNoSyncWait(b, pebble.Sync); err != nil {
		_ = b.Close()
		st.err = ioErr(fmt.Sprintf("table %d write", t.ID), err)
		return nil, 0, 0, st.err
	}
	end := first + uint64(len(w.recs))
	st.next = end
	return b, first, end, nil
}

// EncodeTableChange appends a complete log record value of a table with a
// primary key: op (types.Insert or types.Delete) and the row (values of
// types ts).
func EncodeTableChange(buf []byte, op types.Op, ts []types.T, row []types.Datum) []byte {
	buf = AppendHeader(appendOp(buf, op), KindTableChange)
	return EncodeRow(buf, ts, row)
}

// DecodeTableChange decodes a log record value of a table with a primary
// key with column types ts, appending one Datum per column to dst[:0].
func DecodeTableChange(v []byte, ts []types.T, dst []types.Datum) (types.Op, []types.Datum, error) {
	op, payload, err := splitOpRow(v, KindTableChange)
	if err != nil {
		return 0, nil, err
	}
	row, err := DecodeRow(payload, ts, dst)
	if err != nil {
		return 0, nil, err
	}
	return op, row, nil
}

func decodeTableChangeInto(v []byte, c *types.Chunk, slab *decimalSlab) error {
	return decodeOpRowInto(v, KindTableChange, c, slab)
}

// getPKRow reads the index entry with encoded key k from r.
func getPKRow(r Reader, t *PKTable, k []byte) ([]types.Datum, bool, error) {
	v, ok, err := r.Get(PKIndexKey(t.ID, k))
	if err != nil || !ok {
		return nil, false, err
	}
	payload, err := ParseHeader(v, KindRow)
	if err != nil {
		return nil, false, fmt.Errorf("table %d index: %w", t.ID, err)
	}
	row, err := DecodeRow(payload, t.Types, nil)
	if err != nil {
		return nil, false, fmt.Errorf("table %d index: %w", t.ID, err)
	}
	return row, true, nil
}

// LookupPK returns the current row of t under key (values in key order) at
// the latest applied state: a point read of the primary-key index.
func (l *TableLog) LookupPK(t PKTable, key []types.Datum) (row []types.Datum, ok bool, err error) {
	k, err := t.appendKey(nil, key)
	if err != nil {
		return nil, false, err
	}
	return getPKRow(l.s, &t, k)
}

// NewChangeReader returns a reader of the records at offsets [from, to) of
// the log of a table with a primary key (to clamped to End(table) at the
// time of the call), decoded with the column types ts; its chunks carry
// each record's op in Ops.
func (l *TableLog) NewChangeReader(table uint64, ts []types.T, from, to uint64) (*TableReader, error) {
	return l.newReader(table, ts, from, to, true)
}

// PKScanner reads the current rows of a table with a primary key from its
// index at a snapshot, in primary-key order. It has the shape of
// planner.ChunkReader. Not safe for concurrent use; must be closed.
type PKScanner struct {
	ts    []types.T
	what  string
	snap  *Snapshot
	it    *Iter
	valid bool
	decs  decimalSlab
}

// ScanPK returns a reader of table's current rows (column types ts) at a
// snapshot taken now.
func (l *TableLog) ScanPK(table uint64, ts []types.T) (*PKScanner, error) {
	snap := l.s.NewSnapshot()
	prefix := PKIndexPrefix(table)
	it, err := snap.NewIter(prefix, PrefixEnd(prefix))
	if err != nil {
		_ = snap.Close()
		return nil, err
	}
	return &PKScanner{ts: ts, what: fmt.Sprintf("table %d index", table), snap: snap, it: it, valid: it.First()}, nil
}

// Next returns the next chunk of rows, or (nil, nil) at the end.
func (s *PKScanner) Next(ctx context.Context) (*types.Chunk, error) {
	if !s.valid {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := types.NewChunk(s.ts, ReadChunkRows)
	for ; s.valid && c.N < ReadChunkRows; s.valid = s.it.Next() {
		if err := decodeRowValue(s.it.Value(), c, &s.decs); err != nil {
			return nil, fmt.Errorf("%s key %x: %w", s.what, s.it.Key(), err)
		}
	}
	if c.N == 0 {
		return nil, nil
	}
	return c, nil
}

// Close releases the snapshot. It is idempotent.
func (s *PKScanner) Close() error {
	var err error
	if s.it != nil {
		err = s.it.Close()
		s.it = nil
	}
	if s.snap != nil {
		if e := s.snap.Close(); err == nil {
			err = e
		}
		s.snap = nil
	}
	s.valid = false
	return err
}
