package state

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/weirdb/weir/sql/pgerror"
)

// Options configures a Store. The zero value is a durable on-disk store.
type Options struct {
	// InMemory keeps everything in memory (dir is ignored). For tests only:
	// nothing survives Close.
	InMemory bool
	// CacheBytes is the block cache size; 0 means 64 MiB.
	CacheBytes int64
	// Logger receives Pebble's informational and error messages; nil
	// discards informational ones and logs errors with slog.Default().
	Logger *slog.Logger
}

// Store is weir's embedded key-value store. It is safe for concurrent use.
// Keys are built with the constructors in keys.go; values start with the
// header of envelope.go.
//
// Durability: a write made with sync=true has reached stable storage when
// the call returns; a write made with sync=false may be lost in a crash
// (but never torn: a Batch is applied atomically or not at all).
type Store struct {
	db     *pebble.DB
	tables *TableLog

	closeOnce sync.Once
	closeErr  error
}

type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	if p.l != nil {
		p.l.Debug("pebble: " + fmt.Sprintf(format, args...))
	}
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	l := p.l
	if l == nil {
		l = slog.Default()
	}
	l.Error("pebble: " + fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	// Pebble calls Fatalf for unrecoverable corruption; it expects the call
	// not to return.
	panic(fmt.Sprintf("pebble: "+format, args...))
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	cacheBytes := opts.CacheBytes
	if cacheBytes <= 0 {
		cacheBytes = 64 << 20
	}
	cache := pebble.NewCache(cacheBytes)
	defer cache.Unref()
	po := &pebble.Options{
		Cache:              cache,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{opts.Logger},
	}
	if opts.InMemory {
		po.FS = vfs.NewMem()
		dir = ""
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, pgerror.Wrap(fmt.Errorf("open state store in %q: %w", dir, err), pgerror.CodeIOError)
	}
	s := &Store{db: db}
	s.tables = newTableLog(s)
	return s, nil
}

// Close closes the store. Snapshots, iterators and readers must be closed
// first. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.Close() })
	return s.closeErr
}

// Batch is a set of writes applied atomically by Store.Apply. A Batch is
// not safe for concurrent use; it must be closed (Apply does not close it).
type Batch struct {
	b *pebble.Batch
}

// NewBatch returns an empty batch.
func (s *Store) NewBatch() *Batch { return &Batch{b: s.db.NewBatch()} }

// Set records key = value. The batch copies both.
func (b *Batch) Set(key, value []byte) error { return b.b.Set(key, value, nil) }

// Delete records the deletion of key.
func (b *Batch) Delete(key []byte) error { return b.b.Delete(key, nil) }

// DeleteRange records the deletion of every key in [start, end).
func (b *Batch) DeleteRange(start, end []byte) error { return b.b.DeleteRange(start, end, nil) }

// DeletePrefix records the deletion of every key starting with prefix.
func (b *Batch) DeletePrefix(prefix []byte) error {
	return b.b.DeleteRange(prefix, PrefixEnd(prefix), nil)
}

// Count returns the number of writes recorded.
func (b *Batch) Count() uint32 { return b.b.Count() }

// Close releases the batch.
func (b *Batch) Close() error { return b.b.Close() }

// Apply applies b atomically. With sync, the call returns only once b is on
// stable storage. Readers may observe b's writes as soon as it is applied,
// before the sync completes; code that must not expose unsynced data (the
// table log) guards its readers itself.
func (s *Store) Apply(b *Batch, sync bool) error {
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	if err := s.db.Apply(b.b, wo); err != nil {
		return ioErr("apply batch", err)
	}
	return nil
}

// Set writes one key with the given durability.
func (s *Store) Set(key, value []byte, sync bool) error {
	b := s.NewBatch()
	defer b.Close()
	if err := b.Set(key, value); err != nil {
		return ioErr("set", err)
	}
	return s.Apply(b, sync)
}

// DeleteRange deletes every key in [start, end) with the given durability.
func (s *Store) DeleteRange(start, end []byte, sync bool) error {
	b := s.NewBatch()
	defer b.Close()
	if err := b.DeleteRange(start, end); err != nil {
		return ioErr("delete range", err)
	}
	return s.Apply(b, sync)
}

// DeletePrefix deletes every key starting with prefix (dropping an object).
func (s *Store) DeletePrefix(prefix []byte, sync bool) error {
	return s.DeleteRange(prefix, PrefixEnd(prefix), sync)
}

