package state

import "encoding/binary"

// Key layout (DESIGN.md, "State layout"). Every key starts with a one-letter
// prefix naming its owner, then the owning object's id as a fixed-width
// big-endian uint64, so that
//
//   - byte order equals numeric order for ids, offsets and batch ids, and
//   - everything one object owns is a contiguous key range: dropping the
//     object is one range delete and its size is one EstimateSize call.
//
// The "/" separators are for people reading a key dump; they carry no
// meaning to the encoding, which is fixed-width up to the trailing free-form
// parts (operator state keys, MV primary keys).
//
//	c/meta                                   catalog counters
//	c/o/<id>                                 catalog object definition
//	t/<table>/<offset>                       table log record
//	k/<table>/<pk>                           current row of a primary-key table
//	q/<query>/meta                           query batch id, planned ranges, watermark
//	q/<query>/off/<source>/<partition>       committed source offset
//	q/<query>/op/<op>/<key>                  operator state
//	m/<mv>/<pk>                              materialized view row
//	l/<mv>/<offset>                          materialized view changelog record
//	o/<sink>/<batch>                         sink outbox batch
var (
	prefixCatalog = []byte("c/")
	prefixTable   = []byte("t/")
	prefixQuery   = []byte("q/")
	prefixMV      = []byte("m/")
	prefixOutbox  = []byte("o/")
	// prefixChangelog holds MV changelogs: the ordered +/- records a
	// downstream continuous query reads like a table log.
	prefixChangelog = []byte("l/")
	// prefixPKIndex holds the primary-key index of tables with a primary
	// key: each key's current row (pk_table.go).
	prefixPKIndex = []byte("k/")
)

// AppendUint64 appends v as 8 big-endian bytes: the order-preserving encoding
// of ids, offsets and batch ids.
func AppendUint64(buf []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(buf, v) }

func key(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func u64(v uint64) []byte { return AppendUint64(nil, v) }

var slash = []byte("/")

// CatalogPrefix is the prefix of every catalog key.
func CatalogPrefix() []byte { return append([]byte(nil), prefixCatalog...) }

// CatalogMetaKey holds the catalog's counters (next object id, next OID).
func CatalogMetaKey() []byte { return key(prefixCatalog, []byte("meta")) }

// CatalogObjectPrefix is the prefix of every catalog object definition.
func CatalogObjectPrefix() []byte { return key(prefixCatalog, []byte("o/")) }

// CatalogObjectKey is the key of the definition of catalog object id.
func CatalogObjectKey(id uint64) []byte { return key(prefixCatalog, []byte("o/"), u64(id)) }

// TablePrefix is the prefix of every record of table's log.
func TablePrefix(table uint64) []byte { return key(prefixTable, u64(table), slash) }

// TableKey is the key of the record at offset in table's log.
func TableKey(table, offset uint64) []byte {
	return key(prefixTable, u64(table), slash, u64(offset))
}

// ParseTableKey splits a key made by TableKey; ok is false for any other key.
func ParseTableKey(k []byte) (table, offset uint64, ok bool) {
	if len(k) != len(prefixTable)+8+1+8 || string(k[:len(prefixTable)]) != string(prefixTable) {
		return 0, 0, false
	}
	k = k[len(prefixTable):]
	return binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[9:]), true
}

// PKIndexPrefix is the prefix of table's primary-key index.
func PKIndexPrefix(table uint64) []byte { return key(prefixPKIndex, u64(table), slash) }

// PKIndexKey is the key of the current row of table whose primary key has
// the order-preserving encoding pk (types.AppendKey of the key columns in
// key order).
func PKIndexKey(table uint64, pk []byte) []byte { return key(prefixPKIndex, u64(table), slash, pk) }

// QueryPrefix is the prefix of everything continuous query q owns.
func QueryPrefix(q uint64) []byte { return key(prefixQuery, u64(q), slash) }

// QueryMetaKey holds q's batch id, planned ranges and watermark.
func QueryMetaKey(q uint64) []byte { return key(prefixQuery, u64(q), []byte("/meta")) }

// QueryOffsetPrefix is the prefix of q's committed source offsets.
func QueryOffsetPrefix(q uint64) []byte { return key(prefixQuery, u64(q), []byte("/off/")) }

