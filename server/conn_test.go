package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

// testServer runs a Server over a fakeEngine on a free port.
type testServer struct {
	srv     *Server
	eng     *fakeEngine
	addr    string
	serveCh chan error
}

func startServer(t *testing.T, mutate ...func(*Config)) *testServer {
	t.Helper()
	eng := &fakeEngine{}
	cfg := Config{
		HTTP:    "off",
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version: "test",
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := newServer(cfg, func(Config) (engine, error) { return eng, nil })
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{srv: srv, eng: eng, addr: ln.Addr().String(), serveCh: make(chan error, 1)}
	go func() { ts.serveCh <- srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ts
}

func (ts *testServer) url() string {
	return fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable&application_name=tests", ts.addr)
}

func (ts *testServer) connect(t *testing.T, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(ts.url())
	require.NoError(t, err)
	cfg.DefaultQueryExecMode = mode
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pgErr(t *testing.T, err error) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe)
	return pe
}

func TestStartupParameters(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	pc := conn.PgConn()
	for name, want := range map[string]string{
		"server_version":              "15.0",
		"application_name":            "tests",
		"client_encoding":             "UTF8",
		"DateStyle":                   "ISO, MDY",
		"IntervalStyle":               "postgres",
		"integer_datetimes":           "on",
		"standard_conforming_strings": "on",
		"session_authorization":       "weir",
		"TimeZone":                    "UTC",
		"is_superuser":                "on",
		"weir_fake":                   "yes", // merged from Session.InitialParams
	} {
		require.Equal(t, want, pc.ParameterStatus(name), name)
	}
	require.NotZero(t, pc.PID())
	require.Equal(t, byte('I'), pc.TxStatus())
}

func TestSimpleProtocol(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)

	rows, err := conn.Query(ctx, "rows 7")
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var i int64
		var s string
		require.NoError(t, rows.Scan(&i, &s))
		got = append(got, fmt.Sprintf("%d:%s", i, s))
	}
	require.NoError(t, rows.Err())
	require.Equal(t, "SELECT 7", rows.CommandTag().String())
	require.Equal(t, []string{"1:row 1", "2:row 2", "3:row 3", "4:row 4", "5:row 5", "6:row 6", "7:row 7"}, got)

	// Zero rows still describe the result.
	rows, err = conn.Query(ctx, "rows 0")
	require.NoError(t, err)
	require.False(t, rows.Next())
	require.NoError(t, rows.Err())
	require.Len(t, rows.FieldDescriptions(), 2)
	require.Equal(t, "SELECT 0", rows.CommandTag().String())
}

func TestSimpleProtocolTextValues(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	res := conn.PgConn().Exec(testCtx(t), "types")
	results, err := res.ReadAll()
	require.NoError(t, err)
	require.Len(t, results, 1)
	r := results[0]
	require.Len(t, r.Rows, 1)
	var vals []string
	for _, v := range r.Rows[0] {
		if v == nil {
			vals = append(vals, "NULL")
		} else {
			vals = append(vals, string(v))
		}
	}
	require.Equal(t, []string{
		"t", "-2", "40000", "1099511627776", "0.1", "123.450", "héllo",
		"2026-01-02 03:04:05.5+00", "2026-01-02", "1 year 2 mons 3 days 04:00:05", `\x0001ff`, "NULL",
	}, vals)
	var oids []uint32
	for _, f := range r.FieldDescriptions {
		oids = append(oids, f.DataTypeOID)
		require.Equal(t, int16(0), f.Format)
	}
	require.Equal(t, []uint32{16, 21, 23, 20, 701, 1700, 25, 1184, 1082, 1186, 17, 25}, oids)
	require.Equal(t, int16(8), r.FieldDescriptions[3].DataTypeSize)
	require.Equal(t, int16(-1), r.FieldDescriptions[6].DataTypeSize)
}