// EstimateSize estimates the bytes on disk used by keys with the given
// prefix (weir_catalog.queries.state_bytes). Data still in the memtable is
// not counted.
func (s *Store) EstimateSize(prefix []byte) (uint64, error) {
	end := PrefixEnd(prefix)
	if end == nil {
		end = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
	n, err := s.db.EstimateDiskUsage(prefix, end)
	if err != nil {
		return 0, ioErr("estimate size", err)
	}
	return n, nil
}

// LogicalSize returns the bytes of keys and values under prefix. It counts
// exactly by iterating when the prefix holds at most budget entries (state
// still in the memtable, which EstimateSize cannot see, is included);
// beyond that it returns the larger of the partial count and the on-disk
// estimate, so its cost is bounded by budget.
func (s *Store) LogicalSize(prefix []byte, budget int) (uint64, error) {
	it, err := s.NewIter(prefix, PrefixEnd(prefix))
	if err != nil {
		return 0, err
	}
	var n uint64
	count := 0
	for ok := it.First(); ok; ok = it.Next() {
		if count == budget {
			if err := it.Close(); err != nil {
				return 0, err
			}
			est, err := s.EstimateSize(prefix)
			return max(n, est), err
		}
		n += uint64(len(it.Key()) + len(it.Value()))
		count++
	}
	return n, it.Close()
}

// Reader is the read side shared by the Store (latest committed state) and
// a Snapshot (a fixed point in time).
type Reader interface {
	// Get returns a copy of key's value; ok is false when key is absent.
	Get(key []byte) (value []byte, ok bool, err error)
	// NewIter returns an iterator over keys in [lower, upper) in key order;
	// a nil upper means no upper bound.
	NewIter(lower, upper []byte) (*Iter, error)
}

var (
	_ Reader = (*Store)(nil)
	_ Reader = (*Snapshot)(nil)
)

type pebbleReader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

func get(r pebbleReader, key []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, ioErr("get", err)
	}
	out := append([]byte(nil), v...)
	_ = closer.Close()
	return out, true, nil
}

func newIter(r pebbleReader, lower, upper []byte) (*Iter, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, ioErr("new iterator", err)
	}
	return &Iter{it: it}, nil
}

// Get returns a copy of key's latest value.
func (s *Store) Get(key []byte) ([]byte, bool, error) { return get(s.db, key) }

// NewIter iterates over the latest state of [lower, upper).
func (s *Store) NewIter(lower, upper []byte) (*Iter, error) { return newIter(s.db, lower, upper) }

// Snapshot is a consistent read-only view of the store at the moment it
// was taken. It must be closed; it pins old data until then.
type Snapshot struct {
	snap *pebble.Snapshot
}

// NewSnapshot returns a snapshot of the current state.
func (s *Store) NewSnapshot() *Snapshot { return &Snapshot{snap: s.db.NewSnapshot()} }

// Get returns a copy of key's value at the snapshot.
func (s *Snapshot) Get(key []byte) ([]byte, bool, error) { return get(s.snap, key) }

// NewIter iterates over [lower, upper) at the snapshot.
func (s *Snapshot) NewIter(lower, upper []byte) (*Iter, error) {
	return newIter(s.snap, lower, upper)
}

// Close releases the snapshot.
func (s *Snapshot) Close() error { return s.snap.Close() }

// Iter walks keys in order. Key and Value are valid only until the next
// call to First, SeekGE, Next or Close; copy them to keep them. Not safe for
// concurrent use.
//
//	for ok := it.First(); ok; ok = it.Next() { ... }
//	if err := it.Close(); err != nil { ... }
type Iter struct {
	it *pebble.Iterator
}

// First positions at the first key; false when there is none.
func (i *Iter) First() bool { return i.it.First() }

// Last positions at the last key; false when there is none.
func (i *Iter) Last() bool { return i.it.Last() }

// SeekGE positions at the first key >= key.
func (i *Iter) SeekGE(key []byte) bool { return i.it.SeekGE(key) }

// Next advances; false at the end (or on error, reported by Close).
func (i *Iter) Next() bool { return i.it.Next() }

// Key returns the current key.
func (i *Iter) Key() []byte { return i.it.Key() }

// Value returns the current value.
func (i *Iter) Value() []byte { return i.it.Value() }

// Close releases the iterator and returns any error met while iterating.
func (i *Iter) Close() error {
	if err := i.it.Close(); err != nil {
		return ioErr("iterate", err)
	}
	return nil
}

// ScanPrefix calls fn for every key with prefix, in order, on r. fn must
// not keep key or value. An error from fn stops the scan and is returned.
func ScanPrefix(r Reader, prefix []byte, fn func(key, value []byte) error) error {
	it, err := r.NewIter(prefix, PrefixEnd(prefix))
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			_ = it.Close()
			return err
		}
	}
	return it.Close()
}

func ioErr(op string, err error) error {
	return pgerror.Wrap(fmt.Errorf("state: %s: %w", op, err), pgerror.CodeIOError)
}
