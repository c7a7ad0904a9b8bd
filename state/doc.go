// Package state is weir's storage: one embedded Pebble store holding the
// catalog definitions, table logs, continuous-query state, MV rows and sink
// outboxes under disjoint key prefixes (DESIGN.md, "State layout").
//
// Every value written carries a format version byte; a reader that meets a
// version it does not know fails with an error instead of guessing.
// Writes that must be durable (catalog changes, table appends, batch
// commits) are synced before the call returns.
//
// Imports: sql/types, sql/pgerror only. It knows nothing of SQL beyond
// values.
package state
