package catalog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

func TestPKTableRelation(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	_, _, err = c.CreateTable(TableDef{Name: "u", Columns: []planner.Column{{Name: "id", T: types.TInt8}, {Name: "name", T: types.TText}},
		PrimaryKey: []string{"id"}})
	require.NoError(t, err)
	_, _, err = c.CreateTable(TableDef{Name: "plain", Columns: []planner.Column{{Name: "id", T: types.TInt8}}})
	require.NoError(t, err)

	rel, err := c.Resolve("", "u")
	require.NoError(t, err)
	require.True(t, planner.HasPrimaryKey(rel))
	tr := rel.(*TableRelation)
	require.Equal(t, []int{0}, tr.PrimaryKey())
	plain, err := c.Resolve("", "plain")
	require.NoError(t, err)
	require.False(t, planner.HasPrimaryKey(plain))
	_, _, err = plain.(*TableRelation).Lookup([]types.Datum{types.DInt(1)})
	require.Equal(t, pgerror.CodeFeatureNotSupported, pgerror.Code(err))

	chunk := func(rows ...[]types.Datum) *types.Chunk {
		ch := types.NewChunk([]types.T{types.TInt8, types.TText}, len(rows))
		for _, r := range rows {
			ch.AppendRow(r)
		}
		return ch
	}
	row := func(id int64, name string) []types.Datum { return []types.Datum{types.DInt(id), types.DString(name)} }

	// Append (COPY) on a PK table upserts.
	_, _, err = tr.Append(chunk(row(2, "b"), row(1, "a")))
	require.NoError(t, err)
	first, end, err := tr.Upsert(chunk(row(2, "B"), row(3, "c")))
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 5}, []uint64{first, end})
	// A key twice in one statement: 21000, nothing written.
	_, _, err = tr.Upsert(chunk(row(4, "x"), row(4, "y")))
	require.Equal(t, pgerror.CodeCardinalityViolation, pgerror.Code(err))
	require.Contains(t, err.(*pgerror.Error).Detail, "(id)=(4)")

	// Ad-hoc scans read the current rows in key order.
	require.Equal(t, [][]types.Datum{row(1, "a"), row(2, "B"), row(3, "c")}, scanAll(t, tr))
	got, ok, err := tr.Lookup([]types.Datum{types.DInt(2)})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, row(2, "B"), got)

	// Continuous queries read the log with its ops.
	r, err := tr.ScanRange(1, 5)
	require.NoError(t, err)
	ch, err := r.Next(context.Background())
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, []types.Op{types.Insert, types.Delete, types.Insert, types.Insert}, ch.Ops)
	require.Equal(t, [][]types.Datum{row(1, "a"), row(2, "b"), row(2, "B"), row(3, "c")},
		[][]types.Datum{ch.Row(0), ch.Row(1), ch.Row(2), ch.Row(3)})

	// Drop removes the index with the log.
	_, err = c.Drop(KindTable, "", "u", false, false)
	require.NoError(t, err)
	n := 0
	require.NoError(t, state.ScanPrefix(s, state.PKIndexPrefix(tr.obj.ID), func(k, v []byte) error { n++; return nil }))
	require.Zero(t, n)
}

func TestMatViewLookupByStreamKey(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	cols := []planner.Column{{Name: "k", T: types.TText}, {Name: "n", T: types.TInt8}}
	ts := []types.T{types.TText, types.TInt8}
	mv, _, err := c.CreateMatView(ViewDef{Name: "m", Columns: cols, Query: "SELECT k, count(*) AS n FROM t GROUP BY k"})
	require.NoError(t, err)
	rel, err := c.Resolve("", "m")
	require.NoError(t, err)
	require.Nil(t, rel.(*MatViewRelation).PrimaryKey(), "key unknown until planned")
	_, _, err = rel.(*MatViewRelation).Lookup([]types.Datum{types.DString("a")})
	require.Equal(t, pgerror.CodeFeatureNotSupported, pgerror.Code(err))

	// Rows keyed by the stream key (k), as the MV sink writes them.
	b := s.NewBatch()
	for _, r := range [][]types.Datum{{types.DString("a"), types.DInt(3)}, {types.DString("b"), types.DInt(5)}} {
		require.NoError(t, b.Set(state.MVKey(mv.ID, types.AppendKey(nil, types.TText, r[0], false)), state.EncodeMVRow(nil, 1, ts, r)))
	}
	require.NoError(t, s.Apply(b, true))
	require.NoError(t, b.Close())

	c.SetStreamKey(mv.ID, []int{0})
	rel, err = c.Resolve("", "m")
	require.NoError(t, err)
	mr := rel.(*MatViewRelation)
	require.Equal(t, []int{0}, mr.PrimaryKey())
	require.False(t, planner.HasPrimaryKey(mr), "an MV is not a table with a primary key")
	got, ok, err := mr.Lookup([]types.Datum{types.DString("b")})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []types.Datum{types.DString("b"), types.DInt(5)}, got)
	_, ok, err = mr.Lookup([]types.Datum{types.DString("zz")})
	require.NoError(t, err)
	require.False(t, ok)
}
