package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/types"
)

// SetOp executes UNION, INTERSECT and EXCEPT, with or without ALL, over
// its two inputs. UNION ALL streams both inputs through; the other forms
// count rows by value (NULLs equal) and emit at Finish, in order of first
// appearance. Like the planner node, it assumes insert-only input except
// for UNION ALL, which passes ops through.
type SetOp struct {
	n     *planner.SetOp
	out   Consumer
	done  [2]bool
	keys  map[string]int
	rows  *types.Chunk
	count [][2]int64
	buf   []byte
}

// NewSetOp returns the operator for n.
func NewSetOp(n *planner.SetOp, out Consumer) *SetOp {
	return &SetOp{n: n, out: out, keys: map[string]int{}, rows: types.NewChunk(planner.Types(n.Schema()), 64)}
}

// Left is the Consumer of the left input.
func (s *SetOp) Left() Consumer { return setOpPort{s, 0} }

// Right is the Consumer of the right input.
func (s *SetOp) Right() Consumer { return setOpPort{s, 1} }

type setOpPort struct {
	s    *SetOp
	side int
}

func (p setOpPort) Push(ctx *Ctx, c *types.Chunk) error {
	s := p.s
	if s.n.Kind == planner.Union && s.n.All {
		return s.out.Push(ctx, c)
	}
	for i := 0; i < c.N; i++ {
		s.buf = rowKey(s.buf[:0], c.Cols, i)
		k, ok := s.keys[string(s.buf)]
		if !ok {
			k = len(s.count)
			s.keys[string(s.buf)] = k
			s.count = append(s.count, [2]int64{})
			for j, v := range c.Cols {
				s.rows.Cols[j].AppendFrom(v, i)
			}
			s.rows.N++
		}
		s.count[k][p.side] += int64(c.Op(i))
	}
	return nil
}

func (p setOpPort) Finish(ctx *Ctx) error {
	s := p.s
	s.done[p.side] = true
	if !s.done[0] || !s.done[1] {
		return nil
	}
	if !(s.n.Kind == planner.Union && s.n.All) {
		var idx []int
		for k, c := range s.count {
			m, n := c[0], c[1]
			var copies int64
			switch s.n.Kind {
			case planner.Union:
				copies = min(1, m+n)
			case planner.Intersect:
				copies = min(m, n)
				if !s.n.All {
					copies = min(copies, 1)
				}
			case planner.Except:
				if s.n.All {
					copies = m - n
				} else if n <= 0 {
					copies = min(m, 1)
				}
			}
			for ; copies > 0; copies-- {
				idx = append(idx, k)
			}
		}
		if err := pushSplit(ctx, s.out, s.rows.Gather(idx)); err != nil {
			return err
		}
	}
	return s.out.Finish(ctx)
}
