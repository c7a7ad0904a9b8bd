package planner

import "fmt"

// Scan reads every row of a relation with all of its columns (hidden ones
// included, in Columns order), as ScanRelation.Scan yields them.
type Scan struct {
	Rel   ScanRelation
	Alias string // name the query uses for the relation, for EXPLAIN
}

func (n *Scan) Schema() []Column { return n.Rel.Columns() }
func (n *Scan) Children() []Node { return nil }
func (n *Scan) String() string {
	name := n.Rel.Schema() + "." + n.Rel.Name()
	if n.Alias != "" && n.Alias != n.Rel.Name() {
		name += " AS " + n.Alias
	}
	return fmt.Sprintf("Scan %s", name)
}
