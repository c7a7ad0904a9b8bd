package binder

import (
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Source is the parsed form of one query the binder reads: the TiDB AST
// produced by the front end, with the text it was parsed from (the
// rewritten text; the binder looks at it to tell `TRUE` from `1` and
// `a || b` from concat(a, b), which TiDB's AST does not distinguish), the
// parameter map and the position mapping back to the user's text.
type Source struct {
	Node ast.StmtNode
	// Text is the text TiDB parsed (after the front end's rewrites).
	Text string
	// NumParams is the number of distinct $n parameters.
	NumParams int
	// ParamIndex maps a TiDB ParamMarkerExpr.Order to the 0-based $n index.
	// nil means Order is the index.
	ParamIndex []int
	// OrigPos maps a byte offset in Text to the 1-based character position
	// in the user's text; nil means offset+1.
	OrigPos func(offset int) int
}

// Options configure binding.
type Options struct {
	// Parse parses the SQL of a view (ViewRelation.Query). Without it,
	// using a view is an error.
	Parse func(sql string) (*Source, error)
}

// Bind is BindSource; the session passes binder.Source built from the
// front end's parser.Query (Node, Text, NumParams, ParamIndex, OrigPos).
func Bind(cat planner.Catalog, src *Source, paramTypes []types.T, opts Options) (*Bound, error) {
	return BindSource(cat, src, paramTypes, opts)
}

// ResultColumn describes one output column for RowDescription.
type ResultColumn struct {
	Name     string
	T        types.T
	TableOID uint32 // the relation of a plain column reference, else 0
	AttNum   int16  // its 1-based column number, else 0
}

// Insert is a bound INSERT: the session appends the rows Bound.Plan
// produces to Table. The plan's output has exactly Table's columns (hidden
// ones included) in Table.Columns order, already cast to the column types;
// columns the statement does not name are NULL, and NOT NULL columns are
// checked by the plan (23502) before any row reaches the session.
type Insert struct {
	Table planner.Relation
	// Target[i] is the table column (index in Table.Columns) the i-th
	// listed (or implied) column of the statement writes.
	Target []int
	// Upsert is set when Table has a primary key: a row whose key exists
	// replaces the current row (docs/joins.md).
	Upsert bool
}

// Bound is a bound statement.
type Bound struct {
	// Plan is the optimized physical plan (planner.Optimize applied).
	Plan planner.Node
	// Logical is the plan before the rules, for EXPLAIN.
	Logical planner.Node
	// Columns is the result shape; nil for INSERT, UPDATE and DELETE.
	Columns []ResultColumn
	// ParamTypes has one entry per parameter: the client-declared type, or
	// the type inferred from context, or text when nothing constrains it.
	ParamTypes []types.T
	// Insert is set for INSERT statements.
	Insert *Insert
	// Update is set for UPDATE statements (update.go).
	Update *Update
	// Delete is set for DELETE statements (delete.go).
	Delete *Delete
}

// BindSource binds one query (SELECT, set operation, INSERT, UPDATE or
// DELETE). paramTypes are
// the client-declared parameter types (Unknown entries are inferred); it
// may be shorter than src.NumParams. Errors are *pgerror.Error with the
// SQLSTATE PostgreSQL would report and, where the AST node records one, a
// position in the user's text.
func BindSource(cat planner.Catalog, src *Source, paramTypes []types.T, opts Options) (*Bound, error) {
	b := &binder{cat: cat, opts: opts}
	numberParams(src.Node)
	b.pushSource(src)
	n := max(src.NumParams, len(paramTypes))
	b.params = make([]types.T, n)
	copy(b.params, paramTypes)
	var (
		plan planner.Node
		cols []ResultColumn
		ins  *Insert
		upd  *Update
		del  *Delete
		err  error
	)
	switch st := src.Node.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		var q *queryResult
		q, err = b.query(nil, st.(ast.ResultSetNode))
		if err == nil {
			plan = q.plan
			cols = q.resultColumns()
		}
	case *ast.InsertStmt:
		plan, ins, err = b.insert(st)
	case *ast.UpdateStmt:
		plan, upd, err = b.update(st)
	case *ast.DeleteStmt:
		plan, del, err = b.delete(st)
	default:
		err = pgerror.NotSupported("statement %T is not supported here", src.Node)
	}
	if err != nil {
		return nil, err
	}
	for i, t := range b.params {
		if t.ID == types.Unknown {
			b.params[i] = types.TText
		}
	}
	opt := planner.Optimize(plan)
	if err := checkSessionWindows(opt); err != nil {
		return nil, err
	}
	return &Bound{Plan: opt, Logical: plan, Columns: cols, ParamTypes: b.params, Insert: ins, Update: upd, Delete: del}, nil
}

