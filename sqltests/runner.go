package sqltests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Target is the server a Runner runs records against.
type Target interface {
	// ConnString returns a connection string for the server as it is now
	// (its address may change across Restart).
	ConnString() string
	// Restart stops the server gracefully and starts it again on the same
	// data. The runner closes its connections before and reconnects after.
	Restart(ctx context.Context) error
}

// Protocol is the query protocol a run uses for every record.
type Protocol int

const (
	// Extended uses Parse/Describe/Bind/Execute for every statement, with
	// binary results for the types pgx reads in binary (as pgx
	// applications do).
	Extended Protocol = iota
	// Simple sends every statement as a Query message; results are text.
	Simple
)

func (p Protocol) String() string {
	if p == Simple {
		return "simple"
	}
	return "extended"
}

// Options configure one run of a file.
type Options struct {
	Target   Target
	Protocol Protocol
	// Labels name the target for skipif/onlyif ("weir" or "postgres"); the
	// protocol's label (protocol-simple, protocol-extended) is added.
	Labels []string
	// Rewrite replaces the expected results of every query record that ran
	// without error by its actual output, in the file (and included files).
	Rewrite bool
	// RecordTimeout bounds each record; default 30s.
	RecordTimeout time.Duration
	// MatViewsAsViews sends CREATE/DROP MATERIALIZED VIEW as CREATE/DROP
	// VIEW (see matViewAsView); set it for PostgreSQL, where a maintained
	// view is what a plain view computes.
	MatViewsAsViews bool
	// Kafka starts the Kafka broker of a file run, on the first kafka
	// record or ${KAFKA_BROKERS}; nil: such files fail.
	Kafka func() (KafkaBroker, error)
	// Postgres returns the URL of a PostgreSQL database for a file run
	// (${PG_URL}, connection pg), on first use; nil: such files fail.
	Postgres func() (string, error)
}

// Failure is one record whose outcome differed from the file.
type Failure struct {
	File     string
	Line     int
	SQL      string
	Expected string
	Actual   string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s:%d:\n%s\nexpected:\n%s\nactual:\n%s", f.File, f.Line, indent(f.SQL), indent(f.Expected), indent(f.Actual))
}

