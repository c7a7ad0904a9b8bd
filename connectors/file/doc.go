// Package file is the file source (`connector = 'file'`): a directory of
// JSON-lines or CSV files read as a replayable, partitioned log.
//
// Options:
//
//	path         the directory (required; must exist)
//	format       'json' (one JSON object per line, default) or 'csv'
//	delimiter    csv field delimiter (default ',')
//	header       'true': the first line of every csv file is a header and
//	             yields no row (default 'false')
//	bad_records  'skip' (default: reported through SourceSpec.BadRecord) or
//	             'fail' (the read fails with the record's error)
//
// Partitions are the directory's files in name order: partition 0 is the
// first name, and a file that appears later is a new partition. Names
// starting with '.' are ignored (write a file under a hidden name and
// rename it into place to publish it whole), as are directories. Because a
// partition number is a position in name order, a new file must sort after
// every file already seen (use zero-padded sequence numbers or timestamps);
// one that sorts before is an error rather than a silent renumbering. Files
// must not be deleted or renamed while a query reads the source.
//
// Offsets are line numbers from 0; a record is one line, ended by '\n' (a
// '\r' before it is dropped). End is the number of complete lines, so a
// last line still being written is read once its '\n' arrives. Files are
// append-only: a file that shrinks is an error, and lines once complete
// must not change, which is what makes a replayed range yield the same
// rows. With header = 'true' line 0 is skipped but keeps its offset, so
// offsets stay line numbers. Dense is true only with bad_records = 'fail'
// and no header: a skipped bad record or a header line yields no row.
//
// Records are decoded by connectors/format (JSON by column name, CSV by
// position; the same rules as the Kafka source). Two metadata columns are
// filled when declared instead of being read from the record: `_file`
// (text: the file's name) and `_line` (bigint: the line number).
//
// Imports: connectors, connectors/format, sql/types, sql/pgerror.
package file
