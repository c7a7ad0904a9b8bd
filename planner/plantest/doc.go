// Package plantest provides an in-memory planner.Catalog for tests of the
// binder, planner and executor: tables hold their rows in memory and scan
// them in chunks of a configurable size.
//
// Imports: planner, sql/types, sql/pgerror (test support only).
package plantest
