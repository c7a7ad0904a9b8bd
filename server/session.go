package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/lex"
	"github.com/weirdb/weir/sql/parser"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// session executes the statements of one connection: it routes each parsed
// statement to the catalog (DDL), the binder, planner and executor
// (queries), or its own state (SET, transactions). It is used by one
// goroutine at a time (the connection's).
//
// Transactions: weir runs every statement in autocommit mode. BEGIN,
// COMMIT and ROLLBACK are accepted and tracked so clients see the
// transaction status they expect (including the failed state after an
// error inside a block, where PostgreSQL ignores commands until the block
// ends), but each statement inside a block is durable on its own and
// ROLLBACK does not undo it. This is reported with a WARNING-free notice
// the first time a block writes.
type session struct {
	eng      *Engine
	parser   *parser.Parser
	settings *sessionSettings
	pid      uint32

	// tx is the transaction status byte for ReadyForQuery: 'I' idle, 'T'
	// in a block, 'E' in a failed block.
	tx      byte
	warned  bool // the autocommit-in-block notice was sent
	notices []*pgerror.Error
}

var (
	_ Session          = (*session)(nil)
	_ TxStatusReporter = (*session)(nil)
	_ NoticeSource     = (*session)(nil)
	_ ProcessIDSetter  = (*session)(nil)
)

func newSession(e *Engine) *session {
	return &session{eng: e, parser: parser.New(), settings: newSessionSettings(), tx: 'I'}
}

// prepared is the session's form of a Prepared statement.
type prepared struct {
	stmt parser.Statement
	// For queries: the binding and the catalog generation it was made in.
	bound      *binder.Bound
	gen        uint64
	paramTypes []types.T
}

func (s *session) Split(text string) []Piece {
	pieces := lex.Split(text)
	out := make([]Piece, len(pieces))
	for i, p := range pieces {
		out[i] = Piece{Text: p.Text, Offset: p.Offset}
	}
	return out
}

func (s *session) Setting(name string) string {
	v, _ := s.settings.get(name)
	return v
}

func (s *session) TxStatus() byte { return s.tx }

func (s *session) SetProcessID(pid uint32) { s.pid = pid }

func (s *session) TakeNotices() []*pgerror.Error {
	n := s.notices
	s.notices = nil
	return n
}

func (s *session) notice(msg, detail string) {
	s.notices = append(s.notices, &pgerror.Error{Code: pgerror.CodeSuccessfulCompletion, Message: msg, Detail: detail})
}

// InitialParams applies the startup packet's parameters (application_name,
// and any settings a client passes, including `options=-c name=value`) and
// returns the ParameterStatus set.
func (s *session) InitialParams(startup map[string]string) map[string]string {
	for k, v := range startup {
		switch k {
		case "user":
			s.settings.vals["session_authorization"] = v
		case "database", "replication":
		case "options":
			for _, opt := range parseStartupOptions(v) {
				_, _, _, _ = s.settings.set(opt[0], []string{opt[1]})
			}
		default:
			_, _, _, _ = s.settings.set(k, []string{v})
		}
	}
	out := map[string]string{}
	for _, st := range settings {
		if st.report {
			out[st.name], _ = s.settings.get(st.name)
		}
	}
	return out
}

// parseStartupOptions reads `-c name=value` and `--name=value` pairs.
func parseStartupOptions(s string) [][2]string {
	var out [][2]string
	fields := strings.Fields(s)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		switch {
		case f == "-c" && i+1 < len(fields):
			i++
			f = fields[i]
		case strings.HasPrefix(f, "-c"):
			f = f[2:]
		case strings.HasPrefix(f, "--"):
			f = f[2:]
		default:
			continue
		}
		if k, v, ok := strings.Cut(f, "="); ok {
			out = append(out, [2]string{strings.ReplaceAll(k, "-", "_"), v})
		}
	}
	return out
}

func (s *session) Close() {}

