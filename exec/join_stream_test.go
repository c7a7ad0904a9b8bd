package exec_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// joinTestdata are the files TestJoinOperators runs (TestOperators skips
// them).
var joinTestdata = map[string]bool{"join_stream": true, "interval_join": true, "lookup_join": true}

// joinArgs reads the arguments common to the join tests:
//
//	left=(types) right=(types) keys=(l,r[;l,r...]) kind=inner|left|right|full
//	[residual=(a<b)]   a comparison of two columns of the concatenated row
func joinArgs(t *testing.T, d *datadriven.TestData) (lts, rts []types.T, lk, rk []expr.Expr, kind planner.JoinKind, residual expr.Expr) {
	typesArg := func(key string) []types.T {
		var ns []string
		d.ScanArgs(t, key, &ns)
		out := make([]types.T, len(ns))
		for i, n := range ns {
			out[i] = parseType(t, n)
		}
		return out
	}
	lts, rts = typesArg("left"), typesArg("right")
	var keys []string
	d.ScanArgs(t, "keys", &keys)
	for _, k := range keys {
		l, r, ok := strings.Cut(k, ":")
		require.True(t, ok, "keys are l:r pairs")
		li, err := strconv.Atoi(l)
		require.NoError(t, err)
		ri, err := strconv.Atoi(r)
		require.NoError(t, err)
		lk = append(lk, colRef(lts, li))
		rk = append(rk, colRef(rts, ri))
	}
	var ks string
	d.ScanArgs(t, "kind", &ks)
	kinds := map[string]planner.JoinKind{"inner": planner.InnerJoin, "left": planner.LeftJoin, "right": planner.RightJoin, "full": planner.FullJoin}
	kind, ok := kinds[ks]
	require.True(t, ok, "kind %q", ks)
	if d.HasArg("residual") {
		var r string
		d.ScanArgs(t, "residual", &r)
		residual = comparison(t, append(append([]types.T(nil), lts...), rts...), r)
	}
	return
}

// comparison parses "a<b" (a, b column indexes; <, <=, >, >=, =, <>).
func comparison(t *testing.T, ts []types.T, s string) expr.Expr {
	for _, op := range []string{"<=", ">=", "<>", "<", ">", "="} {
		a, b, ok := strings.Cut(s, op)
		if !ok {
			continue
		}
		ai, err := strconv.Atoi(a)
		require.NoError(t, err)
		bi, err := strconv.Atoi(b)
		require.NoError(t, err)
		fn, err := expr.ResolveOperator(op, ts[ai], ts[bi])
		require.NoError(t, err)
		return &expr.Call{Fn: fn, Args: []expr.Expr{colRef(ts, ai), colRef(ts, bi)}}
	}
	t.Fatalf("bad comparison %q", s)
	return nil
}

// joinOp is a two-input streaming join under test.
type joinOp interface {
	exec.StatefulOperator
	Left() exec.WatermarkConsumer
	Right() exec.WatermarkConsumer
}

// stateDescriber prints a join state key as side [join key] (row).
type stateDescriber struct {
	prefix   []byte
	lk, rk   []types.T // join key types per side
	lts, rts []types.T
	timeCols [2]int // interval join: the event time precedes the row
}

func (s stateDescriber) describe(k []byte) string {
	k = bytes.TrimPrefix(k, s.prefix)
	side, k := k[0], k[1:]
	kt, rt, tc := s.lk, s.lts, s.timeCols[0]
	if side == 'r' {
		kt, rt, tc = s.rk, s.rts, s.timeCols[1]
	}
	var parts []string
	decode := func(ts []types.T) string {
		var vs []string
		for _, t := range ts {
			d, rest, err := types.DecodeKey(k, t)
			if err != nil {
				return "bad key: " + err.Error()
			}
			k = rest
			vs = append(vs, textOf(t, d))
		}
		return strings.Join(vs, " ")
	}
	parts = append(parts, "["+decode(kt)+"]")
	if tc >= 0 {
		parts = append(parts, "@"+decode([]types.T{rt[tc]}))
	}
	parts = append(parts, "("+decode(rt)+")")
	return string(side) + " " + strings.Join(parts, " ")
}

