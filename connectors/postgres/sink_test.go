package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/sqltests/pgoracle"
)

// pgServer is one PostgreSQL server shared by the subtests of a test; each
// subtest gets a database of its own.
type pgServer struct {
	base  string
	admin *pgx.Conn
	n     atomic.Int64
}

func startPG(t *testing.T) *pgServer {
	base := pgoracle.Start(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(ctx) })
	return &pgServer{base: base, admin: admin}
}

// db creates a fresh database and returns its URL and a connection to it.
func (s *pgServer) db(t *testing.T) (string, *pgx.Conn) {
	ctx := context.Background()
	name := fmt.Sprintf("sink_%d_%d", time.Now().UnixNano()%1e6, s.n.Add(1))
	_, err := s.admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	u, err := url.Parse(s.base)
	require.NoError(t, err)
	u.Path = "/" + name
	conn, err := pgx.Connect(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	return u.String(), conn
}

// chunk builds a change chunk from rows of text values ("NULL" for NULL),
// each prefixed by "+" or "-".
func chunk(t *testing.T, cols []connectors.Column, rows ...string) *types.Chunk {
	t.Helper()
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		ts[i] = c.T
	}
	c := types.NewChunk(ts, len(rows))
	c.Ops = []types.Op{}
	for _, r := range rows {
		op := types.Insert
		if r[0] == '-' {
			op = types.Delete
		}
		fields := strings.Split(r[1:], "|")
		require.Len(t, fields, len(cols), r)
		row := make([]types.Datum, len(cols))
		for i, f := range fields {
			if f == "NULL" {
				row[i] = types.NullDatum
				continue
			}
			d, err := types.ParseText(cols[i].T, f, nil)
			require.NoError(t, err, f)
			row[i] = d
		}
		c.AppendRow(row)
		c.Ops[len(c.Ops)-1] = op
	}
	return c
}

