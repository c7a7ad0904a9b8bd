package sqltests

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The file format is sqllogictest's, with the extensions of CockroachDB and
// Materialize that weir needs. Records are separated by blank lines; lines
// starting with '#' between records are comments.
//
//	statement ok                     the statement succeeds
//	statement count N                it succeeds and its command tag reports N rows
//	statement error <regex>          it fails and the message matches <regex>
//	statement error SQLSTATE 42601 [<regex>]
//	                                 it fails with that SQLSTATE (and message)
//	query <types> [nosort|rowsort|valuesort] [retry] [<label>]
//	<sql>
//	----
//	<expected result>
//	query error <regex>              like statement error, for a query
//	include <file>                   run another file (path relative to this one)
//	halt                             stop running this file
//	restart                          stop the server gracefully, start it again on
//	                                 the same data directory, reconnect
//	connection <name>                run the following records on the named
//	                                 connection (opened on first use);
//	                                 "connection default" switches back
//	mode simple|extended|both        run the following records only when the
//	                                 file runs in that protocol (default both)
//	copy <table> [csv]               COPY <table> FROM STDIN with the data lines
//	                                 that follow, up to the next blank line
//	skipif <label> / onlyif <label>  prefix lines that condition the next record
//	kafka topic|produce|consume ...  Kafka topics of the file's broker, and
//	                                 ${KAFKA_BROKERS} / ${PG_URL} in SQL: see
//	                                 services.go
//	==== <label>                     inside a statement or query record, after its
//	                                 SQL: the SQL that follows (up to the next
//	                                 ==== line, the ---- line or a blank line) is
//	                                 run instead on a target with that label
//
// Labels are the target's ("weir" or "postgres"; "postgresql" is accepted as
// an alias) and the protocol's ("protocol-simple", "protocol-extended").
//
// Materialized views on the PostgreSQL oracle: a weir MV is kept up to date
// by its continuous query, so after FLUSH it holds what a plain view over the
// same rows computes. When a run targets PostgreSQL (Options.MatViewsAsViews,
// set by the oracle runs), the runner sends
//
//	CREATE MATERIALIZED VIEW name [(cols)] [WITH (...)] AS q  as  CREATE VIEW name [(cols)] AS q
//	DROP MATERIALIZED VIEW ...                              as  DROP VIEW ...
//
// so one file holds both sides and the oracle computes the expected results.
// Statements only weir has (FLUSH, ALTER MATERIALIZED VIEW ... PAUSE, SHOW
// QUERIES, weir_catalog) are marked "onlyif weir".
//
// Alternative formulations: when weir and PostgreSQL express the same
// computation differently (a window table function in weir, date_bin or
// generate_series in PostgreSQL), one record holds both, so one expected
// result block is checked against both targets and is produced by the
// oracle, never by weir:
//
//	query TTI rowsort
//	SELECT k, window_start, count(*) FROM TUMBLE(t, ts, INTERVAL '10' SECOND) GROUP BY 1, 2
//	==== postgres
//	SELECT k, date_bin('10 s', ts, 'epoch'), count(*) FROM t GROUP BY 1, 2
//	----
//	a 2026-01-01 00:00:00 3
//
// The SQL before the first ==== line is the default; the first
// alternative whose label the target has replaces it.
//
// Result format: every result row is one line, its values separated by a
// single space, each value in PostgreSQL's text output form (booleans t/f,
// timestamps ISO, bytea hex, ...); NULL prints as NULL, the empty string as
// (empty), and a newline inside a value as the two characters \n. <types>
// has one letter per column (T text, I integer, R real/numeric, B boolean,
// any other letter allowed); only the count is checked. retry runs the
// query again (every 50 ms, within the record's timeout) until its result
// matches, for results that arrive asynchronously (a sink's target
// table). rowsort sorts the
// rows; valuesort sorts all values and prints one value per line. A <label>
// asserts that every query with the same label returns the same result.

// recordKind is the directive that starts a record.
type recordKind int

const (
	recStatement recordKind = iota
	recQuery
	recInclude
	recHalt
	recRestart
	recConnection
	recMode
	recCopy
	recKafka
)

// sortMode is how a query's rows are ordered before comparison.
type sortMode int

const (
	noSort sortMode = iota
	rowSort
	valueSort
)

