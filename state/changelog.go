package state

import (
	"fmt"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// A materialized view's changelog is the ordered sequence of changes its
// continuous query made to its rows, at dense offsets from 0 under
// ChangelogPrefix(mv). A continuous query over the MV reads it exactly as a
// query over a table reads the table's log (docs/streaming.md). Records are
// written by the MV sink in the batch commit that makes the changes, so the
// changelog and the MV rows never disagree; the committed end is published
// by the query's driver (the meta record), and readers must not read
// beyond it: Pebble makes a batch visible before its sync completes.
//
// A record's value is
//
//	byte     the op: 0x01 Insert, 0xff Delete (types.Op as a byte)
//	2 bytes  value header (FormatVersion, KindChangelog)
//	...      the row, as EncodeRow writes it
//
// The op leads so that the rest has the layout of EncodeRowValue.

const (
	opByteInsert = byte(0x01) // byte(int8(types.Insert))
	opByteDelete = byte(0xff) // byte(int8(types.Delete))
)

func appendOp(buf []byte, op types.Op) []byte {
	switch op {
	case types.Insert:
		return append(buf, opByteInsert)
	case types.Delete:
		return append(buf, opByteDelete)
	}
	panic(fmt.Sprintf("state: invalid op %d", op))
}

// splitChangeRow checks a changelog value's op byte and header and returns
// the op and the row payload.
func splitChangeRow(v []byte) (types.Op, []byte, error) { return splitOpRow(v, KindChangelog) }

// splitOpRow checks the op byte and the header (of kind) of an op-prefixed
// record value (changelog records, PK table log records) and returns the
// op and the row payload.
func splitOpRow(v []byte, kind Kind) (types.Op, []byte, error) {
	if len(v) == 0 {
		return 0, nil, errCorruptRow("empty %s", kind)
	}
	var op types.Op
	switch v[0] {
	case opByteInsert:
		op = types.Insert
	case opByteDelete:
		op = types.Delete
	default:
		return 0, nil, errCorruptRow("%s has op byte %#x", kind, v[0])
	}
	payload, err := ParseHeader(v[1:], kind)
	return op, payload, err
}

// EncodeChangeRow appends a complete changelog record value for row (values
// of types ts) with op to buf. op must be types.Insert or types.Delete.
func EncodeChangeRow(buf []byte, op types.Op, ts []types.T, row []types.Datum) []byte {
	buf = AppendHeader(appendOp(buf, op), KindChangelog)
	return EncodeRow(buf, ts, row)
}

// EncodeChangeChunkRow appends the changelog record value of row i of c,
// with the row's op (c.Op(i)), reading the vectors directly.
func EncodeChangeChunkRow(buf []byte, c *types.Chunk, i int) []byte {
	buf = AppendHeader(appendOp(buf, c.Op(i)), KindChangelog)
	return EncodeChunkRow(buf, c, i)
}

// DecodeChangeRow decodes a changelog record value with column types ts,
// appending one Datum per column to dst[:0].
func DecodeChangeRow(v []byte, ts []types.T, dst []types.Datum) (types.Op, []types.Datum, error) {
	op, payload, err := splitChangeRow(v)
	if err != nil {
		return 0, nil, err
	}
	row, err := DecodeRow(payload, ts, dst)
	if err != nil {
		return 0, nil, err
	}
	return op, row, nil
}

// DecodeChangeRowInto appends the row of a changelog record value to c,
// with its op in c.Ops (which is materialized if nil, every earlier row
// being an insert). As with DecodeRowInto, discard c after an error.
func DecodeChangeRowInto(v []byte, c *types.Chunk) error {
	return decodeChangeRowInto(v, c, nil)
}

func decodeChangeRowInto(v []byte, c *types.Chunk, slab *decimalSlab) error {
	return decodeOpRowInto(v, KindChangelog, c, slab)
}

// decodeOpRowInto appends the row of an op-prefixed record value of kind to
// c with its op (see DecodeChangeRowInto).
func decodeOpRowInto(v []byte, kind Kind, c *types.Chunk, slab *decimalSlab) error {
	op, payload, err := splitOpRow(v, kind)
	if err != nil {
		return err
	}
	if c.Ops == nil {
		c.Ops = make([]types.Op, c.N, c.N+1)
		for i := range c.Ops {
			c.Ops[i] = types.Insert
		}
	}
	if err := decodeRowInto(payload, c, slab); err != nil {
		return err
	}
	c.Ops[len(c.Ops)-1] = op
	return nil
}

// ChangelogEnd returns the offset after the last record of mv's changelog
// in r (0 when it is empty). It reads what is stored, which after a crash
// equals the committed end (records are written only in batch commits);
// while the query runs, its driver's published end is the bound readers
// must use instead.
func ChangelogEnd(r Reader, mv uint64) (uint64, error) {
	prefix := ChangelogPrefix(mv)
	it, err := r.NewIter(prefix, PrefixEnd(prefix))
	if err != nil {
		return 0, err
	}
	var end uint64
	if it.Last() {
		_, off, ok := ParseChangelogKey(it.Key())
		if !ok {
			_ = it.Close()
			return 0, pgerror.New(pgerror.CodeDataCorrupted, "changelog %d: malformed key %x", mv, it.Key())
		}
		end = off + 1
	}
	return end, it.Close()
}

// ChangelogReader reads a range of an MV changelog at a snapshot, yielding
// chunks whose Ops hold each record's op. It has the shape of
// planner.ChunkReader. Not safe for concurrent use; must be closed.
type ChangelogReader struct{ logReader }

// NewChangelogReader returns a reader of the records at offsets [from, to)
// of mv's changelog, decoded with the MV's column types ts, at a snapshot
// taken now. The caller bounds to by the committed changelog end it knows
// (the driver's); every offset in the range must be present, and a missing
// one is an XX001 error (a changelog is dense).
func NewChangelogReader(s *Store, mv uint64, ts []types.T, from, to uint64) (*ChangelogReader, error) {
	r := &ChangelogReader{logReader{
		what: fmt.Sprintf("changelog %d", mv), ts: ts, next: from, end: to, withOps: true,
		offsetOf: func(k []byte) (uint64, bool) {
			m, off, ok := ParseChangelogKey(k)
			return off, ok && m == mv
		},
		decode: decodeChangeRowInto,
	}}
	if err := r.open(s, ChangelogKey(mv, from), ChangelogKey(mv, to)); err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteQueryState records in b the deletion of everything a continuous
// query owns: its meta, offsets and operator state (QueryPrefix(query)),
// and its materialized view's rows (MVPrefix(mv)) and changelog
// (ChangelogPrefix(mv)). An MV's query uses the MV's object id for both.
func (b *Batch) DeleteQueryState(query, mv uint64) error {
	for _, p := range [][]byte{QueryPrefix(query), MVPrefix(mv), ChangelogPrefix(mv)} {
		if err := b.DeletePrefix(p); err != nil {
			return ioErr("delete query state", err)
		}
	}
	return nil
}

// DropQueryState range-deletes everything query and its MV own (see
// Batch.DeleteQueryState) in one synced batch. The query's driver must be
// stopped first: a commit after the drop would recreate keys.
func DropQueryState(s *Store, query, mv uint64) error {
	b := s.NewBatch()
	defer b.Close()
	if err := b.DeleteQueryState(query, mv); err != nil {
		return err
	}
	return s.Apply(b, true)
}
