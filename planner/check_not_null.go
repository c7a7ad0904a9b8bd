package planner

import (
	"fmt"
	"strings"
)

// CheckNotNull passes its input through unchanged and fails the execution
// with 23502 when a row has NULL in one of Cols (the NOT NULL columns of
// the INSERT target Table).
type CheckNotNull struct {
	Input Node
	Cols  []int
	Table string
}

func (n *CheckNotNull) Schema() []Column { return n.Input.Schema() }
func (n *CheckNotNull) Children() []Node { return []Node{n.Input} }
func (n *CheckNotNull) String() string {
	cols := n.Input.Schema()
	s := make([]string, len(n.Cols))
	for i, c := range n.Cols {
		s[i] = cols[c].Name
	}
	return fmt.Sprintf("CheckNotNull %s(%s)", n.Table, strings.Join(s, ", "))
}
