package plantest

import (
	"context"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Catalog is a map of relations by name, all in schema "public".
type Catalog struct {
	Rels map[string]planner.Relation
	next uint32
}

// New returns an empty catalog.
func New() *Catalog { return &Catalog{Rels: map[string]planner.Relation{}, next: 16384} }

var _ planner.Catalog = (*Catalog)(nil)

// Resolve implements planner.Catalog.
func (c *Catalog) Resolve(schema, name string) (planner.Relation, error) {
	if schema != "" && schema != "public" {
		return nil, pgerror.New(pgerror.CodeUndefinedTable, "relation %q does not exist", schema+"."+name)
	}
	r, ok := c.Rels[name]
	if !ok {
		return nil, pgerror.New(pgerror.CodeUndefinedTable, "relation %q does not exist", name)
	}
	return r, nil
}

// AddTable adds a table with rows and returns it.
func (c *Catalog) AddTable(name string, cols []planner.Column, rows [][]types.Datum) *Table {
	c.next++
	t := &Table{oid: c.next, name: name, cols: cols, Rows: rows, ChunkSize: 1024}
	c.Rels[name] = t
	return t
}

// AddView adds a view over SQL text.
func (c *Catalog) AddView(name string, cols []planner.Column, sql string) {
	c.next++
	c.Rels[name] = &View{oid: c.next, name: name, cols: cols, sql: sql}
}

// Table is an in-memory table.
type Table struct {
	oid       uint32
	name      string
	cols      []planner.Column
	Rows      [][]types.Datum
	ChunkSize int
	// PK holds the primary key's column indexes; nil for none.
	PK []int
	// Watermark names the WATERMARK FOR column; "" for none.
	Watermark string
}

var (
	_ planner.ScanRelation        = (*Table)(nil)
	_ planner.KeyedRelation       = (*Table)(nil)
	_ planner.WatermarkedRelation = (*Table)(nil)
)

// WatermarkColumn returns the index of the Watermark column.
func (t *Table) WatermarkColumn() (int, bool) {
	for i, c := range t.cols {
		if t.Watermark != "" && c.Name == t.Watermark {
			return i, true
		}
	}
	return 0, false
}

// PrimaryKey returns PK.
func (t *Table) PrimaryKey() []int { return t.PK }

func (t *Table) OID() uint32               { return t.oid }
func (t *Table) Schema() string            { return "public" }
func (t *Table) Name() string              { return t.name }
func (t *Table) Kind() planner.RelKind     { return planner.KindTable }
func (t *Table) Columns() []planner.Column { return t.cols }

// Scan yields the rows in chunks of ChunkSize.
func (t *Table) Scan(ctx context.Context) (planner.ChunkReader, error) {
	return &reader{t: t}, nil
}

type reader struct {
	t   *Table
	pos int
}

func (r *reader) Next(ctx context.Context) (*types.Chunk, error) {
	if r.pos >= len(r.t.Rows) {
		return nil, nil
	}
	n := min(max(r.t.ChunkSize, 1), len(r.t.Rows)-r.pos)
	c := types.NewChunk(planner.Types(r.t.cols), n)
	for _, row := range r.t.Rows[r.pos : r.pos+n] {
		c.AppendRow(row)
	}
	r.pos += n
	return c, nil
}

func (r *reader) Close() error { return nil }

// View is a non-materialized view.
type View struct {
	oid  uint32
	name string
	cols []planner.Column
	sql  string
}

var _ planner.ViewRelation = (*View)(nil)

func (v *View) OID() uint32               { return v.oid }
func (v *View) Schema() string            { return "public" }
func (v *View) Name() string              { return v.name }
func (v *View) Kind() planner.RelKind     { return planner.KindView }
func (v *View) Columns() []planner.Column { return v.cols }
func (v *View) Query() string             { return v.sql }
