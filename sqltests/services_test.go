package sqltests

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors/kafka/kafkatest"
	"github.com/weirdb/weir/sqltests/pgoracle"
)

// The services of TestSLT's file runs: an in-process kfake broker per file
// (kafkatest) and a fresh database per file on one private PostgreSQL
// server per test binary (pgoracle).

// kafkaBroker adapts kafkatest (which fails the test on error) to
// KafkaBroker.
type kafkaBroker struct{ b *kafkatest.Broker }

func (k kafkaBroker) Addr() string { return k.b.Addr() }

func (k kafkaBroker) CreateTopic(topic string, partitions int) error {
	k.b.CreateTopic(topic, partitions)
	return nil
}

func (k kafkaBroker) Produce(topic string, recs []KafkaRecord) error {
	out := make([]kafkatest.Record, len(recs))
	for i, r := range recs {
		out[i] = kafkatest.Record{Partition: r.Partition, Key: r.Key, Value: r.Value}
		if r.Batch != nil {
			out[i].Headers = []kafkatest.Header{{Key: "weir-batch", Value: r.Batch}}
		}
	}
	k.b.Produce(topic, out...)
	return nil
}

func (k kafkaBroker) Consume(topic string) ([]KafkaRecord, error) {
	var out []KafkaRecord
	for _, r := range k.b.Consume(topic) {
		kr := KafkaRecord{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value}
		for _, h := range r.Headers {
			if h.Key == "weir-batch" {
				kr.Batch = h.Value
			}
		}
		out = append(out, kr)
	}
	return out, nil
}

// stopTargetFirst makes a weir target stop before the services started so
// far. Services start on demand, after the target, so their cleanups would
// run first; a server is stopped before the systems it talks to instead
// (a graceful stop drains sinks into them, and a call to a stopped broker
// waits for its timeout).
func stopTargetFirst(t *testing.T, target Target) {
	w, ok := target.(*weirTarget)
	if !ok {
		return
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.stop(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

// startKafka returns Options.Kafka for t's file run against target.
func startKafka(t *testing.T, target Target) func() (KafkaBroker, error) {
	return func() (KafkaBroker, error) {
		b := kafkatest.Start(t)
		stopTargetFirst(t, target)
		return kafkaBroker{b}, nil
	}
}

var pgFileSeq atomic.Int64

// startPostgres returns Options.Postgres for t's file run: a new database
// on base (a server URL; "" starts a private server for t).
func startPostgres(t *testing.T, target Target, base string) func() (string, error) {
	return func() (string, error) {
		if base == "" {
			base = pgoracle.Start(t)
		}
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			return "", err
		}
		name := fmt.Sprintf("slt_sink_%d_%d", os.Getpid(), pgFileSeq.Add(1))
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			_ = admin.Close(ctx)
			return "", err
		}
		t.Cleanup(func() {
			_, _ = admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
			_ = admin.Close(ctx)
		})
		stopTargetFirst(t, target)
		u, err := url.Parse(base)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
}

func TestParseKafka(t *testing.T) {
	const text = `kafka topic bids partitions 3

kafka produce bids partition 2 key k1
{"a": 1}
NULL

kafka consume out rowsort timeout 2s
----
{"k":1} {"k":1,"n":2} 7
`
	f, err := parse("t.slt", text)
	require.NoError(t, err)
	require.Len(t, f.records, 3)
	require.Equal(t, &kafkaCmd{op: "topic", topic: "bids", partitions: 3, timeout: 10 * time.Second}, f.records[0].kafka)
	require.Equal(t, &kafkaCmd{op: "produce", topic: "bids", partitions: 1, partition: 2, key: []byte("k1"),
		values: []string{`{"a": 1}`, "NULL"}, timeout: 10 * time.Second}, f.records[1].kafka)
	c := f.records[2]
	require.Equal(t, &kafkaCmd{op: "consume", topic: "out", partitions: 1, timeout: 2 * time.Second, sort: true}, c.kafka)
	require.Equal(t, []string{`{"k":1} {"k":1,"n":2} 7`}, c.expected)
	require.Equal(t, 8, c.resultFrom)
	require.Equal(t, 9, c.resultTo)

	for _, bad := range []string{
		"kafka topic",
		"kafka topic t partitions 0",
		"kafka topic t partitions",
		"kafka produce t",
		"kafka produce t partition x\nv",
		"kafka consume t sideways",
		"kafka consume t\nrecords without separator",
		"kafka delete t",
	} {
		_, err := parse("t.slt", bad+"\n")
		require.Error(t, err, bad)
	}
}

func TestDropRepeats(t *testing.T) {
	rec := func(p int, key, value, batch string) KafkaRecord {
		r := KafkaRecord{Partition: p, Value: []byte(value)}
		if key != "" {
			r.Key = []byte(key)
		}
		if batch != "" {
			r.Batch = []byte(batch)
		}
		return r
	}
	for _, tc := range []struct {
		name     string
		in, want []KafkaRecord
	}{
		{
			name: "keyed: a re-delivered batch is dropped, a later batch of the same key kept",
			in: []KafkaRecord{rec(0, "a", "1", "1"), rec(0, "b", "1", "1"), rec(0, "a", "1", "1"), rec(0, "b", "1", "1"),
				rec(0, "a", "2", "2")},
			want: []KafkaRecord{rec(0, "a", "1", "1"), rec(0, "b", "1", "1"), rec(0, "a", "2", "2")},
		},
		{
			name: "keyed: a cut-short delivery and its repeat give the whole batch",
			in:   []KafkaRecord{rec(0, "a", "1", "3"), rec(0, "a", "1", "3"), rec(0, "b", "1", "3")},
			want: []KafkaRecord{rec(0, "a", "1", "3"), rec(0, "b", "1", "3")},
		},
		{
			name: "keyed: the same key and batch in two partitions are not repeats",
			in:   []KafkaRecord{rec(0, "a", "1", "1"), rec(1, "a", "1", "1")},
			want: []KafkaRecord{rec(0, "a", "1", "1"), rec(1, "a", "1", "1")},
		},
		{
			name: "unkeyed: equal rows of one batch stay; the longest run of a batch is kept",
			in: []KafkaRecord{rec(0, "", "x", "1"), rec(0, "", "x", "1"), rec(0, "", "y", "2"),
				rec(0, "", "x", "1"), rec(0, "", "x", "1"), rec(0, "", "y", "2"), rec(0, "", "z", "2")},
			want: []KafkaRecord{rec(0, "", "x", "1"), rec(0, "", "x", "1"), rec(0, "", "y", "2"), rec(0, "", "z", "2")},
		},
		{
			name: "records without weir-batch are all kept",
			in:   []KafkaRecord{rec(0, "", "x", ""), rec(0, "", "x", ""), rec(0, "k", "x", ""), rec(0, "k", "x", "")},
			want: []KafkaRecord{rec(0, "", "x", ""), rec(0, "", "x", ""), rec(0, "k", "x", ""), rec(0, "k", "x", "")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, DropRepeats(tc.in))
		})
	}
	require.Equal(t, []string{"a 1 7", "NULL NULL NULL"},
		KafkaLines([]KafkaRecord{{Key: []byte("a"), Value: []byte("1"), Batch: []byte("7")}, {}}))
}