// table returns the rows of a query as "|"-joined text values.
func table(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := rows.RawValues()
		parts := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = string(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	require.NoError(t, rows.Err())
	return out
}

func progress(t *testing.T, conn *pgx.Conn, sink string) int64 {
	t.Helper()
	var id int64
	err := conn.QueryRow(context.Background(), "SELECT batch_id FROM weir_sink_progress WHERE sink = $1", sink).Scan(&id)
	if err == pgx.ErrNoRows {
		return 0
	}
	require.NoError(t, err)
	return id
}

func deliver(t *testing.T, s *Sink, id uint64, c *types.Chunk) {
	t.Helper()
	require.NoError(t, s.Deliver(context.Background(), connectors.Batch{ID: id, Changes: c, CommittedAt: time.Now()}))
}

var kvCols = []connectors.Column{
	{Name: "id", T: types.TInt8, NotNull: true},
	{Name: "name", T: types.TText},
	{Name: "price", T: types.TNumeric},
}

func TestSink(t *testing.T) {
	srv := startPG(t)
	ctx := context.Background()

	t.Run("upsert", func(t *testing.T) {
		u, conn := srv.db(t)
		_, err := conn.Exec(ctx, "CREATE TABLE kv (id int8 PRIMARY KEY, name text, price numeric(10,2), note text DEFAULT 'n')")
		require.NoError(t, err)
		s, err := Open(ctx, connectors.SinkSpec{Name: "kv_out", ID: 7, Columns: kvCols, Key: []int{0},
			Options: map[string]string{"connector": "postgres", "url": u, "table": "kv"}})
		require.NoError(t, err)
		defer s.Close()
		require.Equal(t, uint64(0), s.Recorded())

		deliver(t, s, 1, chunk(t, kvCols, "+1|a|1.5", "+2|b|2", "+3|c|NULL", "+4|d|4"))
		require.Equal(t, []string{"1|a|1.50|n", "2|b|2.00|n", "3|c|NULL|n", "4|d|4.00|n"}, table(t, conn, "SELECT * FROM kv ORDER BY id"))
		require.EqualValues(t, 1, progress(t, conn, "kv_out"))

		// An update as retraction + insertion, in both orders; a delete; a
		// key inserted and retracted in the same batch (never applied); a
		// key updated twice; an update to an equal row.
		deliver(t, s, 2, chunk(t, kvCols,
			"-1|a|1.5", "+1|A|10",
			"+2|B|20", "-2|b|2",
			"-3|c|NULL",
			"+5|e|5", "-5|e|5",
			"-4|d|4", "+4|d2|4", "-4|d2|4", "+4|d3|4",
			"+6|NULL|NULL"))
		require.Equal(t, []string{"1|A|10.00|n", "2|B|20.00|n", "4|d3|4.00|n", "6|NULL|NULL|n"}, table(t, conn, "SELECT * FROM kv ORDER BY id"))
		require.EqualValues(t, 2, progress(t, conn, "kv_out"))

		// An empty batch still records progress.
		deliver(t, s, 3, chunk(t, kvCols))
		require.EqualValues(t, 3, progress(t, conn, "kv_out"))
		var sinkID int64
		var committed, delivered time.Time
		require.NoError(t, conn.QueryRow(ctx, "SELECT sink_id, committed_at, delivered_at FROM weir_sink_progress").Scan(&sinkID, &committed, &delivered))
		require.EqualValues(t, 7, sinkID)
		require.False(t, committed.IsZero())
		require.False(t, delivered.Before(committed.Add(-time.Minute)))
	})

	t.Run("redelivery and order", func(t *testing.T) {
		u, conn := srv.db(t)
		spec := connectors.SinkSpec{Name: "s", ID: 1, Columns: kvCols, Key: []int{0},
			Options: map[string]string{"url": u, "table": "kv", "create_table": "true"}}
		s, err := Open(ctx, spec)
		require.NoError(t, err)
		defer s.Close()
		b1 := chunk(t, kvCols, "+1|a|1")
		deliver(t, s, 1, b1)
		deliver(t, s, 1, b1)
		// A batch after a gap is applied; an older one after it is not.
		deliver(t, s, 5, chunk(t, kvCols, "+2|b|2"))
		deliver(t, s, 3, chunk(t, kvCols, "+3|c|3", "-1|a|1"))
		require.Equal(t, []string{"1|a|1", "2|b|2"}, table(t, conn, "SELECT * FROM kv ORDER BY id"))
		require.EqualValues(t, 5, progress(t, conn, "s"))

		// A second sink process opened before batch 6 was applied (as
		// after a COMMIT whose acknowledgement was lost): its stale view
		// of the progress is corrected inside the transaction.
		stale, err := Open(ctx, spec)
		require.NoError(t, err)
		defer stale.Close()
		b6 := chunk(t, kvCols, "-2|b|2", "+2|b|3")
		deliver(t, s, 6, b6)
		require.Equal(t, uint64(5), stale.Recorded())
		deliver(t, stale, 6, chunk(t, kvCols, "+9|z|9"))
		require.Equal(t, uint64(6), stale.Recorded())
		require.Equal(t, []string{"1|a|1", "2|b|3"}, table(t, conn, "SELECT * FROM kv ORDER BY id"))

		// Reopened, the sink knows its progress.
		again, err := Open(ctx, spec)
		require.NoError(t, err)
		defer again.Close()
		require.Equal(t, uint64(6), again.Recorded())

		// A sink re-created under the same name (new id) starts afresh.
		spec.ID = 2
		fresh, err := Open(ctx, spec)
		require.NoError(t, err)
		defer fresh.Close()
		require.Equal(t, uint64(0), fresh.Recorded())
		deliver(t, fresh, 1, chunk(t, kvCols, "+7|g|7"))
		require.Equal(t, []string{"1|a|1", "2|b|3", "7|g|7"}, table(t, conn, "SELECT * FROM kv ORDER BY id"))
		require.Equal(t, []string{"s|2|1"}, table(t, conn, "SELECT sink, sink_id, batch_id FROM weir_sink_progress"))
	})

	t.Run("null keys", func(t *testing.T) {
		u, conn := srv.db(t)
		cols := []connectors.Column{{Name: "k1", T: types.TText}, {Name: "k2", T: types.TInt4}, {Name: "n", T: types.TInt8}}
		s, err := Open(ctx, connectors.SinkSpec{Name: "nk", Columns: cols, Key: []int{0, 1},
			Options: map[string]string{"url": u, "table": "public.groups", "create_table": "true"}})
		require.NoError(t, err)
		defer s.Close()
		deliver(t, s, 1, chunk(t, cols, "+a|1|1", "+NULL|1|2", "+a|NULL|3", "+NULL|NULL|4"))
		deliver(t, s, 2, chunk(t, cols, "-NULL|1|2", "+NULL|1|20", "-a|NULL|3", "-NULL|NULL|4", "+NULL|NULL|40", "-a|1|1"))
		require.Equal(t, []string{"NULL|1|20", "NULL|NULL|40"}, table(t, conn, "SELECT * FROM groups ORDER BY k1, k2"))
		deliver(t, s, 3, chunk(t, cols, "-NULL|NULL|40", "+NULL|NULL|41", "+a|NULL|5"))
		require.Equal(t, []string{"a|NULL|5", "NULL|1|20", "NULL|NULL|41"}, table(t, conn, "SELECT * FROM groups ORDER BY k1, k2"))
	})

	t.Run("append", func(t *testing.T) {
		u, conn := srv.db(t)
		_, err := conn.Exec(ctx, "CREATE TABLE ev (id int4, name varchar(3), price numeric)")
		require.NoError(t, err)
		s, err := Open(ctx, connectors.SinkSpec{Name: "ev", Columns: kvCols, Key: []int{0},
			Options: map[string]string{"url": u, "table": "ev", "type": "append"}})
		require.NoError(t, err)
		defer s.Close()
		deliver(t, s, 1, chunk(t, kvCols, "+1|a|1", "+1|a|1", "+2|NULL|NULL"))
		deliver(t, s, 1, chunk(t, kvCols, "+1|a|1", "+1|a|1", "+2|NULL|NULL"))
		require.Equal(t, []string{"1|a|1", "1|a|1", "2|NULL|NULL"}, table(t, conn, "SELECT * FROM ev ORDER BY id"))
		err = s.Deliver(ctx, connectors.Batch{ID: 2, Changes: chunk(t, kvCols, "+3|c|3", "-1|a|1")})
		require.Error(t, err)
		require.Contains(t, err.Error(), "retracts a row")
		// PostgreSQL's assignment to varchar(3) fails the batch as a whole.
		err = s.Deliver(ctx, connectors.Batch{ID: 2, Changes: chunk(t, kvCols, "+3|c|3", "+4|long|4")})
		require.Error(t, err)
		require.Contains(t, err.Error(), "value too long for type character varying(3)")
		require.Equal(t, []string{"1|a|1", "1|a|1", "2|NULL|NULL"}, table(t, conn, "SELECT * FROM ev ORDER BY id"))
		require.EqualValues(t, 1, progress(t, conn, "ev"))
		deliver(t, s, 2, chunk(t, kvCols, "+3|c|3"))
		require.Equal(t, []string{"1|a|1", "1|a|1", "2|NULL|NULL", "3|c|3"}, table(t, conn, "SELECT * FROM ev ORDER BY id"))
	})

	t.Run("every type", func(t *testing.T) {
		u, conn := srv.db(t)
		cols := []connectors.Column{
			{Name: "k", T: types.TInt4, NotNull: true},
			{Name: "b", T: types.TBool},
			{Name: "i2", T: types.TInt2},
			{Name: "i8", T: types.TInt8},
			{Name: "f4", T: types.TFloat4},
			{Name: "f8", T: types.TFloat8},
			{Name: "n", T: types.TNumeric},
			{Name: "n2", T: types.WithNumericPrecScale(8, 3)},
			{Name: "t", T: types.TText},
			{Name: "vc", T: types.WithVarcharLen(4)},
			{Name: "ts", T: types.TTimestamp},
			{Name: "tz", T: types.TTimestampTZ},
			{Name: "d", T: types.TDate},
			{Name: "iv", T: types.TInterval},
			{Name: "by", T: types.TBytea},
			{Name: "j", T: types.TJSONB},
			{Name: "arr", T: types.TTextArray},
		}
		s, err := Open(ctx, connectors.SinkSpec{Name: "all", Columns: cols, Key: []int{0},
			Options: map[string]string{"url": u, "table": "Every Type", "create_table": "true"}})
		require.NoError(t, err)
		defer s.Close()
		rows := []string{
			`+1|t|-32768|9223372036854775807|1.5|0.1|123456789012345678901234567890.000000001|12345.678|héllo "x"|abcd|2026-01-31 23:59:59.999999|2026-07-01 12:00:00+00|2024-02-29|1 year 2 mons -3 days 04:05:06.789|\x00ff10|{"a": [1, 2.50, null], "b": {"c": "d"}}|{a,"b c",NULL}`,
			`+2|f|0|-1|-Infinity|NaN|NaN|-0.001|||infinity|-infinity|0044-03-15 BC|-00:00:00.000001|\x|null|{}`,
			`+3|NULL|NULL|NULL|NULL|NULL|Infinity|NULL|NULL|NULL|1999-12-31 23:59:59|1970-01-01 00:00:00+00|infinity|00:00:00|NULL|"s"|NULL`,
		}
		c := chunk(t, cols, rows...)
		deliver(t, s, 1, c)
		// PostgreSQL's text output of every value equals weir's.
		var want []string
		for i := 0; i < c.N; i++ {
			parts := make([]string, len(cols))
			for j, col := range cols {
				parts[j] = types.FormatText(col.T, c.Cols[j].Datum(i), nil)
			}
			want = append(want, strings.Join(parts, "|"))
		}
		require.Equal(t, want, table(t, conn, `SELECT * FROM "Every Type" ORDER BY k`))
		typs := table(t, conn, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '"Every Type"'::regclass AND attnum > 0 ORDER BY attnum`)
		require.Equal(t, []string{"integer", "boolean", "smallint", "bigint", "real", "double precision", "numeric", "numeric(8,3)", "text",
			"character varying(4)", "timestamp without time zone", "timestamp with time zone", "date", "interval", "bytea", "jsonb", "text[]"}, typs)
	})

	t.Run("open errors", func(t *testing.T) {
		u, conn := srv.db(t)
		_, err := conn.Exec(ctx, "CREATE TABLE nokey (id int8, name text, price numeric); CREATE TABLE few (id int8 PRIMARY KEY)")
		require.NoError(t, err)
		for _, tc := range []struct {
			opts map[string]string
			key  []int
			code string
			msg  string
		}{
			{map[string]string{"table": "kv"}, []int{0}, pgerror.CodeInvalidParameterValue, "option url is required"},
			{map[string]string{"url": u}, []int{0}, pgerror.CodeInvalidParameterValue, "option table is required"},
			{map[string]string{"url": u, "table": "a.b.c"}, []int{0}, pgerror.CodeInvalidParameterValue, "invalid table"},
			{map[string]string{"url": u, "table": "kv", "type": "merge"}, []int{0}, pgerror.CodeInvalidParameterValue, "invalid type"},
			{map[string]string{"url": u, "table": "kv", "type": "upsert"}, nil, pgerror.CodeInvalidParameterValue, "needs a key"},
			{map[string]string{"url": u, "table": "kv", "create_table": "yes"}, []int{0}, pgerror.CodeInvalidParameterValue, "invalid create_table"},
			{map[string]string{"url": "postgres://127.0.0.1:notaport/db", "table": "kv"}, []int{0}, pgerror.CodeInvalidParameterValue, "invalid url"},
			{map[string]string{"url": u, "table": "missing"}, []int{0}, pgerror.CodeUndefinedTable, `relation "missing" does not exist`},
			{map[string]string{"url": u, "table": "few"}, []int{0}, pgerror.CodeUndefinedColumn, `column "name" of relation "few" does not exist`},
			{map[string]string{"url": u, "table": "nokey"}, []int{0}, pgerror.CodeInvalidColumnReference, "no unique index on the key (id)"},
		} {
			_, err := Open(ctx, connectors.SinkSpec{Name: "bad", Columns: kvCols, Key: tc.key, Options: tc.opts})
			require.Error(t, err, "%v", tc.opts)
			require.Equal(t, tc.code, pgerror.Code(err), "%v: %v", tc.opts, err)
			require.Contains(t, err.Error(), tc.msg)
		}
		// Append needs no key index.
		s, err := Open(ctx, connectors.SinkSpec{Name: "ok", Columns: kvCols, Options: map[string]string{"url": u, "table": "nokey"}})
		require.NoError(t, err)
		require.NoError(t, s.Close())
	})

	t.Run("connection killed mid-transaction", func(t *testing.T) {
		u, conn := srv.db(t)
		s, err := Open(ctx, connectors.SinkSpec{Name: "k", Columns: kvCols, Key: []int{0},
			Options: map[string]string{"url": u, "table": "kv", "create_table": "true"}})
		require.NoError(t, err)
		defer s.Close()
		deliver(t, s, 1, chunk(t, kvCols, "+1|a|1", "+2|b|2"))

		// Hold a lock on the target so the sink's transaction stops inside
		// its statements, after COPY and a DELETE; then kill its backend.
		locker, err := pgx.Connect(ctx, u)
		require.NoError(t, err)
		defer locker.Close(ctx)
		tx, err := locker.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "LOCK TABLE kv IN ACCESS EXCLUSIVE MODE")
		require.NoError(t, err)
		b2 := chunk(t, kvCols, "-1|a|1", "+3|c|3", "-2|b|2", "+2|B|20")
		done := make(chan error, 1)
		go func() { done <- s.Deliver(ctx, connectors.Batch{ID: 2, Changes: b2}) }()
		var pid int32
		require.Eventually(t, func() bool {
			err := conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM "kv"%'`).Scan(&pid)
			return err == nil
		}, 10*time.Second, 10*time.Millisecond)
		_, err = conn.Exec(ctx, "SELECT pg_terminate_backend($1)", pid)
		require.NoError(t, err)
		require.Error(t, <-done)
		require.NoError(t, tx.Rollback(ctx))
		require.Equal(t, []string{"1|a|1", "2|b|2"}, table(t, conn, "SELECT * FROM kv ORDER BY id"))
		require.EqualValues(t, 1, progress(t, conn, "k"))

		// The retry reconnects and applies the batch once.
		deliver(t, s, 2, b2)
		deliver(t, s, 2, b2)
		require.Equal(t, []string{"2|B|20", "3|c|3"}, table(t, conn, "SELECT * FROM kv ORDER BY id"))
		require.EqualValues(t, 2, progress(t, conn, "k"))

		// The connection killed between batches: the next batch
		// reconnects.
		_, err = conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
		require.NoError(t, err)
		deliver(t, s, 3, chunk(t, kvCols, "+4|d|4"))
		require.Equal(t, []string{"2|B|20", "3|c|3", "4|d|4"}, table(t, conn, "SELECT * FROM kv ORDER BY id"))
	})
}