func indent(s string) string {
	if s == "" {
		return "    <nothing>"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// Result summarises a run.
type Result struct {
	Records  int // records run
	Skipped  int // records skipped by skipif/onlyif/mode
	Failures []Failure
}

// RunFile runs one .slt file against opts.Target and returns what differed.
// The error is for problems with the file or the harness itself (a parse
// error, an unreachable server, a failed restart); differences in results
// are Failures.
func RunFile(ctx context.Context, path string, opts Options) (*Result, error) {
	if opts.RecordTimeout == 0 {
		opts.RecordTimeout = 30 * time.Second
	}
	r := &run{
		opts:     opts,
		conns:    map[string]*pgx.Conn{},
		current:  "default",
		labels:   map[string][]string{},
		rewrites: map[string]*sltFile{},
		res:      &Result{},
	}
	r.svc = &services{opts: &r.opts}
	defer r.closeAll()
	_, err := r.runFile(ctx, path, 0)
	if err == nil && opts.Rewrite {
		err = r.writeRewrites()
	}
	return r.res, err
}

type run struct {
	opts    Options
	conns   map[string]*pgx.Conn
	current string
	mode    string // "both", "simple" or "extended"
	// labels holds the result of the first query with each label.
	labels   map[string][]string
	rewrites map[string]*sltFile // files with pending result rewrites
	edits    map[string][]edit
	res      *Result
	svc      *services
}

type edit struct {
	from, to int
	lines    []string
}

// runFile runs the records of one file; halted reports a halt record.
func (r *run) runFile(ctx context.Context, path string, depth int) (halted bool, err error) {
	if depth > 10 {
		return false, fmt.Errorf("%s: include depth exceeds 10", path)
	}
	f, err := parseFile(path)
	if err != nil {
		return false, err
	}
	for _, rec := range f.records {
		if !r.enabled(rec) {
			r.res.Skipped++
			continue
		}
		r.res.Records++
		switch rec.kind {
		case recHalt:
			return true, nil
		case recInclude:
			halted, err := r.runFile(ctx, filepath.Join(filepath.Dir(path), rec.arg), depth+1)
			if err != nil || halted {
				return halted, err
			}
		case recMode:
			r.mode = rec.arg
		case recConnection:
			r.current = rec.arg
		case recRestart:
			r.closeAll()
			if err := r.opts.Target.Restart(ctx); err != nil {
				return false, fmt.Errorf("%s:%d: restart: %w", rec.file, rec.line, err)
			}
		case recStatement, recQuery, recCopy:
			if err := r.runRecord(ctx, f, rec); err != nil {
				return false, err
			}
		case recKafka:
			if err := r.runKafka(ctx, f, rec); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// enabled evaluates skipif/onlyif and the current mode. A mode record is
// never filtered by the mode in force, so a file can always switch back.
func (r *run) enabled(rec *record) bool {
	if rec.kind != recMode && r.mode != "" && r.mode != "both" && r.mode != r.opts.Protocol.String() {
		return false
	}
	for _, c := range rec.conds {
		if c.skip == r.hasLabel(c.label) {
			return false
		}
	}
	return true
}

// hasLabel reports whether the target has label l (its own labels and its
// protocol's; "postgresql" is "postgres").
func (r *run) hasLabel(l string) bool {
	if l == "postgresql" {
		l = "postgres"
	}
	return l == "protocol-"+r.opts.Protocol.String() || slices.Contains(r.opts.Labels, l)
}

// pgConnection is the connection name that reaches the file's PostgreSQL
// (${PG_URL}) instead of the target.
const pgConnection = "pg"

// conn returns the current named connection, opening it on first use.
func (r *run) conn(ctx context.Context) (*pgx.Conn, error) {
	if c := r.conns[r.current]; c != nil && !c.IsClosed() {
		return c, nil
	}
	connString := r.opts.Target.ConnString()
	if r.current == pgConnection {
		u, err := r.svc.postgres()
		if err != nil {
			return nil, err
		}
		connString = u
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.RuntimeParams["TimeZone"]; !ok {
		cfg.RuntimeParams["TimeZone"] = "UTC"
	}
	if r.opts.Protocol == Simple {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	} else {
		// Describe then execute, without caching prepared statements:
		// DDL in the files changes result shapes under unchanged text.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connection %q: %w", r.current, err)
	}
	r.conns[r.current] = c
	return c, nil
}

func (r *run) closeAll() {
	for name, c := range r.conns {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.Close(ctx)
		cancel()
		delete(r.conns, name)
	}
}

func (r *run) fail(rec *record, expected, actual string) {
	sql := rec.sqlFor(r.hasLabel)
	switch rec.kind {
	case recCopy:
		sql = copySQL(rec)
	case recKafka:
		sql = "kafka " + rec.kafka.op + " " + rec.kafka.topic
	}
	r.res.Failures = append(r.res.Failures, Failure{File: rec.file, Line: rec.line, SQL: sql, Expected: expected, Actual: actual})
}

// outcome is what executing one statement produced.
type outcome struct {
	columns int
	rows    [][]string
	tag     pgconn.CommandTag
}

func (r *run) runRecord(ctx context.Context, f *sltFile, rec *record) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.RecordTimeout)
	defer cancel()
	conn, err := r.conn(ctx)
	if err != nil {
		return fmt.Errorf("%s:%d: %w", rec.file, rec.line, err)
	}
	var out outcome
	if rec.kind == recCopy {
		out.tag, err = conn.PgConn().CopyFrom(ctx, strings.NewReader(strings.Join(rec.copyData, "\n")+"\n"), copySQL(rec))
	} else {
		sql := rec.sqlFor(r.hasLabel)
		if r.opts.MatViewsAsViews {
			sql = matViewAsView(sql)
		}
		if sql, err = r.svc.substitute(sql); err != nil {
			return fmt.Errorf("%s:%d: %w", rec.file, rec.line, err)
		}
		out, err = execute(ctx, conn, sql)
		for rec.retry && err == nil && !r.opts.Rewrite && !slices.Equal(resultLines(out.rows, rec.sort), rec.expected) {
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
				out, err = execute(ctx, conn, sql)
				continue
			}
			break
		}
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			// Not a SQL error: the connection broke or the record timed
			// out. Report it, and start the next record on a new
			// connection.
			r.fail(rec, expectation(rec), "connection error: "+err.Error())
			_ = conn.Close(context.Background())
			return nil
		}
		if !rec.expectErr {
			r.fail(rec, expectation(rec), fmt.Sprintf("ERROR: %s (SQLSTATE %s)", pgErr.Message, pgErr.Code))
			return nil
		}
		if (rec.errCode != "" && rec.errCode != pgErr.Code) || (rec.errRe != nil && !rec.errRe.MatchString(pgErr.Message)) {
			r.fail(rec, expectation(rec), fmt.Sprintf("ERROR: %s (SQLSTATE %s)", pgErr.Message, pgErr.Code))
		}
		return nil
	}
	if rec.expectErr {
		r.fail(rec, expectation(rec), "success")
		return nil
	}
	switch rec.kind {
	case recStatement, recCopy:
		if rec.count >= 0 && out.tag.RowsAffected() != rec.count {
			r.fail(rec, fmt.Sprintf("%d rows affected", rec.count), fmt.Sprintf("%d rows affected (%s)", out.tag.RowsAffected(), out.tag))
		}
		return nil
	}
	actual := resultLines(out.rows, rec.sort)
	if r.opts.Rewrite {
		r.addRewrite(f, rec, actual)
	}
	if out.columns != len(rec.colTypes) {
		r.fail(rec, fmt.Sprintf("%d columns (%s)", len(rec.colTypes), rec.colTypes), fmt.Sprintf("%d columns", out.columns))
		return nil
	}
	if !slices.Equal(actual, rec.expected) && !r.opts.Rewrite {
		r.fail(rec, strings.Join(rec.expected, "\n"), strings.Join(actual, "\n"))
	}
	if rec.label != "" {
		if prev, ok := r.labels[rec.label]; !ok {
			r.labels[rec.label] = actual
		} else if !slices.Equal(prev, actual) {
			r.fail(rec, "the result of label "+rec.label+":\n"+strings.Join(prev, "\n"), strings.Join(actual, "\n"))
		}
	}
	return nil
}

func expectation(rec *record) string {
	if !rec.expectErr {
		if rec.count >= 0 {
			return fmt.Sprintf("success, %d rows affected", rec.count)
		}
		if rec.kind == recQuery {
			return strings.Join(rec.expected, "\n")
		}
		return "success"
	}
	s := "an error"
	if rec.errCode != "" {
		s += " with SQLSTATE " + rec.errCode
	}
	if rec.errRe != nil {
		s += " matching " + rec.errRe.String()
	}
	return s
}

func copySQL(rec *record) string {
	s := "COPY " + rec.arg + " FROM STDIN"
	if rec.copyCSV {
		s += " (FORMAT csv)"
	}
	return s
}

var (
	createMatViewRe = regexp.MustCompile(`(?is)^(\s*CREATE\s+)MATERIALIZED\s+(VIEW\s+(?:"[^"]*"|[^\s(]+)\s*(?:\([^()]*\)\s*)?)(?:WITH\s*\((?:[^()']|'[^']*')*\)\s*)?(AS\b)`)
	dropMatViewRe   = regexp.MustCompile(`(?is)^(\s*DROP\s+)MATERIALIZED\s+(VIEW\b)`)
)

// matViewAsView rewrites CREATE MATERIALIZED VIEW name [(cols)] [WITH (...)]
// AS into CREATE VIEW name [(cols)] AS, and DROP MATERIALIZED VIEW into DROP
// VIEW; any other statement is returned unchanged.
func matViewAsView(sql string) string {
	if m := createMatViewRe.FindStringSubmatchIndex(sql); m != nil {
		return sql[m[2]:m[3]] + sql[m[4]:m[5]] + sql[m[6]:]
	}
	return dropMatViewRe.ReplaceAllString(sql, "${1}${2}")
}

// execute runs one statement and formats its rows.
func execute(ctx context.Context, conn *pgx.Conn, sql string) (outcome, error) {
	var out outcome
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	out.columns = len(fields)
	opts := formatOptions{loc: time.UTC}
	if tz := conn.PgConn().ParameterStatus("TimeZone"); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			opts.loc = loc
		}
	}
	var fmtErr error
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]string, len(raw))
		for i, v := range raw {
			s, err := formatValue(v, fields[i].DataTypeOID, fields[i].Format == pgx.BinaryFormatCode, opts)
			if err != nil && fmtErr == nil {
				fmtErr = fmt.Errorf("column %q: %w", fields[i].Name, err)
			}
			row[i] = displayValue(s, v == nil)
		}
		out.rows = append(out.rows, row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	out.tag = rows.CommandTag()
	return out, fmtErr
}

