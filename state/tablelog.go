package state

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// TableLog holds the durable logs of CREATE TABLE tables: each table is an
// append-only sequence of rows numbered by dense offsets from 0, like a
// Kafka partition. Record i of table t lives at TableKey(t, i) with a
// KindRow value.
//
// The durability rule (DESIGN.md): Append returns only after its rows are
// synced to stable storage, so an acknowledged INSERT or COPY survives
// kill -9. Readers never see rows that are not yet synced: End and the
// readers are bounded by the acknowledged end, not by what Pebble has
// applied (Pebble makes a batch visible before its WAL sync completes).
//
// Tables with a primary key use the same logs with op-carrying records and
// an index beside them (pk_table.go, WritePK); Append is for append-only
// tables only.
//
// Concurrent appends to one table are serialized only for offset
// assignment and the WAL write; they then wait for the fsync together, so
// many concurrent INSERTs share one sync (group commit through Pebble's
// commit pipeline).
//
// TableLog is safe for concurrent use.
type TableLog struct {
	s *Store

	mu     sync.Mutex
	tables map[uint64]*tableLogState // guarded by mu
}

type tableLogState struct {
	mu   sync.Mutex
	next uint64 // next offset to assign; guarded by mu
	// err is sticky: after a failed write the log refuses further appends,
	// because an unsynced gap could otherwise be followed by acknowledged
	// rows. Guarded by mu.
	err     error
	dropped bool // guarded by mu

	// durable is the acknowledged end: every offset below it is synced.
	durable atomic.Uint64
}

func newTableLog(s *Store) *TableLog {
	return &TableLog{s: s, tables: make(map[uint64]*tableLogState)}
}

// TableLog returns the store's table logs.
func (s *Store) TableLog() *TableLog { return s.tables }

// ReadChunkRows is the most rows a table log reader puts in one chunk.
const ReadChunkRows = 1024