func TestNetChanges(t *testing.T) {
	c := chunk(t, kvCols,
		"+1|a|1",           // 0: insert
		"-2|b|2", "+2|b|2", // 1,2: same row back: untouched
		"+3|x|1", "-3|x|1", // 3,4: cancels out: untouched
		"-4|old|1", "+4|new|1", // 5,6: update
		"+5|new|1", "-5|old|1", // 7,8: update, insertion first
		"-6|gone|1",                  // 9: delete
		"-7|a|1", "+7|b|1", "+7|c|1", // 10-12: more than one survivor (not a key): the last wins
		"-8|a|1.0", "+8|a|1.00", // 13,14: equal numerics but not identical rows: upsert
	)
	got := netChanges(c, []int{0})
	require.Equal(t, []change{
		{types.Insert, 0}, {types.Insert, 6}, {types.Insert, 7}, {types.Delete, 9}, {types.Insert, 12}, {types.Insert, 14},
	}, got)
}

// TestDeliverLarge measures one 10 000-row upsert batch (and a second
// one updating every row), the size a busy MV produces per trigger.
func TestDeliverLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	srv := startPG(t)
	u, conn := srv.db(t)
	ctx := context.Background()
	s, err := Open(ctx, connectors.SinkSpec{Name: "big", Columns: kvCols, Key: []int{0},
		Options: map[string]string{"url": u, "table": "kv", "create_table": "true"}})
	require.NoError(t, err)
	defer s.Close()
	const n = 10000
	mk := func(gen int) *types.Chunk {
		c := types.NewChunk([]types.T{types.TInt8, types.TText, types.TNumeric}, 2*n)
		c.Ops = []types.Op{}
		for i := 0; i < n; i++ {
			if gen > 0 {
				c.AppendRow([]types.Datum{types.DInt(int64(i)), types.DString(fmt.Sprintf("name-%d-%d", i, gen-1)), types.DDecimal(apd.New(int64(i), -2))})
				c.Ops[len(c.Ops)-1] = types.Delete
			}
			c.AppendRow([]types.Datum{types.DInt(int64(i)), types.DString(fmt.Sprintf("name-%d-%d", i, gen)), types.DDecimal(apd.New(int64(i), -2))})
		}
		return c
	}
	for gen := 0; gen < 2; gen++ {
		start := time.Now()
		deliver(t, s, uint64(gen+1), mk(gen))
		t.Logf("batch of %d changes (%d rows): %v", n*(1+gen), n, time.Since(start))
	}
	require.Equal(t, []string{fmt.Sprintf("%d|%d", n, n)}, table(t, conn, "SELECT count(*), count(*) FILTER (WHERE name LIKE '%-1') FROM kv"))
}
