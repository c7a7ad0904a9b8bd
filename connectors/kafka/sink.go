package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// HeaderBatch is the header every sink record carries: the decimal id of
// the weir batch that produced it. With the record's key it identifies a
// repeat after a crash (same key, same weir-batch, same value).
const HeaderBatch = "weir-batch"

// maxRecordsPerProduce bounds one Produce request.
const maxRecordsPerProduce = 500

// Sink writes the batches of a sink's query to a Kafka topic as JSON
// records (docs/connectors.md):
//
//   - type = 'upsert': key = JSON object of the key columns; value = JSON
//     object of the row as of the end of the batch, or a tombstone (nil
//     value) when the batch deleted the key. One record per key changed by
//     the batch, in the order of the key's first change in the batch.
//   - type = 'append': no key; value = JSON object of each inserted row, in
//     order. A retraction is an error (append sinks need append-only
//     queries).
//
// Records go to partition murmur2(key) mod n (Kafka's default partitioner)
// or, without a key, murmur2(value) mod n, carry the weir-batch header and
// the batch's commit time as timestamp, and are written with acks=all, in
// order within each partition. Deliver is deterministic: the same Batch
// produces the same records in the same partitions and order, so a
// re-delivery after a crash repeats them exactly (at-least-once delivery
// of identical records). Safe for concurrent use, though the engine
// delivers one batch at a time.
type Sink struct {
	spec   connectors.SinkSpec
	opts   sinkOptions
	client *kafkago.Client
	tr     kafkago.RoundTripper
	names  []string
	value  []int // all columns
}

var _ connectors.Sink = (*Sink)(nil)

// OpenSink opens a Kafka sink. The topic must exist.
func OpenSink(ctx context.Context, spec connectors.SinkSpec) (connectors.Sink, error) {
	return openSink(ctx, spec, newTransport())
}

func openSink(ctx context.Context, spec connectors.SinkSpec, tr kafkago.RoundTripper) (*Sink, error) {
	opts, err := parseSinkOptions(spec.Options)
	if err != nil {
		return nil, err
	}
	if opts.upsert && len(spec.Key) == 0 {
		return nil, badOption("kafka sink %s: type = 'upsert' needs a key", spec.Name).
			WithHint("Sink from a materialized view or a query with a stream key, or use type = 'append'.")
	}
	s := &Sink{spec: spec, opts: opts, tr: tr}
	s.client = &kafkago.Client{Addr: kafkago.TCP(opts.brokers...), Transport: tr, Timeout: 10 * time.Second}
	for i, c := range spec.Columns {
		s.names = append(s.names, c.Name)
		s.value = append(s.value, i)
	}
	if _, err := s.partitions(ctx); err != nil {
		s.Close()
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "kafka sink %s: %v", spec.Name, err)
	}
	return s, nil
}

func init() {
	connectors.RegisterSink("kafka", OpenSink)
}

func (s *Sink) partitions(ctx context.Context) (int, error) {
	md, err := s.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{s.opts.topic}})
	if err != nil {
		return 0, fmt.Errorf("kafka topic %q: metadata: %w", s.opts.topic, err)
	}
	if len(md.Topics) != 1 {
		return 0, fmt.Errorf("kafka topic %q: not in metadata", s.opts.topic)
	}
	if err := md.Topics[0].Error; err != nil {
		return 0, fmt.Errorf("kafka topic %q: %w", s.opts.topic, err)
	}
	if len(md.Topics[0].Partitions) == 0 {
		return 0, fmt.Errorf("kafka topic %q has no partitions", s.opts.topic)
	}
	return len(md.Topics[0].Partitions), nil
}

// sinkRecord is one record of a batch before partitioning.
type sinkRecord struct {
	key, value []byte
}

