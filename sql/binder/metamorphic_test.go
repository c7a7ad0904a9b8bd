package binder_test

import (
	"context"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/planner/plantest"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// TestChunkSplitInvariance runs queries over every operator with the
// tables scanned in random chunk sizes and checks that the result (as a
// multiset of rows) never depends on how the input was split.
func TestChunkSplitInvariance(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	cat := plantest.New()
	cols := []planner.Column{{Name: "k", T: types.TInt4}, {Name: "g", T: types.TText}, {Name: "v", T: types.TInt8}}
	var rows [][]types.Datum
	for i := 0; i < 3000; i++ {
		v := types.DInt(int64(rng.Intn(100)))
		if rng.Intn(10) == 0 {
			v = types.NullDatum
		}
		rows = append(rows, []types.Datum{types.DInt(int64(rng.Intn(50))), types.DString(string(rune('a' + rng.Intn(5)))), v})
	}
	t1 := cat.AddTable("t", cols, rows)
	t2 := cat.AddTable("s", cols, rows[:700])
	queries := []string{
		"select g, count(*), sum(v), min(v), max(v), count(distinct k) from t group by g",
		"select k, v from t where v > 50 and g <> 'c'",
		"select t.k, s.v from t join s on t.k = s.k and t.g = s.g where t.v < 10",
		"select t.k, s.v from t left join s on t.k = s.k and s.v > 90",
		"select distinct k, g from t",
		"select k from t union select k from s",
		"select k from t except all select k from s",
		"select k, g from t order by k, g limit 17 offset 3",
		"select k, sum(v) over (partition by g order by k rows between 2 preceding and current row), rank() over (partition by g order by k) from t",
		"select k from s where k in (select k from t where v = 3)",
	}
	run := func(q string) string {
		src, err := parse(q)
		require.NoError(t, err)
		b, err := binder.BindSource(cat, src, nil, binder.Options{})
		require.NoError(t, err)
		c, err := exec.Collect(context.Background(), b.Plan, &expr.EvalCtx{Now: time.Unix(0, 0), Location: time.UTC})
		require.NoError(t, err, q)
		lines := strings.Split(formatRows(b.Columns, c), "\n")
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
	for _, q := range queries {
		t1.ChunkSize, t2.ChunkSize = 1024, 1024
		want := run(q)
		for range 5 {
			t1.ChunkSize, t2.ChunkSize = 1+rng.Intn(300), 1+rng.Intn(300)
			require.Equal(t, want, run(q), "%s with chunks %d/%d", q, t1.ChunkSize, t2.ChunkSize)
		}
	}
}