func TestSimpleMultiStatement(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	results, err := conn.PgConn().Exec(testCtx(t), "insert; rows 2; ; insert").ReadAll()
	require.NoError(t, err)
	require.Len(t, results, 3)
	require.Equal(t, "INSERT 0 1", results[0].CommandTag.String())
	require.Equal(t, "SELECT 2", results[1].CommandTag.String())
	require.Len(t, results[1].Rows, 2)
	require.Equal(t, "INSERT 0 1", results[2].CommandTag.String())

	// An error stops the statements after it.
	ts.eng.mu.Lock()
	ts.eng.executed = nil
	ts.eng.mu.Unlock()
	_, err = conn.PgConn().Exec(testCtx(t), "insert; fail; insert").ReadAll()
	pe := pgErr(t, err)
	require.Equal(t, "22012", pe.Code)
	require.Equal(t, "ERROR", pe.Severity)
	require.Equal(t, "division by zero", pe.Message)
	require.Equal(t, []string{"insert", "fail"}, ts.eng.executedList())

	// The connection is still usable.
	var n int64
	require.NoError(t, conn.QueryRow(testCtx(t), "rows 1").Scan(&n, new(string)))
	require.Equal(t, int64(1), n)
}

func TestEmptyQuery(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	for _, q := range []string{"", ";", "  -- ping", " ; ;"} {
		fe := rawConn(t, ts)
		fe.Send(&pgproto3.Query{String: q})
		require.NoError(t, fe.Flush())
		msgs := receiveUntilReady(t, fe)
		require.Equal(t, []string{"EmptyQueryResponse", "ReadyForQuery"}, msgNames(msgs), "query %q", q)
	}
	_, err := conn.Exec(testCtx(t), "-- nothing")
	require.NoError(t, err)
}

func TestErrorPosition(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	_, err := conn.Exec(testCtx(t), "error at 3")
	pe := pgErr(t, err)
	require.Equal(t, "42601", pe.Code)
	require.Equal(t, int32(3), pe.Position)

	// In a later statement the position counts characters from the start
	// of the whole message (é is one character, two bytes).
	_, err = conn.PgConn().Exec(testCtx(t), "insert; -- é\nerror at 2").ReadAll()
	pe = pgErr(t, err)
	require.Equal(t, int32(len([]rune("insert;"))+2), pe.Position)

	// Extended protocol: the position is in the statement itself.
	conn2 := ts.connect(t, pgx.QueryExecModeCacheStatement)
	_, err = conn2.Exec(testCtx(t), "error at 4")
	pe = pgErr(t, err)
	require.Equal(t, int32(4), pe.Position)
}

func TestExtendedParamsAndResults(t *testing.T) {
	ts := startServer(t)
	ctx := testCtx(t)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec} {
		t.Run(mode.String(), func(t *testing.T) {
			conn := ts.connect(t, mode)
			tsIn := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
			var (
				b   bool
				i2  int16
				i4  int32
				i8  int64
				f8  float64
				num pgtype.Numeric
				txt string
				tz  time.Time
				d   time.Time
				iv  pgtype.Interval
				by  []byte
			)
			err := conn.QueryRow(ctx, "echo bool int2 int4 int8 float8 numeric text timestamptz date interval bytea",
				true, int16(-7), int32(1<<20), int64(-1<<50), 2.5, "12.340", "zürich", tsIn,
				time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC),
				pgtype.Interval{Months: 1, Days: 2, Microseconds: 3_000_000, Valid: true},
				[]byte{0, 1, 2, 255},
			).Scan(&b, &i2, &i4, &i8, &f8, &num, &txt, &tz, &d, &iv, &by)
			require.NoError(t, err)
			require.True(t, b)
			require.Equal(t, int16(-7), i2)
			require.Equal(t, int32(1<<20), i4)
			require.Equal(t, int64(-1<<50), i8)
			require.Equal(t, 2.5, f8)
			nv, err := num.Value()
			require.NoError(t, err)
			require.Equal(t, "12.340", nv)
			require.Equal(t, "zürich", txt)
			require.True(t, tsIn.Equal(tz), "%v != %v", tsIn, tz)
			require.Equal(t, "2026-02-28", d.Format(time.DateOnly))
			require.Equal(t, pgtype.Interval{Months: 1, Days: 2, Microseconds: 3_000_000, Valid: true}, iv)
			require.Equal(t, []byte{0, 1, 2, 255}, by)

			// NULL parameters come back as NULL.
			var s *string
			require.NoError(t, conn.QueryRow(ctx, "echo text", nil).Scan(&s))
			require.Nil(t, s)
		})
	}
}

