// Package types defines weir's SQL types, the scalar Datum, and the columnar
// Vec and Chunk that flow between operators.
//
// Every layer speaks these types: the binder types expressions with them, the
// executor moves Chunks of them, the state store encodes them, and the wire
// layer formats them. The package therefore imports nothing of weir's own
// except pgerror: it is the bottom of the dependency graph.
//
// Physical representation (see Phys):
//
//	PhysInt      bool (0/1), int2, int4, int8, oid, date (days since
//	             1970-01-01), timestamp and timestamptz (microseconds since
//	             1970-01-01 00:00:00 UTC; timestamp is zone-less)
//	PhysFloat    float4, float8
//	PhysDecimal  numeric
//	PhysString   text, varchar, name, "char", bytea (raw bytes), jsonb
//	             (normalised JSON text), text[] (see Array)
//	PhysInterval interval
//
// Values are immutable once a Vec is handed to another operator.
package types
