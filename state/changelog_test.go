package state

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func openMem(t *testing.T) *Store {
	t.Helper()
	s, err := Open("", Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestChangelogKeys(t *testing.T) {
	offsets := []uint64{0, 1, 255, 256, 1 << 32, 1<<64 - 1}
	for i := 1; i < len(offsets); i++ {
		a, b := ChangelogKey(7, offsets[i-1]), ChangelogKey(7, offsets[i])
		require.Negative(t, bytes.Compare(a, b), "offsets order numerically")
		require.True(t, bytes.HasPrefix(b, ChangelogPrefix(7)))
		require.Negative(t, bytes.Compare(b, PrefixEnd(ChangelogPrefix(7))))
	}
	require.False(t, bytes.HasPrefix(ChangelogKey(256, 0), ChangelogPrefix(1)))
	// An MV's changelog is apart from its rows and from every other owner.
	for _, p := range [][]byte{MVPrefix(7), QueryPrefix(7), TablePrefix(7), OutboxPrefix(7), CatalogPrefix()} {
		require.False(t, bytes.HasPrefix(ChangelogKey(7, 0), p), "%q", p)
		require.False(t, bytes.HasPrefix(p, ChangelogPrefix(7)), "%q", p)
	}

	mv, off, ok := ParseChangelogKey(ChangelogKey(12, 34))
	require.True(t, ok)
	require.Equal(t, []uint64{12, 34}, []uint64{mv, off})
	for _, k := range [][]byte{
		TableKey(12, 34), // same shape, other owner
		MVKey(12, []byte("12345678")),
		ChangelogPrefix(12),
		append(ChangelogKey(12, 34), 0),
		nil,
	} {
		_, _, ok := ParseChangelogKey(k)
		require.False(t, ok, "%q", k)
	}
}

// changeTypes covers every physical representation plus NULLs.
var changeTypes = []types.T{types.TInt8, types.TText, types.TNumeric, types.TFloat8, types.TInterval, types.TBool}

func changeRow(t *testing.T, i int) []types.Datum {
	row := []types.Datum{
		types.DInt(int64(i)),
		types.DString("k" + string(rune('a'+i%26))),
		types.DDecimal(dec(t, "1.50")),
		types.DFloat(float64(i) / 4),
		types.DInterval(types.IntervalValue{Months: 1, Days: int32(i % 7), Micros: -5}),
		types.DBool(i%2 == 0),
	}
	if i%5 == 0 {
		row[1] = types.NullDatum
	}
	if i%3 == 0 {
		row[2] = types.NullDatum
	}
	return row
}

func changeOp(i int) types.Op {
	if i%3 == 1 {
		return types.Delete
	}
	return types.Insert
}

func TestChangeRowCodec(t *testing.T) {
	for i := range 12 {
		row, op := changeRow(t, i), changeOp(i)
		v := EncodeChangeRow([]byte("keep"), op, changeTypes, row)
		require.Equal(t, "keep", string(v[:4]), "EncodeChangeRow appends")
		v = v[4:]
		require.Equal(t, byte(op), v[0], "the op leads")
		require.Equal(t, []byte{FormatVersion, byte(KindChangelog)}, v[1:3])

		gotOp, got, err := DecodeChangeRow(v, changeTypes, nil)
		require.NoError(t, err)
		require.Equal(t, op, gotOp)
		for j, typ := range changeTypes {
			requireDatumEqual(t, typ, row[j], got[j])
		}

		// The chunk path writes the same bytes, with the chunk's op.
		c := types.NewChunk(changeTypes, 1)
		c.AppendRow(row)
		c.Ops = []types.Op{op}
		require.Equal(t, v, EncodeChangeChunkRow(nil, c, 0))
	}

	// Decoding into a chunk materializes Ops: earlier rows are inserts.
	c := types.NewChunk(changeTypes, 3)
	c.AppendRow(changeRow(t, 0))
	require.Nil(t, c.Ops)
	require.NoError(t, DecodeChangeRowInto(EncodeChangeRow(nil, types.Delete, changeTypes, changeRow(t, 1)), c))
	require.NoError(t, DecodeChangeRowInto(EncodeChangeRow(nil, types.Insert, changeTypes, changeRow(t, 2)), c))
	require.Equal(t, 3, c.N)
	require.Equal(t, []types.Op{types.Insert, types.Delete, types.Insert}, c.Ops)
	require.Equal(t, int64(1), c.Cols[0].I[1])

	require.Panics(t, func() { EncodeChangeRow(nil, 0, changeTypes, changeRow(t, 0)) })
}

func TestChangeRowCodecRejectsCorruption(t *testing.T) {
	v := EncodeChangeRow(nil, types.Delete, changeTypes, changeRow(t, 1))
	with := func(i int, b byte) []byte {
		d := append([]byte(nil), v...)
		d[i] = b
		return d
	}
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "empty changelog record"},
		{"bad op", with(0, 0x02), "op byte 0x2"},
		{"future version", with(1, FormatVersion+1), "format version 2"},
		{"row value, not a changelog record", append([]byte{0x01}, EncodeRowValue(nil, changeTypes, changeRow(t, 1))...), "is a row, expected a changelog record"},
		{"truncated", v[:len(v)-3], "corrupt stored row"},
		{"trailing", append(append([]byte(nil), v...), 0), "trailing bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeChangeRow(tc.data, changeTypes, nil)
			require.ErrorContains(t, err, tc.msg)
			require.Equal(t, pgerror.CodeDataCorrupted, pgerror.Code(err))
			require.Error(t, DecodeChangeRowInto(tc.data, types.NewChunk(changeTypes, 1)))
		})
	}
	_, _, err := DecodeChangeRow(with(1, FormatVersion+1), changeTypes, nil)
	require.ErrorIs(t, err, ErrUnknownVersion)
}

