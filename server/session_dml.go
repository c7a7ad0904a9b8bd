package server

import (
	"bytes"
	"context"
	"fmt"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// Writes to tables with a primary key (docs/joins.md): INSERT is an upsert,
// UPDATE and DELETE change current rows. Each statement is one atomic,
// synced write of its log records and index changes, acknowledged only
// once durable; continuous queries reading the table are poked after it.
//
// UPDATE and DELETE run their plan (which reads the table's current rows)
// under the table's write lock, so concurrent statements on one table
// serialize and none loses another's change. Uniqueness is checked at the
// end of the statement, as the SQL standard defines it (PostgreSQL's
// DEFERRABLE unique constraints): `UPDATE t SET id = id + 1` succeeds
// whatever order the rows are visited in, and fails with 23505 only when
// the final rows collide.

// dml runs an UPDATE, a DELETE, or an INSERT into a table with a primary
// key.
func (s *session) dml(ctx context.Context, b *binder.Bound, ec *expr.EvalCtx) (*Result, error) {
	switch {
	case b.Update != nil:
		rel, err := pkTarget(b.Update.Table)
		if err != nil {
			return nil, err
		}
		n, err := s.writePK(rel, func(w *state.PKWriter) (int, error) { return updateRows(ctx, b, ec, rel, w) })
		if err != nil {
			return nil, err
		}
		return &Result{Tag: fmt.Sprintf("UPDATE %d", n)}, nil
	case b.Delete != nil:
		rel, err := pkTarget(b.Delete.Table)
		if err != nil {
			return nil, err
		}
		n, err := s.writePK(rel, func(w *state.PKWriter) (int, error) { return deleteRows(ctx, b, ec, rel, w) })
		if err != nil {
			return nil, err
		}
		return &Result{Tag: fmt.Sprintf("DELETE %d", n)}, nil
	}
	rel, err := pkTarget(b.Insert.Table)
	if err != nil {
		return nil, err
	}
	rows, err := exec.Collect(ctx, b.Plan, ec)
	if err != nil {
		return nil, err
	}
	s.noteAutocommit()
	first, end, err := rel.Upsert(rows)
	if err != nil {
		return nil, err
	}
	s.pokeWritten(rel, first, end)
	return &Result{Tag: fmt.Sprintf("INSERT 0 %d", rows.N)}, nil
}

// pkTarget returns the catalog table a bound UPDATE, DELETE or upsert
// writes; the binder only binds those for tables with a primary key.
func pkTarget(r any) (*catalog.TableRelation, error) {
	rel, ok := r.(*catalog.TableRelation)
	if !ok || rel.PrimaryKey() == nil {
		return nil, pgerror.New(pgerror.CodeInternalError, "write target is not a table with a primary key")
	}
	return rel, nil
}

// writePK runs fn as one statement on rel and returns the row count fn
// reports.
func (s *session) writePK(rel *catalog.TableRelation, fn func(w *state.PKWriter) (int, error)) (int, error) {
	s.noteAutocommit()
	var n int
	first, end, err := rel.WritePK(func(w *state.PKWriter) error {
		var err error
		n, err = fn(w)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.pokeWritten(rel, first, end)
	return n, nil
}

// pokeWritten wakes the continuous queries reading rel when the statement
// appended records.
func (s *session) pokeWritten(rel *catalog.TableRelation, first, end uint64) {
	if end > first {
		s.eng.queries.poke(rel.Object().ID)
	}
}

// updateRows applies an UPDATE's plan output (old row, new row) through w:
// first every changed row's old key is deleted, then every new row is
// inserted, so keys may move between rows; a new key that collides with a
// row the statement did not delete, or with another new row, fails the
// statement with 23505. A row the statement leaves byte-identical is
// counted (as PostgreSQL counts it) but writes no records.
func updateRows(ctx context.Context, b *binder.Bound, ec *expr.EvalCtx, rel *catalog.TableRelation, w *state.PKWriter) (int, error) {
	rows, err := exec.Collect(ctx, b.Plan, ec)
	if err != nil {
		return 0, err
	}
	cols := rel.Columns()
	n := len(cols)
	ts := make([]types.T, n)
	for i, c := range cols {
		ts[i] = c.T
	}
	pk := rel.PrimaryKey()
	keyOf := func(row []types.Datum) []types.Datum {
		k := make([]types.Datum, len(pk))
		for i, c := range pk {
			k[i] = row[c]
		}
		return k
	}
	var changed [][]types.Datum
	for i := range rows.N {
		row := rows.Row(i)
		oldRow, newRow := row[:n], row[n:]
		if bytes.Equal(state.EncodeRow(nil, ts, oldRow), state.EncodeRow(nil, ts, newRow)) {
			continue
		}
		if _, ok, err := w.Delete(keyOf(oldRow)); err != nil {
			return 0, err
		} else if !ok {
			return 0, pgerror.New(pgerror.CodeInternalError, "UPDATE of %q: row %s vanished under the table lock", rel.Name(), rel.KeyText(oldRow))
		}
		changed = append(changed, newRow)
	}
	for _, newRow := range changed {
		ok, err := w.Insert(newRow)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, duplicateKey(rel, newRow)
		}
	}
	return rows.N, nil
}

// deleteRows deletes the rows a DELETE's plan yields through w.
func deleteRows(ctx context.Context, b *binder.Bound, ec *expr.EvalCtx, rel *catalog.TableRelation, w *state.PKWriter) (int, error) {
	rows, err := exec.Collect(ctx, b.Plan, ec)
	if err != nil {
		return 0, err
	}
	pk := rel.PrimaryKey()
	for i := range rows.N {
		k := make([]types.Datum, len(pk))
		for j, c := range pk {
			k[j] = rows.Cols[c].Datum(i)
		}
		if _, ok, err := w.Delete(k); err != nil {
			return 0, err
		} else if !ok {
			return 0, pgerror.New(pgerror.CodeInternalError, "DELETE from %q: row %s vanished under the table lock", rel.Name(), rel.KeyText(rows.Row(i)))
		}
	}
	return rows.N, nil
}

// duplicateKey is PostgreSQL's unique violation for a table's primary key.
func duplicateKey(rel *catalog.TableRelation, row []types.Datum) error {
	return pgerror.New(pgerror.CodeUniqueViolation, "duplicate key value violates unique constraint %q", rel.Object().PKName()).
		WithDetail("Key %s already exists.", rel.KeyText(row))
}
