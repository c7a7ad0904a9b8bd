package main

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors/kafka/kafkatest"
)

// kafkaIngestRecords is the size of the topic BenchmarkKafkaSourceIngest
// reads: Nexmark-like JSON bids over kafkaIngestPartitions partitions.
const (
	kafkaIngestRecords    = 200_000
	kafkaIngestPartitions = 2
)

// BenchmarkKafkaSourceIngest measures how fast a Kafka source feeds a
// continuous query (BENCH.md "Other figures worth keeping": Kafka source
// rows/s). A topic is preloaded once in the in-process broker (kfake,
// untimed); each iteration creates a new source over it (startup =
// earliest) and an MV counting and summing it, and FLUSHes: fetch, JSON
// decoding and the MV's batches are inside the time. The MV is checked.
//
//	go test -run='^$' -bench=KafkaSourceIngest -benchtime=3x ./cmd/weir
func BenchmarkKafkaSourceIngest(b *testing.B) {
	broker := kafkatest.Start(b)
	broker.CreateTopic("bids", kafkaIngestPartitions)
	var sum int64
	for p := range kafkaIngestPartitions {
		recs := make([]kafkatest.Record, 0, kafkaIngestRecords/kafkaIngestPartitions)
		for i := p; i < kafkaIngestRecords; i += kafkaIngestPartitions {
			var bid nexmarkBid
			nexmarkBids(int64(i), 1, func(x nexmarkBid) { bid = x })
			sum += bid.price
			recs = append(recs, kafkatest.Record{Partition: p, Value: []byte(fmt.Sprintf(
				`{"auction": %d, "bidder": %d, "price": %d, "date_time": "%s"}`,
				bid.auction, bid.bidder, bid.price, bid.dateTime.Format("2006-01-02 15:04:05.000000")))})
		}
		broker.Produce("bids", recs...)
	}
	tg, err := startWeirInProcess()
	require.NoError(b, err)
	defer tg.stop()
	ctx := context.Background()
	c, err := connect(ctx, tg.url)
	require.NoError(b, err)
	defer c.Close(ctx)
	b.ResetTimer()
	for i := range b.N {
		src, mv := "k"+strconv.Itoa(i), "k"+strconv.Itoa(i)+"_n"
		require.NoError(b, execSQL(ctx, c, fmt.Sprintf(`CREATE SOURCE %s (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP)
WITH (connector = 'kafka', topic = 'bids', brokers = '%s', format = 'json')`, src, broker.Addr())))
		require.NoError(b, execSQL(ctx, c, "CREATE MATERIALIZED VIEW "+mv+" AS SELECT count(*) AS n, sum(price) AS total FROM "+src))
		require.NoError(b, execSQL(ctx, c, "FLUSH"))
		b.StopTimer()
		n, err := queryInt(ctx, c, "SELECT n FROM "+mv)
		require.NoError(b, err)
		require.EqualValues(b, kafkaIngestRecords, n)
		total, err := queryInt(ctx, c, "SELECT total FROM "+mv)
		require.NoError(b, err)
		require.Equal(b, sum, total)
		require.NoError(b, execSQL(ctx, c, "DROP SOURCE "+src+" CASCADE"))
		b.StartTimer()
	}
	b.ReportMetric(float64(kafkaIngestRecords)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
