package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/types"
)

// Distinct passes the first row of each distinct value of the key columns
// (all columns, or the DISTINCT ON columns) and drops later duplicates.
// Under retraction it keeps a count per key and passes the first insert
// and the last delete of each full row; DISTINCT ON over changing input
// needs the streaming top-N and is exact only for inserts.
type Distinct struct {
	on    []int
	seen  map[string]int64
	out   Consumer
	buf   []byte
	nCols int
}

// NewDistinct returns the operator for n.
func NewDistinct(n *planner.Distinct, out Consumer) *Distinct {
	return &Distinct{on: n.On, seen: map[string]int64{}, out: out, nCols: len(n.Schema())}
}

func (d *Distinct) Push(ctx *Ctx, c *types.Chunk) error {
	keyCols := c.Cols
	if d.on != nil {
		keyCols = make([]*types.Vec, len(d.on))
		for i, k := range d.on {
			keyCols[i] = c.Cols[k]
		}
	}
	var keep []int
	for i := 0; i < c.N; i++ {
		d.buf = rowKey(d.buf[:0], keyCols, i)
		n := d.seen[string(d.buf)]
		if c.Op(i) == types.Delete {
			if n == 1 && d.on == nil {
				keep = append(keep, i)
			}
			if n > 0 {
				d.seen[string(d.buf)] = n - 1
			}
			continue
		}
		if n == 0 {
			keep = append(keep, i)
		}
		d.seen[string(d.buf)] = n + 1
	}
	if len(keep) == 0 {
		return nil
	}
	if len(keep) == c.N {
		return d.out.Push(ctx, c)
	}
	return d.out.Push(ctx, c.Gather(keep))
}

func (d *Distinct) Finish(ctx *Ctx) error { return d.out.Finish(ctx) }