// resultLines renders rows in the file's result format.
func resultLines(rows [][]string, mode sortMode) []string {
	var lines []string
	if mode == valueSort {
		for _, row := range rows {
			lines = append(lines, row...)
		}
		sort.Strings(lines)
		return lines
	}
	for _, row := range rows {
		lines = append(lines, strings.Join(row, " "))
	}
	if mode == rowSort {
		sort.Strings(lines)
	}
	return lines
}

// addRewrite records new expected results for rec.
func (r *run) addRewrite(f *sltFile, rec *record, actual []string) {
	if r.edits == nil {
		r.edits = map[string][]edit{}
	}
	r.rewrites[f.path] = f
	for _, e := range r.edits[f.path] {
		if e.from == rec.resultFrom {
			return // already rewritten (a file included twice)
		}
	}
	lines := actual
	if !rec.hasResult {
		if len(actual) == 0 {
			return
		}
		lines = append([]string{"----"}, actual...)
	}
	r.edits[f.path] = append(r.edits[f.path], edit{from: rec.resultFrom, to: rec.resultTo, lines: lines})
}

// writeRewrites applies the recorded edits to the files.
func (r *run) writeRewrites() error {
	for path, f := range r.rewrites {
		edits := r.edits[path]
		sort.Slice(edits, func(i, j int) bool { return edits[i].from > edits[j].from })
		lines := slices.Clone(f.lines)
		for _, e := range edits {
			lines = slices.Replace(lines, e.from, e.to, e.lines...)
		}
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), info.Mode()); err != nil {
			return err
		}
	}
	return nil
}

// Files returns the .slt files under dir (recursively), sorted, optionally
// filtered by a regular expression on the path relative to dir.
func Files(dir string, filter string) ([]string, error) {
	var re *regexp.Regexp
	if filter != "" {
		var err error
		if re, err = regexp.Compile(filter); err != nil {
			return nil, err
		}
	}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".slt") {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if re == nil || re.MatchString(rel) {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}