func textOf(t types.T, d types.Datum) string {
	if d.Null {
		return "NULL"
	}
	return types.FormatText(t, d, time.UTC)
}

type describingWriter struct {
	b        *state.Batch
	describe func([]byte) string
	log      []string
}

func (w *describingWriter) Set(k, v []byte) error {
	w.log = append(w.log, "set "+w.describe(k)+describeJoinValue(v))
	return w.b.Set(k, v)
}

// describeJoinValue prints an entry's multiplicity and match degree.
func describeJoinValue(v []byte) string {
	p, err := state.ParseHeader(v, state.KindOpState)
	if err != nil {
		return " bad value: " + err.Error()
	}
	_, n := binary.Uvarint(p)
	p = p[n:]
	count, n := binary.Varint(p)
	p = p[n:]
	degree, _ := binary.Varint(p)
	return fmt.Sprintf(" x%d degree %d", count, degree)
}

func (w *describingWriter) Delete(k []byte) error {
	w.log = append(w.log, "delete "+w.describe(k))
	return w.b.Delete(k)
}

// fakeTable is a keyed relation for lookup joins: rows by the text of
// their key columns.
type fakeTable struct {
	cols    []planner.Column
	key     []int
	rows    map[string][]types.Datum
	lookups int
}

func (f *fakeTable) keyText(vals []types.Datum) string {
	var parts []string
	for i, d := range vals {
		parts = append(parts, textOf(f.cols[f.key[i]].T, d))
	}
	return strings.Join(parts, "|")
}

func (f *fakeTable) Lookup(key []types.Datum) ([]types.Datum, bool, error) {
	f.lookups++
	r, ok := f.rows[f.keyText(key)]
	return r, ok, nil
}

func (f *fakeTable) apply(c *types.Chunk) {
	for i := 0; i < c.N; i++ {
		row := c.Row(i)
		kv := make([]types.Datum, len(f.key))
		for j, k := range f.key {
			kv[j] = row[k]
		}
		if c.Op(i) == types.Delete {
			delete(f.rows, f.keyText(kv))
		} else {
			f.rows[f.keyText(kv)] = row
		}
	}
}

func (f *fakeTable) OID() uint32                                       { return 1 }
func (f *fakeTable) Schema() string                                    { return "public" }
func (f *fakeTable) Name() string                                      { return "tbl" }
func (f *fakeTable) Kind() planner.RelKind                             { return planner.KindTable }
func (f *fakeTable) Columns() []planner.Column                         { return f.cols }
func (f *fakeTable) PrimaryKey() []int                                 { return f.key }
func (f *fakeTable) Scan(context.Context) (planner.ChunkReader, error) { return nil, nil }

// TestJoinOperators runs testdata/join_stream, interval_join and
// lookup_join. Input lines: "left", "right" (join_stream, interval_join)
// or "input", "table" (lookup_join) choose where the following rows go
// (rows as in TestOperators); "watermark N" delivers watermark N to both
// inputs and makes it the watermark later rows are checked against;
// "barrier" ends a batch and prints its output changes and state writes
// (committed to a store); "restart" rebuilds the operator from the
// committed state. Late rows are printed as they are reported.
//
//	join_stream  <joinArgs> [window=(key index, offset)]
//	interval_join <joinArgs> time=(left col, right col) bounds=(lower, upper)
//	lookup_join input=(types) table=(types) tablekey=(cols) keys=(input cols) kind=inner|left [residual=(a<b)]
func TestJoinOperators(t *testing.T) {
	for file := range joinTestdata {
		datadriven.RunTest(t, "testdata/"+file, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "lookup_join" {
				return runLookupJoin(t, d)
			}
			return runJoin(t, d)
		})
	}
}

