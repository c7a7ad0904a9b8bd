package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors/kafka/kafkatest"
	"github.com/weirdb/weir/sqltests"
)

// Kafka end to end with the real binary (issue 5): a Kafka source feeding
// MVs and a Kafka upsert sink, under SIGKILLs and under a broker outage.
// The broker is kafkatest's in-process kfake broker of the test process.

// kafkaCrashDefaultKills is the number of SIGKILLs of TestKafkaCrash under
// `make test`; `make crash-test` raises it (WEIR_KAFKA_CRASH_KILLS).
const kafkaCrashDefaultKills = 6

// kafkaEvents returns input records [from, to): JSON events with a key k of
// 40, a value and an event time 10 ms apart, spread over partitions by
// number.
func kafkaEvents(from, to, partitions int) []kafkatest.Record {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]kafkatest.Record, 0, to-from)
	for i := from; i < to; i++ {
		ts := base.Add(time.Duration(i) * 10 * time.Millisecond)
		out = append(out, kafkatest.Record{Partition: i % partitions,
			Value: fmt.Appendf(nil, `{"k": %d, "v": %d, "ts": "%s"}`, i%40, i, ts.Format("2006-01-02 15:04:05.000"))})
	}
	return out
}

// kafkaPipeline creates the source, the MVs and the upsert sink into topic
// out.
func kafkaPipeline(t *testing.T, ctx context.Context, conn *pgx.Conn, brokers, out string, tail *logTail) {
	t.Helper()
	for _, sql := range []string{
		fmt.Sprintf(`CREATE SOURCE ev (k BIGINT, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH (connector = 'kafka', topic = 'ev', brokers = '%s', format = 'json', max_rows_per_batch = '700')`, brokers),
		"CREATE MATERIALIZED VIEW per_k AS SELECT k, count(*) AS n, sum(v) AS s FROM ev GROUP BY k",
		`CREATE MATERIALIZED VIEW per_window AS SELECT k, window_start, window_end, count(*) AS n, max(v) AS top
FROM TUMBLE(ev, ts, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end`,
		fmt.Sprintf("CREATE SINK per_k_out FROM per_k WITH (connector = 'kafka', topic = '%s', brokers = '%s', type = 'upsert')", out, brokers),
	} {
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, "%s; log:\n%s", sql, tail)
	}
}

// kafkaResults reads both MVs.
func kafkaResults(t *testing.T, ctx context.Context, conn *pgx.Conn) (perK, perWindow []string) {
	return queryLines(t, ctx, conn, "SELECT k, n, s FROM per_k ORDER BY k"),
		queryLines(t, ctx, conn, "SELECT k, window_start, n, top FROM per_window ORDER BY k, window_start")
}

// upsertState consumes an upsert topic and checks it as a consumer would
// see it: after dropping repeats (sqltests.DropRepeats), every key's
// records carry increasing weir-batch ids (a re-delivery never goes back
// in time); it returns the last value of every key, sorted, tombstoned
// keys left out, and how many repeats it dropped.
func upsertState(t *testing.T, broker *kafkatest.Broker, topic string) ([]string, int) {
	t.Helper()
	var recs []sqltests.KafkaRecord
	for _, r := range broker.Consume(topic) {
		kr := sqltests.KafkaRecord{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value}
		for _, h := range r.Headers {
			if h.Key == "weir-batch" {
				kr.Batch = h.Value
			}
		}
		require.NotNil(t, kr.Batch, "record without weir-batch: %s", r.Value)
		recs = append(recs, kr)
	}
	last := map[string]string{}
	lastBatch := map[string]int64{}
	kept := sqltests.DropRepeats(recs)
	for _, r := range kept {
		var b int64
		_, err := fmt.Sscan(string(r.Batch), &b)
		require.NoError(t, err)
		k := string(r.Key)
		require.Greater(t, b, lastBatch[k], "key %s: batch %d after batch %d", k, b, lastBatch[k])
		lastBatch[k] = b
		if r.Value == nil {
			delete(last, k)
		} else {
			last[k] = string(r.Value)
		}
	}
	out := make([]string, 0, len(last))
	for _, v := range last {
		out = append(out, v)
	}
	return sortedCopy(out), len(recs) - len(kept)
}

