package exec_test

import (
	"context"
	"fmt"
	"path/filepath"
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
)

// parseType maps a pg_type name to a type.
func parseType(t *testing.T, s string) types.T {
	for _, x := range types.All() {
		if x.TypName() == s {
			return x
		}
	}
	t.Fatalf("unknown type %q", s)
	return types.T{}
}

// parseChunks reads chunks written as text: one row per line, "+" or "-"
// then the values; a line "--" starts a new chunk.
func parseChunks(t *testing.T, ts []types.T, text string) []*types.Chunk {
	var out []*types.Chunk
	cur := types.NewChunk(ts, 8)
	cur.Ops = []types.Op{}
	flush := func() {
		if cur.N > 0 {
			out = append(out, cur)
		}
		cur = types.NewChunk(ts, 8)
		cur.Ops = []types.Op{}
	}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "--" {
			flush()
			continue
		}
		require.Len(t, f, len(ts)+1, "line %q", line)
		op := types.Insert
		if f[0] == "-" {
			op = types.Delete
		}
		for i, v := range f[1:] {
			if v == "NULL" {
				cur.Cols[i].AppendNull()
				continue
			}
			d, err := types.ParseText(ts[i], v, time.UTC)
			require.NoError(t, err)
			cur.Cols[i].Append(d)
		}
		cur.Ops = append(cur.Ops, op)
		cur.N++
	}
	flush()
	return out
}

// recorder is a Consumer that prints what it receives.
type recorder struct {
	b        strings.Builder
	finished int
}

func (r *recorder) Push(ctx *exec.Ctx, c *types.Chunk) error {
	for i := 0; i < c.N; i++ {
		if c.Op(i) == types.Delete {
			r.b.WriteString("-")
		} else {
			r.b.WriteString("+")
		}
		for _, v := range c.Cols {
			r.b.WriteByte(' ')
			if v.IsNull(i) {
				r.b.WriteString("NULL")
			} else {
				r.b.Write(v.AppendText(nil, i, time.UTC))
			}
		}
		r.b.WriteByte('\n')
	}
	return nil
}

func (r *recorder) Finish(ctx *exec.Ctx) error { r.finished++; return nil }

func cols(ts []types.T) []planner.Column {
	out := make([]planner.Column, len(ts))
	for i, t := range ts {
		out[i] = planner.Column{Name: fmt.Sprintf("c%d", i), T: t}
	}
	return out
}

func colRef(ts []types.T, i int) expr.Expr {
	return &expr.ColRef{Idx: i, T: ts[i], Name: fmt.Sprintf("c%d", i)}
}

func TestOperators(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if streamTestdata[filepath.Base(path)] || joinTestdata[filepath.Base(path)] {
			return // run by TestStreamOperators
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var tnames []string
			d.ScanArgs(t, "types", &tnames)
			ts := make([]types.T, len(tnames))
			for i, n := range tnames {
				ts[i] = parseType(t, n)
			}
			input := &planner.Values{Cols: cols(ts)}
			ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}}
			rec := &recorder{}
			var op exec.Consumer
			ints := func(key string) []int {
				var ss []string
				if d.HasArg(key) {
					d.ScanArgs(t, key, &ss)
				}
				out := make([]int, len(ss))
				for i, s := range ss {
					n, err := strconv.Atoi(s)
					require.NoError(t, err)
					out[i] = n
				}
				return out
			}
			switch d.Cmd {
			case "hash_agg":
				n := hashAggNode(t, d, ts, input)
				a, err := exec.NewHashAgg(n, rec)
				require.NoError(t, err)
				op = a
			case "distinct":
				op = exec.NewDistinct(&planner.Distinct{Input: input}, rec)
			case "sort":
				// keys=(col[d][f], ...): d descending, f nulls first.
				var keys []string
				d.ScanArgs(t, "keys", &keys)
				n := &planner.Sort{Input: input}
				for _, k := range keys {
					c, err := strconv.Atoi(strings.TrimRight(k, "df"))
					require.NoError(t, err)
					sk := planner.SortKey{E: colRef(ts, c), Desc: strings.Contains(k, "d")}
					sk.NullsFirst = strings.Contains(k, "f")
					n.Keys = append(n.Keys, sk)
				}
				s, err := exec.NewSort(n, rec)
				require.NoError(t, err)
				op = s
			case "hash_join":
				// Input: left chunks, a line "==", right chunks; keys=(l,r)
				// join on column l of the left = column r of the right,
				// both of types; kind=inner|left|right|full|semi|anti.
				var kind string
				d.ScanArgs(t, "kind", &kind)
				k := ints("keys")
				left, right, _ := strings.Cut(d.Input, "==")
				kinds := map[string]planner.JoinKind{"inner": planner.InnerJoin, "left": planner.LeftJoin, "right": planner.RightJoin,
					"full": planner.FullJoin, "semi": planner.SemiJoin, "anti": planner.AntiJoin}
				n := &planner.HashJoin{Kind: kinds[kind], Left: input, Right: input,
					LeftKeys: []expr.Expr{colRef(ts, k[0])}, RightKeys: []expr.Expr{colRef(ts, k[1])}}
				j, err := exec.NewHashJoin(n, rec)
				require.NoError(t, err)
				for _, c := range parseChunks(t, ts, right) {
					require.NoError(t, j.Right().Push(ctx, c))
				}
				require.NoError(t, j.Right().Finish(ctx))
				for _, c := range parseChunks(t, ts, left) {
					require.NoError(t, j.Left().Push(ctx, c))
				}
				require.NoError(t, j.Left().Finish(ctx))
				require.Equal(t, 1, rec.finished)
				return rec.b.String()
			default:
				t.Fatalf("unknown operator %s", d.Cmd)
			}
			for _, c := range parseChunks(t, ts, d.Input) {
				if err := op.Push(ctx, c); err != nil {
					return "error: " + err.Error() + "\n"
				}
			}
			if err := op.Finish(ctx); err != nil {
				return "error: " + err.Error() + "\n"
			}
			require.Equal(t, 1, rec.finished)
			return rec.b.String()
		})
	})
}

