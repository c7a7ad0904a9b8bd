// Package sqltests runs the *.slt sqllogictest files in testdata/ against an
// in-process weir server over real pgwire (pgx), in both the extended and the
// simple query protocol.
package sqltests
