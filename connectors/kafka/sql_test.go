package kafka_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors/kafka/kafkatest"
	"github.com/weirdb/weir/server"
	"github.com/weirdb/weir/server/servertest"
)

// startWeir runs an in-process weir server for t and returns a connection.
func startWeir(t *testing.T) *pgx.Conn {
	t.Helper()
	addr := servertest.Start(t, server.Config{TriggerInterval: 50 * time.Millisecond, Version: "kafka-test"})
	return servertest.Connect(t, addr)
}

func lines(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err, sql)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var parts []string
		for _, v := range rows.RawValues() {
			if v == nil {
				parts = append(parts, "NULL")
			} else {
				parts = append(parts, string(v))
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	require.NoError(t, rows.Err())
	return out
}

// TestKafkaSQL runs a topic written by plain and transactional producers
// (with an aborted transaction and bad records) through CREATE SOURCE, a
// bounded SELECT, a materialized view and an upsert Kafka sink.
func TestKafkaSQL(t *testing.T) {
	b := kafkatest.Start(t)
	b.CreateTopic("clicks", 2)
	b.CreateTopic("counts", 1)
	conn := startWeir(t)
	ctx := context.Background()
	exec := func(sql string) {
		t.Helper()
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}

	_, err := conn.Exec(ctx, "CREATE SOURCE bad (id bigint) WITH (connector = 'kafka', topic = 'clicks', brokers = '"+b.Addr()+"', format = 'xml')")
	require.ErrorContains(t, err, `invalid value for option "format"`)
	_, err = conn.Exec(ctx, "CREATE SOURCE bad (id bigint) WITH (connector = 'kafka', topic = 'nope', brokers = '"+b.Addr()+"')")
	require.Error(t, err)

	b.Produce("clicks", kafkatest.Values(0, `{"user": "a", "n": 1}`, `{"user": "b", "n": 2}`, `{"user": `)...)
	b.ProduceTxn("tx", "clicks", false, kafkatest.Values(1, `{"user": "aborted", "n": 100}`)...)
	b.ProduceTxn("tx", "clicks", true, kafkatest.Values(1, `{"user": "a", "n": 3}`, `{"n": 4}`)...)
	exec(`CREATE SOURCE clicks ("user" text NOT NULL, n bigint, _partition int, _offset bigint)
		WITH (connector = 'kafka', topic = 'clicks', brokers = '` + b.Addr() + `', format = 'json')`)
	require.Equal(t, []string{"0|0|a|1", "0|1|b|2", "1|2|a|3"},
		lines(t, conn, `SELECT _partition, _offset, "user", n FROM clicks ORDER BY 1, 2`))

	exec(`CREATE MATERIALIZED VIEW per_user AS SELECT "user", count(*) AS c, sum(n) AS s FROM clicks GROUP BY "user"`)
	exec("FLUSH")
	require.Equal(t, []string{"a|2|4", "b|1|2"}, lines(t, conn, `SELECT * FROM per_user ORDER BY 1`))
	errs := lines(t, conn, `SELECT kind, raw FROM weir_catalog.errors ORDER BY at`)
	require.Contains(t, errs, `bad_record|{"user": `)
	require.Contains(t, errs, `bad_record|{"n": 4}`)

	exec(`CREATE SINK counts_out FROM per_user WITH (connector = 'kafka', topic = 'counts', brokers = '` + b.Addr() + `', type = 'upsert')`)
	b.Produce("clicks", kafkatest.Values(1, `{"user": "b", "n": 10}`)...)
	exec("FLUSH")
	latest := func() []string {
		last := map[string]string{}
		for _, r := range b.Consume("counts") {
			last[string(r.Key)] = string(r.Value)
		}
		var out []string
		for k, v := range last {
			out = append(out, k+" => "+v)
		}
		sort.Strings(out)
		return out
	}
	want := []string{
		`{"user":"a"} => {"user":"a","c":2,"s":4}`,
		`{"user":"b"} => {"user":"b","c":2,"s":12}`,
	}
	require.Eventually(t, func() bool { return strings.Join(latest(), "\n") == strings.Join(want, "\n") },
		20*time.Second, 100*time.Millisecond, "sink topic: %v", latest())
}