// hashAggNode builds a HashAgg from the test's arguments:
// group=(cols) aggs=(name:col, ...) with col -1 for count(*).
func hashAggNode(t *testing.T, d *datadriven.TestData, ts []types.T, input planner.Node) *planner.HashAgg {
	ints := func(key string) []int {
		var ss []string
		if d.HasArg(key) {
			d.ScanArgs(t, key, &ss)
		}
		out := make([]int, len(ss))
		for i, s := range ss {
			n, err := strconv.Atoi(s)
			require.NoError(t, err)
			out[i] = n
		}
		return out
	}

	n := &planner.HashAgg{Input: input}
	out := []planner.Column{}
	for _, g := range ints("group") {
		n.GroupBy = append(n.GroupBy, colRef(ts, g))
		out = append(out, planner.Column{Name: "g", T: ts[g]})
	}
	var aggs []string
	d.ScanArgs(t, "aggs", &aggs)
	// Each agg is [d~]name:args[:order]: args are column numbers
	// joined by + (-1 alone for count(*)), d~ makes it DISTINCT,
	// order is sort keys joined by + as in sort's keys.
	for _, a := range aggs {
		distinct := strings.HasPrefix(a, "d~")
		a = strings.TrimPrefix(a, "d~")
		parts := strings.Split(a, ":")
		name := parts[0]
		var args []expr.Expr
		var ats []types.T
		for _, col := range strings.Split(parts[1], "+") {
			c, err := strconv.Atoi(col)
			require.NoError(t, err)
			if c >= 0 {
				args = append(args, colRef(ts, c))
				ats = append(ats, ts[c])
			}
		}
		var order []planner.SortKey
		if len(parts) > 2 {
			for _, k := range strings.Split(parts[2], "+") {
				c, err := strconv.Atoi(strings.TrimRight(k, "df"))
				require.NoError(t, err)
				order = append(order, planner.SortKey{E: colRef(ts, c), Desc: strings.Contains(k, "d"), NullsFirst: strings.Contains(k, "f")})
			}
		}
		fn, err := expr.ResolveAgg(name, ats)
		if err != nil && len(ats) == 0 {
			fn, err = expr.ResolveAgg(name, []types.T{types.TInt4})
			args = []expr.Expr{&expr.Const{D: types.DInt(1), T: types.TInt4}}
		}
		require.NoError(t, err)
		n.Aggs = append(n.Aggs, planner.AggCall{Fn: fn, Args: args, Distinct: distinct, OrderBy: order})
		out = append(out, planner.Column{Name: name, T: fn.Ret})
	}
	n.Cols = out
	return n
}