// Prepare parses and binds one statement.
func (s *session) Prepare(ctx context.Context, text string, paramTypes []types.T) (*Prepared, error) {
	stmt, err := s.parser.Parse(text)
	if err != nil {
		s.failTx()
		return nil, err
	}
	p := &Prepared{Text: text, Kind: statementKind(stmt)}
	impl := &prepared{stmt: stmt, paramTypes: paramTypes}
	p.impl = impl
	switch st := stmt.(type) {
	case *parser.Empty:
		p.Empty = true
	case *parser.Query:
		if err := s.bindQuery(impl, st); err != nil {
			s.failTx()
			return nil, err
		}
		p.ParamTypes = impl.bound.ParamTypes
		p.Columns = resultColumns(impl.bound.Columns)
	case *parser.Explain:
		p.Columns = []ResultColumn{{Name: "QUERY PLAN", T: types.TText}}
	case *parser.Show:
		p.Columns = s.showColumns(st)
	case *parser.ShowCreate:
		p.Columns = []ResultColumn{{Name: "name", T: types.TText}, {Name: "create_sql", T: types.TText}}
	}
	return p, nil
}

// bindQuery binds a query in the current catalog generation.
func (s *session) bindQuery(impl *prepared, q *parser.Query) error {
	gen := s.eng.ddlGen.Load()
	b, err := binder.Bind(&resolver{cat: s.eng.cat, eng: s.eng}, sourceOf(q), impl.paramTypes, binder.Options{Parse: parseView})
	if err != nil {
		return err
	}
	impl.bound, impl.gen = b, gen
	return nil
}

// resultColumns converts the binder's result shape. nil (an INSERT) stays
// nil so Describe answers NoData: clients such as pgjdbc treat a
// RowDescription, even one with no columns, as a statement that returns
// rows, and fail executeUpdate with "A result was returned when none was
// expected".
func resultColumns(cols []binder.ResultColumn) []ResultColumn {
	if cols == nil {
		return nil
	}
	out := make([]ResultColumn, len(cols))
	for i, c := range cols {
		out[i] = ResultColumn{Name: c.Name, T: c.T, TableOID: c.TableOID, AttNum: c.AttNum}
	}
	return out
}

// Execute runs a prepared statement.
func (s *session) Execute(ctx context.Context, p *Prepared, params []types.Datum) (*Result, error) {
	impl := p.impl.(*prepared)
	if s.tx == 'E' {
		switch impl.stmt.(type) {
		case *parser.Commit, *parser.Rollback, *parser.RollbackToSavepoint:
		default:
			return nil, pgerror.New("25P02", "current transaction is aborted, commands ignored until end of transaction block")
		}
	}
	res, err := s.execute(ctx, p, impl, params)
	if err != nil {
		s.failTx()
		return nil, err
	}
	return res, nil
}

// failTx moves an open transaction block to the failed state.
func (s *session) failTx() {
	if s.tx == 'T' {
		s.tx = 'E'
	}
}

func (s *session) execute(ctx context.Context, p *Prepared, impl *prepared, params []types.Datum) (*Result, error) {
	switch st := impl.stmt.(type) {
	case *parser.Empty:
		return &Result{}, nil
	case *parser.Query:
		return s.execQuery(ctx, p, impl, st, params)
	case *parser.CreateTable:
		return s.createTable(st.Name, st.Columns, st.PrimaryKey, st.Watermark, st.With, st.Text, st.IfNotExists, false)
	case *parser.CreateSource:
		return s.createSource(st)
	case *parser.CreateView:
		return s.createView(st)
	case *parser.CreateSink:
		return s.createSink(st)
	case *parser.Drop:
		return s.drop(st)
	case *parser.Alter:
		return s.alter(st)
	case *parser.Show:
		return s.show(st)
	case *parser.ShowCreate:
		return s.showCreate(st)
	case *parser.Set:
		return s.set(st)
	case *parser.SetTransaction:
		return &Result{Tag: "SET"}, nil
	case *parser.Reset:
		return s.reset(st)
	case *parser.Discard:
		if strings.EqualFold(st.What, "all") {
			s.settings = newSessionSettings()
			if s.tx != 'I' {
				return nil, pgerror.New("25001", "DISCARD ALL cannot run inside a transaction block")
			}
		}
		return &Result{Tag: "DISCARD " + strings.ToUpper(st.What)}, nil
	case *parser.Begin:
		if s.tx != 'I' {
			s.notice("there is already a transaction in progress", "")
		} else {
			s.tx = 'T'
		}
		return &Result{Tag: "BEGIN"}, nil
	case *parser.Commit:
		tag := "COMMIT"
		switch s.tx {
		case 'I':
			s.notice("there is no transaction in progress", "")
		case 'E':
			tag = "ROLLBACK"
		}
		s.tx = 'I'
		return &Result{Tag: tag}, nil
	case *parser.Rollback:
		if s.tx == 'I' {
			s.notice("there is no transaction in progress", "")
		}
		s.tx = 'I'
		return &Result{Tag: "ROLLBACK"}, nil
	case *parser.Savepoint:
		if s.tx == 'I' {
			return nil, pgerror.New("25P01", "SAVEPOINT can only be used in transaction blocks")
		}
		return &Result{Tag: "SAVEPOINT"}, nil
	case *parser.ReleaseSavepoint:
		return &Result{Tag: "RELEASE"}, nil
	case *parser.RollbackToSavepoint:
		if s.tx == 'E' {
			s.tx = 'T'
		}
		return &Result{Tag: "ROLLBACK"}, nil
	case *parser.Flush:
		if err := s.eng.queries.flush(ctx); err != nil {
			return nil, err
		}
		return &Result{Tag: "FLUSH"}, nil
	case *parser.Explain:
		return s.explain(st)
	case *parser.Copy:
		return s.copy(st)
	case *parser.Deallocate:
		if st.All {
			return &Result{Tag: "DEALLOCATE ALL"}, nil
		}
		return nil, pgerror.New(pgerror.CodeInvalidSQLStatementName, "prepared statement %q does not exist", st.Name)
	}
	return nil, pgerror.NotSupported("%s is not supported yet", statementKind(impl.stmt))
}

// evalCtx returns the evaluation context of one statement execution.
func (s *session) evalCtx(params []types.Datum) *expr.EvalCtx {
	return &expr.EvalCtx{
		Params:   params,
		Now:      time.Now(),
		Location: s.settings.location(),
		Settings: s.lookupSetting,
		Catalog:  s.eng.cat,
	}
}

// lookupSetting serves current_setting() and friends.
func (s *session) lookupSetting(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "weir.backend_pid":
		return fmt.Sprint(s.pid), true
	case "weir_version":
		return s.eng.cfg.Version, s.eng.cfg.Version != ""
	}
	return s.settings.get(name)
}

func (s *session) execQuery(ctx context.Context, p *Prepared, impl *prepared, q *parser.Query, params []types.Datum) (*Result, error) {
	if impl.gen != s.eng.ddlGen.Load() {
		old := impl.bound
		if err := s.bindQuery(impl, q); err != nil {
			return nil, err
		}
		if !sameColumns(resultColumns(old.Columns), resultColumns(impl.bound.Columns)) {
			return nil, pgerror.NotSupported("cached plan must not change result type")
		}
	}
	b := impl.bound
	if len(params) < len(b.ParamTypes) {
		return nil, pgerror.New(pgerror.CodeProtocolViolation, "statement needs %d parameters, %d given", len(b.ParamTypes), len(params))
	}
	ec := s.evalCtx(params)
	if b.Update != nil || b.Delete != nil || (b.Insert != nil && b.Insert.Upsert) {
		return s.dml(ctx, b, ec) // session_dml.go: tables with a primary key
	}
	if b.Insert != nil {
		return s.insert(ctx, b, ec)
	}
	rows, err := exec.Run(ctx, b.Plan, ec)
	if err != nil {
		return nil, err
	}
	return &Result{Rows: &txRows{RowIter: rows, s: s}, Tag: "SELECT"}, nil
}

// txRows fails the transaction block when producing rows fails: most
// execution errors (division by zero, bad casts) surface only as rows are
// pulled, after Execute has returned.
type txRows struct {
	RowIter
	s *session
}

func (r *txRows) Next(ctx context.Context) (*types.Chunk, error) {
	c, err := r.RowIter.Next(ctx)
	if err != nil {
		r.s.failTx()
	}
	return c, err
}

func sameColumns(a, b []ResultColumn) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].T != b[i].T {
			return false
		}
	}
	return true
}

