// Package connectors holds weir's sources and sinks: the table log reader,
// and later Kafka, the Nexmark generator, files, the PostgreSQL sink and the
// blackhole sink.
//
// Imports: state, sql/types, sql/pgerror. It must not import the SQL
// layers (binder, planner, exec), catalog or server.
package connectors
