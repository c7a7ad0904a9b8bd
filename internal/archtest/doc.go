// Package archtest holds the architecture test: it reads the module's
// package graph with `go list` and fails when an import points the wrong way
// (DESIGN.md: cmd → server → {sql, catalog, planner, exec} → {state,
// connectors} → sql/types) or a package lacks a doc.go. It has no
// non-test code.
package archtest
