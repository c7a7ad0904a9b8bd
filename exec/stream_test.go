package exec_test

import (
	"bytes"
	"context"
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

// streamTestdata are the files TestStreamOperators runs.
var streamTestdata = map[string]bool{"stream_agg": true, "top_n": true, "window_agg": true}

// barrierSink records what reaches the root of a streaming graph.
type barrierSink struct {
	recorder
	barriers int
}

func (s *barrierSink) Barrier(ctx *exec.Ctx, b *exec.Barrier) error { s.barriers++; return nil }

// loggingWriter stages writes into a state batch and describes them.
type loggingWriter struct {
	b      *state.Batch
	prefix []byte
	log    []string
	keyTs  []types.T // hash_agg: decode keys as group values
}

func (w *loggingWriter) describe(k []byte) string {
	k = bytes.TrimPrefix(k, w.prefix)
	if w.keyTs == nil {
		return fmt.Sprintf("%d-byte key", len(k))
	}
	var parts []string
	for _, t := range w.keyTs {
		d, rest, err := types.DecodeKey(k, t)
		if err != nil {
			return fmt.Sprintf("bad key %x: %v", k, err)
		}
		k = rest
		v := types.NewVec(t, 1)
		v.Append(d)
		if d.Null {
			parts = append(parts, "NULL")
		} else {
			parts = append(parts, string(v.AppendText(nil, 0, time.UTC)))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (w *loggingWriter) Set(k, v []byte) error {
	w.log = append(w.log, "set "+w.describe(k))
	return w.b.Set(k, v)
}

func (w *loggingWriter) Delete(k []byte) error {
	w.log = append(w.log, "delete "+w.describe(k))
	return w.b.Delete(k)
}

// streamOp is a stateful operator under test.
type streamOp interface {
	exec.BarrierConsumer
	exec.StatefulOperator
}

// TestStreamOperators runs testdata/stream_agg and testdata/top_n: input
// chunks as in TestOperators, with lines "barrier" (end a batch: print
// its output changes and state writes, commit the writes to a store) and
// "restart" (rebuild the operator from the committed state).
func TestStreamOperators(t *testing.T) {
	for file := range streamTestdata {
		datadriven.RunTest(t, "testdata/"+file, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "window_agg" {
				return runWindowAgg(t, d) // window_agg_test.go
			}
			var tnames []string
			d.ScanArgs(t, "types", &tnames)
			ts := make([]types.T, len(tnames))
			for i, n := range tnames {
				ts[i] = parseType(t, n)
			}
			input := &planner.Values{Cols: cols(ts)}
			prefix := state.QueryOpPrefix(1, 1)
			var keyTs []types.T
			var build func(out exec.Consumer) streamOp
			switch d.Cmd {
			case "stream_agg":
				n := hashAggNode(t, d, ts, input)
				for _, g := range n.GroupBy {
					keyTs = append(keyTs, g.Type())
				}
				if keyTs == nil {
					keyTs = []types.T{}
				}
				build = func(out exec.Consumer) streamOp {
					a, err := exec.NewHashAgg(n, out)
					require.NoError(t, err)
					require.NoError(t, a.SetStreaming(prefix))
					return a
				}
			case "top_n":
				build = func(out exec.Consumer) streamOp {
					tn, err := exec.NewTopN(topNNode(t, d, ts, input), out)
					require.NoError(t, err)
					tn.SetStreaming(prefix)
					return tn
				}
			default:
				t.Fatalf("unknown command %s", d.Cmd)
			}
			return runStream(t, ts, d.Input, prefix, keyTs, build)
		})
	}
}

func runStream(t *testing.T, ts []types.T, input string, prefix []byte, keyTs []types.T, build func(exec.Consumer) streamOp) string {
	store, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer store.Close()
	ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}}
	sink := &barrierSink{}
	op := build(sink)
	require.NoError(t, op.LoadState(store, prefix))
	var out strings.Builder
	batch := uint64(0)
	var chunkText strings.Builder
	pushPending := func() {
		for _, c := range parseChunks(t, ts, chunkText.String()) {
			require.NoError(t, op.Push(ctx, c))
		}
		chunkText.Reset()
	}
	for _, line := range strings.Split(input, "\n") {
		switch strings.TrimSpace(line) {
		case "barrier":
			pushPending()
			batch++
			b := store.NewBatch()
			w := &loggingWriter{b: b, prefix: prefix, keyTs: keyTs}
			sink.b.Reset()
			if err := op.Barrier(ctx, &exec.Barrier{BatchID: batch, W: w}); err != nil {
				fmt.Fprintf(&out, "batch %d: error: %v\n", batch, err)
				require.NoError(t, b.Close())
				continue
			}
			require.Equal(t, int(batch), sink.barriers, "barrier forwarded once")
			require.NoError(t, store.Apply(b, true))
			require.NoError(t, b.Close())
			fmt.Fprintf(&out, "batch %d:\n%s", batch, sink.b.String())
			for _, l := range w.log {
				fmt.Fprintf(&out, "  state: %s\n", l)
			}
		case "restart":
			pushPending()
			fmt.Fprintf(&out, "restart\n")
			sink = &barrierSink{barriers: int(batch)}
			op = build(sink)
			require.NoError(t, op.LoadState(store, prefix))
		default:
			chunkText.WriteString(line + "\n")
		}
	}
	pushPending()
	return out.String()
}

// topNNode builds a TopN: partition=(cols) order=(col[d][f], ...)
// limit=n [offset=m] [rownumber].
func topNNode(t *testing.T, d *datadriven.TestData, ts []types.T, input planner.Node) *planner.TopN {
	n := &planner.TopN{Input: input, N: -1}
	if d.HasArg("partition") {
		var ps []string
		d.ScanArgs(t, "partition", &ps)
		for _, p := range ps {
			c, err := strconv.Atoi(p)
			require.NoError(t, err)
			n.PartitionBy = append(n.PartitionBy, colRef(ts, c))
		}
	}
	var keys []string
	d.ScanArgs(t, "order", &keys)
	for _, k := range keys {
		c, err := strconv.Atoi(strings.TrimRight(k, "df"))
		require.NoError(t, err)
		n.Order = append(n.Order, planner.SortKey{E: colRef(ts, c), Desc: strings.Contains(k, "d"), NullsFirst: strings.Contains(k, "f")})
	}
	if d.HasArg("limit") {
		d.ScanArgs(t, "limit", &n.N)
	}
	if d.HasArg("offset") {
		d.ScanArgs(t, "offset", &n.Offset)
	}
	n.Cols = cols(ts)
	if d.HasArg("rownumber") {
		n.RowNumber = true
		n.Cols = append(n.Cols, planner.Column{Name: "rn", T: types.TInt8})
	}
	return n
}
