package state

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// pkT is a table (id BIGINT PRIMARY KEY, name TEXT, n BIGINT).
var pkT = PKTable{ID: 5, Types: []types.T{types.TInt8, types.TText, types.TInt8}, Key: []int{0}}

func pkRow(id int64, name string, n int64) []types.Datum {
	return []types.Datum{types.DInt(id), types.DString(name), types.DInt(n)}
}

func fmtRow(row []types.Datum) string {
	return fmt.Sprintf("(%d,%s,%d)", row[0].I, row[1].S, row[2].I)
}

// pkIndex returns the table's current rows as the index holds them.
func pkIndex(t *testing.T, l *TableLog, tbl PKTable) []string {
	t.Helper()
	s, err := l.ScanPK(tbl.ID, tbl.Types)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	var out []string
	for {
		c, err := s.Next(context.Background())
		require.NoError(t, err)
		if c == nil {
			return out
		}
		require.Nil(t, c.Ops)
		for i := range c.N {
			out = append(out, fmtRow(c.Row(i)))
		}
	}
}

// pkLog returns the table's log records [from, end) as "+(row)" / "-(row)".
func pkLog(t *testing.T, l *TableLog, tbl PKTable, from uint64) []string {
	t.Helper()
	r, err := l.NewChangeReader(tbl.ID, tbl.Types, from, 1<<62)
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close()) }()
	var out []string
	for {
		c, err := r.Next(context.Background())
		require.NoError(t, err)
		if c == nil {
			return out
		}
		require.Len(t, c.Ops, c.N)
		for i := range c.N {
			op := "+"
			if c.Op(i) == types.Delete {
				op = "-"
			}
			out = append(out, op+fmtRow(c.Row(i)))
		}
	}
}

// foldLog replays the log's changes into the multiset of live rows, failing
// on a retraction of a row that is not live.
func foldLog(t *testing.T, log []string) map[string]int {
	t.Helper()
	live := map[string]int{}
	for _, r := range log {
		if r[0] == '+' {
			live[r[1:]]++
			continue
		}
		require.Positive(t, live[r[1:]], "retraction of a row that is not live: %s", r)
		if live[r[1:]]--; live[r[1:]] == 0 {
			delete(live, r[1:])
		}
	}
	return live
}

func TestPKTableWrites(t *testing.T) {
	s := openMem(t)
	l := s.TableLog()

	first, end, err := l.WritePK(pkT, func(w *PKWriter) error {
		for i := range int64(3) {
			ok, err := w.Insert(pkRow(i+1, "a", i*10))
			require.NoError(t, err)
			require.True(t, ok)
		}
		// A key the statement inserted is visible to it and conflicts.
		ok, err := w.Insert(pkRow(2, "dup", 0))
		require.NoError(t, err)
		require.False(t, ok)
		row, ok, err := w.Get([]types.Datum{types.DInt(2)})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "(2,a,10)", fmtRow(row))
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 3}, []uint64{first, end})
	require.Equal(t, []string{"(1,a,0)", "(2,a,10)", "(3,a,20)"}, pkIndex(t, l, pkT))

	// Upsert of an existing key retracts the old row; of a new key inserts;
	// a delete retracts; a delete of a missing key writes nothing.
	first, end, err = l.WritePK(pkT, func(w *PKWriter) error {
		old, existed, err := w.Upsert(pkRow(2, "b", 11))
		require.NoError(t, err)
		require.True(t, existed)
		require.Equal(t, "(2,a,10)", fmtRow(old))
		_, existed, err = w.Upsert(pkRow(9, "b", 90))
		require.NoError(t, err)
		require.False(t, existed)
		touched, err := w.Touched([]types.Datum{types.DInt(9)})
		require.NoError(t, err)
		require.True(t, touched)
		touched, err = w.Touched([]types.Datum{types.DInt(3)})
		require.NoError(t, err)
		require.False(t, touched)
		old, ok, err := w.Delete([]types.Datum{types.DInt(1)})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "(1,a,0)", fmtRow(old))
		_, ok, err = w.Delete([]types.Datum{types.DInt(1)})
		require.NoError(t, err)
		require.False(t, ok, "deleted in this statement")
		_, ok, err = w.Delete([]types.Datum{types.DInt(42)})
		require.NoError(t, err)
		require.False(t, ok)
		require.Equal(t, 4, w.Records())
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []uint64{3, 7}, []uint64{first, end})
	require.Equal(t, []string{"(2,b,11)", "(3,a,20)", "(9,b,90)"}, pkIndex(t, l, pkT))
	require.Equal(t, []string{"-(2,a,10)", "+(2,b,11)", "+(9,b,90)", "-(1,a,0)"}, pkLog(t, l, pkT, 3))
	// The log folds to the index.
	live := foldLog(t, pkLog(t, l, pkT, 0))
	require.Equal(t, map[string]int{"(2,b,11)": 1, "(3,a,20)": 1, "(9,b,90)": 1}, live)

	// Point lookups read the index.
	row, ok, err := l.LookupPK(pkT, []types.Datum{types.DInt(9)})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "(9,b,90)", fmtRow(row))
	_, ok, err = l.LookupPK(pkT, []types.Datum{types.DInt(1)})
	require.NoError(t, err)
	require.False(t, ok)
	_, _, err = l.LookupPK(pkT, []types.Datum{types.NullDatum})
	require.Equal(t, pgerror.CodeNotNullViolation, pgerror.Code(err))

	// A statement that changes nothing writes nothing.
	first, end, err = l.WritePK(pkT, func(w *PKWriter) error { return nil })
	require.NoError(t, err)
	require.Equal(t, []uint64{7, 7}, []uint64{first, end})
}