func TestExtendedBinaryResultFormats(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	pc := conn.PgConn()
	ctx := testCtx(t)
	sd, err := pc.Prepare(ctx, "typesstmt", "types", nil)
	require.NoError(t, err)
	require.Len(t, sd.Fields, 12)

	// Mixed formats: binary for the first four columns, text for the rest.
	formats := []int16{1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	res := pc.ExecPrepared(ctx, "typesstmt", nil, nil, formats).Read()
	require.NoError(t, res.Err)
	require.Len(t, res.Rows, 1)
	row := res.Rows[0]
	require.Equal(t, []byte{1}, row[0])
	require.Equal(t, []byte{0xff, 0xfe}, row[1])
	require.Equal(t, binary.BigEndian.AppendUint32(nil, 40000), row[2])
	require.Equal(t, binary.BigEndian.AppendUint64(nil, 1<<40), row[3])
	require.Equal(t, "0.1", string(row[4]))
	require.Nil(t, row[11])
	for i, f := range res.FieldDescriptions {
		require.Equal(t, formats[i], f.Format, "column %d", i)
	}

	// A wrong number of result formats is a protocol error for this
	// statement only.
	res = pc.ExecPrepared(ctx, "typesstmt", nil, nil, []int16{1, 0}).Read()
	pe := pgErr(t, res.Err)
	require.Equal(t, "08P01", pe.Code)
	require.Contains(t, pe.Message, "bind message has 2 result formats but query has 12 columns")
	require.NoError(t, pc.Exec(ctx, "insert").Close())
}

func TestDescribe(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	pc := conn.PgConn()
	ctx := testCtx(t)

	sd, err := pc.Prepare(ctx, "e", "echo int8 text", nil)
	require.NoError(t, err)
	require.Equal(t, []uint32{20, 25}, sd.ParamOIDs)
	require.Len(t, sd.Fields, 2)
	require.Equal(t, "p1", sd.Fields[0].Name)
	require.Equal(t, uint32(20), sd.Fields[0].DataTypeOID)

	// Client-declared parameter types win.
	sd, err = pc.Prepare(ctx, "e2", "echo int8", []uint32{23})
	require.NoError(t, err)
	require.Equal(t, []uint32{23}, sd.ParamOIDs)

	// A statement without rows describes as NoData.
	sd, err = pc.Prepare(ctx, "ins", "insert", nil)
	require.NoError(t, err)
	require.Empty(t, sd.Fields)
	require.Empty(t, sd.ParamOIDs)

	// A duplicate name is an error; the statement is unchanged.
	_, err = pc.Prepare(ctx, "e", "rows 1", nil)
	require.Equal(t, "42P05", pgErr(t, err).Code)

	// Describe of a portal reports the bound formats.
	fe := rawConn(t, ts)
	fe.Send(&pgproto3.Parse{Name: "s", Query: "rows 2"})
	fe.Send(&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p", ResultFormatCodes: []int16{1}})
	fe.Send(&pgproto3.Describe{ObjectType: 'P', Name: "p"})
	fe.Send(&pgproto3.Describe{ObjectType: 'P', Name: "nope"})
	fe.Send(&pgproto3.Sync{})
	require.NoError(t, fe.Flush())
	msgs := receiveUntilReady(t, fe)
	require.Equal(t, []string{"ParseComplete", "BindComplete", "RowDescription", "ErrorResponse", "ReadyForQuery"}, msgNames(msgs))
	rd := msgs[2].(*pgproto3.RowDescription)
	require.Equal(t, int16(1), rd.Fields[0].Format)
	require.Equal(t, int16(1), rd.Fields[1].Format)
	require.Equal(t, "34000", msgs[3].(*pgproto3.ErrorResponse).Code)
}

func TestRowLimitedExecute(t *testing.T) {
	ts := startServer(t)
	fe := rawConn(t, ts)
	// 7 rows in chunks of 3, fetched 2 at a time: limits cut chunks.
	fe.Send(&pgproto3.Parse{Query: "rows 7 chunk 3"})
	fe.Send(&pgproto3.Bind{})
	fe.Send(&pgproto3.Execute{MaxRows: 2})
	fe.Send(&pgproto3.Execute{MaxRows: 2})
	fe.Send(&pgproto3.Execute{MaxRows: 2})
	fe.Send(&pgproto3.Execute{MaxRows: 2})
	fe.Send(&pgproto3.Execute{MaxRows: 2})
	fe.Send(&pgproto3.Sync{})
	require.NoError(t, fe.Flush())
	msgs := receiveUntilReady(t, fe)
	require.Equal(t, []string{
		"ParseComplete", "BindComplete",
		"DataRow", "DataRow", "PortalSuspended",
		"DataRow", "DataRow", "PortalSuspended",
		"DataRow", "DataRow", "PortalSuspended",
		"DataRow", "CommandComplete",
		"CommandComplete", // an exhausted portal returns no more rows
		"ReadyForQuery",
	}, msgNames(msgs))
	var vals []string
	var tags []string
	for _, m := range msgs {
		switch m := m.(type) {
		case *pgproto3.DataRow:
			vals = append(vals, string(m.Values[0]))
		case *pgproto3.CommandComplete:
			tags = append(tags, string(m.CommandTag))
		}
	}
	require.Equal(t, []string{"1", "2", "3", "4", "5", "6", "7"}, vals)
	// The count is that of the last Execute, as in PostgreSQL.
	require.Equal(t, []string{"SELECT 1", "SELECT 0"}, tags)

	// After Sync outside a transaction block the portal is gone.
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	require.NoError(t, fe.Flush())
	msgs = receiveUntilReady(t, fe)
	require.Equal(t, []string{"ErrorResponse", "ReadyForQuery"}, msgNames(msgs))
	require.Equal(t, "34000", msgs[0].(*pgproto3.ErrorResponse).Code)
}

func TestNamedPortalInTransaction(t *testing.T) {
	ts := startServer(t)
	fe := rawConn(t, ts)
	fe.Send(&pgproto3.Query{String: "begin"})
	require.NoError(t, fe.Flush())
	msgs := receiveUntilReady(t, fe)
	require.Equal(t, byte('T'), msgs[len(msgs)-1].(*pgproto3.ReadyForQuery).TxStatus)

	fe.Send(&pgproto3.Parse{Name: "s", Query: "rows 5 chunk 2"})
	fe.Send(&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "cur"})
	fe.Send(&pgproto3.Execute{Portal: "cur", MaxRows: 3})
	fe.Send(&pgproto3.Sync{})
	require.NoError(t, fe.Flush())
	msgs = receiveUntilReady(t, fe)
	require.Equal(t, []string{"ParseComplete", "BindComplete", "DataRow", "DataRow", "DataRow", "PortalSuspended", "ReadyForQuery"}, msgNames(msgs))

	// Inside a transaction block the portal survives Sync.
	fe.Send(&pgproto3.Execute{Portal: "cur"})
	fe.Send(&pgproto3.Close{ObjectType: 'P', Name: "cur"})
	fe.Send(&pgproto3.Execute{Portal: "cur"})
	fe.Send(&pgproto3.Sync{})
	require.NoError(t, fe.Flush())
	msgs = receiveUntilReady(t, fe)
	require.Equal(t, []string{"DataRow", "DataRow", "CommandComplete", "CloseComplete", "ErrorResponse", "ReadyForQuery"}, msgNames(msgs))
	require.Equal(t, "4", string(msgs[0].(*pgproto3.DataRow).Values[0]))
	require.Equal(t, "SELECT 2", string(msgs[2].(*pgproto3.CommandComplete).CommandTag))
}

func TestExtendedErrorDrainsUntilSync(t *testing.T) {
	ts := startServer(t)
	fe := rawConn(t, ts)
	fe.Send(&pgproto3.Parse{Query: "error at 1"})
	fe.Send(&pgproto3.Bind{})
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	fe.Send(&pgproto3.Parse{Query: "insert"})
	fe.Send(&pgproto3.Bind{})
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	require.NoError(t, fe.Flush())
	msgs := receiveUntilReady(t, fe)
	require.Equal(t, []string{"ErrorResponse", "ReadyForQuery"}, msgNames(msgs))
	msgs = receiveUntilReady(t, fe)
	require.Equal(t, []string{"ParseComplete", "BindComplete", "CommandComplete", "ReadyForQuery"}, msgNames(msgs))
	require.Equal(t, []string{"insert"}, ts.eng.executedList())
}

func TestBindErrors(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	pc := conn.PgConn()
	ctx := testCtx(t)
	_, err := pc.Prepare(ctx, "e", "echo int8", nil)
	require.NoError(t, err)

	res := pc.ExecPrepared(ctx, "e", [][]byte{[]byte("abc")}, []int16{0}, nil).Read()
	pe := pgErr(t, res.Err)
	require.Equal(t, "22P02", pe.Code)
	require.Equal(t, `invalid input syntax for type bigint: "abc"`, pe.Message)

	res = pc.ExecPrepared(ctx, "e", [][]byte{{1, 2, 3}}, []int16{1}, nil).Read()
	require.Equal(t, "22P03", pgErr(t, res.Err).Code)

	res = pc.ExecPrepared(ctx, "e", nil, nil, nil).Read()
	pe = pgErr(t, res.Err)
	require.Equal(t, "08P01", pe.Code)
	require.Equal(t, `bind message supplies 0 parameters, but prepared statement "e" requires 1`, pe.Message)

	res = pc.ExecPrepared(ctx, "missing", nil, nil, nil).Read()
	require.Equal(t, "26000", pgErr(t, res.Err).Code)

	res = pc.ExecPrepared(ctx, "e", [][]byte{[]byte("\xff")}, []int16{0}, nil).Read()
	require.Equal(t, "22021", pgErr(t, res.Err).Code)

	res = pc.ExecPrepared(ctx, "e", [][]byte{[]byte(" 42 ")}, []int16{0}, nil).Read()
	require.NoError(t, res.Err)
	require.Equal(t, "42", string(res.Rows[0][0]))
}

func TestCopyFrom(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)
	data := "1\ta\n2\tb\n3\tc\n"
	tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(data), "copy 2")
	require.NoError(t, err)
	require.Equal(t, "COPY 3", tag.String())
	ts.eng.mu.Lock()
	require.Equal(t, []string{data}, ts.eng.copied)
	ts.eng.mu.Unlock()

	// A reader error makes the client send CopyFail.
	_, err = conn.PgConn().CopyFrom(ctx, io.MultiReader(strings.NewReader("1\n"), errReader{}), "copy 1")
	pe := pgErr(t, err)
	require.Equal(t, "57014", pe.Code)
	require.True(t, strings.HasPrefix(pe.Message, "COPY from stdin failed: "), pe.Message)

	// A data error from the session aborts the copy.
	_, err = conn.PgConn().CopyFrom(ctx, strings.NewReader("1\nbad\n"), "copy 1")
	require.Equal(t, "22P02", pgErr(t, err).Code)
	ts.eng.mu.Lock()
	require.Equal(t, 2, ts.eng.aborted)
	ts.eng.mu.Unlock()

	// The connection is still usable and in sync.
	var n int64
	require.NoError(t, conn.QueryRow(ctx, "rows 1").Scan(&n, new(string)))
}