func TestMVRowCodec(t *testing.T) {
	for _, count := range []uint64{1, 2, 127, 128, 300, math.MaxUint64} {
		row := changeRow(t, int(count%50))
		v := EncodeMVRow([]byte("keep"), count, changeTypes, row)
		require.Equal(t, "keep", string(v[:4]))
		v = v[4:]

		gotCount, got, err := DecodeMVRow(v, changeTypes, nil)
		require.NoError(t, err)
		require.Equal(t, count, gotCount)
		for j, typ := range changeTypes {
			requireDatumEqual(t, typ, row[j], got[j])
		}

		c := types.NewChunk(changeTypes, 1)
		c.AppendRow(row)
		require.Equal(t, v, EncodeMVChunkRow(nil, count, c, 0))

		out := types.NewChunk(changeTypes, 1)
		gotCount, err = DecodeMVRowInto(v, out)
		require.NoError(t, err)
		require.Equal(t, count, gotCount)
		require.Equal(t, 1, out.N, "the row is appended once; the caller repeats it")
	}

	// The layout is docs/streaming.md's: a uvarint multiplicity, then a
	// row value.
	v := EncodeMVRow(nil, 3, changeTypes, changeRow(t, 0))
	require.Equal(t, EncodeRowValue([]byte{3}, changeTypes, changeRow(t, 0)), v)

	require.Panics(t, func() { EncodeMVRow(nil, 0, changeTypes, changeRow(t, 0)) })
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "bad MV row multiplicity"},
		{"zero multiplicity", append([]byte{0}, v[1:]...), "multiplicity 0"},
		{"bare row value", EncodeRowValue(nil, changeTypes, changeRow(t, 0)), "format version"},
		{"future version", append([]byte{3, FormatVersion + 1}, v[2:]...), "format version 2"},
		{"truncated", v[:len(v)-1], "corrupt stored row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeMVRow(tc.data, changeTypes, nil)
			require.ErrorContains(t, err, tc.msg)
			_, err = DecodeMVRowInto(tc.data, types.NewChunk(changeTypes, 1))
			require.Error(t, err)
		})
	}
}

// writeChangelog appends records [from, to) of mv's changelog in one
// synced batch, as an MV sink's commit does.
func writeChangelog(t *testing.T, s *Store, mv uint64, from, to int) {
	b := s.NewBatch()
	defer b.Close()
	for i := from; i < to; i++ {
		require.NoError(t, b.Set(ChangelogKey(mv, uint64(i)), EncodeChangeRow(nil, changeOp(i), changeTypes, changeRow(t, i))))
	}
	require.NoError(t, s.Apply(b, true))
}

// readChangelog reads [from, to) and checks every record is the one
// written at its offset; it returns the chunk sizes.
func readChangelog(t *testing.T, s *Store, mv, from, to uint64) []int {
	r, err := NewChangelogReader(s, mv, changeTypes, from, to)
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close()) }()
	var sizes []int
	off := int(from)
	for {
		c, err := r.Next(context.Background())
		require.NoError(t, err)
		if c == nil {
			break
		}
		require.Len(t, c.Ops, c.N, "chunks carry ops")
		sizes = append(sizes, c.N)
		for i := range c.N {
			require.Equal(t, changeOp(off), c.Ops[i], "offset %d", off)
			want := changeRow(t, off)
			for j, typ := range changeTypes {
				requireDatumEqual(t, typ, want[j], c.Cols[j].Datum(i))
			}
			off++
		}
	}
	require.Equal(t, int(max(to, from)), off)
	return sizes
}