// binder holds the state of one Bind call.
type binder struct {
	cat    planner.Catalog
	opts   Options
	params []types.T
	// srcs is the stack of sources being bound (views push theirs).
	srcs   []*Source
	nextSQ int
	// corr is the stack of subqueries being bound; an entry is set when
	// the subquery reads a column of an enclosing query.
	corr []bool
	// agg is set while binding the expressions above an aggregation.
	agg *aggCtx
	// win is set where window functions are allowed (select list, ORDER
	// BY).
	win *winCtx
	// viewDepth guards against views that reference themselves.
	viewDepth int
	// clause names the clause being bound where window functions are not
	// allowed ("WHERE", "HAVING", "GROUP BY", "JOIN conditions"), for
	// PostgreSQL's error text; "" elsewhere.
	clause string
	// ctes are the common table expressions in scope, innermost last.
	ctes []cte
}

// inClause runs fn with b.clause set to name.
func (b *binder) inClause(name string, fn func() error) error {
	saved := b.clause
	b.clause = name
	defer func() { b.clause = saved }()
	return fn()
}

func (b *binder) src() *Source { return b.srcs[len(b.srcs)-1] }

func (b *binder) pushSource(s *Source) { b.srcs = append(b.srcs, s) }
func (b *binder) popSource()           { b.srcs = b.srcs[:len(b.srcs)-1] }

// pos returns the user-text position of an AST node (0 when unknown or
// inside a view).
func (b *binder) pos(n ast.Node) int {
	if n == nil || len(b.srcs) != 1 {
		return 0
	}
	off := n.OriginTextPosition()
	s := b.src()
	if s.OrigPos != nil {
		return s.OrigPos(off)
	}
	return off + 1
}

// identPos returns the user-text position of the first occurrence of the
// identifier name (bare or quoted) in the statement, outside string
// literals; 0 when not found or inside a view. TiDB records no offsets on
// name nodes, so this is how errors about names get PostgreSQL's caret.
func (b *binder) identPos(name string) int {
	if len(b.srcs) != 1 || name == "" {
		return 0
	}
	s := b.src()
	text := s.Text
	isIdent := func(c byte) bool {
		return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\'':
			for i++; i < len(text) && text[i] != '\''; i++ {
			}
		case c == '"':
			j := strings.IndexByte(text[i+1:], '"')
			if j < 0 {
				return 0
			}
			if text[i+1:i+1+j] == name {
				return b.offsetPos(i)
			}
			i += j + 1
		case isIdent(c) && (i == 0 || !isIdent(text[i-1])):
			j := i
			for j < len(text) && isIdent(text[j]) {
				j++
			}
			if strings.EqualFold(text[i:j], name) {
				return b.offsetPos(i)
			}
			i = j - 1
		}
	}
	return 0
}

// offsetPos maps a byte offset in the source text to a user position.
func (b *binder) offsetPos(off int) int {
	if s := b.src(); s.OrigPos != nil {
		return s.OrigPos(off)
	}
	return off + 1
}

// textAt returns the source text starting at the node's offset.
func (b *binder) textAt(n ast.Node) string {
	s := b.src()
	off := n.OriginTextPosition()
	if off < 0 || off > len(s.Text) {
		return ""
	}
	return s.Text[off:]
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// errAt attaches a position to a pgerror.
func (b *binder) errAt(err error, n ast.Node) error {
	if pe, ok := err.(*pgerror.Error); ok {
		return pe.WithPosition(b.pos(n))
	}
	return err
}

// numberParams sets each parameter marker's Order to its rank by text
// offset: TiDB's parser leaves Order zero (its planner numbers them), and
// Source.ParamIndex is indexed by that rank.
func numberParams(n ast.Node) {
	v := &paramCollector{}
	n.Accept(v)
	sort.SliceStable(v.params, func(i, j int) bool { return v.params[i].Offset < v.params[j].Offset })
	for i, p := range v.params {
		p.SetOrder(i)
	}
}

type paramCollector struct {
	params []*test_driver.ParamMarkerExpr
}

func (v *paramCollector) Enter(n ast.Node) (ast.Node, bool) {
	if p, ok := n.(*test_driver.ParamMarkerExpr); ok {
		v.params = append(v.params, p)
	}
	return n, false
}

func (v *paramCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }
