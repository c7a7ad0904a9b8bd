package parser

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/sql/types"
)

// Statement is one parsed statement. String returns a stable debug form
// used by tests.
type Statement interface {
	String() string
	statement()
}

// ObjName is a possibly schema-qualified object name after PostgreSQL
// folding: bare parts lower-cased, quoted parts kept.
type ObjName struct {
	Schema, Name string
}

func (n ObjName) String() string {
	if n.Schema != "" {
		return n.Schema + "." + n.Name
	}
	return n.Name
}

// ObjKind is the kind of object a DDL statement names.
type ObjKind string

// Object kinds.
const (
	KindTable            ObjKind = "table"
	KindSource           ObjKind = "source"
	KindView             ObjKind = "view"
	KindMaterializedView ObjKind = "materialized view"
	KindSink             ObjKind = "sink"
	KindIndex            ObjKind = "index"
)

// Empty is an empty or comment-only statement (EmptyQueryResponse).
type Empty struct{}

// Query is a SELECT, VALUES, TABLE, INSERT, UPDATE or DELETE, parsed by
// TiDB from the normalised text.
type Query struct {
	// Node is *ast.SelectStmt, *ast.SetOprStmt, *ast.InsertStmt,
	// *ast.UpdateStmt or *ast.DeleteStmt. PostgreSQL constructs appear as
	// the marker functions of markers.go. TiDB sets OriginTextPosition()
	// only on statement nodes (the statement's start, 0 here); expressions
	// carry no positions, so the binder finds positions through PosMap when
	// it has one (e.g. from a name's occurrence) or reports none.
	Node ast.StmtNode
	// Text is the rewritten text TiDB parsed.
	Text string
	// Orig is the statement text as the user wrote it.
	Orig string
	// NumParams is the highest $n used.
	NumParams int
	// ParamIndex maps ast.ParamMarkerExpr.Order to the 0-based parameter
	// index (n-1 of $n).
	ParamIndex []int
	// PosMap maps rewritten byte offsets to positions in Orig.
	PosMap PosMap
}

// OrigPos returns the 1-based character position in Orig of a byte offset
// in Text.
func (q *Query) OrigPos(rewrittenByteOffset int) int { return q.PosMap.OrigPos(rewrittenByteOffset) }

// ColumnDef is one column of CREATE TABLE / CREATE SOURCE.
type ColumnDef struct {
	Name    string
	Type    types.T
	NotNull bool
	// Default is the DEFAULT expression's original text ("" when absent);
	// the binder decides whether it is supported.
	Default string
}

// Watermark is WATERMARK FOR col AS col - INTERVAL '...'.
type Watermark struct {
	Column string
	Delay  types.IntervalValue
	// DelayText is the interval as PostgreSQL input text ("4 second").
	DelayText string
}

// CreateTable is CREATE TABLE.
type CreateTable struct {
	Name        ObjName
	IfNotExists bool
	Columns     []ColumnDef
	PrimaryKey  []string
	Watermark   *Watermark
	With        map[string]string
	Text        string
}

// CreateSource is CREATE SOURCE name [(columns)] WITH (...).
type CreateSource struct {
	Name        ObjName
	IfNotExists bool
	Columns     []ColumnDef
	PrimaryKey  []string
	Watermark   *Watermark
	With        map[string]string
	Text        string
}

// CreateView is CREATE [OR REPLACE] [MATERIALIZED] VIEW.
type CreateView struct {
	Name              ObjName
	Materialized      bool
	IfNotExists       bool
	OrReplace         bool
	Columns           []string
	With              map[string]string
	Query             *Query
	QueryText         string // the query's original text
	EmitOnWindowClose bool
	Text              string
}

// CreateSink is CREATE SINK name FROM obj | AS query WITH (...).
type CreateSink struct {
	Name              ObjName
	IfNotExists       bool
	From              *ObjName
	Query             *Query
	QueryText         string
	With              map[string]string
	EmitOnWindowClose bool
	Text              string
}

// Drop is DROP kind [IF EXISTS] names [CASCADE|RESTRICT].
type Drop struct {
	Kind     ObjKind
	Names    []ObjName
	IfExists bool
	Cascade  bool
}

