package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// fakeEngine makes fakeSessions and records what they saw, so protocol
// tests can run without the SQL layers. Its statement language:
//
//	rows N [chunk K]   N rows (i int8 = 1..N, s text = "row i"), K per chunk (default 3)
//	types              one row of many types, the last column NULL
//	echo T1 T2 ...     one row of its parameters, typed T1... unless the client typed them
//	error at P         Prepare fails: 42601 at position P of the statement
//	fail               Execute fails: 22012 division by zero
//	fail rows          the iterator fails after the first row
//	sleep D            Execute's iterator waits D (or until canceled), then returns one row
//	panic              Execute panics
//	panic rows         the iterator panics on its second chunk
//	copy N [binary]    COPY FROM STDIN with N columns; Finish tags "COPY <lines>"
//	begin | commit     transaction status T / I
//	insert             tag INSERT 0 1
//	notice             raises a NOTICE, tag DO
//	set tz Z           reports TimeZone=Z
//	(blank or -- ...)  an empty statement
type fakeEngine struct {
	mu       sync.Mutex
	executed []string // statements executed, in order
	copied   []string // data of finished copies
	aborted  int      // aborted copies
	closed   int      // sessions closed
	engClose int      // engine Close calls
}

func (e *fakeEngine) NewSession() Session { return &fakeSession{eng: e, settings: map[string]string{}} }

func (e *fakeEngine) Close(ctx context.Context) error {
	e.mu.Lock()
	e.engClose++
	e.mu.Unlock()
	return nil
}

func (e *fakeEngine) executedList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.executed...)
}

type fakeSession struct {
	eng      *fakeEngine
	inTx     bool
	pid      uint32
	notices  []*pgerror.Error
	settings map[string]string
}

var (
	_ Session          = (*fakeSession)(nil)
	_ TxStatusReporter = (*fakeSession)(nil)
	_ ProcessIDSetter  = (*fakeSession)(nil)
	_ NoticeSource     = (*fakeSession)(nil)
)

func (s *fakeSession) TxStatus() byte {
	if s.inTx {
		return 'T'
	}
	return 'I'
}

func (s *fakeSession) SetProcessID(pid uint32) { s.pid = pid }

func (s *fakeSession) TakeNotices() []*pgerror.Error {
	n := s.notices
	s.notices = nil
	return n
}

func (s *fakeSession) Split(text string) []Piece {
	var out []Piece
	start := 0
	for i := 0; i <= len(text); i++ {
		if i == len(text) || text[i] == ';' {
			out = append(out, Piece{Text: text[start:i], Offset: utf8.RuneCountInString(text[:start])})
			start = i + 1
		}
	}
	return out
}

func (s *fakeSession) Setting(name string) string { return s.settings[name] }

func (s *fakeSession) InitialParams(startup map[string]string) map[string]string {
	if tz := startup["TimeZone"]; tz != "" {
		s.settings["TimeZone"] = tz
	}
	return map[string]string{"server_version": "15.0", "weir_fake": "yes"}
}

func (s *fakeSession) Close() {
	s.eng.mu.Lock()
	s.eng.closed++
	s.eng.mu.Unlock()
}

var fakeTypes = map[string]types.T{
	"bool": types.TBool, "int2": types.TInt2, "int4": types.TInt4, "int8": types.TInt8,
	"float8": types.TFloat8, "numeric": types.TNumeric, "text": types.TText,
	"timestamptz": types.TTimestampTZ, "timestamp": types.TTimestamp, "date": types.TDate,
	"interval": types.TInterval, "bytea": types.TBytea,
}

