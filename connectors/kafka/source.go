package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	fetchapi "github.com/segmentio/kafka-go/protocol/fetch"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Source reads a Kafka topic: one weir partition per topic partition,
// offsets are Kafka offsets. It is safe for concurrent use.
type Source struct {
	spec   connectors.SourceSpec
	opts   sourceOptions
	client *kafkago.Client
	// transport is client.Transport, kept typed to send Fetch requests
	// whose responses carry the aborted-transaction list.
	transport kafkago.RoundTripper
	addr      net.Addr
	types     []types.T

	mu       sync.Mutex
	maxParts int // guarded by mu: partitions never shrink

	group *groupCommitter // nil without group_id
}

var _ connectors.Source = (*Source)(nil)

// maxFetchBytes bounds one Fetch response. Kafka returns at least one
// whole record batch even when it is larger.
const maxFetchBytes = 4 << 20

// chunkRows is the most rows a RowReader puts in one chunk.
const chunkRows = 1024

// sourceTransport is overridden by tests to give each test its own
// kafka-go Transport.
var newTransport = func() *kafkago.Transport {
	return &kafkago.Transport{
		ClientID: "weir",
		// Partitions() reads the transport's metadata cache; a short TTL
		// lets new partitions appear within a second.
		MetadataTTL: time.Second,
		DialTimeout: 5 * time.Second,
	}
}

// OpenSource opens a Kafka source. It checks the options and the columns,
// and that the topic exists (so that a typo fails CREATE SOURCE).
func OpenSource(ctx context.Context, spec connectors.SourceSpec) (connectors.Source, error) {
	return openSource(ctx, spec, newTransport())
}

func openSource(ctx context.Context, spec connectors.SourceSpec, tr kafkago.RoundTripper) (*Source, error) {
	opts, err := parseSourceOptions(spec.Options)
	if err != nil {
		return nil, err
	}
	if _, err := newDecoder(spec.Columns, opts.format); err != nil {
		return nil, err
	}
	s := &Source{
		spec:      spec,
		opts:      opts,
		transport: tr,
		addr:      kafkago.TCP(opts.brokers...),
	}
	s.client = &kafkago.Client{Addr: s.addr, Transport: tr, Timeout: 10 * time.Second}
	for _, c := range spec.Columns {
		s.types = append(s.types, c.T)
	}
	if s.spec.BadRecord == nil {
		s.spec.BadRecord = func(connectors.BadRecord) {}
	}
	if _, err := s.Partitions(ctx); err != nil {
		s.Close()
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "kafka source %s: %v", spec.Name, err)
	}
	if opts.groupID != "" {
		s.group = newGroupCommitter(s.client, opts.groupID, opts.topic)
	}
	return s, nil
}

func init() {
	connectors.RegisterSource("kafka", OpenSource)
}

// Partitions returns the topic's partition count from the client's
// metadata (refreshed every second). It never returns fewer partitions
// than before.
func (s *Source) Partitions(ctx context.Context) (int, error) {
	md, err := s.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{s.opts.topic}})
	if err != nil {
		return 0, fmt.Errorf("kafka %s: metadata: %w", s.opts, err)
	}
	if len(md.Topics) != 1 {
		return 0, fmt.Errorf("kafka %s: metadata has no topic", s.opts)
	}
	if err := md.Topics[0].Error; err != nil {
		return 0, fmt.Errorf("kafka %s: %w", s.opts, err)
	}
	n := len(md.Topics[0].Partitions)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxParts = max(s.maxParts, n)
	return s.maxParts, nil
}

// End returns the last stable offset of partition p: ListOffsets for the
// latest offset with isolation level read_committed, which stops before the
// first record of any open transaction (and equals the high watermark when
// there is none).
func (s *Source) End(ctx context.Context, p int) (uint64, error) {
	resp, err := s.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{
		Topics:         map[string][]kafkago.OffsetRequest{s.opts.topic: {kafkago.LastOffsetOf(p)}},
		IsolationLevel: kafkago.ReadCommitted,
	})
	if err != nil {
		return 0, fmt.Errorf("kafka %s: list offsets of partition %d: %w", s.opts, p, err)
	}
	for _, po := range resp.Topics[s.opts.topic] {
		if po.Partition != p {
			continue
		}
		if po.Error != nil {
			return 0, fmt.Errorf("kafka %s: list offsets of partition %d: %w", s.opts, p, po.Error)
		}
		if po.LastOffset < 0 {
			return 0, nil
		}
		return uint64(po.LastOffset), nil
	}
	return 0, fmt.Errorf("kafka %s: no offsets for partition %d", s.opts, p)
}

// Dense is false: control records and aborted transactional records occupy
// offsets without yielding rows.
func (s *Source) Dense() bool { return false }