func TestCopyInExtendedAndMultiStatement(t *testing.T) {
	ts := startServer(t)
	fe := rawConn(t, ts)
	fe.Send(&pgproto3.Query{String: "copy 3; insert"})
	require.NoError(t, fe.Flush())
	msg := receive(t, fe)
	cir, ok := msg.(*pgproto3.CopyInResponse)
	require.True(t, ok, "%T", msg)
	require.Equal(t, []uint16{0, 0, 0}, cir.ColumnFormatCodes)
	fe.Send(&pgproto3.CopyData{Data: []byte("x\n")})
	fe.Send(&pgproto3.Flush{}) // ignored during COPY
	fe.Send(&pgproto3.CopyData{Data: []byte("y\n")})
	fe.Send(&pgproto3.CopyDone{})
	require.NoError(t, fe.Flush())
	msgs := receiveUntilReady(t, fe)
	require.Equal(t, []string{"CommandComplete", "CommandComplete", "ReadyForQuery"}, msgNames(msgs))
	require.Equal(t, "COPY 2", string(msgs[0].(*pgproto3.CommandComplete).CommandTag))

	// Extended protocol.
	fe.Send(&pgproto3.Parse{Query: "copy 1 binary"})
	fe.Send(&pgproto3.Bind{})
	fe.Send(&pgproto3.Describe{ObjectType: 'P'})
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Flush{})
	require.NoError(t, fe.Flush())
	msgs = nil
	for {
		m := receive(t, fe)
		msgs = append(msgs, m)
		if _, ok := m.(*pgproto3.CopyInResponse); ok {
			require.Equal(t, byte(1), m.(*pgproto3.CopyInResponse).OverallFormat)
			break
		}
	}
	require.Equal(t, []string{"ParseComplete", "BindComplete", "NoData", "CopyInResponse"}, msgNames(msgs))
	fe.Send(&pgproto3.CopyData{Data: []byte("z\n")})
	fe.Send(&pgproto3.CopyDone{})
	fe.Send(&pgproto3.Sync{})
	require.NoError(t, fe.Flush())
	msgs = receiveUntilReady(t, fe)
	require.Equal(t, []string{"CommandComplete", "ReadyForQuery"}, msgNames(msgs))

	// An unexpected message during COPY aborts it with 08P01.
	fe.Send(&pgproto3.Query{String: "copy 1"})
	require.NoError(t, fe.Flush())
	_ = receive(t, fe)
	fe.Send(&pgproto3.Query{String: "insert"})
	require.NoError(t, fe.Flush())
	msgs = receiveUntilReady(t, fe)
	require.Equal(t, []string{"ErrorResponse", "ReadyForQuery"}, msgNames(msgs))
	require.Equal(t, "08P01", msgs[0].(*pgproto3.ErrorResponse).Code)
	ts.eng.mu.Lock()
	require.Equal(t, []string{"x\ny\n", "z\n"}, ts.eng.copied)
	ts.eng.mu.Unlock()
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestCancelRequest(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() {
		_, err := conn.PgConn().Exec(ctx, "sleep 30s").ReadAll()
		done <- err
	}()
	waitFor(t, func() bool { return len(ts.eng.executedList()) == 1 })

	// A wrong secret cancels nothing.
	bad := rawCancel(t, ts.addr, conn.PgConn().PID(), []byte{0, 0, 0, 0})
	require.NoError(t, bad)
	select {
	case err := <-done:
		t.Fatalf("canceled by a wrong key: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	require.NoError(t, conn.PgConn().CancelRequest(ctx))
	select {
	case err := <-done:
		pe := pgErr(t, err)
		require.Equal(t, "57014", pe.Code)
		require.Equal(t, "canceling statement due to user request", pe.Message)
	case <-time.After(5 * time.Second):
		t.Fatal("statement was not canceled")
	}
	var n int64
	require.NoError(t, conn.QueryRow(ctx, "rows 1").Scan(&n, new(string)))
}

// rawCancel sends a CancelRequest with the given key.
func rawCancel(t *testing.T, addr string, pid uint32, secret []byte) error {
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer nc.Close()
	buf, err := (&pgproto3.CancelRequest{ProcessID: pid, SecretKey: secret}).Encode(nil)
	require.NoError(t, err)
	_, err = nc.Write(buf)
	if err != nil {
		return err
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = nc.Read(make([]byte, 1))
	if errors.Is(err, io.EOF) {
		return nil // the server closes without a response
	}
	return err
}

func TestPanicInSession(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)
	_, err := conn.Exec(ctx, "panic")
	pe := pgErr(t, err)
	require.Equal(t, "XX000", pe.Code)
	require.Contains(t, pe.Message, "fake session exploded")

	// A panic mid-stream: the rows sent before stay, the error follows.
	results, err := conn.PgConn().Exec(ctx, "panic rows").ReadAll()
	require.Equal(t, "XX000", pgErr(t, err).Code)
	require.Len(t, results, 1)
	require.Len(t, results[0].Rows, 1)

	var n int64
	require.NoError(t, conn.QueryRow(ctx, "rows 3").Scan(&n, new(string)))
	require.Equal(t, int64(1), n)

	// An error from the iterator after some rows.
	_, err = conn.PgConn().Exec(ctx, "fail rows").ReadAll()
	require.Equal(t, "22012", pgErr(t, err).Code)
}

func TestGarbageClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t)
	good := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)

	cases := map[string][]byte{
		"unknown type":   {'!', 0, 0, 0, 4},
		"high type":      {0xfe, 0, 0, 0, 4},
		"absurd length":  {'Q', 0x7f, 0xff, 0xff, 0xff},
		"short length":   {'Q', 0, 0, 0, 2},
		"malformed bind": {'B', 0, 0, 0, 6, 'x', 'y'},
	}
	messages := map[string]string{
		"unknown type":  "invalid frontend message type 33",
		"high type":     "invalid frontend message type 254",
		"absurd length": "invalid message length",
		"short length":  "invalid message length",
	}
	for name, garbage := range cases {
		t.Run(name, func(t *testing.T) {
			nc, fe := rawStartup(t, ts)
			_, err := nc.Write(garbage)
			require.NoError(t, err)
			msg, err := fe.Receive()
			require.NoError(t, err)
			er, ok := msg.(*pgproto3.ErrorResponse)
			require.True(t, ok, "%T", msg)
			require.Equal(t, "FATAL", er.Severity)
			require.Equal(t, "08P01", er.Code)
			if want, ok := messages[name]; ok {
				require.Equal(t, want, er.Message)
			}
			_, err = fe.Receive()
			require.Error(t, err) // closed
			var n int64
			require.NoError(t, good.QueryRow(ctx, "rows 1").Scan(&n, new(string)))
		})
	}

	// Garbage instead of a startup packet: closed without a word.
	nc, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer nc.Close()
	_, err = nc.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	require.NoError(t, err)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = nc.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	var n int64
	require.NoError(t, good.QueryRow(ctx, "rows 1").Scan(&n, new(string)))
}