func (s *fakeSession) Prepare(ctx context.Context, text string, paramTypes []types.T) (*Prepared, error) {
	f := strings.Fields(stripComments(text))
	p := &Prepared{Text: text, Kind: "other"}
	if len(f) == 0 || strings.HasPrefix(f[0], "--") {
		p.Empty = true
		return p, nil
	}
	p.Kind = f[0]
	switch f[0] {
	case "rows", "sleep", "fail":
		p.Columns = []ResultColumn{{Name: "i", T: types.TInt8}, {Name: "s", T: types.TText}}
		if f[0] == "fail" && len(f) == 1 {
			p.Columns = nil
		}
	case "panic":
		p.Columns = []ResultColumn{{Name: "i", T: types.TInt8}, {Name: "s", T: types.TText}}
	case "types":
		for _, n := range []string{"bool", "int2", "int4", "int8", "float8", "numeric", "text", "timestamptz", "date", "interval", "bytea", "text"} {
			p.Columns = append(p.Columns, ResultColumn{Name: n, T: fakeTypes[n]})
		}
	case "echo":
		for i, n := range f[1:] {
			t, ok := fakeTypes[n]
			if !ok {
				return nil, pgerror.New(pgerror.CodeUndefinedObject, "type \"%s\" does not exist", n)
			}
			if i < len(paramTypes) && paramTypes[i].ID != types.Unknown {
				t = paramTypes[i]
			}
			p.ParamTypes = append(p.ParamTypes, t)
			p.Columns = append(p.Columns, ResultColumn{Name: fmt.Sprintf("p%d", i+1), T: t})
		}
	case "error":
		pos, _ := strconv.Atoi(f[len(f)-1])
		return nil, pgerror.Syntax(pos, "syntax error at or near \"%s\"", f[0])
	case "copy", "begin", "commit", "insert", "notice", "set":
	default:
		return nil, pgerror.New(pgerror.CodeSyntaxError, "unknown fake statement %q", f[0])
	}
	return p, nil
}

func (s *fakeSession) Execute(ctx context.Context, p *Prepared, params []types.Datum) (*Result, error) {
	s.eng.mu.Lock()
	s.eng.executed = append(s.eng.executed, strings.TrimSpace(p.Text))
	s.eng.mu.Unlock()
	f := strings.Fields(stripComments(p.Text))
	arg := func(i, def int) int {
		if len(f) > i {
			if n, err := strconv.Atoi(f[i]); err == nil {
				return n
			}
		}
		return def
	}
	switch f[0] {
	case "rows":
		return &Result{Tag: "SELECT", Rows: &fakeRows{n: arg(1, 0), chunk: arg(3, 3)}}, nil
	case "types":
		return &Result{Tag: "SELECT", Rows: &typesRows{}}, nil
	case "echo":
		ch := types.NewChunk(columnTypes(p.Columns), 1)
		ch.AppendRow(params)
		return &Result{Tag: "SELECT", Rows: &sliceRows{chunks: []*types.Chunk{ch}}}, nil
	case "fail":
		if len(f) > 1 {
			return &Result{Tag: "SELECT", Rows: &fakeRows{n: 10, chunk: 1, failAfter: 1}}, nil
		}
		return nil, pgerror.New(pgerror.CodeDivisionByZero, "division by zero")
	case "sleep":
		d, _ := time.ParseDuration(f[1])
		return &Result{Tag: "SELECT", Rows: &fakeRows{n: 1, chunk: 1, sleep: d}}, nil
	case "panic":
		if len(f) > 1 {
			return &Result{Tag: "SELECT", Rows: &fakeRows{n: 10, chunk: 1, panicAfter: 1}}, nil
		}
		panic("fake session exploded")
	case "copy":
		var buf strings.Builder
		return &Result{CopyIn: &CopyIn{
			Columns: arg(1, 1),
			Binary:  len(f) > 2 && f[2] == "binary",
			Write: func(ctx context.Context, data []byte) error {
				if strings.Contains(string(data), "bad") {
					return pgerror.New(pgerror.CodeInvalidTextRepresentation, "invalid input syntax for type bigint: \"bad\"")
				}
				buf.Write(data)
				return nil
			},
			Finish: func(ctx context.Context) (string, error) {
				s.eng.mu.Lock()
				s.eng.copied = append(s.eng.copied, buf.String())
				s.eng.mu.Unlock()
				return fmt.Sprintf("COPY %d", strings.Count(buf.String(), "\n")), nil
			},
			Abort: func() {
				s.eng.mu.Lock()
				s.eng.aborted++
				s.eng.mu.Unlock()
			},
		}}, nil
	case "begin":
		s.inTx = true
		return &Result{Tag: "BEGIN"}, nil
	case "commit":
		s.inTx = false
		return &Result{Tag: "COMMIT"}, nil
	case "insert":
		return &Result{Tag: "INSERT 0 1"}, nil
	case "notice":
		s.notices = append(s.notices, pgerror.New(pgerror.CodeSuccessfulCompletion, "this is a notice"))
		return &Result{Tag: "DO"}, nil
	case "set":
		s.settings["TimeZone"] = f[2]
		return &Result{Tag: "SET", ParamStatus: map[string]string{"TimeZone": f[2]}}, nil
	}
	return nil, pgerror.New(pgerror.CodeInternalError, "unreachable")
}

