// Package psqltest runs real psql describe commands (\d, \dt, \d t, ...)
// against an in-process weir server and compares psql's output with golden
// files produced by PostgreSQL 15 for the same DDL.
//
// Imports: server (to start weir), sqltests/pgoracle (to regenerate the
// golden files against a private PostgreSQL). Test-only.
package psqltest
