// Package format decodes the records of external sources (a Kafka message,
// a line of a file) into rows of a source's columns: JSON objects mapped by
// column name and CSV lines mapped by position. The Kafka and file sources
// share it so that the same bytes give the same row, or the same bad-record
// error, whichever connector read them.
//
// Values are converted with PostgreSQL's rules: a JSON member becomes a
// column value as jsonb_populate_record does it (its text, put through the
// column type's input function; json/jsonb columns keep the JSON value
// itself), and a CSV field as COPY ... (FORMAT csv) does it (an unquoted
// empty field is NULL, a quoted one the empty string). varchar(n) lengths
// and numeric(p,s) precision are applied as an assignment to such a
// column would.
//
// Imports: connectors, sql/types, sql/pgerror.
package format
