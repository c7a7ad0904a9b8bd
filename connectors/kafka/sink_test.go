package kafka

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/kafka/kafkatest"
	"github.com/weirdb/weir/sql/types"
)

func TestMurmur2MatchesKafka(t *testing.T) {
	// Vectors from Kafka's UtilsTest.testMurmur2.
	for in, want := range map[string]int32{
		"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536,
		"a-little-bit-longer-string": -1486304829, "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		require.Equal(t, want, int32(murmur2([]byte(in))), in)
	}
}

func TestJSONValues(t *testing.T) {
	dec := func(s string) *apd.Decimal { d, _, _ := apd.NewFromString(s); return d }
	ts := types.DaysFromCivil(2026, 1, 31)*86400*1_000_000 + 12*3600*1_000_000 + 500_000
	for _, tc := range []struct {
		t    types.T
		d    types.Datum
		want string
	}{
		{types.TBool, types.DBool(true), `true`},
		{types.TBool, types.DBool(false), `false`},
		{types.TInt8, types.NullDatum, `null`},
		{types.TInt2, types.DInt(-3), `-3`},
		{types.TInt8, types.DInt(math.MaxInt64), `9223372036854775807`},
		{types.TFloat8, types.DFloat(0.1), `0.1`},
		{types.TFloat4, types.DFloat(float64(float32(0.1))), `0.1`},
		{types.TFloat8, types.DFloat(math.NaN()), `"NaN"`},
		{types.TFloat8, types.DFloat(math.Inf(-1)), `"-Infinity"`},
		{types.TNumeric, types.DDecimal(dec("12.50")), `12.50`},
		{types.TNumeric, types.DDecimal(dec("NaN")), `"NaN"`},
		{types.TText, types.DString("a \"q\" \\ \n\t\x01 <&> é"), `"a \"q\" \\ \n\t\u0001 <&> é"`},
		{types.TVarchar, types.DString(""), `""`},
		{types.TDate, types.DInt(types.DaysFromCivil(2026, 1, 31)), `"2026-01-31"`},
		{types.TTimestamp, types.DInt(ts), `"2026-01-31T12:00:00.5"`},
		{types.TTimestampTZ, types.DInt(ts), `"2026-01-31T12:00:00.5+00:00"`},
		{types.TInterval, types.DInterval(types.IntervalValue{Days: 1, Micros: 7200_000_000}), `"1 day 02:00:00"`},
		{types.TBytea, types.DString("\x01\x02"), `"\\x0102"`},
		{types.TJSONB, types.DString(`{"a": [1, null]}`), `{"a": [1, null]}`},
	} {
		v := types.NewVec(tc.t, 1)
		v.Append(tc.d)
		require.Equal(t, tc.want, string(appendJSONValue(nil, v, 0)), "%s", tc.t)
	}
}

func sinkCols() []connectors.Column {
	return []connectors.Column{{Name: "id", T: types.TInt8}, {Name: "region", T: types.TText}, {Name: "n", T: types.TInt8}}
}

// changes builds a chunk of (op, id, region, n) rows.
func changes(rows ...[4]any) *types.Chunk {
	c := types.NewChunk([]types.T{types.TInt8, types.TText, types.TInt8}, len(rows))
	c.Ops = []types.Op{}
	for _, r := range rows {
		c.AppendRow([]types.Datum{types.DInt(int64(r[1].(int))), types.DString(r[2].(string)), types.DInt(int64(r[3].(int)))})
		c.Ops[len(c.Ops)-1] = types.Op(r[0].(int))
	}
	return c
}