// condition is one skipif/onlyif line.
type condition struct {
	skip  bool // skipif; otherwise onlyif
	label string
}

// record is one parsed directive with its SQL and expectations.
type record struct {
	kind  recordKind
	file  string
	line  int // 1-based line of the directive
	conds []condition

	sql  string
	alts []altSQL // alternatives for labelled targets (==== <label>)

	// statement and query errors.
	expectErr bool
	errCode   string         // SQLSTATE, when given
	errRe     *regexp.Regexp // nil: any message

	// statement count.
	count int64 // -1 when not checked

	// query.
	colTypes  string
	sort      sortMode
	label     string
	expected  []string
	hasResult bool // a ---- line was present
	// retry re-runs the query until its result matches (for results that
	// arrive asynchronously, as a sink's in an external system).
	retry bool
	// resultFrom and resultTo delimit the expected result lines (0-based,
	// half-open) in the file, for -rewrite. Without a ---- line, resultFrom
	// == resultTo is where the separator and results are inserted.
	resultFrom, resultTo int

	// include, connection, mode, copy.
	arg      string
	copyCSV  bool
	copyData []string

	// kafka.
	kafka *kafkaCmd
}

// altSQL is the SQL a record runs on targets with label instead of its
// default SQL.
type altSQL struct {
	label string
	sql   string
}

// sqlFor returns the SQL rec runs on a target for which has reports its
// labels: the first matching alternative, else the default.
func (rec *record) sqlFor(has func(label string) bool) string {
	for _, a := range rec.alts {
		if has(a.label) {
			return a.sql
		}
	}
	return rec.sql
}

// sltFile is a parsed file with its original lines (kept for -rewrite).
type sltFile struct {
	path    string
	lines   []string
	records []*record
}

// parseFile reads and parses one .slt file.
func parseFile(path string) (*sltFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, string(data))
}

var sqlstateRe = regexp.MustCompile(`^SQLSTATE ([0-9A-Z]{5})(?:\s+(.*))?$`)

// parse parses the text of a file; path is used in positions only.
func parse(path, text string) (*sltFile, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	f := &sltFile{path: path, lines: lines}
	errf := func(i int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, i+1, fmt.Sprintf(format, args...))
	}
	blank := func(i int) bool { return strings.TrimSpace(lines[i]) == "" }

	var conds []condition
	i := 0
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			if line == "" && len(conds) > 0 {
				return nil, errf(i, "skipif/onlyif must be followed by a record")
			}
			i++
			continue
		}
		fields := strings.Fields(line)
		rec := &record{file: path, line: i + 1, count: -1}
		switch fields[0] {
		case "skipif", "onlyif":
			if len(fields) != 2 {
				return nil, errf(i, "%s takes one label", fields[0])
			}
			conds = append(conds, condition{skip: fields[0] == "skipif", label: fields[1]})
			i++
			continue
		case "statement", "query":
			rec.kind = recStatement
			if fields[0] == "query" {
				rec.kind = recQuery
			}
			rest := strings.TrimSpace(strings.TrimPrefix(line, fields[0]))
			if err := parseHeader(rec, rest); err != nil {
				return nil, errf(i, "%v", err)
			}
			i++
			var sqlLines []string
			for i < len(lines) && !blank(i) && (rec.kind != recQuery || strings.TrimSpace(lines[i]) != "----") {
				sqlLines = append(sqlLines, lines[i])
				i++
			}
			if err := splitAlternatives(rec, sqlLines); err != nil {
				return nil, errf(rec.line-1, "%s %v", fields[0], err)
			}
			rec.resultFrom, rec.resultTo = i, i
			if rec.kind == recQuery && i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
				if rec.expectErr {
					return nil, errf(i, "query error takes no results")
				}
				rec.hasResult = true
				i++
				rec.resultFrom = i
				for i < len(lines) && !blank(i) {
					rec.expected = append(rec.expected, lines[i])
					i++
				}
				rec.resultTo = i
			}
		case "include", "connection", "mode":
			if len(fields) != 2 {
				return nil, errf(i, "%s takes one argument", fields[0])
			}
			rec.kind = map[string]recordKind{"include": recInclude, "connection": recConnection, "mode": recMode}[fields[0]]
			rec.arg = fields[1]
			if rec.kind == recMode && rec.arg != "simple" && rec.arg != "extended" && rec.arg != "both" {
				return nil, errf(i, "mode must be simple, extended or both")
			}
			i++
		case "halt", "restart":
			if len(fields) != 1 {
				return nil, errf(i, "%s takes no arguments", fields[0])
			}
			rec.kind = recHalt
			if fields[0] == "restart" {
				rec.kind = recRestart
			}
			i++
		case "copy":
			if len(fields) < 2 || len(fields) > 3 || (len(fields) == 3 && fields[2] != "csv") {
				return nil, errf(i, "usage: copy <table> [csv]")
			}
			rec.kind = recCopy
			rec.arg = fields[1]
			rec.copyCSV = len(fields) == 3
			i++
			for i < len(lines) && !blank(i) {
				rec.copyData = append(rec.copyData, lines[i])
				i++
			}
		case "kafka":
			k, err := parseKafka(fields[1:])
			if err != nil {
				return nil, errf(i, "%v", err)
			}
			rec.kind, rec.kafka = recKafka, k
			i++
			switch k.op {
			case "produce":
				for i < len(lines) && !blank(i) {
					k.values = append(k.values, lines[i])
					i++
				}
				if len(k.values) == 0 {
					return nil, errf(rec.line-1, "kafka produce without records")
				}
			case "consume":
				rec.resultFrom, rec.resultTo = i, i
				if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
					rec.hasResult = true
					i++
					rec.resultFrom = i
					for i < len(lines) && !blank(i) {
						rec.expected = append(rec.expected, lines[i])
						i++
					}
					rec.resultTo = i
				} else if i < len(lines) && !blank(i) {
					return nil, errf(i, "kafka consume: expected ---- before the records")
				}
			}
		default:
			return nil, errf(i, "unknown directive %q", fields[0])
		}
		rec.conds = conds
		conds = nil
		f.records = append(f.records, rec)
	}
	if len(conds) > 0 {
		return nil, errf(len(lines)-1, "skipif/onlyif at end of file")
	}
	return f, nil
}