func TestChangelogReader(t *testing.T) {
	s := openMem(t)
	const mv = 9
	n := 2*ReadChunkRows + 452
	writeChangelog(t, s, mv, 0, n)
	writeChangelog(t, s, mv+1, 0, 3) // a neighbour never read by mv's reader

	end, err := ChangelogEnd(s, mv)
	require.NoError(t, err)
	require.Equal(t, uint64(n), end)
	end, err = ChangelogEnd(s, 1234)
	require.NoError(t, err)
	require.Zero(t, end)

	require.Equal(t, []int{ReadChunkRows, ReadChunkRows, 452}, readChangelog(t, s, mv, 0, uint64(n)))
	require.Equal(t, []int{3}, readChangelog(t, s, mv, 1000, 1003))
	require.Equal(t, []int{1}, readChangelog(t, s, mv, uint64(n-1), uint64(n)))
	require.Empty(t, readChangelog(t, s, mv, 5, 5))
	require.Empty(t, readChangelog(t, s, mv, 7, 5))

	// The reader sees its snapshot: records deleted after it opened are
	// still read.
	r, err := NewChangelogReader(s, mv, changeTypes, 0, 10)
	require.NoError(t, err)
	require.NoError(t, DropQueryState(s, mv, mv))
	c, err := r.Next(context.Background())
	require.NoError(t, err)
	require.Equal(t, 10, c.N)
	c, err = r.Next(context.Background())
	require.NoError(t, err)
	require.Nil(t, c)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "Close is idempotent")

	// A cancelled context stops the read.
	writeChangelog(t, s, mv, 0, 10)
	r, err = NewChangelogReader(s, mv, changeTypes, 0, 10)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.Next(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, r.Close())
}

func TestChangelogReaderRejectsGaps(t *testing.T) {
	s := openMem(t)
	writeChangelog(t, s, 3, 0, 10)
	b := s.NewBatch()
	require.NoError(t, b.Delete(ChangelogKey(3, 4)))
	require.NoError(t, s.Apply(b, true))
	require.NoError(t, b.Close())

	for _, tc := range []struct {
		from, to uint64
		msg      string
	}{
		{0, 10, "expected offset 4"},
		{4, 6, "expected offset 4"},
		{8, 12, "records end at offset 10, expected end 12"},
	} {
		r, err := NewChangelogReader(s, 3, changeTypes, tc.from, tc.to)
		require.NoError(t, err)
		var readErr error
		for {
			c, err := r.Next(context.Background())
			if err != nil || c == nil {
				readErr = err
				break
			}
		}
		require.ErrorContains(t, readErr, tc.msg, "[%d, %d)", tc.from, tc.to)
		require.Equal(t, pgerror.CodeDataCorrupted, pgerror.Code(readErr))
		require.NoError(t, r.Close())
	}

	// A damaged record names its offset.
	require.NoError(t, s.Set(ChangelogKey(3, 4), []byte{0x07}, true))
	r, err := NewChangelogReader(s, 3, changeTypes, 0, 10)
	require.NoError(t, err)
	_, err = r.Next(context.Background())
	require.ErrorContains(t, err, "changelog 3 offset 4: corrupt stored row: changelog record has op byte 0x7")
	require.NoError(t, r.Close())
}

func TestDropQueryState(t *testing.T) {
	s := openMem(t)
	val := []byte("v")
	owned := [][]byte{
		QueryMetaKey(5), QueryOffsetKey(5, 1, 0), QueryOpKey(5, 2, []byte("g")),
		MVKey(5, []byte("pk")), ChangelogKey(5, 0), ChangelogKey(5, 1<<40),
	}
	kept := [][]byte{
		QueryMetaKey(4), QueryMetaKey(6), QueryOpKey(6, 2, []byte("g")),
		MVKey(4, []byte("pk")), MVKey(6, nil), ChangelogKey(4, 0), ChangelogKey(6, 0),
		TableKey(5, 0), OutboxKey(5, 1), CatalogObjectKey(5), CatalogMetaKey(),
	}
	for _, k := range append(append([][]byte(nil), owned...), kept...) {
		require.NoError(t, s.Set(k, val, false))
	}
	require.NoError(t, DropQueryState(s, 5, 5))
	for _, k := range owned {
		_, ok, err := s.Get(k)
		require.NoError(t, err)
		require.False(t, ok, "%q survived the drop", k)
	}
	for _, k := range kept {
		_, ok, err := s.Get(k)
		require.NoError(t, err)
		require.True(t, ok, "%q was deleted", k)
	}

	// Query and MV ids may differ (a sink's query writes no MV).
	require.NoError(t, s.Set(QueryMetaKey(7), val, false))
	require.NoError(t, s.Set(ChangelogKey(8, 0), val, false))
	require.NoError(t, DropQueryState(s, 7, 8))
	for _, k := range [][]byte{QueryMetaKey(7), ChangelogKey(8, 0)} {
		_, ok, err := s.Get(k)
		require.NoError(t, err)
		require.False(t, ok)
	}
	// Idempotent.
	require.NoError(t, DropQueryState(s, 7, 8))
}
