// Package planner turns a bound query into a plan: logical plan nodes, an
// ordered list of rewrite rules (plain functions), and the physical plan the
// executor builds operators from. Bounded (ad-hoc) and, later, streaming
// plans share node types; the same operator name is used in planner and
// exec (planner/hash_agg.go ↔ exec/hash_agg.go).
//
// Imports: sql/types, sql/expr, sql/pgerror. It must never import exec,
// catalog, state, connectors or server; relations are seen only through the
// Relation interfaces in relation.go, which the catalog implements.
package planner