var altRe = regexp.MustCompile(`^====\s+(\S+)$`)

// splitAlternatives sets rec.sql and rec.alts from the SQL lines of a
// record (see "==== <label>" above).
func splitAlternatives(rec *record, lines []string) error {
	cur := &rec.sql
	var buf []string
	flush := func() error {
		if len(buf) == 0 {
			return fmt.Errorf("without SQL")
		}
		*cur = strings.Join(buf, "\n")
		buf = nil
		return nil
	}
	for _, l := range lines {
		m := altRe.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			buf = append(buf, l)
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		rec.alts = append(rec.alts, altSQL{label: m[1]})
		cur = &rec.alts[len(rec.alts)-1].sql
	}
	return flush()
}

// parseHeader parses what follows "statement" or "query".
func parseHeader(rec *record, rest string) error {
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return fmt.Errorf("missing ok/error/count or column types")
	}
	if fields[0] == "error" {
		rec.expectErr = true
		msg := strings.TrimSpace(strings.TrimPrefix(rest, "error"))
		if m := sqlstateRe.FindStringSubmatch(msg); m != nil {
			rec.errCode = m[1]
			msg = m[2]
		}
		if msg != "" {
			re, err := regexp.Compile(msg)
			if err != nil {
				return fmt.Errorf("bad error regex: %v", err)
			}
			rec.errRe = re
		}
		return nil
	}
	if rec.kind == recStatement {
		switch fields[0] {
		case "ok":
			if len(fields) != 1 {
				return fmt.Errorf("statement ok takes no arguments")
			}
		case "count":
			if len(fields) != 2 {
				return fmt.Errorf("usage: statement count N")
			}
			n, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("bad count %q", fields[1])
			}
			rec.count = n
		default:
			return fmt.Errorf("statement must be ok, count or error, not %q", fields[0])
		}
		return nil
	}
	rec.colTypes = fields[0]
	for _, f := range fields[1:] {
		switch f {
		case "nosort":
			rec.sort = noSort
		case "rowsort":
			rec.sort = rowSort
		case "valuesort":
			rec.sort = valueSort
		case "retry":
			rec.retry = true
		default:
			if rec.label != "" {
				return fmt.Errorf("unexpected %q after label", f)
			}
			rec.label = f
		}
	}
	return nil
}
