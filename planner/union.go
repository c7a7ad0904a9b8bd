package planner

import "fmt"

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind uint8

const (
	Union SetOpKind = iota
	Intersect
	Except
)

var setOpNames = [...]string{"Union", "Intersect", "Except"}

func (k SetOpKind) String() string { return setOpNames[k] }

// SetOp combines two inputs of the same column types (the binder casts
// them to the common types first). Without All the result has no duplicate
// rows; with All, UNION ALL concatenates, INTERSECT ALL keeps min(m, n)
// copies of a row occurring m and n times, EXCEPT ALL keeps max(m-n, 0).
// Rows compare NULL-equal (as in DISTINCT). Output names are the left's.
type SetOp struct {
	Kind        SetOpKind
	All         bool
	Left, Right Node
}

func (n *SetOp) Schema() []Column {
	l, r := n.Left.Schema(), n.Right.Schema()
	out := make([]Column, len(l))
	for i := range l {
		out[i] = Column{Name: l[i].Name, T: l[i].T, NotNull: l[i].NotNull && r[i].NotNull}
	}
	return out
}
func (n *SetOp) Children() []Node { return []Node{n.Left, n.Right} }
func (n *SetOp) String() string {
	if n.All {
		return fmt.Sprintf("%s all", n.Kind)
	}
	return n.Kind.String()
}
