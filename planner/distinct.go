package planner

import (
	"fmt"
	"strings"
)

// Distinct removes duplicate rows (NULLs are equal to each other here, as
// in SELECT DISTINCT). With On set (DISTINCT ON), rows are duplicates when
// they are equal on those input columns, and the first one in input order
// is kept; the binder sorts the input first.
type Distinct struct {
	Input Node
	On    []int
}

func (n *Distinct) Schema() []Column { return n.Input.Schema() }
func (n *Distinct) Children() []Node { return []Node{n.Input} }
func (n *Distinct) String() string {
	if n.On == nil {
		return "Distinct"
	}
	cols := n.Input.Schema()
	s := make([]string, len(n.On))
	for i, c := range n.On {
		s[i] = cols[c].Name
	}
	return fmt.Sprintf("Distinct on=[%s]", strings.Join(s, ", "))
}
