package planner

import (
	"context"

	"github.com/weirdb/weir/sql/types"
)

// RelKind is what a relation is; the byte is pg_class.relkind where
// PostgreSQL has one.
type RelKind byte

const (
	KindTable   RelKind = 'r' // CREATE TABLE: an append-only durable log
	KindSource  RelKind = 's' // CREATE SOURCE (shown as 'r' in pg_class)
	KindView    RelKind = 'v' // CREATE VIEW: expanded where used
	KindMatView RelKind = 'm' // CREATE MATERIALIZED VIEW
	KindSystem  RelKind = 'x' // pg_catalog, information_schema, weir_catalog (virtual)
)

// Column is one column of a relation or plan node output.
type Column struct {
	Name    string
	T       types.T
	NotNull bool
	// Hidden columns (a hidden row id) are not expanded by `*`.
	Hidden bool
}

// Relation is a named relation the binder resolves. The catalog implements
// it; the planner and executor use only this interface (and the optional
// ones below), never the catalog's concrete types.
type Relation interface {
	// OID is the relation's pg_class.oid, stable across restarts.
	OID() uint32
	// Schema is "public", "pg_catalog", "information_schema" or
	// "weir_catalog".
	Schema() string
	Name() string
	Kind() RelKind
	Columns() []Column
}

// ViewRelation is a non-materialized view: the binder parses and binds its
// SQL where it is used.
type ViewRelation interface {
	Relation
	// Query returns the view's SELECT text as the user wrote it.
	Query() string
}

// ScanRelation can be read by a bounded scan: a table up to its current
// end, a materialized view at a snapshot, a system relation as of now.
type ScanRelation interface {
	Relation
	// Scan returns a reader of the relation's rows with all columns (hidden
	// ones included, in Columns order). The reader must be closed.
	Scan(ctx context.Context) (ChunkReader, error)
}

// KeyedRelation is a relation with a primary key: a table that takes
// upserts, UPDATE and DELETE. Its current rows are unique by the key, and a
// continuous query reading it sees retractions (docs/joins.md), so a Scan
// of it is not insert-only. A relation that does not implement it, or
// returns nil, has no primary key.
type KeyedRelation interface {
	Relation
	// PrimaryKey returns the key's column indexes (in Columns) in key
	// order; nil when the relation has none.
	PrimaryKey() []int
}

// LookupRelation serves point reads of its current state by key: a table
// by its primary key, a materialized view by its stream key (lookup joins).
type LookupRelation interface {
	KeyedRelation
	// Lookup returns the current row (all columns, in Columns order) whose
	// key columns equal keyVals (in key order), at the latest committed
	// state; ok is false when there is none.
	Lookup(keyVals []types.Datum) (row []types.Datum, ok bool, err error)
}

// WatermarkedRelation is a relation that declares event time: a table or
// source with WATERMARK FOR. A relation that returns ok false has no
// watermark (materialized views: their watermark is their query's, not a
// column's); one that does not implement it is not known not to have one
// (interval joins over it are planned as before the interface existed).
type WatermarkedRelation interface {
	Relation
	// WatermarkColumn returns the index (in Columns) of the watermark's
	// event-time column.
	WatermarkColumn() (col int, ok bool)
}

// HasPrimaryKey reports whether r is a table with a primary key.
func HasPrimaryKey(r Relation) bool {
	k, ok := r.(KeyedRelation)
	return ok && r.Kind() == KindTable && len(k.PrimaryKey()) > 0
}

// ChunkReader yields chunks until it returns (nil, nil).
type ChunkReader interface {
	Next(ctx context.Context) (*types.Chunk, error)
	Close() error
}

// Catalog resolves relation names for the binder.
type Catalog interface {
	// Resolve finds a relation. An empty schema searches public, then
	// pg_catalog, information_schema and weir_catalog. A missing relation
	// is a pgerror with code 42P01.
	Resolve(schema, name string) (Relation, error)
}