// fakeRows yields rows (i, "row i") for i in 1..n, chunk rows at a time.
type fakeRows struct {
	n, chunk   int
	next       int
	sleep      time.Duration
	failAfter  int
	panicAfter int
	closed     bool
}

func (r *fakeRows) Next(ctx context.Context) (*types.Chunk, error) {
	if r.sleep > 0 {
		select {
		case <-time.After(r.sleep):
			r.sleep = 0
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if r.failAfter > 0 && r.next >= r.failAfter {
		return nil, pgerror.New(pgerror.CodeDivisionByZero, "division by zero")
	}
	if r.panicAfter > 0 && r.next >= r.panicAfter {
		panic("iterator exploded")
	}
	if r.next >= r.n {
		return nil, nil
	}
	ch := types.NewChunk([]types.T{types.TInt8, types.TText}, r.chunk)
	for k := 0; k < r.chunk && r.next < r.n; k++ {
		r.next++
		ch.AppendRow([]types.Datum{types.DInt(int64(r.next)), types.DString(fmt.Sprintf("row %d", r.next))})
	}
	return ch, nil
}

func (r *fakeRows) Close() { r.closed = true }

type sliceRows struct{ chunks []*types.Chunk }

func (r *sliceRows) Next(ctx context.Context) (*types.Chunk, error) {
	if len(r.chunks) == 0 {
		return nil, nil
	}
	ch := r.chunks[0]
	r.chunks = r.chunks[1:]
	return ch, nil
}

func (r *sliceRows) Close() {}

// typesRows returns one row with a value of each type of the "types"
// statement; the last column is NULL.
type typesRows struct{ done bool }

// fakeTimestamp is 2026-01-02 03:04:05.5 UTC in microseconds since the
// Unix epoch.
var fakeTimestamp = time.Date(2026, 1, 2, 3, 4, 5, 500000000, time.UTC).UnixMicro()

func (r *typesRows) Next(ctx context.Context) (*types.Chunk, error) {
	if r.done {
		return nil, nil
	}
	r.done = true
	dec, _, _ := apd.NewFromString("123.450")
	row := []types.Datum{
		types.DBool(true), types.DInt(-2), types.DInt(40000), types.DInt(1 << 40),
		types.DFloat(0.1), types.DDecimal(dec), types.DString("héllo"),
		types.DInt(fakeTimestamp),
		types.DInt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).Unix() / 86400),
		types.DInterval(types.IntervalValue{Months: 14, Days: 3, Micros: 4*3600e6 + 5e6}),
		types.DString("\x00\x01\xff"),
		types.NullDatum,
	}
	ts := []types.T{types.TBool, types.TInt2, types.TInt4, types.TInt8, types.TFloat8, types.TNumeric,
		types.TText, types.TTimestampTZ, types.TDate, types.TInterval, types.TBytea, types.TText}
	ch := types.NewChunk(ts, 1)
	ch.AppendRow(row)
	return ch, nil
}

func (r *typesRows) Close() {}

// stripComments removes -- comments up to the end of their line.
func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
