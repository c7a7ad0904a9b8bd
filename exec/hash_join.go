package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// HashJoin is an equi-join: the right input is hashed on its key
// expressions, the left input probes the table. Rows with a NULL in any
// key never match (they still appear NULL-extended in outer joins). See
// join for the input protocol and ops.
type HashJoin struct {
	*join
	lkeys, rkeys []expr.Evaluator
	table        map[string][]int
	probeKeys    []*types.Vec
	buf          []byte
}

// NewHashJoin compiles n's keys and residual condition.
func NewHashJoin(n *planner.HashJoin, out Consumer) (*HashJoin, error) {
	j, err := newJoin(n.Kind, n.Left, n.Right, n.Schema(), n.Residual, out)
	if err != nil {
		return nil, err
	}
	h := &HashJoin{join: j, table: map[string][]int{}}
	if h.lkeys, err = compileAll(n.LeftKeys); err != nil {
		return nil, err
	}
	if h.rkeys, err = compileAll(n.RightKeys); err != nil {
		return nil, err
	}
	j.onBuild = h.insert
	j.prepare = func(ctx *Ctx, c *types.Chunk) error {
		kv, err := evalAll(ctx, h.lkeys, c)
		h.probeKeys = kv
		return err
	}
	j.candidates = func(dst []int, i int) []int {
		if anyNull(h.probeKeys, i) {
			return dst
		}
		h.buf = rowKey(h.buf[:0], h.probeKeys, i)
		return append(dst, h.table[string(h.buf)]...)
	}
	return h, nil
}

// insert adds the build rows of c (at build positions base...) to the
// hash table.
func (h *HashJoin) insert(ctx *Ctx, c *types.Chunk, base int) error {
	kv, err := evalAll(ctx, h.rkeys, c)
	if err != nil {
		return err
	}
	for i := 0; i < c.N; i++ {
		if anyNull(kv, i) {
			continue
		}
		h.buf = rowKey(h.buf[:0], kv, i)
		h.table[string(h.buf)] = append(h.table[string(h.buf)], base+i)
	}
	return nil
}