// records returns the records Deliver writes for b, in order.
func (s *Sink) records(b connectors.Batch) ([]sinkRecord, error) {
	c := b.Changes
	if c == nil || c.N == 0 {
		return nil, nil
	}
	if !s.opts.upsert {
		out := make([]sinkRecord, 0, c.N)
		for i := range c.N {
			if c.Op(i) != types.Insert {
				return nil, pgerror.New(pgerror.CodeObjectNotInPrerequisiteState,
					"kafka sink %s: type = 'append' received a retraction in batch %d", s.spec.Name, b.ID).
					WithHint("Append sinks need an append-only query, e.g. EMIT ON WINDOW CLOSE; use type = 'upsert'.")
			}
			out = append(out, sinkRecord{value: appendJSONObject(nil, s.names, c, s.value, i)})
		}
		return out, nil
	}
	// Upsert: the last change of each key decides its record.
	type state struct {
		order int
		row   int // row index of the last insert, or -1: deleted
	}
	keys := map[string]*state{}
	var order []string
	for i := range c.N {
		k := string(appendJSONObject(nil, s.names, c, s.spec.Key, i))
		st, ok := keys[k]
		if !ok {
			st = &state{order: len(order)}
			keys[k] = st
			order = append(order, k)
		}
		if c.Op(i) == types.Insert {
			st.row = i
		} else {
			st.row = -1
		}
	}
	out := make([]sinkRecord, 0, len(order))
	for _, k := range order {
		r := sinkRecord{key: []byte(k)}
		if st := keys[k]; st.row >= 0 {
			r.value = appendJSONObject(nil, s.names, c, s.value, st.row)
		}
		out = append(out, r)
	}
	return out, nil
}

// Deliver writes the records of b, waiting for acks=all from every
// partition it writes to. An error leaves some records written: the
// engine delivers the batch again, which repeats them identically.
func (s *Sink) Deliver(ctx context.Context, b connectors.Batch) error {
	recs, err := s.records(b)
	if err != nil || len(recs) == 0 {
		return err
	}
	n, err := s.partitions(ctx)
	if err != nil {
		return fmt.Errorf("kafka sink %s: %w", s.spec.Name, err)
	}
	ts := b.CommittedAt
	headers := []kafkago.Header{{Key: HeaderBatch, Value: []byte(strconv.FormatUint(b.ID, 10))}}
	byPart := map[int][]kafkago.Record{}
	for _, r := range recs {
		hk := r.key
		if hk == nil {
			hk = r.value
		}
		p := partitionFor(hk, n)
		kr := kafkago.Record{Time: ts, Headers: headers}
		if r.key != nil {
			kr.Key = kafkago.NewBytes(r.key)
		}
		if r.value != nil {
			kr.Value = kafkago.NewBytes(r.value)
		}
		byPart[p] = append(byPart[p], kr)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(byPart))
	for p, rs := range byPart {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.produce(ctx, p, rs); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("kafka sink %s: batch %d: %w", s.spec.Name, b.ID, err)
	}
	return nil
}

// produce writes rs to partition p in order, in requests of at most
// maxRecordsPerProduce records.
func (s *Sink) produce(ctx context.Context, p int, rs []kafkago.Record) error {
	for len(rs) > 0 {
		n := min(len(rs), maxRecordsPerProduce)
		resp, err := s.client.Produce(ctx, &kafkago.ProduceRequest{
			Topic:        s.opts.topic,
			Partition:    p,
			RequiredAcks: kafkago.RequireAll,
			Records:      kafkago.NewRecordReader(rs[:n]...),
		})
		if err != nil {
			return fmt.Errorf("produce to partition %d: %w", p, err)
		}
		if resp.Error != nil {
			return fmt.Errorf("produce to partition %d: %w", p, resp.Error)
		}
		for _, re := range resp.RecordErrors {
			return fmt.Errorf("produce to partition %d: %w", p, re)
		}
		rs = rs[n:]
	}
	return nil
}

// Close releases the sink's connections.
func (s *Sink) Close() error {
	if tr, ok := s.tr.(*kafkago.Transport); ok {
		tr.CloseIdleConnections()
	}
	return nil
}

// partitionFor is Kafka's default partitioner (the Java client's
// murmur2(key) & 0x7fffffff mod n), so consumers that locate keys by
// partition agree with weir.
func partitionFor(key []byte, n int) int {
	return int(murmur2(key)&0x7fffffff) % n
}

// murmur2 is the 32-bit MurmurHash2 with Kafka's seed.
func murmur2(data []byte) uint32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	h := seed ^ uint32(len(data))
	for len(data) >= 4 {
		k := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
		data = data[4:]
	}
	switch len(data) {
	case 3:
		h ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
