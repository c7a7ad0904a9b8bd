package catalog

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// writeMVRows stores rows with multiplicities as the MV sink does: key =
// the row's key encoding (a multiset MV), value = state.EncodeMVRow.
func writeMVRows(t *testing.T, s *state.Store, mv uint64, ts []types.T, rows [][]types.Datum, counts []uint64) {
	t.Helper()
	b := s.NewBatch()
	defer b.Close()
	for i, row := range rows {
		var k []byte
		for j, d := range row {
			k = types.AppendKey(k, ts[j], d, false)
		}
		require.NoError(t, b.Set(state.MVKey(mv, k), state.EncodeMVRow(nil, counts[i], ts, row)))
	}
	require.NoError(t, s.Apply(b, true))
}

func TestMatViewScanMultiplicity(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	cols := []planner.Column{{Name: "k", T: types.TText}, {Name: "n", T: types.TInt8}}
	ts := []types.T{types.TText, types.TInt8}
	mv, _, err := c.CreateMatView(ViewDef{Name: "m", Columns: cols, Query: "SELECT k, n FROM t"})
	require.NoError(t, err)
	rel, err := c.Resolve("", "m")
	require.NoError(t, err)
	require.Empty(t, scanAll(t, rel), "a new MV is empty")

	// Multiplicities 1, 3, one that spans two chunks and ends exactly at a
	// chunk boundary together with its predecessors, one larger than a
	// chunk, and a NULL column.
	big := uint64(state.ReadChunkRows - 4)
	huge := uint64(2*state.ReadChunkRows + 7)
	rows := [][]types.Datum{
		{types.DString("a"), types.DInt(1)},
		{types.DString("b"), types.DInt(2)},
		{types.DString("c"), types.NullDatum},
		{types.DString("d"), types.DInt(4)},
		{types.DString("e"), types.DInt(5)},
	}
	counts := []uint64{1, 3, big, huge, 1}
	writeMVRows(t, s, mv.ID, ts, rows, counts)

	var want [][]types.Datum
	for i, row := range rows {
		for range counts[i] {
			want = append(want, row)
		}
	}
	got := scanAll(t, rel)
	require.Equal(t, len(want), len(got))
	require.Equal(t, want, got)

	// Chunks never exceed ReadChunkRows and are never empty.
	rd, err := rel.(planner.ScanRelation).Scan(context.Background())
	require.NoError(t, err)
	var sizes []int
	for {
		ch, err := rd.Next(context.Background())
		require.NoError(t, err)
		if ch == nil {
			break
		}
		require.Positive(t, ch.N)
		require.LessOrEqual(t, ch.N, state.ReadChunkRows)
		sizes = append(sizes, ch.N)
	}
	require.NoError(t, rd.Close())
	require.NoError(t, rd.Close(), "Close is idempotent")
	total := 0
	for _, n := range sizes {
		total += n
	}
	require.Equal(t, len(want), total)
	require.Equal(t, []int{state.ReadChunkRows, state.ReadChunkRows, state.ReadChunkRows, 1 + 3 + int(big) + int(huge) + 1 - 3*state.ReadChunkRows}, sizes)

	// The scan is a snapshot: a commit after it started is not seen.
	rd, err = rel.(planner.ScanRelation).Scan(context.Background())
	require.NoError(t, err)
	writeMVRows(t, s, mv.ID, ts, [][]types.Datum{{types.DString("a"), types.DInt(1)}}, []uint64{2})
	n := 0
	for {
		ch, err := rd.Next(context.Background())
		require.NoError(t, err)
		if ch == nil {
			break
		}
		n += ch.N
	}
	require.NoError(t, rd.Close())
	require.Equal(t, len(want), n)
	require.Len(t, scanAll(t, rel), len(want)+1, "a later scan sees the new multiplicity")

	// A damaged row value is an XX001 error naming the row.
	require.NoError(t, s.Set(state.MVKey(mv.ID, []byte("zz")), []byte{0}, true))
	rd, err = rel.(planner.ScanRelation).Scan(context.Background())
	require.NoError(t, err)
	defer rd.Close()
	for {
		ch, err := rd.Next(context.Background())
		if err != nil {
			require.Equal(t, pgerror.CodeDataCorrupted, pgerror.Code(err))
			require.ErrorContains(t, err, "multiplicity 0")
			break
		}
		require.NotNil(t, ch, "the damaged row must fail the scan")
	}
}

func TestDropMatViewDeletesItsState(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	cols := []planner.Column{{Name: "n", T: types.TInt8}}
	tbl, _, err := c.CreateTable(TableDef{Name: "t", Columns: cols})
	require.NoError(t, err)
	m1, _, err := c.CreateMatView(ViewDef{Name: "m1", Columns: cols, Query: "SELECT n FROM t", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)
	m2, _, err := c.CreateMatView(ViewDef{Name: "m2", Columns: cols, Query: "SELECT n FROM m1", DependsOn: []uint32{m1.OID}})
	require.NoError(t, err)
	keep, _, err := c.CreateMatView(ViewDef{Name: "keep", Columns: cols, Query: "SELECT n FROM t", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)

	keysOf := func(id uint64) [][]byte {
		return [][]byte{
			state.QueryMetaKey(id), state.QueryOffsetKey(id, tbl.ID, 0), state.QueryOpKey(id, 1, []byte("g")),
			state.MVKey(id, []byte("pk")), state.ChangelogKey(id, 0), state.ChangelogKey(id, 41),
		}
	}
	for _, o := range []*Object{m1, m2, keep} {
		for _, k := range keysOf(o.ID) {
			require.NoError(t, s.Set(k, []byte("v"), false))
		}
	}
	present := func(k []byte) bool {
		_, ok, err := s.Get(k)
		require.NoError(t, err)
		return ok
	}

	res, err := c.Drop(KindMatView, "", "m1", false, true)
	require.NoError(t, err)
	require.Len(t, res.Dropped, 2, "m1 and, by CASCADE, m2")
	for _, o := range []*Object{m1, m2} {
		for _, k := range keysOf(o.ID) {
			require.False(t, present(k), fmt.Sprintf("%s: %q survived the drop", o.Name, k))
		}
	}
	for _, k := range keysOf(keep.ID) {
		require.True(t, present(k), "%q of another MV was deleted", k)
	}
}
