// Package exec runs plans: push-based operators over columnar chunks (with
// an op column so the same operators can carry retractions), the builder
// that turns a physical plan into operators (one type switch), and batch
// execution of ad-hoc SELECT.
//
// Imports: planner, sql/expr, sql/types, sql/pgerror. It must not import
// catalog, server or sql/binder; relations are read through the planner's
// ScanRelation interface.
package exec