// Close flushes pending group offsets and releases the source's
// connections. Closing twice is harmless.
func (s *Source) Close() error {
	if s.group != nil {
		s.group.close()
	}
	if tr, ok := s.transport.(*kafkago.Transport); ok {
		tr.CloseIdleConnections()
	}
	return nil
}

// Read returns the rows of partition p at offsets [from, to). It fetches
// the range with read_committed Fetch requests sent straight through the
// kafka-go transport (protocol/fetch, so that the response's aborted
// transactions are visible), and drops control batches (commit/abort
// markers) and the batches of aborted transactions, as Kafka's Java
// consumer does. Records are decoded into the source's columns; a record
// that does not decode is reported to BadRecord and skipped, or, with
// bad_records = 'fail', fails Next.
func (s *Source) Read(ctx context.Context, p int, from, to uint64) (connectors.RowReader, error) {
	if from > to {
		return nil, fmt.Errorf("kafka %s: bad range [%d, %d) of partition %d", s.opts, from, to, p)
	}
	dec, err := newDecoder(s.spec.Columns, s.opts.format)
	if err != nil {
		return nil, err
	}
	if s.group != nil {
		// Everything before from is committed in weir when a query reads
		// from there; lag tools may see it.
		s.group.offer(p, int64(from))
	}
	return &rowReader{s: s, p: p, pos: int64(from), to: int64(to), dec: dec,
		row: make([]types.Datum, len(s.spec.Columns))}, nil
}

// rowReader reads one partition range. Not safe for concurrent use.
type rowReader struct {
	s       *Source
	p       int
	pos, to int64 // next offset to fetch; end of the range
	dec     *decoder
	row     []types.Datum
	pending []record // fetched, not yet decoded
	// stalls counts consecutive fetches that moved pos by nothing.
	stalls int
}

// Next returns the next chunk of rows, or (nil, nil) at the end of the
// range.
func (r *rowReader) Next(ctx context.Context) (*types.Chunk, error) {
	for {
		if len(r.pending) > 0 {
			c, err := r.decodePending()
			if err != nil || c != nil {
				return c, err
			}
			continue
		}
		if r.pos >= r.to {
			return nil, nil
		}
		if err := r.fetch(ctx); err != nil {
			return nil, err
		}
	}
}

func (r *rowReader) decodePending() (*types.Chunk, error) {
	c := types.NewChunk(r.s.types, min(len(r.pending), chunkRows))
	n := 0
	for n < len(r.pending) && c.N < chunkRows {
		rec := &r.pending[n]
		n++
		if err := r.dec.decode(rec, r.row); err != nil {
			if r.s.opts.failOnBad {
				r.pending = nil
				return nil, &pgerror.Error{Code: pgerror.Code(err), Cause: err,
					Message: fmt.Sprintf("kafka source %s: bad record at partition %d offset %d: %v",
						r.s.spec.Name, rec.partition, rec.offset, err)}
			}
			r.s.spec.BadRecord(connectors.BadRecord{Partition: rec.partition, Offset: uint64(rec.offset),
				Raw: rec.value, Err: err})
			continue
		}
		c.AppendRow(r.row)
	}
	r.pending = r.pending[n:]
	if c.N == 0 {
		return nil, nil
	}
	return c, nil
}

// Close releases nothing: fetched data is garbage-collected.
func (r *rowReader) Close() error { r.pending = nil; return nil }

// fetch reads records from r.pos on, appending those below r.to that are
// neither control records nor aborted to r.pending, and advances r.pos
// past every offset the response covered.
func (r *rowReader) fetch(ctx context.Context) error {
	s := r.s
	resp, err := s.transport.RoundTrip(ctx, s.addr, &fetchapi.Request{
		ReplicaID:      -1,
		MaxWaitTime:    500,
		MinBytes:       1,
		MaxBytes:       maxFetchBytes,
		IsolationLevel: int8(kafkago.ReadCommitted),
		SessionID:      -1,
		SessionEpoch:   -1,
		Topics: []fetchapi.RequestTopic{{
			Topic: s.opts.topic,
			Partitions: []fetchapi.RequestPartition{{
				Partition:          int32(r.p),
				CurrentLeaderEpoch: -1,
				FetchOffset:        r.pos,
				LogStartOffset:     -1,
				PartitionMaxBytes:  maxFetchBytes,
			}},
		}},
	})
	if err != nil {
		return fmt.Errorf("kafka %s: fetch partition %d at %d: %w", s.opts, r.p, r.pos, err)
	}
	res, ok := resp.(*fetchapi.Response)
	if !ok || len(res.Topics) != 1 || len(res.Topics[0].Partitions) != 1 {
		return fmt.Errorf("kafka %s: fetch partition %d: malformed response", s.opts, r.p)
	}
	if res.ErrorCode != 0 {
		return fmt.Errorf("kafka %s: fetch partition %d at %d: %w", s.opts, r.p, r.pos, kafkago.Error(res.ErrorCode))
	}
	part := &res.Topics[0].Partitions[0]
	if part.ErrorCode != 0 {
		return fmt.Errorf("kafka %s: fetch partition %d at %d: %w", s.opts, r.p, r.pos, kafkago.Error(part.ErrorCode))
	}
	before := r.pos
	if err := r.collect(part); err != nil {
		return err
	}
	if r.pos > before {
		r.stalls = 0
		return nil
	}
	// No record at or after pos came back. If batches came back, those
	// holding pos were emptied by compaction (their offsets yield nothing)
	// and stepping one offset forward is correct. An empty response for a
	// range below the last stable offset is a transient broker state:
	// retry a few times, then fail (the engine retries the batch).
	r.stalls++
	returned := false
	if st, ok := part.RecordSet.Records.(*protocol.RecordStream); ok && len(st.Records) > 0 {
		returned = true
	}
	switch {
	case returned && r.stalls < 100000:
		r.pos++
		return nil
	case !returned && r.stalls < 5:
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		return nil
	}
	return fmt.Errorf("kafka %s: partition %d yields no record at offset %d (high watermark %d)",
		s.opts, r.p, r.pos, part.HighWatermark)
}