func TestSSLRequestAndProtocolVersions(t *testing.T) {
	ts := startServer(t)

	// SSLRequest and GSSENCRequest are declined with 'N'; then a normal
	// startup works on the same connection.
	nc, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	for _, req := range []pgproto3.FrontendMessage{&pgproto3.SSLRequest{}, &pgproto3.GSSEncRequest{}} {
		buf, err := req.Encode(nil)
		require.NoError(t, err)
		_, err = nc.Write(buf)
		require.NoError(t, err)
		b := make([]byte, 1)
		_, err = io.ReadFull(nc, b)
		require.NoError(t, err)
		require.Equal(t, byte('N'), b[0])
	}
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}})
	require.NoError(t, fe.Flush())
	msgs := receiveUntilReady(t, fe)
	require.Equal(t, "AuthenticationOk", msgNames(msgs)[0])

	// Protocol 2.0 is refused.
	er := startupError(t, ts, 2<<16, map[string]string{"user": "u"})
	require.Equal(t, "0A000", er.Code)
	require.Equal(t, "FATAL", er.Severity)
	require.Equal(t, "unsupported frontend protocol 2.0: server supports 3.0 to 3.0", er.Message)

	// No user.
	er = startupError(t, ts, 3<<16, map[string]string{"database": "x"})
	require.Equal(t, "28000", er.Code)

	// Protocol 3.2 is negotiated down to 3.0.
	nc2, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer nc2.Close()
	fe2 := pgproto3.NewFrontend(nc2, nc2)
	fe2.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion32, Parameters: map[string]string{"user": "u"}})
	require.NoError(t, fe2.Flush())
	msgs = receiveUntilReady(t, fe2)
	require.Equal(t, "NegotiateProtocolVersion", msgNames(msgs)[0])
	require.Equal(t, uint32(0), msgs[0].(*pgproto3.NegotiateProtocolVersion).NewestMinorProtocol)
}

