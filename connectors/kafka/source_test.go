package kafka

import (
	"context"
	"fmt"
	kafkago "github.com/segmentio/kafka-go"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/kafka/kafkatest"
	"github.com/weirdb/weir/sql/types"
)

// testSource opens a source over broker b with its own transport.
type testSource struct {
	*Source
	mu  sync.Mutex
	bad []connectors.BadRecord
}

func openTestSource(t *testing.T, b *kafkatest.Broker, cols string, opts ...string) *testSource {
	t.Helper()
	ts := &testSource{}
	options := map[string]string{"connector": "kafka", "topic": "t", "brokers": b.Addr(), "format": "json"}
	for _, kv := range opts {
		k, v, _ := strings.Cut(kv, "=")
		options[k] = v
	}
	spec := connectors.SourceSpec{Name: "src", Columns: parseColumns(t, cols), Options: options,
		BadRecord: func(br connectors.BadRecord) {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			ts.bad = append(ts.bad, br)
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := openSource(ctx, spec, b.Transport())
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ts.Source = s
	return ts
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// read returns the rows of [from, to) of partition p as text.
func (s *testSource) read(t *testing.T, p int, from, to uint64) []string {
	t.Helper()
	rows, err := s.tryRead(testCtx(t), p, from, to)
	require.NoError(t, err)
	return rows
}

func (s *testSource) tryRead(ctx context.Context, p int, from, to uint64) ([]string, error) {
	rr, err := s.Read(ctx, p, from, to)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	var out []string
	for {
		c, err := rr.Next(ctx)
		if err != nil {
			return out, err
		}
		if c == nil {
			return out, nil
		}
		for i := range c.N {
			out = append(out, formatRow(s.spec.Columns, c.Row(i)))
		}
	}
}

func (s *testSource) end(t *testing.T, p int) uint64 {
	t.Helper()
	e, err := s.End(testCtx(t), p)
	require.NoError(t, err)
	return e
}

func jsonRows(partition int, from, n int) []kafkatest.Record {
	out := make([]kafkatest.Record, n)
	for i := range n {
		out[i] = kafkatest.Record{Partition: partition, Key: []byte(fmt.Sprintf("k%d", from+i)),
			Value: []byte(fmt.Sprintf(`{"id": %d, "name": "n%d"}`, from+i, from+i))}
	}
	return out
}

const idName = "id bigint not null\nname text\n_partition int\n_offset bigint\n_key text"

func TestSourceReadRanges(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("t", 2)
	b.Produce("t", append(jsonRows(0, 0, 5), jsonRows(1, 100, 2)...)...)
	s := openTestSource(t, b, idName)

	n, err := s.Partitions(testCtx(t))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.False(t, s.Dense())
	require.Equal(t, uint64(5), s.end(t, 0))
	require.Equal(t, uint64(2), s.end(t, 1))

	all := s.read(t, 0, 0, 5)
	require.Equal(t, []string{
		"0 | n0 | 0 | 0 | k0", "1 | n1 | 0 | 1 | k1", "2 | n2 | 0 | 2 | k2",
		"3 | n3 | 0 | 3 | k3", "4 | n4 | 0 | 4 | k4",
	}, all)
	require.Equal(t, []string{"100 | n100 | 1 | 0 | k100", "101 | n101 | 1 | 1 | k101"}, s.read(t, 1, 0, 2))
	// Exactly the range, and the same rows every time.
	for _, r := range [][2]uint64{{0, 0}, {1, 3}, {4, 5}, {2, 5}} {
		want := all[r[0]:r[1]]
		if len(want) == 0 {
			want = nil
		}
		require.Equal(t, want, s.read(t, 0, r[0], r[1]), "range %v", r)
		require.Equal(t, want, s.read(t, 0, r[0], r[1]), "replay of %v", r)
	}
}

// A topic written by transactional producers: kcat (librdkafka) leaves a
// transaction open, which End must not pass, and the transaction is then
// aborted by the next producer with the same transactional id; kgo writes
// an aborted and a committed transaction between plain records. Only the
// committed rows come out, in offset order, whatever the range split.
func TestSourceTransactions(t *testing.T) {
	kafkatest.KcatPath(t)
	b := kafkatest.Start(t)
	b.CreateTopic("t", 1)
	s := openTestSource(t, b, "id bigint not null\n_offset bigint")

	b.Produce("t", kafkatest.Values(0, `{"id": 1}`, `{"id": 2}`)...)
	open := b.StartKcatTxn("kcat", "t", 0)
	open.Write(`a:{"id": 100}`, `b:{"id": 101}`)
	open.Flush()
	// The open transaction starts at offset 2: End stops there although
	// the log holds more.
	require.Equal(t, uint64(2), s.end(t, 0))
	require.Greater(t, b.EndOffsets("t", false)[0], int64(4))
	require.Equal(t, []string{"1 | 0", "2 | 1"}, s.read(t, 0, 0, s.end(t, 0)))
	open.Interrupt()
	require.Equal(t, uint64(2), s.end(t, 0))

	// The same transactional id aborts the open transaction, then commits.
	committed := b.StartKcatTxn("kcat", "t", 0)
	committed.Write(`c:{"id": 3}`, `d:{"id": 4}`)
	committed.Commit()
	b.ProduceTxn("kgo", "t", false, kafkatest.Values(0, `{"id": 200}`, `{"id": 201}`)...)
	b.Produce("t", kafkatest.Values(0, `{"id": 5}`)...)
	b.ProduceTxn("kgo", "t", true, kafkatest.Values(0, `{"id": 6}`)...)

	end := s.end(t, 0)
	require.Equal(t, uint64(b.EndOffsets("t", false)[0]), end, "no open transaction: End is the high watermark")
	var ids []string
	for _, row := range s.read(t, 0, 0, end) {
		id, _, _ := strings.Cut(row, " | ")
		ids = append(ids, id)
	}
	require.Equal(t, []string{"1", "2", "3", "4", "5", "6"}, ids)
	require.Empty(t, s.bad, "control records and aborted records are not bad records")

	// Any split of the range yields the same rows.
	whole := s.read(t, 0, 0, end)
	for step := uint64(1); step <= 4; step++ {
		var got []string
		for from := uint64(0); from < end; from += step {
			got = append(got, s.read(t, 0, from, min(from+step, end))...)
		}
		require.Equal(t, whole, got, "step %d", step)
	}
	// The consumer of another client library agrees.
	var kgoIDs []string
	for _, r := range b.Consume("t") {
		kgoIDs = append(kgoIDs, strings.TrimSuffix(strings.TrimPrefix(string(r.Value), `{"id": `), "}"))
	}
	require.Equal(t, ids, kgoIDs)
}

func TestSourcePartitionsAdded(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("t", 1)
	b.Produce("t", jsonRows(0, 0, 3)...)
	s := openTestSource(t, b, idName)
	require.Equal(t, []string{"0 | n0 | 0 | 0 | k0"}, s.read(t, 0, 0, 1))

	b.AddPartitions("t", 3)
	b.Produce("t", append(jsonRows(2, 20, 2), jsonRows(0, 3, 1)...)...)
	require.Eventually(t, func() bool {
		n, err := s.Partitions(testCtx(t))
		return err == nil && n == 3
	}, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, uint64(0), s.end(t, 1))
	require.Equal(t, uint64(2), s.end(t, 2))
	require.Equal(t, []string{"20 | n20 | 2 | 0 | k20", "21 | n21 | 2 | 1 | k21"}, s.read(t, 2, 0, 2))
	require.Nil(t, s.read(t, 1, 0, 0))
	// The reading of partition 0 continues where it was.
	require.Equal(t, []string{"1 | n1 | 0 | 1 | k1", "2 | n2 | 0 | 2 | k2", "3 | n3 | 0 | 3 | k3"}, s.read(t, 0, 1, 4))
}

func TestSourceBrokerDown(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("t", 1)
	b.Produce("t", jsonRows(0, 0, 2)...)
	s := openTestSource(t, b, idName)
	require.Len(t, s.read(t, 0, 0, 2), 2)

	b.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	_, err := s.End(ctx, 0)
	cancel()
	require.Error(t, err)
	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
	_, err = s.tryRead(ctx, 0, 0, 2)
	cancel()
	require.Error(t, err)

	b.Restart()
	b.Produce("t", jsonRows(0, 2, 2)...)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		e, err := s.End(ctx, 0)
		return err == nil && e == 4
	}, 20*time.Second, 100*time.Millisecond)
	require.Equal(t, []string{"2 | n2 | 0 | 2 | k2", "3 | n3 | 0 | 3 | k3"}, s.read(t, 0, 2, 4))
	require.Len(t, s.read(t, 0, 0, 4), 4)
}

// badCorpus holds malformed values for a source of idName columns, in
// JSON and CSV; each yields a bad record, never a row or a failure.
var badCorpus = map[string][]string{
	"json": {`{"id": 1`, `not json`, `[1]`, `{"id": "x"}`, `{"name": "no id"}`, `{"id": 1.5}`, "\xff\xfe{}", ``, `{"id": 1} trailing`},
	"csv":  {`"1,x`, `1,x,extra`, `x,y`, `,no id`, `1,a"b`, "\xff,x", ``},
}

func TestSourceBadRecords(t *testing.T) {
	for format, corpus := range badCorpus {
		t.Run(format, func(t *testing.T) {
			b := kafkatest.Start(t)
			b.CreateTopic("t", 1)
			good := `{"id": 7, "name": "ok"}`
			if format == "csv" {
				good = `7,ok`
			}
			values := append([]string{good}, corpus...)
			values = append(values, good)
			b.Produce("t", kafkatest.Values(0, values...)...)
			b.Produce("t", kafkatest.Record{Partition: 0, Value: nil}) // a tombstone
			n := uint64(len(values) + 1)

			s := openTestSource(t, b, "id bigint not null\nname text", "format="+format)
			require.Equal(t, []string{"7 | ok", "7 | ok"}, s.read(t, 0, 0, n))
			require.Len(t, s.bad, len(corpus)+1)
			for i, br := range s.bad[:len(corpus)] {
				require.Equal(t, 0, br.Partition)
				require.Equal(t, uint64(i+1), br.Offset)
				require.Equal(t, corpus[i], string(br.Raw))
				require.Error(t, br.Err)
			}
			require.Nil(t, s.bad[len(corpus)].Raw)

			failing := openTestSource(t, b, "id bigint not null\nname text", "format="+format, "bad_records=fail")
			rows, err := failing.tryRead(testCtx(t), 0, 0, n)
			require.ErrorContains(t, err, "bad record at partition 0 offset 1")
			require.Empty(t, rows)
			require.Empty(t, failing.bad)
		})
	}
}

func TestOpenSourceErrors(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("t", 1)
	cols := []connectors.Column{{Name: "id", T: types.TInt8}}
	for _, tc := range []struct {
		opts map[string]string
		err  string
	}{
		{map[string]string{"brokers": b.Addr()}, `option "topic" is required`},
		{map[string]string{"topic": "t"}, `option "brokers" is required`},
		{map[string]string{"topic": "t", "brokers": b.Addr(), "format": "avro"}, `invalid value for option "format"`},
		{map[string]string{"topic": "t", "brokers": b.Addr(), "startup": "now"}, `invalid value for option "startup"`},
		{map[string]string{"topic": "t", "brokers": b.Addr(), "bad_records": "ignore"}, `invalid value for option "bad_records"`},
		{map[string]string{"topic": "t", "brokers": b.Addr(), "max_rows_per_batch": "0"}, `invalid value for option "max_rows_per_batch"`},
		{map[string]string{"topic": "t", "brokers": b.Addr(), "topc": "x"}, `unrecognized kafka source option "topc"`},
		{map[string]string{"topic": "missing", "brokers": b.Addr()}, `kafka source s: kafka topic "missing"`},
	} {
		tc.opts["connector"] = "kafka"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := openSource(ctx, connectors.SourceSpec{Name: "s", Columns: cols, Options: tc.opts}, b.Transport())
		cancel()
		require.ErrorContains(t, err, tc.err)
		require.Equal(t, "22023", pgerrorCode(err), "%v", err)
	}
}

// With group_id, the start of each read range is committed to the consumer
// group (for lag tools), never moving back; weir does not read it.
func TestSourceGroupOffsets(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("t", 2)
	b.Produce("t", jsonRows(0, 0, 5)...)
	s := openTestSource(t, b, idName, "group_id=lag")
	s.read(t, 0, 3, 5)
	s.read(t, 0, 0, 2) // an ad-hoc read from the start does not move it back
	s.read(t, 1, 0, 0)
	require.NoError(t, s.Close()) // flushes pending commits

	client := &kafkago.Client{Addr: kafkago.TCP(b.Addr()), Transport: b.Transport()}
	resp, err := client.OffsetFetch(testCtx(t), &kafkago.OffsetFetchRequest{GroupID: "lag",
		Topics: map[string][]int{"t": {0, 1}}})
	require.NoError(t, err)
	got := map[int]int64{}
	for _, p := range resp.Topics["t"] {
		require.NoError(t, p.Error)
		got[p.Partition] = p.CommittedOffset
	}
	require.Equal(t, map[int]int64{0: 3, 1: 0}, got)
}