func intArgs(t *testing.T, d *datadriven.TestData, key string) []int {
	var ss []string
	d.ScanArgs(t, key, &ss)
	out := make([]int, len(ss))
	for i, s := range ss {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		out[i] = n
	}
	return out
}

func runJoin(t *testing.T, d *datadriven.TestData) string {
	lts, rts, lk, rk, kind, residual := joinArgs(t, d)
	l, r := &planner.Values{Cols: cols(lts)}, &planner.Values{Cols: cols(rts)}
	prefix := state.QueryOpPrefix(1, 1)
	desc := stateDescriber{prefix: prefix, lts: lts, rts: rts, timeCols: [2]int{-1, -1}}
	for _, k := range lk {
		desc.lk = append(desc.lk, k.Type())
	}
	for _, k := range rk {
		desc.rk = append(desc.rk, k.Type())
	}
	var build func(out exec.Consumer) joinOp
	switch d.Cmd {
	case "join_stream":
		n := &planner.StreamJoin{Kind: kind, Left: l, Right: r, LeftKeys: lk, RightKeys: rk, Residual: residual, WindowKey: -1}
		if d.HasArg("window") {
			w := intArgs(t, d, "window")
			n.WindowKey, n.WindowOffset = w[0], int64(w[1])
		}
		build = func(out exec.Consumer) joinOp {
			op, err := exec.NewStreamJoin(n, prefix, out)
			require.NoError(t, err)
			return op
		}
	case "interval_join":
		tc, b := intArgs(t, d, "time"), intArgs(t, d, "bounds")
		n := &planner.IntervalJoin{Kind: kind, Left: l, Right: r, LeftKeys: lk, RightKeys: rk, Residual: residual,
			LeftTime: tc[0], RightTime: tc[1], Lower: int64(b[0]), Upper: int64(b[1])}
		desc.timeCols = [2]int{tc[0], tc[1]}
		build = func(out exec.Consumer) joinOp {
			op, err := exec.NewIntervalJoin(n, prefix, 0, 1, out)
			require.NoError(t, err)
			return op
		}
	default:
		t.Fatalf("unknown command %s", d.Cmd)
	}
	store, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer store.Close()
	var out strings.Builder
	ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}, Watermark: exec.NoWatermark,
		Late: func(r exec.LateRow) {
			fmt.Fprintf(&out, "late input=%d %s (time %d, watermark %d)\n", r.Input, r.Row, r.EventTime, r.Watermark)
		}}
	sink := &watermarkSink{}
	op := build(sink)
	require.NoError(t, op.LoadState(store, prefix))
	batch, side := 0, 0
	var pending strings.Builder
	push := func() {
		ts, port := lts, op.Left()
		if side == 1 {
			ts, port = rts, op.Right()
		}
		for _, c := range parseChunks(t, ts, pending.String()) {
			if err := port.Push(ctx, c); err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
			}
		}
		pending.Reset()
	}
	for _, line := range strings.Split(d.Input, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && (f[0] == "left" || f[0] == "right"):
			push()
			side = map[string]int{"left": 0, "right": 1}[f[0]]
		case len(f) == 2 && f[0] == "watermark":
			push()
			wm, err := strconv.ParseInt(f[1], 10, 64)
			require.NoError(t, err)
			require.NoError(t, op.Left().Watermark(ctx, wm))
			require.Equal(t, 0, sink.watermarks, "watermark forwarded only once both inputs delivered it")
			require.NoError(t, op.Right().Watermark(ctx, wm))
			require.Equal(t, 1, sink.watermarks)
			sink.watermarks = 0
			ctx.Watermark = wm
		case len(f) == 1 && f[0] == "barrier":
			push()
			batch++
			b := store.NewBatch()
			w := &describingWriter{b: b, describe: desc.describe}
			require.NoError(t, op.Left().Barrier(ctx, &exec.Barrier{BatchID: uint64(batch), W: w}))
			require.Equal(t, batch-1, sink.barriers, "barrier forwarded only once both inputs delivered it")
			require.NoError(t, op.Right().Barrier(ctx, &exec.Barrier{BatchID: uint64(batch), W: w}))
			require.Equal(t, batch, sink.barriers)
			require.NoError(t, store.Apply(b, true))
			require.NoError(t, b.Close())
			fmt.Fprintf(&out, "batch %d:\n%s", batch, sink.b.String())
			sink.b.Reset()
			for _, l := range w.log {
				fmt.Fprintf(&out, "  state: %s\n", l)
			}
		case len(f) == 1 && f[0] == "restart":
			push()
			out.WriteString("restart\n")
			if s := sink.b.String(); s != "" {
				// Output of a batch that was not committed is lost with it.
				out.WriteString("(uncommitted output dropped)\n")
			}
			sink = &watermarkSink{barrierSink: barrierSink{barriers: batch}}
			op = build(sink)
			require.NoError(t, op.LoadState(store, prefix))
		default:
			pending.WriteString(line + "\n")
		}
	}
	push()
	if s := sink.b.String(); s != "" {
		out.WriteString("pending:\n" + s)
	}
	return out.String()
}