// startupError sends a startup packet with the given version and returns
// the ErrorResponse.
func startupError(t *testing.T, ts *testServer, version uint32, params map[string]string) *pgproto3.ErrorResponse {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	body := binary.BigEndian.AppendUint32(nil, version)
	for k, v := range params {
		body = append(append(append(append(body, k...), 0), v...), 0)
	}
	body = append(body, 0)
	pkt := binary.BigEndian.AppendUint32(nil, uint32(len(body)+4))
	_, err = nc.Write(append(pkt, body...))
	require.NoError(t, err)
	fe := pgproto3.NewFrontend(nc, nc)
	msg, err := fe.Receive()
	require.NoError(t, err)
	er, ok := msg.(*pgproto3.ErrorResponse)
	require.True(t, ok, "%T", msg)
	return er
}

func TestTransactionStatusNoticesAndParamStatus(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)
	pc := conn.PgConn()
	require.NoError(t, pc.Exec(ctx, "begin").Close())
	require.Equal(t, byte('T'), pc.TxStatus())
	require.NoError(t, pc.Exec(ctx, "commit").Close())
	require.Equal(t, byte('I'), pc.TxStatus())

	fe := rawConn(t, ts)
	fe.Send(&pgproto3.Query{String: "notice; set tz Europe/Paris; types"})
	require.NoError(t, fe.Flush())
	msgs := receiveUntilReady(t, fe)
	require.Equal(t, []string{"NoticeResponse", "CommandComplete", "CommandComplete", "RowDescription", "DataRow", "CommandComplete", "ParameterStatus", "ReadyForQuery"}, msgNames(msgs))
	require.Equal(t, "this is a notice", msgs[0].(*pgproto3.NoticeResponse).Message)
	require.Equal(t, "NOTICE", msgs[0].(*pgproto3.NoticeResponse).Severity)
	ps := msgs[6].(*pgproto3.ParameterStatus)
	require.Equal(t, "TimeZone", ps.Name)
	require.Equal(t, "Europe/Paris", ps.Value)
	// timestamptz is formatted in the session's new time zone.
	require.Equal(t, "2026-01-02 04:04:05.5+01", string(msgs[4].(*pgproto3.DataRow).Values[7]))
}