func sortedCopy(xs []string) []string { return slices.Sorted(slices.Values(xs)) }

// mvAsJSON renders per_k's rows as the sink's JSON values.
func mvAsJSON(t *testing.T, ctx context.Context, conn *pgx.Conn) []string {
	var out []string
	for _, line := range queryLines(t, ctx, conn, "SELECT k, n, s FROM per_k") {
		f := strings.Split(line, "|")
		require.Len(t, f, 3, line)
		out = append(out, fmt.Sprintf(`{"k":%s,"n":%s,"s":%s}`, f[0], f[1], f[2]))
	}
	return sortedCopy(out)
}

// waitUpsert waits until the sink topic's state equals want.
func waitUpsert(t *testing.T, broker *kafkatest.Broker, topic string, want []string) []string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		got, repeats := upsertState(t, broker, topic)
		if diffLines(want, got) == "" || time.Now().After(deadline) {
			t.Logf("topic %s: %d repeated records dropped", topic, repeats)
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestKafkaCrash: input produced to a 3-partition topic in steps while weir
// is SIGKILLed at random instants; the MVs over the Kafka source then equal
// those of an uninterrupted run over the same topic (and the input), and
// the upsert sink's topic, after dropping repeats of the same (key,
// weir-batch), holds per key the same final row as the uninterrupted run's
// topic and the MV.
func TestKafkaCrash(t *testing.T) {
	bin := buildWeir(t)
	kills := envInt(t, "WEIR_KAFKA_CRASH_KILLS", kafkaCrashDefaultKills)
	seed := crashSeed(t)
	t.Logf("seed %d (rerun with WEIR_CRASH_SEED=%d), %d kills", seed, seed, kills)
	rng := rand.New(rand.NewPCG(seed, 0x6b61))
	const partitions, perStep = 3, 1500
	broker := kafkatest.Start(t)
	broker.CreateTopic("ev", partitions)
	broker.CreateTopic("out_killed", 2)
	broker.CreateTopic("out_calm", 2)
	env := []string{"WEIR_TRIGGER_INTERVAL=20ms"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	dataDir := t.TempDir()
	cmd, addr, tail := startServe(t, bin, dataDir, env...)
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	kafkaPipeline(t, ctx, conn, broker.Addr(), "out_killed", tail)
	require.NoError(t, conn.Close(ctx))

	produced := 0
	for kill := range kills {
		broker.Produce("ev", kafkaEvents(produced, produced+perStep, partitions)...)
		produced += perStep
		time.Sleep(time.Duration(10+rng.IntN(300)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		cmd, addr, tail = startServe(t, bin, dataDir, env...)
		t.Logf("kill %d after %d records", kill+1, produced)
	}
	conn, err = pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	defer conn.Close(ctx)
	flush(t, ctx, conn, tail)
	killedK, killedW := kafkaResults(t, ctx, conn)
	killedJSON := mvAsJSON(t, ctx, conn)

	// The input itself: every record counted once.
	var n, s int64
	require.NoError(t, conn.QueryRow(ctx, "SELECT sum(n), sum(s) FROM per_k").Scan(&n, &s))
	require.EqualValues(t, produced, n, "records counted; log:\n%s", tail)
	require.EqualValues(t, int64(produced)*int64(produced-1)/2, s, "sum of v")

	// The uninterrupted run over the same topic.
	calmCmd, calmAddr, calmTail := startServe(t, bin, t.TempDir(), env...)
	calm, err := pgx.Connect(ctx, connURL(calmAddr))
	require.NoError(t, err, "log:\n%s", calmTail)
	defer calm.Close(ctx)
	kafkaPipeline(t, ctx, calm, broker.Addr(), "out_calm", calmTail)
	flush(t, ctx, calm, calmTail)
	calmK, calmW := kafkaResults(t, ctx, calm)
	require.Empty(t, diffLines(calmK, killedK), "per_k differs from the uninterrupted run")
	require.Empty(t, diffLines(calmW, killedW), "per_window differs from the uninterrupted run")

	calmOut := waitUpsert(t, broker, "out_calm", killedJSON)
	killedOut := waitUpsert(t, broker, "out_killed", killedJSON)
	require.Empty(t, diffLines(killedJSON, calmOut), "the uninterrupted sink topic differs from the MV")
	require.Empty(t, diffLines(calmOut, killedOut), "the sink topic of the killed run differs from the uninterrupted one")
	t.Logf("kafka crash: %d kills, %d records, %d per_window rows, %d keys in the sink topic", kills, produced, len(killedW), len(killedOut))

	require.NoError(t, calmCmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, calmCmd.Wait(), "log:\n%s", calmTail)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "log:\n%s", tail)
}

// TestKafkaBrokerOutage: the broker stops while weir runs. The source's
// query and the sink fail with the error visible in SHOW QUERIES, weir stays
// up, and once the broker is back both resume from their committed state:
// every record counted once and the sink topic equal to the MV.
func TestKafkaBrokerOutage(t *testing.T) {
	bin := buildWeir(t)
	const partitions = 2
	broker := kafkatest.Start(t)
	broker.CreateTopic("ev", partitions)
	broker.CreateTopic("out", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd, addr, tail := startServe(t, bin, t.TempDir(), "WEIR_TRIGGER_INTERVAL=20ms")
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	defer conn.Close(ctx)
	kafkaPipeline(t, ctx, conn, broker.Addr(), "out", tail)

	broker.Produce("ev", kafkaEvents(0, 2000, partitions)...)
	flush(t, ctx, conn, tail)
	waitUpsert(t, broker, "out", mvAsJSON(t, ctx, conn))

	broker.Stop()
	// SHOW QUERIES shows the queries reading the source failed, with the
	// connection error.
	status := map[string]string{}
	for deadline := time.Now().Add(time.Minute); ; {
		rows, err := conn.Query(ctx, "SHOW QUERIES", pgx.QueryExecModeSimpleProtocol)
		require.NoError(t, err)
		recs, err := pgx.CollectRows(rows, pgx.RowToMap)
		require.NoError(t, err)
		for _, r := range recs {
			status[fmt.Sprint(r["name"])] = fmt.Sprintf("%v: %v", r["status"], r["error"])
		}
		if strings.HasPrefix(status["per_k"], "failed: ") && strings.HasPrefix(status["per_window"], "failed: ") {
			break
		}
		require.False(t, time.Now().After(deadline), "status while the broker is down: %v; log:\n%s", status, tail)
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("while the broker is down: %v", status)
	require.Contains(t, status["per_k"], `kafka topic "ev"`, "the error names the topic: %v", status)
	// The server still answers.
	var one int
	require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&one))
	time.Sleep(500 * time.Millisecond) // a few retries with backoff

	broker.Restart()
	broker.Produce("ev", kafkaEvents(2000, 3000, partitions)...)
	for deadline := time.Now().Add(time.Minute); ; {
		notRunning := queryLines(t, ctx, conn, "SELECT name, status, error FROM weir_catalog.queries WHERE status <> 'running'")
		if len(notRunning) == 0 {
			break
		}
		require.False(t, time.Now().After(deadline), "queries do not resume: %v; log:\n%s", notRunning, tail)
		time.Sleep(50 * time.Millisecond)
	}
	flush(t, ctx, conn, tail)
	var n, s int64
	require.NoError(t, conn.QueryRow(ctx, "SELECT sum(n), sum(s) FROM per_k").Scan(&n, &s))
	require.EqualValues(t, 3000, n, "every record counted once; log:\n%s", tail)
	require.EqualValues(t, 3000*2999/2, s)
	var wn int64
	require.NoError(t, conn.QueryRow(ctx, "SELECT sum(n) FROM per_window").Scan(&wn))
	require.EqualValues(t, 3000, wn)
	want := mvAsJSON(t, ctx, conn)
	require.Empty(t, diffLines(want, waitUpsert(t, broker, "out", want)), "the sink topic after the outage differs from the MV")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "log:\n%s", tail)
}
