// Package kafka is weir's Kafka source and sink (`connector = 'kafka'`),
// registered with the connectors registry from init; server imports it
// blank. It is built on github.com/segmentio/kafka-go.
//
// Source (Source, OpenSource): options topic, brokers, format = 'json' |
// 'csv', startup = 'earliest' | 'latest' and max_rows_per_batch (checked
// here, applied by the engine), bad_records = 'skip' | 'fail', group_id.
// Partitions are the topic's partitions and offsets are Kafka offsets; weir
// keeps its committed offsets in its own state and never reads a consumer
// group back. The kafka-go APIs it relies on:
//
//   - Client.Metadata (answered from the Transport's metadata cache, TTL 1s)
//     for Partitions;
//   - Client.ListOffsets with IsolationLevel ReadCommitted for End: the last
//     stable offset, so records of open transactions are never planned;
//   - Transport.RoundTrip with a protocol/fetch.Request (isolation level
//     read_committed) for Read. kafka-go's Client.Fetch, Conn and Reader drop
//     the response's AbortedTransactions and hand out aborted records as
//     ordinary messages, so Read walks the response's protocol.RecordStream
//     itself: *protocol.ControlBatch batches (commit/abort markers) yield no
//     rows, and transactional *protocol.RecordBatch batches of a producer
//     with an aborted transaction in progress (from AbortedTransactions,
//     ended by its ABORT marker) are dropped — the Java consumer's
//     algorithm. The source is therefore not Dense;
//   - Client.OffsetCommit (generation -1, no member) for the optional
//     group_id commits, sent in the background for lag tools.
//
// Decoding (decode.go) follows PostgreSQL: JSON members map to columns by
// name and convert as json_populate_record does; CSV fields map to the
// non-metadata columns by position, with COPY's NULL rule. The metadata
// columns _key, _partition, _offset and _timestamp are filled from the
// record when declared. Records that do not decode are bad records.
//
// Sink (Sink, OpenSink): options topic, brokers, format = 'json', type =
// 'upsert' | 'append'. Deterministic records per batch carrying the
// weir-batch header, written with Client.Produce and RequiredAcks
// RequireAll; see Sink for the encoding.
//
// kafkatest is the in-process broker (kfake) for tests of this and other
// packages.
//
// Imports: connectors, sql/types, sql/pgerror and client libraries only.
package kafka
