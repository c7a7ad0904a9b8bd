package planner

import (
	"fmt"

	"github.com/weirdb/weir/sql/expr"
)

// WindowTVFKind is the event-time windowing function.
type WindowTVFKind uint8

const (
	Tumble WindowTVFKind = iota
	Hop
	// Session groups rows per GROUP BY key into sessions of event times
	// less than a gap apart (the WindowTVF's Size holds the gap). It has
	// no meaning outside a windowed aggregate: the binder refuses it
	// unless the fusion into a WindowAgg applies.
	Session
)

// WindowTVF assigns each input row to event-time windows and appends
// window_start and window_end (the time column's type) to it. TUMBLE puts a
// row in the one window [start, start+Size) with start aligned to Size
// since the epoch; HOP puts it in every window of length Size whose starts
// are Slide apart, so a row appears Size/Slide times. Rows with a NULL time
// belong to no window and are dropped. Size and Slide read no input and
// must be positive intervals without months.
type WindowTVF struct {
	Kind    WindowTVFKind
	Input   Node
	TimeCol int
	Size    expr.Expr
	Slide   expr.Expr // Hop only
	Cols    []Column
}

func (n *WindowTVF) Schema() []Column { return n.Cols }
func (n *WindowTVF) Children() []Node { return []Node{n.Input} }
func (n *WindowTVF) String() string {
	col := n.Input.Schema()[n.TimeCol].Name
	switch n.Kind {
	case Hop:
		return fmt.Sprintf("Hop time=%s slide=%s size=%s", col, n.Slide, n.Size)
	case Session:
		return fmt.Sprintf("Session time=%s gap=%s", col, n.Size)
	}
	return fmt.Sprintf("Tumble time=%s size=%s", col, n.Size)
}