func TestTerminateClosesSession(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, conn.Close(testCtx(t)))
	waitFor(t, func() bool {
		ts.eng.mu.Lock()
		defer ts.eng.mu.Unlock()
		return ts.eng.closed == 1
	})
}

// rawStartup connects and completes the startup with a pgproto3 frontend.
func rawStartup(t *testing.T, ts *testServer) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "weir"}})
	require.NoError(t, fe.Flush())
	receiveUntilReady(t, fe)
	return nc, fe
}

func rawConn(t *testing.T, ts *testServer) *pgproto3.Frontend {
	_, fe := rawStartup(t, ts)
	return fe
}

func receive(t *testing.T, fe *pgproto3.Frontend) pgproto3.BackendMessage {
	t.Helper()
	msg, err := fe.Receive()
	require.NoError(t, err)
	return copyMessage(t, msg)
}

// receiveUntilReady returns the messages up to and including
// ReadyForQuery.
func receiveUntilReady(t *testing.T, fe *pgproto3.Frontend) []pgproto3.BackendMessage {
	t.Helper()
	var out []pgproto3.BackendMessage
	for {
		msg := receive(t, fe)
		out = append(out, msg)
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
}

// copyMessage detaches a received message from the frontend's buffers
// (Receive reuses them).
func copyMessage(t *testing.T, msg pgproto3.BackendMessage) pgproto3.BackendMessage {
	buf, err := msg.Encode(nil)
	require.NoError(t, err)
	fe := pgproto3.NewFrontend(strings.NewReader(string(buf)), io.Discard)
	out, err := fe.Receive()
	require.NoError(t, err)
	return out
}

func msgNames(msgs []pgproto3.BackendMessage) []string {
	names := make([]string, len(msgs))
	for i, m := range msgs {
		names[i] = strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
	}
	return names
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