// watermarkSink is a barrierSink that also counts watermarks.
type watermarkSink struct {
	barrierSink
	watermarks int
}

func (s *watermarkSink) Watermark(ctx *exec.Ctx, wm int64) error { s.watermarks++; return nil }

func runLookupJoin(t *testing.T, d *datadriven.TestData) string {
	typesArg := func(key string) []types.T {
		var ns []string
		d.ScanArgs(t, key, &ns)
		out := make([]types.T, len(ns))
		for i, n := range ns {
			out[i] = parseType(t, n)
		}
		return out
	}
	its, tts := typesArg("input"), typesArg("table")
	tbl := &fakeTable{cols: cols(tts), key: intArgs(t, d, "tablekey"), rows: map[string][]types.Datum{}}
	n := &planner.LookupJoin{Input: &planner.Values{Cols: cols(its)}, Rel: tbl}
	for _, k := range intArgs(t, d, "keys") {
		n.Keys = append(n.Keys, colRef(its, k))
	}
	var ks string
	d.ScanArgs(t, "kind", &ks)
	n.Kind = map[string]planner.JoinKind{"inner": planner.InnerJoin, "left": planner.LeftJoin}[ks]
	if d.HasArg("residual") {
		var r string
		d.ScanArgs(t, "residual", &r)
		n.Residual = comparison(t, append(append([]types.T(nil), its...), tts...), r)
	}
	ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}, Watermark: exec.NoWatermark}
	sink := &watermarkSink{}
	op, err := exec.NewLookupJoin(n, tbl, sink)
	require.NoError(t, err)
	var out strings.Builder
	toTable, batch := false, 0
	var pending strings.Builder
	push := func() {
		ts := its
		if toTable {
			ts = tts
		}
		for _, c := range parseChunks(t, ts, pending.String()) {
			if toTable {
				tbl.apply(c)
			} else if err := op.Push(ctx, c); err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
			}
		}
		pending.Reset()
	}
	for _, line := range strings.Split(d.Input, "\n") {
		switch f := strings.Fields(line); {
		case len(f) == 1 && (f[0] == "input" || f[0] == "table"):
			push()
			toTable = f[0] == "table"
		case len(f) == 1 && f[0] == "barrier":
			push()
			batch++
			require.NoError(t, op.Watermark(ctx, int64(batch)))
			require.NoError(t, op.Barrier(ctx, &exec.Barrier{BatchID: uint64(batch)}))
			require.Equal(t, batch, sink.barriers)
			require.Equal(t, batch, sink.watermarks)
			fmt.Fprintf(&out, "batch %d: (%d lookups)\n%s", batch, tbl.lookups, sink.b.String())
			sink.b.Reset()
			tbl.lookups = 0
		default:
			pending.WriteString(line + "\n")
		}
	}
	push()
	return out.String()
}