// Alter is ALTER kind name PAUSE | RESUME | REBUILD | SET (...).
type Alter struct {
	Kind   ObjKind
	Name   ObjName
	Action string // pause, resume, rebuild, set
	Set    map[string]string
}

// Show is SHOW TABLES | SOURCES | VIEWS | MATERIALIZED VIEWS | SINKS |
// QUERIES (What is that, lower-case), SHOW ALL (What "all"), or SHOW
// <setting> (What is the folded setting name; SHOW TIME ZONE gives
// "timezone", SHOW TRANSACTION ISOLATION LEVEL "transaction_isolation").
type Show struct {
	What string
	// Objects is true for the object lists (tables, sources, ...).
	Objects bool
}

// ShowCreate is SHOW CREATE kind name.
type ShowCreate struct {
	Kind ObjKind
	Name ObjName
}

// Set is SET [SESSION|LOCAL] name {=|TO} value[, ...]. Values are the
// literal texts, unquoted (identifiers folded, numbers as written); nil
// means DEFAULT. SET TIME ZONE sets "timezone" (LOCAL and DEFAULT give
// nil); SET NAMES sets "client_encoding".
type Set struct {
	Name   string
	Values []string
	Local  bool
}

// SetTransaction is SET TRANSACTION ... or SET SESSION CHARACTERISTICS AS
// TRANSACTION ...
type SetTransaction struct {
	Session bool
	Modes   TxnModes
}

// TxnModes are transaction modes. Empty strings mean "not given".
type TxnModes struct {
	Isolation  string // "read committed", "serializable", ...
	ReadOnly   *bool
	Deferrable *bool
}

// Reset is RESET name | RESET ALL.
type Reset struct {
	Name string
	All  bool
}

// Discard is DISCARD ALL | PLANS | SEQUENCES | TEMP.
type Discard struct {
	What string
}

// Begin is BEGIN / START TRANSACTION with modes.
type Begin struct{ Modes TxnModes }

// Commit is COMMIT / END [AND [NO] CHAIN].
type Commit struct{ Chain bool }

// Rollback is ROLLBACK / ABORT [AND [NO] CHAIN].
type Rollback struct{ Chain bool }

// Savepoint is SAVEPOINT name.
type Savepoint struct{ Name string }

// ReleaseSavepoint is RELEASE [SAVEPOINT] name.
type ReleaseSavepoint struct{ Name string }

// RollbackToSavepoint is ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name.
type RollbackToSavepoint struct{ Name string }

// Flush is FLUSH.
type Flush struct{}

// Subscribe is SUBSCRIBE [TO] name.
type Subscribe struct{ Name ObjName }

// Explain is EXPLAIN [ANALYZE] [VERBOSE] | EXPLAIN (opts) stmt.
type Explain struct {
	Stmt Statement
	// Options are lower-case option names with their values ("true" when
	// given without one).
	Options map[string]string
}

// Copy is COPY. Format is "text", "csv" or "binary"; Delimiter, Null,
// Quote and Escape are "" when not given (the session applies the
// format's defaults); Options holds every option given, keys lower-case.
type Copy struct {
	Table     ObjName
	Columns   []string
	Query     *Query // COPY (query) TO STDOUT
	QueryText string
	From      bool // FROM (true) or TO (false)
	Stdin     bool
	Stdout    bool
	File      string // a file name instead of STDIN/STDOUT
	Format    string
	Delimiter string
	Null      string
	Quote     string
	Escape    string
	Header    bool
	Options   map[string]string
}

// Prepare is PREPARE name [(types)] AS statement.
type Prepare struct {
	Name       string
	ParamTypes []TypeName
	Stmt       Statement
}

// ExecutePrepared is EXECUTE name [(params)]; Params are the parameter
// expressions' original texts.
type ExecutePrepared struct {
	Name   string
	Params []string
}

// Deallocate is DEALLOCATE [PREPARE] name | ALL.
type Deallocate struct {
	Name string
	All  bool
}

// Declare is DECLARE name [BINARY] [NO SCROLL|SCROLL] CURSOR [WITH[OUT]
// HOLD] FOR query.
type Declare struct {
	Name   string
	Hold   bool
	Binary bool
	Scroll bool
	Query  *Query
}

