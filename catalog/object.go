package catalog

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// Kind is what a catalog object is. Relations use the planner's RelKind
// bytes; sinks (not relations) get their own.
type Kind = planner.RelKind

// Object kinds.
const (
	KindTable        = planner.KindTable
	KindSource       = planner.KindSource
	KindView         = planner.KindView
	KindMatView      = planner.KindMatView
	KindSink    Kind = 'k'
)

// KindName returns the kind as PostgreSQL names it in messages ("table",
// "materialized view").
func KindName(k Kind) string {
	switch k {
	case KindTable:
		return "table"
	case KindSource:
		return "source"
	case KindView:
		return "view"
	case KindMatView:
		return "materialized view"
	case KindSink:
		return "sink"
	case planner.KindSystem:
		return "system relation"
	}
	return fmt.Sprintf("object kind %q", byte(k))
}

// Schemas.
const (
	SchemaPublic      = "public"
	SchemaPgCatalog   = "pg_catalog"
	SchemaInfo        = "information_schema"
	SchemaWeirCatalog = "weir_catalog"
)

// Namespace OIDs as PostgreSQL assigns them (pg_catalog 11, public 2200);
// information_schema and weir_catalog get fixed OIDs below 16384.
const (
	NamespacePgCatalog   uint32 = 11
	NamespacePublic      uint32 = 2200
	NamespaceInfo        uint32 = 13000
	NamespaceWeirCatalog uint32 = 13100
)

// FirstUserOID is the first OID given to user objects, as in PostgreSQL.
const FirstUserOID uint32 = 16384

// Watermark declares event time for a table or source: WATERMARK FOR
// Column AS Column - Delay.
type Watermark struct {
	Column string
	Delay  time.Duration
	// Expr is the watermark expression as the user wrote it (for SHOW
	// CREATE and EXPLAIN).
	Expr string
}

// Object is one catalog object. Objects are immutable once published by
// the catalog: a change (ALTER, new plan info) publishes a new *Object with
// a higher Version, so a reader holding an *Object sees a consistent
// definition.
type Object struct {
	ID     uint64 // internal id; keys of its state use it; never reused
	OID    uint32 // pg_class.oid; stable across restarts; never reused
	Kind   Kind
	Schema string
	Name   string
	// Columns in order (attnum = index+1).
	Columns []planner.Column
	// PrimaryKey holds column indexes; empty when there is none.
	PrimaryKey []int
	// IndexOID and ConstraintOID are the OIDs of the primary key's index
	// (pg_class relkind 'i', pg_index) and constraint (pg_constraint); 0
	// without a primary key.
	IndexOID      uint32
	ConstraintOID uint32
	Watermark     *Watermark
	// Options are the WITH (...) options, keys lower-case.
	Options map[string]string
	// SQL is the full CREATE statement text that made the object.
	SQL string
	// Query is the SELECT text of a view, materialized view or sink.
	Query string
	// DependsOn lists the OIDs of the user relations the object reads.
	DependsOn []uint32
	// Version is the definition version: 1 at creation, +1 per change.
	Version   uint64
	CreatedAt time.Time

	// Continuous-query bookkeeping (materialized views and sinks), filled
	// by the engine through SetPlanInfo; see DESIGN.md "State layout" for
	// the upgrade rule.
	PlanFingerprint string
	StateVersions   map[string]uint32
}

