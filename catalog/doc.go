// Package catalog is weir's object model: tables, views, materialized views
// (and, later, sources and sinks), with ids, OIDs, versions and the SQL text
// that defined them, persisted in the state store and reloaded on start.
// pg_catalog, information_schema and weir_catalog are virtual relations
// derived from the same model and read by the same engine as user tables.
//
// Imports: state, planner (to implement its Relation interfaces), sql/expr
// (to implement its Catalog* lookup interfaces),
// sql/types, sql/pgerror. It must not import server or exec.
package catalog
