// Package postgres is the exactly-once PostgreSQL sink (`connector =
// 'postgres'`): it applies each committed batch of a sink's query to a
// table in an external PostgreSQL database.
//
// Options:
//
//	url           a libpq/pgx connection URL (required)
//	table         the target table, optionally schema-qualified
//	              ('schema.name'); each part is taken literally, as a
//	              quoted identifier (required)
//	type          'upsert' (default when the input has a key) or 'append'
//	create_table  'true' creates the target table from the sink's columns
//	              when it does not exist (upsert: with a primary key on the
//	              key columns, or a unique NULLS NOT DISTINCT constraint when
//	              a key column may be NULL); default 'false'
//
// Without create_table the target table must exist when the sink is opened,
// with a column of the same name for every sink column (other columns take
// their defaults) and, for upsert, a unique index or constraint on exactly
// the key columns: that is what `INSERT ... ON CONFLICT (key)` needs.
// Values are converted by PostgreSQL's assignment casts, so a target column
// may be of a different but assignable type (int4 for bigint, varchar(n),
// numeric(p,s)).
//
// Exactly once: every batch is one PostgreSQL transaction that applies the
// batch's changes and upserts (sink, batch_id) into weir_sink_progress
// (created if missing). Before applying a batch the sink locks its progress
// row; a batch whose id is not greater than the recorded one was applied
// before and is skipped. So a batch re-delivered after a crash of weir, a
// lost connection or a lost COMMIT acknowledgement changes nothing, and a
// transaction cut off midway leaves nothing behind.
//
// How a batch is applied: its change rows are copied (COPY ... FROM STDIN
// in PostgreSQL's binary format, from weir's own binary send functions, so
// numeric, timestamps, intervals, bytea and jsonb arrive exactly) into a
// temporary staging table, then applied by set-based statements from it:
//
//   - upsert: the changes of each key are netted (a key whose rows cancel
//     out is untouched; a key left with a row is upserted with
//     `INSERT ... ON CONFLICT (key) DO UPDATE`; a key left with only
//     retractions is deleted). Keys with NULL parts, which no unique index
//     matches with `=`, are deleted with `IS NULL` and inserted afresh.
//   - append: every row is inserted; a retraction is an error (an append
//     sink needs an append-only query).
//
// Imports: connectors, sql/types, sql/pgerror, pgx.
package postgres
