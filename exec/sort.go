package exec

import (
	"slices"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// Sort buffers its whole input and emits it ordered by the keys at
// Finish. The sort is stable. Delete rows are sorted like inserts (a
// bounded sort sees none).
type Sort struct {
	keys []planner.SortKey
	evs  []expr.Evaluator
	buf  *types.Chunk
	out  Consumer
}

// NewSort compiles the sort keys of n.
func NewSort(n *planner.Sort, out Consumer) (*Sort, error) {
	s := &Sort{keys: n.Keys, out: out, buf: types.NewChunk(planner.Types(n.Schema()), 64)}
	for _, k := range n.Keys {
		ev, err := expr.Compile(k.E)
		if err != nil {
			return nil, err
		}
		s.evs = append(s.evs, ev)
	}
	return s, nil
}

func (s *Sort) Push(ctx *Ctx, c *types.Chunk) error {
	appendChunk(s.buf, c)
	return nil
}

func (s *Sort) Finish(ctx *Ctx) error {
	kv, err := evalAll(ctx, s.evs, s.buf)
	if err != nil {
		return err
	}
	idx := sortedIndex(s.buf.N, s.keys, kv)
	if err := pushSplit(ctx, s.out, s.buf.Gather(idx)); err != nil {
		return err
	}
	s.buf = nil
	return s.out.Finish(ctx)
}

// sortedIndex returns the row indexes 0..n-1 stably ordered by keys whose
// values are kv.
func sortedIndex(n int, keys []planner.SortKey, kv []*types.Vec) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	stableSort(idx, func(a, b int) int { return compareRows(keys, kv, a, b) })
	return idx
}

func stableSort(idx []int, cmp func(a, b int) int) { slices.SortStableFunc(idx, cmp) }

// compareRows compares rows a and b of kv under the sort keys.
func compareRows(keys []planner.SortKey, kv []*types.Vec, a, b int) int {
	for k, key := range keys {
		v := kv[k]
		na, nb := v.IsNull(a), v.IsNull(b)
		var c int
		switch {
		case na && nb:
			c = 0
		case na || nb:
			// NULL placement is independent of direction.
			c = 1
			if na == key.NullsFirst {
				c = -1
			}
			return c
		default:
			c = v.Compare(a, v, b)
			if key.Desc {
				c = -c
			}
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
