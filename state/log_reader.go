package state

import (
	"context"
	"fmt"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// logReader reads the dense offsets [next, end) of one log (a table log or
// an MV changelog) at a snapshot, in chunks of up to ReadChunkRows rows. A
// missing or unexpected offset is an XX001 error: logs are dense. It is the
// shared body of TableReader and ChangelogReader.
type logReader struct {
	what  string // "table log 7", "changelog 9": for errors
	ts    []types.T
	snap  *Snapshot
	it    *Iter
	next  uint64 // offset expected next
	end   uint64
	valid bool
	done  bool
	// withOps makes chunks carry Ops (changelogs); decode fills them.
	withOps bool
	// offsetOf parses a key of the log.
	offsetOf func(key []byte) (uint64, bool)
	// decode appends one record's row (and op) to c.
	decode func(v []byte, c *types.Chunk, decs *decimalSlab) error
	// decs allocates the decoded numerics in blocks.
	decs decimalSlab
}

// open positions the reader on [lower, upper) of a new snapshot of s.
func (r *logReader) open(s *Store, lower, upper []byte) error {
	if r.next >= r.end {
		r.done = true
		return nil
	}
	r.snap = s.NewSnapshot()
	var err error
	if r.it, err = r.snap.NewIter(lower, upper); err != nil {
		_ = r.snap.Close()
		r.snap = nil
		return err
	}
	r.valid = r.it.First()
	return nil
}

// Next returns the next chunk, or (nil, nil) at the end of the range.
func (r *logReader) Next(ctx context.Context) (*types.Chunk, error) {
	if r.done {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := int(min(uint64(ReadChunkRows), r.end-r.next))
	c := types.NewChunk(r.ts, n)
	if r.withOps {
		c.Ops = make([]types.Op, 0, n)
	}
	for ; r.valid && c.N < ReadChunkRows; r.valid = r.it.Next() {
		off, ok := r.offsetOf(r.it.Key())
		if !ok || off != r.next {
			return nil, pgerror.New(pgerror.CodeDataCorrupted,
				"%s: expected offset %d, found key %x", r.what, r.next, r.it.Key())
		}
		if err := r.decode(r.it.Value(), c, &r.decs); err != nil {
			return nil, fmt.Errorf("%s offset %d: %w", r.what, off, err)
		}
		r.next++
	}
	if !r.valid {
		err := r.it.Close()
		r.it = nil
		r.done = true
		if err != nil {
			return nil, err
		}
		if r.next != r.end {
			return nil, pgerror.New(pgerror.CodeDataCorrupted,
				"%s: records end at offset %d, expected end %d", r.what, r.next, r.end)
		}
	}
	if c.N == 0 {
		return nil, nil
	}
	return c, nil
}

// Close releases the snapshot. It is idempotent.
func (r *logReader) Close() error {
	var err error
	if r.it != nil {
		err = r.it.Close()
		r.it = nil
	}
	if r.snap != nil {
		if e := r.snap.Close(); err == nil {
			err = e
		}
		r.snap = nil
	}
	r.done = true
	return err
}
