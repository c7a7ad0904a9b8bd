// Package binder gives a parsed query PostgreSQL meaning: it resolves names
// against a planner.Catalog, types every expression (implicit casts,
// integer division, three-valued logic, parameter type inference) and
// produces the planner's logical plan.
//
// Imports: sql/parser, sql/expr, sql/types, sql/pgerror, planner.
package binder