func TestPKTableFailedStatementWritesNothing(t *testing.T) {
	s := openMem(t)
	l := s.TableLog()
	_, _, err := l.WritePK(pkT, func(w *PKWriter) error {
		_, err := w.Insert(pkRow(1, "a", 1))
		return err
	})
	require.NoError(t, err)
	boom := pgerror.New(pgerror.CodeUniqueViolation, "boom")
	_, _, err = l.WritePK(pkT, func(w *PKWriter) error {
		_, _, err := w.Upsert(pkRow(1, "changed", 2))
		require.NoError(t, err)
		_, err = w.Insert(pkRow(2, "new", 2))
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, []string{"(1,a,1)"}, pkIndex(t, l, pkT))
	end, err := l.End(pkT.ID)
	require.NoError(t, err)
	require.Equal(t, uint64(1), end)
	require.Equal(t, []string{"+(1,a,1)"}, pkLog(t, l, pkT, 0))
}

func TestPKTableCompositeKeyOrder(t *testing.T) {
	s := openMem(t)
	l := s.TableLog()
	tbl := PKTable{ID: 8, Types: []types.T{types.TInt8, types.TText, types.TInt8}, Key: []int{1, 0}}
	_, _, err := l.WritePK(tbl, func(w *PKWriter) error {
		for _, r := range [][]types.Datum{pkRow(2, "b", 0), pkRow(1, "b", 0), pkRow(3, "a", 0)} {
			if _, err := w.Insert(r); err != nil {
				return err
			}
		}
		// Same first key column, other second: a different key.
		ok, err := w.Insert(pkRow(3, "b", 1))
		require.True(t, ok)
		return err
	})
	require.NoError(t, err)
	// Index order is key order: (name, id).
	require.Equal(t, []string{"(3,a,0)", "(1,b,0)", "(2,b,0)", "(3,b,1)"}, pkIndex(t, l, tbl))
	row, ok, err := l.LookupPK(tbl, []types.Datum{types.DString("b"), types.DInt(1)})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "(1,b,0)", fmtRow(row))
}

