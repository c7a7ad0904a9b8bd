// Package expr holds bound scalar expressions, the function, operator, cast
// and aggregate registries the binder resolves against, and the compiler
// that turns an expression into a vectorised evaluator over a Chunk.
//
// Expressions are compiled once per plan and evaluated per chunk; no
// evaluator boxes values in interfaces on the hot path.
//
// Imports: sql/types, sql/pgerror. It must not import the binder, planner,
// exec, catalog or state.
package expr
