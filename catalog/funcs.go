package catalog

import (
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/state"
)

// The catalog answers the lookups of the catalog functions in sql/expr
// (regnamespace, pg_table_is_visible, the size functions,
// pg_get_*def) through EvalCtx.Catalog.
var (
	_ expr.CatalogFuncs      = (*Catalog)(nil)
	_ expr.CatalogDefs       = (*Catalog)(nil)
	_ expr.CatalogNamespaces = (*Catalog)(nil)
	_ expr.CatalogVisibility = (*Catalog)(nil)
	_ expr.CatalogSizes      = (*Catalog)(nil)
	_ expr.CatalogPrettyDefs = (*Catalog)(nil)
	_ expr.CatalogRoles      = (*Catalog)(nil)
)

// roles are the roles pg_authid and pg_roles list: the superuser every
// object belongs to, and PostgreSQL 15's pg_database_owner, which owns the
// public schema.
var roles = []struct {
	oid   uint32
	name  string
	super bool
	login bool
}{
	{ownerOID, "weir", true, true},
	{roleDatabaseOwner, "pg_database_owner", false, false},
}

// RoleName is pg_get_userbyid.
func (c *Catalog) RoleName(oid uint32) (string, bool) {
	for _, r := range roles {
		if r.oid == oid {
			return r.name, true
		}
	}
	return "", false
}

// namespaces lists the schemas that exist, in OID order.
var namespaces = []struct {
	oid  uint32
	name string
}{
	{NamespacePgCatalog, SchemaPgCatalog},
	{NamespacePublic, SchemaPublic},
	{NamespaceInfo, SchemaInfo},
	{NamespaceWeirCatalog, SchemaWeirCatalog},
}

// NamespaceName returns the name of the schema with the given OID
// (regnamespace output; PostgreSQL quotes names that need it, and none of
// weir's schemas do).
func (c *Catalog) NamespaceName(oid uint32) (string, bool) {
	for _, n := range namespaces {
		if n.oid == oid {
			return n.name, true
		}
	}
	return "", false
}

// NamespaceOID returns the OID of the schema named name (regnamespace
// input, already case-folded).
func (c *Catalog) NamespaceOID(name string) (uint32, bool) {
	for _, n := range namespaces {
		if n.name == name {
			return n.oid, true
		}
	}
	return 0, false
}

// RelationSize is pg_relation_size and pg_table_size: the estimated bytes
// on disk of a table's log or a materialized view's rows. Views, indexes
// (a primary key is not stored apart from its table) and system relations
// take no space. Data still in Pebble's memtable is not counted until it
// is flushed, so a freshly written table can report 0.
func (c *Catalog) RelationSize(oid uint32) (int64, bool) {
	if _, ok := systemByOID(oid); ok {
		return 0, true
	}
	if o := c.ByOID(oid); o != nil {
		switch o.Kind {
		case KindTable:
			return c.estimate(state.TablePrefix(o.ID)), true
		case KindMatView:
			return c.estimate(state.MVPrefix(o.ID)), true
		}
		return 0, true
	}
	if c.pkOwner(oid, true) != nil {
		return 0, true
	}
	return 0, false
}

// TotalRelationSize is pg_total_relation_size: RelationSize plus, for a
// materialized view, the state of the continuous query that maintains it.
func (c *Catalog) TotalRelationSize(oid uint32) (int64, bool) {
	n, ok := c.RelationSize(oid)
	if !ok {
		return 0, false
	}
	if o := c.ByOID(oid); o != nil && o.Kind == KindMatView {
		n += c.estimate(state.QueryPrefix(o.ID))
	}
	return n, true
}

func (c *Catalog) estimate(prefix []byte) int64 {
	n, err := c.store.EstimateSize(prefix)
	if err != nil {
		return 0
	}
	return int64(n)
}
