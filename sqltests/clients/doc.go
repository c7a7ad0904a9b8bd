// Package clients tests weir with the real clients people use: psql,
// psycopg2 (Python) and pgjdbc (Java). Each test starts an in-process
// server on a loopback port and runs the client program against it, so
// the bytes on the wire are exactly what those clients send.
//
// A test skips when its client is not installed, unless
// WEIR_REQUIRE_CLIENTS is set (CI sets it), in which case a missing client
// fails the test. The packages are postgresql-client, python3-psycopg2 and
// libpostgresql-jdbc-java with a JDK ≥ 11 (for single-file source launch).
//
// Imports: server (to run weir in-process); no SQL layer.
package clients