// Fetch is FETCH / MOVE [direction] [count] [FROM|IN] cursor. Count is -1
// for ALL.
type Fetch struct {
	Name      string
	Direction string // next, prior, first, last, absolute, relative, forward, backward
	Count     int64
	Move      bool
}

// ClosePortal is CLOSE name | CLOSE ALL.
type ClosePortal struct {
	Name string
	All  bool
}

// CommentOn is COMMENT ON kind name IS 'text' | NULL.
type CommentOn struct {
	Kind    string
	Name    ObjName
	Column  string
	Comment *string
}

func (*Empty) statement()               {}
func (*Query) statement()               {}
func (*CreateTable) statement()         {}
func (*CreateSource) statement()        {}
func (*CreateView) statement()          {}
func (*CreateSink) statement()          {}
func (*Drop) statement()                {}
func (*Alter) statement()               {}
func (*Show) statement()                {}
func (*ShowCreate) statement()          {}
func (*Set) statement()                 {}
func (*SetTransaction) statement()      {}
func (*Reset) statement()               {}
func (*Discard) statement()             {}
func (*Begin) statement()               {}
func (*Commit) statement()              {}
func (*Rollback) statement()            {}
func (*Savepoint) statement()           {}
func (*ReleaseSavepoint) statement()    {}
func (*RollbackToSavepoint) statement() {}
func (*Flush) statement()               {}
func (*Subscribe) statement()           {}
func (*Explain) statement()             {}
func (*Copy) statement()                {}
func (*Prepare) statement()             {}
func (*ExecutePrepared) statement()     {}
func (*Deallocate) statement()          {}
func (*Declare) statement()             {}
func (*Fetch) statement()               {}
func (*ClosePortal) statement()         {}
func (*CommentOn) statement()           {}