// insert runs the INSERT's plan to the end and appends its rows to the
// table's log in one synced write: the statement is acknowledged only
// once every row is durable, and a failing row writes nothing.
func (s *session) insert(ctx context.Context, b *binder.Bound, ec *expr.EvalCtx) (*Result, error) {
	rel, ok := b.Insert.Table.(*catalog.TableRelation)
	if !ok {
		return nil, pgerror.New(pgerror.CodeWrongObjectType, "cannot insert into %s %q", kindWord(b.Insert.Table.Kind()), b.Insert.Table.Name())
	}
	rows, err := exec.Collect(ctx, b.Plan, ec)
	if err != nil {
		return nil, err
	}
	s.noteAutocommit()
	if rows.N > 0 {
		if _, _, err := rel.Append(rows); err != nil {
			return nil, err
		}
		if o := rel.Object(); o != nil {
			s.eng.queries.poke(o.ID)
		}
	}
	return &Result{Tag: fmt.Sprintf("INSERT 0 %d", rows.N)}, nil
}

// noteAutocommit tells a client writing inside a block, once, that weir
// commits every statement on its own.
func (s *session) noteAutocommit() {
	if s.tx == 'T' && !s.warned {
		s.warned = true
		s.notice("weir commits each statement on its own; ROLLBACK will not undo this write", "")
	}
}

func kindWord(k planner.RelKind) string {
	switch k {
	case planner.KindView:
		return "view"
	case planner.KindMatView:
		return "materialized view"
	case planner.KindSystem:
		return "system relation"
	case planner.KindSource:
		return "source"
	}
	return "relation"
}

func (s *session) explain(st *parser.Explain) (*Result, error) {
	if cv, ok := st.Stmt.(*parser.CreateView); ok && cv.Materialized && cv.Query != nil {
		return s.explainMatView(cv)
	}
	q, ok := st.Stmt.(*parser.Query)
	if !ok {
		return nil, pgerror.NotSupported("EXPLAIN of %s is not supported yet", statementKind(st.Stmt))
	}
	b, err := binder.Bind(&resolver{cat: s.eng.cat, eng: s.eng}, sourceOf(q), nil, binder.Options{Parse: parseView})
	if err != nil {
		return nil, err
	}
	text := planner.Explain(b.Plan)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return &Result{Rows: textRows(lines), Tag: "EXPLAIN"}, nil
}

// explainMatView prints the streaming plan CREATE MATERIALIZED VIEW would
// run (operators with their modes, e.g. append_only and emit=on_window_close),
// then its stream key and the state versions of its operators. Nothing is
// created.
func (s *session) explainMatView(cv *parser.CreateView) (*Result, error) {
	if err := checkUserQueryOptions(cv.With); err != nil {
		return nil, err
	}
	b, err := binder.Bind(&resolver{cat: s.eng.cat, eng: s.eng}, sourceOf(cv.Query), nil, binder.Options{Parse: parseView})
	if err != nil {
		return nil, err
	}
	p, err := planner.StreamifyWith(b.Plan, planner.StreamOptions{EmitOnClose: cv.EmitOnWindowClose})
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(planner.Explain(p.Root), "\n"), "\n")
	key := "none (multiset)"
	if p.Key != nil {
		names := make([]string, len(p.Key))
		for i, k := range p.Key {
			names[i] = p.Root.Schema()[k].Name
		}
		key = "[" + strings.Join(names, ", ") + "]"
	}
	lines = append(lines, "key: "+key)
	vs := make([]string, 0, len(p.StateVersions))
	for k, v := range p.StateVersions {
		vs = append(vs, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(vs)
	lines = append(lines, "state: "+strings.Join(vs, " "))
	return &Result{Rows: textRows(lines), Tag: "EXPLAIN"}, nil
}

// statementKind names a statement for metrics, logs and messages.
func statementKind(st parser.Statement) string {
	switch st := st.(type) {
	case *parser.Empty:
		return "empty"
	case *parser.Query:
		name := fmt.Sprintf("%T", st.Node)
		name = strings.TrimSuffix(strings.TrimPrefix(name, "*ast."), "Stmt")
		return strings.ToLower(name)
	default:
		name := fmt.Sprintf("%T", st)
		return strings.ToLower(strings.TrimPrefix(name, "*parser."))
	}
}

// RelationName names a relation for regclass output.
func (s *session) RelationName(oid uint32) (string, bool) { return s.eng.cat.RelationName(oid) }

var _ RelationNamer = (*session)(nil)

// CheckSyntax parses a statement without binding it.
func (s *session) CheckSyntax(text string) error {
	_, err := s.parser.Parse(text)
	return err
}

var _ SyntaxChecker = (*session)(nil)