func (l *TableLog) state(table uint64) (*tableLogState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st, ok := l.tables[table]; ok {
		return st, nil
	}
	// Recover the end from the last record. Everything Pebble recovered
	// after a crash is durable now, acknowledged or not.
	prefix := TablePrefix(table)
	it, err := l.s.NewIter(prefix, PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	var end uint64
	if it.Last() {
		_, off, ok := ParseTableKey(it.Key())
		if !ok {
			_ = it.Close()
			return nil, pgerror.New(pgerror.CodeDataCorrupted, "table log %d: malformed key %q", table, it.Key())
		}
		end = off + 1
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	st := &tableLogState{next: end}
	st.durable.Store(end)
	l.tables[table] = st
	return st, nil
}

// Append appends the rows of c to table's log, assigning them the
// consecutive offsets [first, end), and returns once they are synced. All
// rows are written in one atomic batch: after a crash either all of them or
// none are present. c's column types are the table's column types in
// column order; Ops must be nil or all inserts (a table log is append-only;
// the caller turns upserts into rows of its own encoding).
//
// An empty chunk writes nothing and returns first == end == End(table).
func (l *TableLog) Append(table uint64, c *types.Chunk) (first, end uint64, err error) {
	st, err := l.state(table)
	if err != nil {
		return 0, 0, err
	}
	if c.N == 0 {
		e := st.durable.Load()
		return e, e, nil
	}
	// Encode outside the lock; only the keys depend on the offsets.
	vals := make([][]byte, c.N)
	var buf []byte
	for i := range c.N {
		start := len(buf)
		buf = AppendHeader(buf, KindRow)
		buf = EncodeChunkRow(buf, c, i)
		vals[i] = buf[start:len(buf):len(buf)]
	}

	b := l.s.db.NewBatchWithSize(len(buf) + c.N*(8+len(TablePrefix(0))+16))
	defer b.Close()

	st.mu.Lock()
	if err := st.usableLocked(table); err != nil {
		st.mu.Unlock()
		return 0, 0, err
	}
	first = st.next
	k := TablePrefix(table)
	for i, v := range vals {
		k = AppendUint64(k[:len(TablePrefix(0))], first+uint64(i))
		if err := b.Set(k, v, nil); err != nil {
			st.mu.Unlock()
			return 0, 0, ioErr("table append", err)
		}
	}
	// ApplyNoSyncWait writes the batch to the WAL in offset order and makes
	// it visible to Pebble readers; the sync is awaited below, outside the
	// lock, so concurrent appends share it.
	if err := l.s.db.ApplyNoSyncWait(b, pebble.Sync); err != nil {
		st.err = ioErr(fmt.Sprintf("table %d append", table), err)
		st.mu.Unlock()
		return 0, 0, st.err
	}
	end = first + uint64(c.N)
	st.next = end
	st.mu.Unlock()

	if err := l.awaitSync(st, table, b, end); err != nil {
		return 0, 0, err
	}
	return first, end, nil
}

// usableLocked returns the error that refuses writes to the table: its
// sticky write error, or 42P01 once dropped. st.mu must be held.
func (st *tableLogState) usableLocked(table uint64) error {
	if st.err != nil {
		return st.err
	}
	if st.dropped {
		return pgerror.New(pgerror.CodeUndefinedTable, "table log %d was dropped", table)
	}
	return nil
}

// awaitSync waits for the sync of b, applied with ApplyNoSyncWait and
// holding the records up to end, then publishes end as acknowledged. A
// failed sync makes the table's error sticky.
func (l *TableLog) awaitSync(st *tableLogState, table uint64, b *pebble.Batch, end uint64) error {
	if err := b.SyncWait(); err != nil {
		st.mu.Lock()
		if st.err == nil {
			st.err = ioErr(fmt.Sprintf("table %d sync", table), err)
		}
		err = st.err
		st.mu.Unlock()
		return err
	}
	// WAL syncs complete in WAL order, so every batch written before this
	// one is synced too: the acknowledged end only moves forward.
	for {
		cur := st.durable.Load()
		if cur >= end || st.durable.CompareAndSwap(cur, end) {
			break
		}
	}
	return nil
}

// End returns the acknowledged end of table's log: the offset the next
// appended row will get once every append in flight is acknowledged, and
// the bound of what readers see. A table never written has End 0.
func (l *TableLog) End(table uint64) (uint64, error) {
	st, err := l.state(table)
	if err != nil {
		return 0, err
	}
	return st.durable.Load(), nil
}

// Drop deletes table's log and, for a table with a primary key, its index
// (one synced batch) and forgets its state; appends racing with Drop fail.
// The caller guarantees the table id is never reused.
func (l *TableLog) Drop(table uint64) error {
	st, err := l.state(table)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.dropped = true
	b := l.s.NewBatch()
	defer b.Close()
	for _, p := range [][]byte{TablePrefix(table), PKIndexPrefix(table)} {
		if err := b.DeletePrefix(p); err != nil {
			return ioErr("drop table", err)
		}
	}
	if err := l.s.Apply(b, true); err != nil {
		return err
	}
	l.mu.Lock()
	delete(l.tables, table)
	l.mu.Unlock()
	return nil
}

// Read calls fn with the rows at offsets [from, to) of table's log, in
// offset order, in chunks of at most ReadChunkRows rows, decoded with the
// column types ts. to is clamped to End(table). The rows are read at one
// snapshot. fn owns each chunk.
func (l *TableLog) Read(table uint64, ts []types.T, from, to uint64, fn func(*types.Chunk) error) error {
	r, err := l.NewReader(table, ts, from, to)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		c, err := r.Next(context.Background())
		if err != nil || c == nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
}

// TableReader reads a range of a table log at a snapshot. It has the shape
// of planner.ChunkReader. Not safe for concurrent use; must be closed.
type TableReader struct{ logReader }

// NewReader returns a reader of the rows at offsets [from, to) of table's
// log (to clamped to End(table) at the time of the call), decoded with the
// column types ts.
//
// It reads append-only tables (KindRow records); NewChangeReader reads
// tables with a primary key.
func (l *TableLog) NewReader(table uint64, ts []types.T, from, to uint64) (*TableReader, error) {
	return l.newReader(table, ts, from, to, false)
}

func (l *TableLog) newReader(table uint64, ts []types.T, from, to uint64, withOps bool) (*TableReader, error) {
	end, err := l.End(table)
	if err != nil {
		return nil, err
	}
	to = min(to, end)
	decode := decodeRowValue
	if withOps {
		decode = decodeTableChangeInto
	}
	r := &TableReader{logReader{
		what: fmt.Sprintf("table log %d", table), ts: ts, next: from, end: to, withOps: withOps,
		offsetOf: func(k []byte) (uint64, bool) {
			t, off, ok := ParseTableKey(k)
			return off, ok && t == table
		},
		decode: decode,
	}}
	if err := r.open(l.s, TableKey(table, from), TableKey(table, to)); err != nil {
		return nil, err
	}
	return r, nil
}