func fmtMap(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func fmtCols(cols []ColumnDef) string {
	var parts []string
	for _, c := range cols {
		s := c.Name + " " + c.Type.String()
		if c.NotNull {
			s += " NOT NULL"
		}
		if c.Default != "" {
			s += " DEFAULT " + c.Default
		}
		parts = append(parts, s)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func fmtWatermark(w *Watermark) string {
	if w == nil {
		return ""
	}
	return fmt.Sprintf(" watermark(%s - %q = %dmo %dd %dus)", w.Column, w.DelayText, w.Delay.Months, w.Delay.Days, w.Delay.Micros)
}

func (s *Empty) String() string { return "Empty" }
func (s *Query) String() string {
	return fmt.Sprintf("Query %T: %s params=%d %v", s.Node, s.Text, s.NumParams, s.ParamIndex)
}
func (s *CreateTable) String() string {
	return fmt.Sprintf("CreateTable %s ifnotexists=%v %s pk=%v%s with=%s", s.Name, s.IfNotExists, fmtCols(s.Columns), s.PrimaryKey, fmtWatermark(s.Watermark), fmtMap(s.With))
}
func (s *CreateSource) String() string {
	return fmt.Sprintf("CreateSource %s ifnotexists=%v %s pk=%v%s with=%s", s.Name, s.IfNotExists, fmtCols(s.Columns), s.PrimaryKey, fmtWatermark(s.Watermark), fmtMap(s.With))
}
func (s *CreateView) String() string {
	return fmt.Sprintf("CreateView %s materialized=%v orreplace=%v ifnotexists=%v cols=%v with=%s eowc=%v query=%q -> %s",
		s.Name, s.Materialized, s.OrReplace, s.IfNotExists, s.Columns, fmtMap(s.With), s.EmitOnWindowClose, s.QueryText, s.Query.Text)
}
func (s *CreateSink) String() string {
	src := ""
	if s.From != nil {
		src = "from=" + s.From.String()
	} else {
		src = fmt.Sprintf("query=%q -> %s", s.QueryText, s.Query.Text)
	}
	return fmt.Sprintf("CreateSink %s ifnotexists=%v %s with=%s eowc=%v", s.Name, s.IfNotExists, src, fmtMap(s.With), s.EmitOnWindowClose)
}
func (s *Drop) String() string {
	return fmt.Sprintf("Drop %s %v ifexists=%v cascade=%v", s.Kind, s.Names, s.IfExists, s.Cascade)
}
func (s *Alter) String() string {
	return fmt.Sprintf("Alter %s %s %s%s", s.Kind, s.Name, s.Action, map[bool]string{true: " " + fmtMap(s.Set)}[s.Set != nil])
}
func (s *Show) String() string { return fmt.Sprintf("Show %s objects=%v", s.What, s.Objects) }
func (s *ShowCreate) String() string {
	return fmt.Sprintf("ShowCreate %s %s", s.Kind, s.Name)
}
func (s *Set) String() string {
	vals := "DEFAULT"
	if s.Values != nil {
		vals = fmt.Sprintf("%q", s.Values)
	}
	return fmt.Sprintf("Set %s = %s local=%v", s.Name, vals, s.Local)
}
func (m TxnModes) String() string {
	var parts []string
	if m.Isolation != "" {
		parts = append(parts, "isolation="+m.Isolation)
	}
	if m.ReadOnly != nil {
		parts = append(parts, fmt.Sprintf("readonly=%v", *m.ReadOnly))
	}
	if m.Deferrable != nil {
		parts = append(parts, fmt.Sprintf("deferrable=%v", *m.Deferrable))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
func (s *SetTransaction) String() string {
	return fmt.Sprintf("SetTransaction session=%v %s", s.Session, s.Modes)
}
func (s *Reset) String() string      { return fmt.Sprintf("Reset %s all=%v", s.Name, s.All) }
func (s *Discard) String() string    { return "Discard " + s.What }
func (s *Begin) String() string      { return "Begin " + s.Modes.String() }
func (s *Commit) String() string     { return fmt.Sprintf("Commit chain=%v", s.Chain) }
func (s *Rollback) String() string   { return fmt.Sprintf("Rollback chain=%v", s.Chain) }
func (s *Savepoint) String() string  { return "Savepoint " + s.Name }
func (s *Flush) String() string      { return "Flush" }
func (s *Subscribe) String() string  { return "Subscribe " + s.Name.String() }
func (s *Deallocate) String() string { return fmt.Sprintf("Deallocate %s all=%v", s.Name, s.All) }
func (s *ReleaseSavepoint) String() string {
	return "ReleaseSavepoint " + s.Name
}
func (s *RollbackToSavepoint) String() string {
	return "RollbackToSavepoint " + s.Name
}
func (s *Explain) String() string {
	return fmt.Sprintf("Explain %s {%s}", fmtMap(s.Options), s.Stmt)
}
func (s *Copy) String() string {
	target := s.Table.String()
	if s.Query != nil {
		target = "(" + s.Query.Text + ")"
	}
	dir := "to"
	if s.From {
		dir = "from"
	}
	io := s.File
	if s.Stdin {
		io = "stdin"
	} else if s.Stdout {
		io = "stdout"
	}
	return fmt.Sprintf("Copy %s%v %s %s format=%s delimiter=%q null=%q quote=%q escape=%q header=%v options=%s",
		target, s.Columns, dir, io, s.Format, s.Delimiter, s.Null, s.Quote, s.Escape, s.Header, fmtMap(s.Options))
}
func (s *Prepare) String() string {
	var ts []string
	for _, t := range s.ParamTypes {
		ts = append(ts, t.Text)
	}
	return fmt.Sprintf("Prepare %s %v {%s}", s.Name, ts, s.Stmt)
}
func (s *ExecutePrepared) String() string {
	return fmt.Sprintf("Execute %s %q", s.Name, s.Params)
}
func (s *Declare) String() string {
	return fmt.Sprintf("Declare %s hold=%v binary=%v scroll=%v {%s}", s.Name, s.Hold, s.Binary, s.Scroll, s.Query)
}
func (s *Fetch) String() string {
	return fmt.Sprintf("Fetch %s %s %d move=%v", s.Name, s.Direction, s.Count, s.Move)
}
func (s *ClosePortal) String() string { return fmt.Sprintf("Close %s all=%v", s.Name, s.All) }
func (s *CommentOn) String() string {
	c := "NULL"
	if s.Comment != nil {
		c = fmt.Sprintf("%q", *s.Comment)
	}
	col := ""
	if s.Column != "" {
		col = "." + s.Column
	}
	return fmt.Sprintf("CommentOn %s %s%s = %s", s.Kind, s.Name, col, c)
}