// QueryOffsetKey holds q's committed offset for one source partition.
func QueryOffsetKey(q, source, partition uint64) []byte {
	return key(prefixQuery, u64(q), []byte("/off/"), u64(source), slash, u64(partition))
}

// QueryOpPrefix is the prefix of operator op's state in query q.
func QueryOpPrefix(q, op uint64) []byte {
	return key(prefixQuery, u64(q), []byte("/op/"), u64(op), slash)
}

// QueryOpKey is the key of one entry of operator op's state; k is the
// operator's own order-preserving key encoding.
func QueryOpKey(q, op uint64, k []byte) []byte {
	return key(prefixQuery, u64(q), []byte("/op/"), u64(op), slash, k)
}

// MVPrefix is the prefix of every row of materialized view mv.
func MVPrefix(mv uint64) []byte { return key(prefixMV, u64(mv), slash) }

// MVKey is the key of mv's row with the order-preserving primary key pk.
func MVKey(mv uint64, pk []byte) []byte { return key(prefixMV, u64(mv), slash, pk) }

// ChangelogPrefix is the prefix of every record of materialized view mv's
// changelog.
func ChangelogPrefix(mv uint64) []byte { return key(prefixChangelog, u64(mv), slash) }

// ChangelogKey is the key of the record at offset in mv's changelog.
// Offsets are dense from 0, like a table log's.
func ChangelogKey(mv, offset uint64) []byte {
	return key(prefixChangelog, u64(mv), slash, u64(offset))
}

// ParseChangelogKey splits a key made by ChangelogKey; ok is false for any
// other key.
func ParseChangelogKey(k []byte) (mv, offset uint64, ok bool) {
	if len(k) != len(prefixChangelog)+8+1+8 || string(k[:len(prefixChangelog)]) != string(prefixChangelog) ||
		k[len(prefixChangelog)+8] != '/' {
		return 0, 0, false
	}
	k = k[len(prefixChangelog):]
	return binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[9:]), true
}

// OutboxPrefix is the prefix of sink's outbox.
func OutboxPrefix(sink uint64) []byte { return key(prefixOutbox, u64(sink), slash) }

// OutboxKey is the key of sink's outbox entry for batch.
func OutboxKey(sink, batch uint64) []byte {
	return key(prefixOutbox, u64(sink), slash, u64(batch))
}

// PrefixEnd returns the smallest key greater than every key with the given
// prefix: the exclusive upper bound of a prefix scan or range delete. It
// returns nil (no upper bound) when the prefix is empty or all 0xff.
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// QueryOffsetSourcePrefix is the prefix of q's committed offsets of every
// partition of source.
func QueryOffsetSourcePrefix(q, source uint64) []byte {
	return key(prefixQuery, u64(q), []byte("/off/"), u64(source), slash)
}

// ParseQueryOffsetPartition returns the partition of a key made by
// QueryOffsetKey that starts with prefix (QueryOffsetSourcePrefix); ok is
// false for any other key.
func ParseQueryOffsetPartition(prefix, k []byte) (partition uint64, ok bool) {
	if len(k) != len(prefix)+8 || string(k[:len(prefix)]) != string(prefix) {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(prefix):]), true
}

// OutboxBatchPrefix is the prefix of the chunks of sink's outbox entry for
// batch: a batch's change rows are stored as several values, so that no
// single value grows with the batch.
func OutboxBatchPrefix(sink, batch uint64) []byte {
	return key(prefixOutbox, u64(sink), slash, u64(batch), slash)
}

// OutboxChunkKey is the key of chunk seq of sink's outbox entry for batch.
func OutboxChunkKey(sink, batch, seq uint64) []byte {
	return key(prefixOutbox, u64(sink), slash, u64(batch), slash, u64(seq))
}

// ParseOutboxChunkKey splits a key made by OutboxChunkKey; ok is false for
// any other key.
func ParseOutboxChunkKey(k []byte) (sink, batch, seq uint64, ok bool) {
	if len(k) != len(prefixOutbox)+8+1+8+1+8 || string(k[:len(prefixOutbox)]) != string(prefixOutbox) {
		return 0, 0, 0, false
	}
	k = k[len(prefixOutbox):]
	return binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[9:]), binary.BigEndian.Uint64(k[18:]), true
}
