// Package pgerror classifies errors with a PostgreSQL SQLSTATE at the place
// they are detected. The server converts them to ErrorResponse messages in
// one function; every other layer only creates or wraps them.
//
// It imports nothing of weir's own.
package pgerror
