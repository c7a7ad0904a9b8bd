// Package exec runs plans: push-based operators over columnar chunks (with
// an op column so the same operators can carry retractions), the builder
// that turns a physical plan into operators (one type switch), and batch
// execution of ad-hoc SELECT. Continuous queries run the same operators in
// streaming mode (stream.go): chunks carry retractions, batches end with
// barriers, stateful operators persist their state into each batch's
// commit, and the Driver (driver.go) runs the batch loop of one query.
//
// Imports: planner, state (operator state, MV rows, offsets), sql/expr,
// sql/types, sql/pgerror. It must not import catalog, server or
// sql/binder; relations are read through the planner's ScanRelation
// interface and the driver's LogSource.
package exec