// ColumnIndex returns the index of the named column, or -1.
func (o *Object) ColumnIndex(name string) int {
	for i, c := range o.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// ColumnTypes returns the column types in order.
func (o *Object) ColumnTypes() []types.T {
	ts := make([]types.T, len(o.Columns))
	for i, c := range o.Columns {
		ts[i] = c.T
	}
	return ts
}

// IsRelation reports whether the object can be named in FROM.
func (o *Object) IsRelation() bool { return o.Kind != KindSink }

// PKName is the name of the primary key's index and constraint
// ("<table>_pkey", as PostgreSQL names it).
func (o *Object) PKName() string { return o.Name + "_pkey" }

// The persisted form of an Object: a KindCatalog value whose payload is
// JSON. Types are stored by PostgreSQL OID and typmod (stable across weir
// versions) rather than by types.ID. Plans are never stored: the SQL text
// is the definition.
type objectRecord struct {
	ID              uint64            `json:"id"`
	OID             uint32            `json:"oid"`
	Kind            string            `json:"kind"`
	Schema          string            `json:"schema"`
	Name            string            `json:"name"`
	Columns         []columnRecord    `json:"columns"`
	PrimaryKey      []int             `json:"primary_key,omitempty"`
	IndexOID        uint32            `json:"index_oid,omitempty"`
	ConstraintOID   uint32            `json:"constraint_oid,omitempty"`
	Watermark       *watermarkRecord  `json:"watermark,omitempty"`
	Options         map[string]string `json:"options,omitempty"`
	SQL             string            `json:"sql"`
	Query           string            `json:"query,omitempty"`
	DependsOn       []uint32          `json:"depends_on,omitempty"`
	Version         uint64            `json:"version"`
	CreatedAt       time.Time         `json:"created_at"`
	PlanFingerprint string            `json:"plan_fingerprint,omitempty"`
	StateVersions   map[string]uint32 `json:"state_versions,omitempty"`
}

type columnRecord struct {
	Name    string `json:"name"`
	TypeOID uint32 `json:"type_oid"`
	TypMod  int32  `json:"typmod"`
	NotNull bool   `json:"not_null,omitempty"`
	Hidden  bool   `json:"hidden,omitempty"`
}

type watermarkRecord struct {
	Column string `json:"column"`
	Delay  int64  `json:"delay_us"`
	Expr   string `json:"expr,omitempty"`
}

type metaRecord struct {
	NextID  uint64 `json:"next_id"`
	NextOID uint32 `json:"next_oid"`
}

func encodeObject(o *Object) ([]byte, error) {
	r := objectRecord{
		ID: o.ID, OID: o.OID, Kind: string(rune(o.Kind)), Schema: o.Schema, Name: o.Name,
		PrimaryKey: o.PrimaryKey, IndexOID: o.IndexOID, ConstraintOID: o.ConstraintOID,
		Options: o.Options, SQL: o.SQL, Query: o.Query, DependsOn: o.DependsOn,
		Version: o.Version, CreatedAt: o.CreatedAt,
		PlanFingerprint: o.PlanFingerprint, StateVersions: o.StateVersions,
	}
	for _, c := range o.Columns {
		r.Columns = append(r.Columns, columnRecord{Name: c.Name, TypeOID: c.T.OID(), TypMod: c.T.Mod, NotNull: c.NotNull, Hidden: c.Hidden})
	}
	if o.Watermark != nil {
		r.Watermark = &watermarkRecord{Column: o.Watermark.Column, Delay: o.Watermark.Delay.Microseconds(), Expr: o.Watermark.Expr}
	}
	payload, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(state.AppendHeader(nil, state.KindCatalog), payload...), nil
}

func decodeObject(v []byte) (*Object, error) {
	payload, err := state.ParseHeader(v, state.KindCatalog)
	if err != nil {
		return nil, err
	}
	var r objectRecord
	if err := json.Unmarshal(payload, &r); err != nil {
		return nil, pgerror.Wrap(fmt.Errorf("catalog: corrupt object definition: %w", err), pgerror.CodeDataCorrupted)
	}
	if len(r.Kind) != 1 {
		return nil, pgerror.New(pgerror.CodeDataCorrupted, "catalog: object %d has unknown kind %q", r.ID, r.Kind)
	}
	o := &Object{
		ID: r.ID, OID: r.OID, Kind: Kind(r.Kind[0]), Schema: r.Schema, Name: r.Name,
		PrimaryKey: r.PrimaryKey, IndexOID: r.IndexOID, ConstraintOID: r.ConstraintOID,
		Options: r.Options, SQL: r.SQL, Query: r.Query, DependsOn: r.DependsOn,
		Version: r.Version, CreatedAt: r.CreatedAt,
		PlanFingerprint: r.PlanFingerprint, StateVersions: r.StateVersions,
	}
	for _, c := range r.Columns {
		t, ok := types.ByOID(c.TypeOID)
		if !ok {
			return nil, pgerror.New(pgerror.CodeDataCorrupted,
				"catalog: column %q of %q has type OID %d, unknown to this weir", c.Name, r.Name, c.TypeOID)
		}
		t.Mod = c.TypMod
		o.Columns = append(o.Columns, planner.Column{Name: c.Name, T: t, NotNull: c.NotNull, Hidden: c.Hidden})
	}
	if r.Watermark != nil {
		o.Watermark = &Watermark{Column: r.Watermark.Column, Delay: time.Duration(r.Watermark.Delay) * time.Microsecond, Expr: r.Watermark.Expr}
	}
	return o, nil
}

func encodeMeta(m metaRecord) []byte {
	payload, _ := json.Marshal(m) // cannot fail for this struct
	return append(state.AppendHeader(nil, state.KindCatalog), payload...)
}

func decodeMeta(v []byte) (metaRecord, error) {
	payload, err := state.ParseHeader(v, state.KindCatalog)
	if err != nil {
		return metaRecord{}, err
	}
	var m metaRecord
	if err := json.Unmarshal(payload, &m); err != nil {
		return metaRecord{}, pgerror.Wrap(fmt.Errorf("catalog: corrupt metadata: %w", err), pgerror.CodeDataCorrupted)
	}
	return m, nil
}
