// Package pgoracle starts a private, throw-away PostgreSQL server for tests
// that compare weir with real PostgreSQL (the sqllogictest oracle and the
// binary-format checks in sqltests).
//
// It looks for the server binaries of Debian's postgresql package
// (/usr/lib/postgresql/<major>/bin) or on PATH, runs initdb into a
// temporary directory (as the postgres user when the test runs as root,
// since PostgreSQL refuses to run as root), starts the server on a free
// loopback port with fsync off, and stops it when the test ends.
//
// Imports nothing of weir's own.
package pgoracle