func openTestSink(t *testing.T, b *kafkatest.Broker, typ string, key []int) *Sink {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := openSink(ctx, connectors.SinkSpec{Name: "out", Columns: sinkCols(), Key: key,
		Options: map[string]string{"connector": "kafka", "topic": "out", "brokers": b.Addr(), "type": typ, "format": "json"}},
		b.Transport())
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

type got struct {
	Partition   int
	Key, Value  string
	Batch       string
	Tombstone   bool
	UnixMilliTS int64
}

func consumeSink(t *testing.T, b *kafkatest.Broker) []got {
	var out []got
	for _, r := range b.Consume("out") {
		g := got{Partition: r.Partition, Key: string(r.Key), Value: string(r.Value), Tombstone: r.Value == nil,
			UnixMilliTS: r.Time.UnixMilli()}
		for _, h := range r.Headers {
			if h.Key == HeaderBatch {
				g.Batch = string(h.Value)
			}
		}
		out = append(out, g)
	}
	return out
}

func TestSinkUpsert(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("out", 3)
	s := openTestSink(t, b, "upsert", []int{0, 1})
	at := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	batch := connectors.Batch{ID: 7, CommittedAt: at, Changes: changes(
		[4]any{1, 1, "eu", 10}, // k(1,eu): inserted
		[4]any{1, 2, "us", 20}, // k(2,us): inserted, then deleted
		[4]any{-1, 1, "eu", 10},
		[4]any{1, 1, "eu", 11}, // k(1,eu): updated to 11
		[4]any{-1, 2, "us", 20},
		[4]any{1, 3, "eu", 30},
	)}
	ctx := testCtx(t)
	require.NoError(t, s.Deliver(ctx, batch))
	first := consumeSink(t, b)
	byKey := map[string]got{}
	for _, g := range first {
		require.Equal(t, "7", g.Batch)
		require.Equal(t, at.UnixMilli(), g.UnixMilliTS)
		require.Equal(t, partitionFor([]byte(g.Key), 3), g.Partition)
		byKey[g.Key] = g
	}
	require.Len(t, first, 3)
	require.Equal(t, `{"id":1,"region":"eu","n":11}`, byKey[`{"id":1,"region":"eu"}`].Value)
	require.True(t, byKey[`{"id":2,"region":"us"}`].Tombstone)
	require.Equal(t, `{"id":3,"region":"eu","n":30}`, byKey[`{"id":3,"region":"eu"}`].Value)

	// A re-delivery (after a crash before the outbox entry was deleted)
	// repeats the same records in the same partitions and order.
	require.NoError(t, s.Deliver(ctx, batch))
	second := consumeSink(t, b)
	require.Len(t, second, 6)
	var again []got
	for p := range 3 {
		var recs []got
		for _, g := range second {
			if g.Partition == p {
				recs = append(recs, g)
			}
		}
		half := len(recs) / 2
		require.Equal(t, recs[:half], recs[half:], "partition %d", p)
		again = append(again, recs[half:]...)
	}
	require.ElementsMatch(t, first, again)

	// An empty batch writes nothing.
	require.NoError(t, s.Deliver(ctx, connectors.Batch{ID: 8, Changes: changes()}))
	require.Len(t, consumeSink(t, b), 6)
}

func TestSinkAppend(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("out", 1)
	s := openTestSink(t, b, "append", nil)
	ctx := testCtx(t)
	require.NoError(t, s.Deliver(ctx, connectors.Batch{ID: 1, Changes: changes([4]any{1, 1, "eu", 1}, [4]any{1, 1, "eu", 1}, [4]any{1, 2, "us", 2})}))
	var vals []string
	for _, g := range consumeSink(t, b) {
		require.Empty(t, g.Key)
		require.Equal(t, "1", g.Batch)
		vals = append(vals, g.Value)
	}
	require.Equal(t, []string{`{"id":1,"region":"eu","n":1}`, `{"id":1,"region":"eu","n":1}`, `{"id":2,"region":"us","n":2}`}, vals)

	err := s.Deliver(ctx, connectors.Batch{ID: 2, Changes: changes([4]any{-1, 1, "eu", 1})})
	require.ErrorContains(t, err, "type = 'append' received a retraction in batch 2")
	require.Len(t, consumeSink(t, b), 3, "a batch with a retraction writes nothing")
}

func TestSinkBrokerDown(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("out", 2)
	s := openTestSink(t, b, "upsert", []int{0})
	batch := func(id uint64) connectors.Batch {
		return connectors.Batch{ID: id, Changes: changes([4]any{1, int(id), "eu", 1})}
	}
	require.NoError(t, s.Deliver(testCtx(t), batch(1)))
	b.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	require.Error(t, s.Deliver(ctx, batch(2)))
	cancel()
	b.Restart()
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return s.Deliver(ctx, batch(2)) == nil
	}, 20*time.Second, 100*time.Millisecond)
	var batches []string
	for _, g := range consumeSink(t, b) {
		batches = append(batches, g.Batch)
	}
	require.ElementsMatch(t, []string{"1", "2"}, batches)
}

func TestOpenSinkErrors(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("out", 1)
	for _, tc := range []struct {
		opts map[string]string
		key  []int
		err  string
	}{
		{map[string]string{"topic": "out", "brokers": b.Addr()}, []int{0}, `option "type" is required`},
		{map[string]string{"topic": "out", "brokers": b.Addr(), "type": "upsert"}, nil, `type = 'upsert' needs a key`},
		{map[string]string{"topic": "out", "brokers": b.Addr(), "type": "append", "format": "csv"}, nil, `invalid value for option "format"`},
		{map[string]string{"topic": "nope", "brokers": b.Addr(), "type": "append"}, nil, `kafka topic "nope"`},
	} {
		tc.opts["connector"] = "kafka"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := openSink(ctx, connectors.SinkSpec{Name: "s", Columns: sinkCols(), Key: tc.key, Options: tc.opts}, b.Transport())
		cancel()
		require.ErrorContains(t, err, tc.err)
		require.Equal(t, "22023", pgerrorCode(err))
	}
}