func TestPKTableReaderKindsDoNotMix(t *testing.T) {
	s := openMem(t)
	l := s.TableLog()
	_, _, err := l.WritePK(pkT, func(w *PKWriter) error {
		_, err := w.Insert(pkRow(1, "a", 1))
		return err
	})
	require.NoError(t, err)
	// The append-only reader refuses op-carrying records...
	r, err := l.NewReader(pkT.ID, pkT.Types, 0, 10)
	require.NoError(t, err)
	_, err = r.Next(context.Background())
	require.Equal(t, pgerror.CodeDataCorrupted, pgerror.Code(err))
	require.NoError(t, r.Close())
	// ...and the change reader refuses append-only records.
	_, _, err = l.Append(77, testRows(0, 2))
	require.NoError(t, err)
	cr, err := l.NewChangeReader(77, testTableTypes, 0, 10)
	require.NoError(t, err)
	_, err = cr.Next(context.Background())
	require.Equal(t, pgerror.CodeDataCorrupted, pgerror.Code(err))
	require.NoError(t, cr.Close())
}

func TestPKTableRecoveryAndDrop(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	_, _, err := s.TableLog().WritePK(pkT, func(w *PKWriter) error {
		for i := range int64(5) {
			if _, err := w.Insert(pkRow(i, "v1", i)); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	_, _, err = s.TableLog().WritePK(pkT, func(w *PKWriter) error {
		if _, _, err := w.Upsert(pkRow(3, "v2", 33)); err != nil {
			return err
		}
		_, _, err := w.Delete([]types.Datum{types.DInt(0)})
		return err
	})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = openTemp(t, dir)
	defer s.Close()
	l := s.TableLog()
	end, err := l.End(pkT.ID)
	require.NoError(t, err)
	require.Equal(t, uint64(8), end)
	want := []string{"(1,v1,1)", "(2,v1,2)", "(3,v2,33)", "(4,v1,4)"}
	require.Equal(t, want, pkIndex(t, l, pkT))
	live := foldLog(t, pkLog(t, l, pkT, 0))
	require.Len(t, live, len(want))
	for _, r := range want {
		require.Equal(t, 1, live[r], r)
	}
	// Writes continue at the recovered end.
	first, _, err := l.WritePK(pkT, func(w *PKWriter) error {
		_, _, err := w.Upsert(pkRow(1, "v3", 1))
		return err
	})
	require.NoError(t, err)
	require.Equal(t, uint64(8), first)

	require.NoError(t, l.Drop(pkT.ID))
	n := 0
	require.NoError(t, ScanPrefix(s, PKIndexPrefix(pkT.ID), func(k, v []byte) error { n++; return nil }))
	require.NoError(t, ScanPrefix(s, TablePrefix(pkT.ID), func(k, v []byte) error { n++; return nil }))
	require.Zero(t, n, "drop deletes the log and the index")
	_, _, err = l.WritePK(pkT, func(w *PKWriter) error { return nil })
	require.NoError(t, err, "a dropped id is a fresh table to the store")
}

// Concurrent read-modify-write statements on one table serialize: every
// increment survives, the log is dense and folds to the index.
func TestPKTableConcurrentUpserts(t *testing.T) {
	s := openMem(t)
	l := s.TableLog()
	const writers, perWriter, keys = 4, 50, 3
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				key := int64((g + i) % keys)
				_, _, err := l.WritePK(pkT, func(w *PKWriter) error {
					row, ok, err := w.Get([]types.Datum{types.DInt(key)})
					if err != nil {
						return err
					}
					n := int64(0)
					if ok {
						n = row[2].I
					}
					_, _, err = w.Upsert(pkRow(key, fmt.Sprintf("w%d", g), n+1))
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var total int64
	rows := pkIndex(t, l, pkT)
	require.Len(t, rows, keys)
	for k := range int64(keys) {
		row, ok, err := l.LookupPK(pkT, []types.Datum{types.DInt(k)})
		require.NoError(t, err)
		require.True(t, ok)
		total += row[2].I
	}
	require.Equal(t, int64(writers*perWriter), total, "no lost update")
	log := pkLog(t, l, pkT, 0)
	// Each statement appended +new, and -old unless it created the key.
	require.Len(t, log, 2*writers*perWriter-keys)
	live := foldLog(t, log)
	require.Len(t, live, keys)
	for _, r := range rows {
		require.Equal(t, 1, live[r], r)
	}
}