// collect walks the record batches of one fetched partition.
//
// Aborted transactions: the response lists (producer id, first offset) of
// every aborted transaction overlapping the fetched range. Walking batches
// in offset order, a transaction becomes active once a batch at or past its
// first offset is reached; a transactional data batch of an active aborted
// producer is dropped; the producer's ABORT control record ends it.
func (r *rowReader) collect(part *fetchapi.ResponsePartition) error {
	aborted := append([]fetchapi.ResponseTransaction(nil), part.AbortedTransactions...)
	sort.Slice(aborted, func(i, j int) bool { return aborted[i].FirstOffset < aborted[j].FirstOffset })
	active := map[int64]bool{}
	stream, ok := part.RecordSet.Records.(*protocol.RecordStream)
	if !ok || stream == nil {
		if part.RecordSet.Records == nil {
			return nil
		}
		stream = &protocol.RecordStream{Records: []protocol.RecordReader{part.RecordSet.Records}}
	}
	for _, batch := range stream.Records {
		// Every aborted transaction that starts at or before this batch
		// is in progress (the first offset of a transaction is the base
		// offset of its first batch).
		base := batchBase(batch)
		for len(aborted) > 0 && aborted[0].FirstOffset <= base {
			active[aborted[0].ProducerID] = true
			aborted = aborted[1:]
		}
		switch b := batch.(type) {
		case *protocol.ControlBatch:
			// One marker record: commit (type 1) or abort (type 0).
			for {
				cr, err := b.ReadControlRecord()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return fmt.Errorf("kafka %s: partition %d: control record: %w", r.s.opts, r.p, err)
				}
				if cr.Type == 0 {
					delete(active, b.ProducerID)
				}
				r.pos = max(r.pos, cr.Offset+1)
			}
		case *protocol.RecordBatch:
			skip := b.Attributes.Transactional() && active[b.ProducerID]
			if err := r.readRecords(b, skip); err != nil {
				return err
			}
		default: // v0/v1 message sets: no transactions
			if err := r.readRecords(batch, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func batchBase(rr protocol.RecordReader) int64 {
	switch b := rr.(type) {
	case *protocol.ControlBatch:
		return b.BaseOffset
	case *protocol.RecordBatch:
		return b.BaseOffset
	case *protocol.MessageSet:
		return b.BaseOffset
	}
	return -1
}

func (r *rowReader) readRecords(rr protocol.RecordReader, skip bool) error {
	for {
		rec, err := rr.ReadRecord()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("kafka %s: partition %d: read record: %w", r.s.opts, r.p, err)
		}
		key, value, err := readKV(rec)
		if err != nil {
			return fmt.Errorf("kafka %s: partition %d offset %d: %w", r.s.opts, r.p, rec.Offset, err)
		}
		if rec.Offset < r.pos || rec.Offset >= r.to {
			// Batches may start before the fetch offset; the last one
			// may run past the range.
			continue
		}
		r.pos = rec.Offset + 1
		if skip {
			continue
		}
		r.pending = append(r.pending, record{partition: r.p, offset: rec.Offset, key: key, value: value, time: rec.Time})
	}
}

// readKV copies a record's key and value out of the fetch buffers (nil
// stays nil: no key, or a tombstone).
func readKV(rec *protocol.Record) (key, value []byte, err error) {
	if rec.Key != nil {
		key, err = protocol.ReadAll(rec.Key)
		rec.Key.Close()
		if err != nil {
			return nil, nil, err
		}
		if key == nil {
			key = []byte{}
		}
	}
	if rec.Value != nil {
		value, err = protocol.ReadAll(rec.Value)
		rec.Value.Close()
		if err != nil {
			return nil, nil, err
		}
		if value == nil {
			value = []byte{}
		}
	}
	return key, value, nil
}
