package parser

import (
	"strings"

	"github.com/weirdb/weir/sql/lex"
	"github.com/weirdb/weir/sql/pgerror"
)

// create parses CREATE TABLE | SOURCE | [OR REPLACE] [MATERIALIZED] VIEW | SINK.
func (d *dispatcher) create() Statement {
	c := &d.c
	c.next()
	orReplace := c.acceptSeq("or", "replace")
	t := c.peek()
	switch {
	case c.accept("table"):
		return d.createTable(false)
	case c.accept("source"):
		return d.createTable(true)
	case c.accept("view"):
		return d.createView(false, orReplace)
	case c.acceptSeq("materialized", "view"):
		return d.createView(true, orReplace)
	case c.accept("sink"):
		return d.createSink()
	case t.Is("temp"), t.Is("temporary"), t.Is("unlogged"), t.Is("index"), t.Is("unique"),
		t.Is("schema"), t.Is("database"), t.Is("role"), t.Is("user"), t.Is("function"),
		t.Is("sequence"), t.Is("type"), t.Is("extension"), t.Is("trigger"), t.Is("procedure"):
		fail(pgerror.NotSupported("CREATE %s is not supported", strings.ToUpper(t.Val)).WithPosition(t.Pos))
	}
	c.syntaxError()
	return nil
}

func (d *dispatcher) ifNotExists() bool { return d.c.acceptSeq("if", "not", "exists") }

// createTable parses the rest of CREATE TABLE / CREATE SOURCE.
func (d *dispatcher) createTable(source bool) Statement {
	c := &d.c
	ine := d.ifNotExists()
	name := d.objName()
	var cols []ColumnDef
	var pk []string
	var wm *Watermark
	var pkPos int
	setPK := func(keys []string, pos int) {
		if pk != nil {
			fail(pgerror.New("42P16", "multiple primary keys for table \"%s\" are not allowed", name.Name).WithPosition(pos))
		}
		pk, pkPos = keys, pos
	}
	if c.peek().Kind == lex.LParen {
		c.next()
		for {
			t := c.peek()
			switch {
			case t.Is("watermark"):
				c.next()
				if wm != nil {
					fail(pgerror.Syntax(t.Pos, "only one WATERMARK is allowed"))
				}
				wm = d.watermark()
			case t.Is("primary"), t.Is("constraint"):
				if c.accept("constraint") {
					c.ident()
				}
				p := c.peek()
				c.expect("primary")
				c.expect("key")
				setPK(d.identList(), p.Pos)
			case t.Is("unique"), t.Is("check"), t.Is("foreign"), t.Is("exclude"), t.Is("like"):
				fail(pgerror.NotSupported("%s table constraints are not supported", strings.ToUpper(t.Val)).WithPosition(t.Pos))
			default:
				col, isPK := d.columnDef()
				for _, o := range cols {
					if o.Name == col.Name {
						fail(pgerror.New(pgerror.CodeDuplicateColumn, "column \"%s\" specified more than once", col.Name).WithPosition(t.Pos))
					}
				}
				if isPK {
					setPK([]string{col.Name}, t.Pos)
				}
				cols = append(cols, col)
			}
			if !c.acceptKind(lex.Comma) {
				break
			}
		}
		c.expectKind(lex.RParen)
	} else if !source {
		c.syntaxError()
	}
	var with map[string]string
	if c.accept("with") {
		with = d.options()
	}
	text := c.text
	has := func(n string) bool {
		for _, col := range cols {
			if col.Name == n {
				return true
			}
		}
		return false
	}
	for _, k := range pk {
		if !has(k) {
			fail(pgerror.New(pgerror.CodeUndefinedColumn, "column \"%s\" named in key does not exist", k).WithPosition(pkPos))
		}
	}
	if wm != nil && !has(wm.Column) && len(cols) > 0 {
		fail(pgerror.New(pgerror.CodeUndefinedColumn, "column \"%s\" does not exist", wm.Column))
	}
	for i := range pk {
		for j := range cols {
			if cols[j].Name == pk[i] {
				cols[j].NotNull = true
			}
		}
	}
	if source {
		return &CreateSource{Name: name, IfNotExists: ine, Columns: cols, PrimaryKey: pk, Watermark: wm, With: with, Text: text}
	}
	return &CreateTable{Name: name, IfNotExists: ine, Columns: cols, PrimaryKey: pk, Watermark: wm, With: with, Text: text}
}

// identList reads "(" ident, ... ")".
func (d *dispatcher) identList() []string {
	c := &d.c
	c.expectKind(lex.LParen)
	var out []string
	for {
		out = append(out, c.ident())
		if !c.acceptKind(lex.Comma) {
			break
		}
	}
	c.expectKind(lex.RParen)
	return out
}

// columnDef reads name type [constraints]; isPK reports a column PRIMARY KEY.
func (d *dispatcher) columnDef() (col ColumnDef, isPK bool) {
	c := &d.c
	col.Name = c.ident()
	col.Type = storableType(c)
	for {
		t := c.peek()
		switch {
		case c.acceptSeq("not", "null"):
			col.NotNull = true
		case c.accept("null"):
			col.NotNull = false
		case c.acceptSeq("primary", "key"):
			isPK = true
		case c.accept("constraint"):
			c.ident()
		case c.accept("default"):
			start := c.i
			depth := 0
			for {
				n := c.peek()
				if n.Kind == lex.EOF || depth == 0 && (n.Kind == lex.Comma || n.Kind == lex.RParen ||
					n.Is("not") || n.Is("null") || n.Is("primary") || n.Is("constraint")) {
					break
				}
				if n.Kind == lex.LParen {
					depth++
				} else if n.Kind == lex.RParen {
					depth--
				}
				c.next()
			}
			if c.i == start {
				c.syntaxError()
			}
			col.Default = d.textOf(start, c.i)
		case c.accept("collate"):
			n := c.next()
			if v := n.Val; v != "C" && v != "default" && v != "POSIX" && v != "pg_catalog" {
				fail(pgerror.NotSupported("collation \"%s\" is not supported", v).WithPosition(n.Pos))
			}
			if c.acceptKind(lex.Dot) {
				c.next()
			}
		case t.Is("unique"), t.Is("check"), t.Is("references"), t.Is("generated"):
			fail(pgerror.NotSupported("%s column constraints are not supported", strings.ToUpper(t.Val)).WithPosition(t.Pos))
		default:
			return col, isPK
		}
	}
}

// watermark reads FOR col AS col [- INTERVAL '...' [field]].
func (d *dispatcher) watermark() *Watermark {
	c := &d.c
	c.expect("for")
	col := c.ident()
	c.expect("as")
	ref := c.peek()
	if c.ident() != col {
		fail(pgerror.NotSupported("a WATERMARK expression must be %s - INTERVAL '...'", col).WithPosition(ref.Pos))
	}
	wm := &Watermark{Column: col, DelayText: "0"}
	if c.peek().IsOp("-") {
		c.next()
		it := c.peek()
		c.expect("interval")
		s := c.expectKind(lex.String)
		fields := intervalFields(c)
		txt := s.Val
		if fields != "" && !strings.Contains(fields, " to ") && isPlainNumber(txt) {
			txt = strings.TrimSpace(txt) + " " + fields
		} else if fields != "" {
			fail(pgerror.NotSupported("interval field restrictions in WATERMARK are not supported").WithPosition(it.Pos))
		}
		v, err := ParseInterval(txt)
		if err != nil {
			fail(pgerror.New(pgerror.CodeInvalidDatetimeFormat, "invalid input syntax for type interval: \"%s\"", txt).WithPosition(s.Pos))
		}
		if v.Months != 0 || v.Micros < 0 || v.Days < 0 {
			fail(pgerror.New(pgerror.CodeInvalidParameterValue, "a WATERMARK delay must be a non-negative number of days, hours, minutes or seconds").WithPosition(s.Pos))
		}
		wm.Delay, wm.DelayText = v, txt
	}
	return wm
}

// splitTail finds the trailing "WITH (...)" and "EMIT ON WINDOW CLOSE" of a
// query that runs from start to the end of the tokens; it returns the end
// of the query proper.
func (d *dispatcher) splitTail(start int, allowWith bool) (end int, with map[string]string, eowc bool) {
	c := &d.c
	end = len(c.toks) - 1
	if n := end; n-4 >= start && c.toks[n-4].Is("emit") && c.toks[n-3].Is("on") && c.toks[n-2].Is("window") && c.toks[n-1].Is("close") {
		eowc = true
		end -= 4
	}
	if allowWith && end-1 > start && c.toks[end-1].Kind == lex.RParen {
		depth := 0
		for i := end - 1; i > start; i-- {
			switch c.toks[i].Kind {
			case lex.RParen:
				depth++
			case lex.LParen:
				depth--
			}
			if depth == 0 {
				if i-1 > start && c.toks[i-1].Is("with") {
					save := c.i
					c.i = i
					with = d.options()
					c.i = save
					end = i - 1
				}
				break
			}
		}
	}
	return end, with, eowc
}

// createView parses the rest of CREATE [MATERIALIZED] VIEW.
func (d *dispatcher) createView(mat, orReplace bool) Statement {
	c := &d.c
	v := &CreateView{Materialized: mat, OrReplace: orReplace, Text: c.text}
	v.IfNotExists = d.ifNotExists()
	v.Name = d.objName()
	if c.peek().Kind == lex.LParen {
		v.Columns = d.identList()
	}
	if c.accept("with") {
		v.With = d.options()
	}
	c.expect("as")
	start := c.i
	end, _, eowc := d.splitTail(start, false)
	v.EmitOnWindowClose = eowc
	if eowc && !mat {
		fail(pgerror.NotSupported("EMIT ON WINDOW CLOSE needs a materialized view").WithPosition(c.toks[end].Pos))
	}
	v.QueryText = d.textOf(start, end)
	v.Query = d.queryUntil(start, end)
	c.i = len(c.toks) - 1
	return v
}

// createSink parses the rest of CREATE SINK.
func (d *dispatcher) createSink() Statement {
	c := &d.c
	s := &CreateSink{Text: c.text}
	s.IfNotExists = d.ifNotExists()
	s.Name = d.objName()
	switch {
	case c.accept("from"):
		n := d.objName()
		s.From = &n
		if c.accept("with") {
			s.With = d.options()
		}
		if c.acceptSeq("emit", "on", "window", "close") {
			s.EmitOnWindowClose = true
		}
	case c.accept("as"):
		start := c.i
		end, with, eowc := d.splitTail(start, true)
		s.With, s.EmitOnWindowClose = with, eowc
		s.QueryText = d.textOf(start, end)
		s.Query = d.queryUntil(start, end)
		c.i = len(c.toks) - 1
	default:
		c.syntaxError()
	}
	return s
}

// objKind reads TABLE | SOURCE | VIEW | MATERIALIZED VIEW | SINK | INDEX.
func (d *dispatcher) objKind() ObjKind {
	c := &d.c
	switch {
	case c.accept("table"):
		return KindTable
	case c.accept("source"):
		return KindSource
	case c.accept("view"):
		return KindView
	case c.acceptSeq("materialized", "view"):
		return KindMaterializedView
	case c.accept("sink"):
		return KindSink
	case c.accept("index"):
		return KindIndex
	}
	t := c.peek()
	if t.Kind == lex.Ident {
		switch t.Val {
		case "schema", "database", "role", "user", "function", "sequence", "type", "extension", "trigger", "owned":
			fail(pgerror.NotSupported("%s objects are not supported", strings.ToUpper(t.Val)).WithPosition(t.Pos))
		}
	}
	c.syntaxError()
	return ""
}

// drop parses DROP kind [IF EXISTS] name, ... [CASCADE | RESTRICT].
func (d *dispatcher) drop() Statement {
	c := &d.c
	c.next()
	s := &Drop{Kind: d.objKind()}
	s.IfExists = c.acceptSeq("if", "exists")
	for {
		s.Names = append(s.Names, d.objName())
		if !c.acceptKind(lex.Comma) {
			break
		}
	}
	if c.accept("cascade") {
		s.Cascade = true
	} else {
		c.accept("restrict")
	}
	return s
}

// alter parses ALTER kind name PAUSE | RESUME | REBUILD | SET (...).
func (d *dispatcher) alter() Statement {
	c := &d.c
	c.next()
	s := &Alter{Kind: d.objKind()}
	s.Name = d.objName()
	t := c.peek()
	switch {
	case c.accept("pause"), c.accept("resume"), c.accept("rebuild"):
		s.Action = t.Val
	case c.accept("set"):
		s.Action = "set"
		s.Set = d.options()
	default:
		if t.Kind == lex.Ident {
			fail(pgerror.NotSupported("ALTER %s ... %s is not supported", strings.ToUpper(string(s.Kind)), strings.ToUpper(t.Val)).WithPosition(t.Pos))
		}
		c.syntaxError()
	}
	return s
}

// show parses SHOW forms.
func (d *dispatcher) show() Statement {
	c := &d.c
	c.next()
	switch {
	case c.accept("tables"):
		return &Show{What: "tables", Objects: true}
	case c.accept("sources"):
		return &Show{What: "sources", Objects: true}
	case c.accept("views"):
		return &Show{What: "views", Objects: true}
	case c.acceptSeq("materialized", "views"):
		return &Show{What: "materialized views", Objects: true}
	case c.accept("sinks"):
		return &Show{What: "sinks", Objects: true}
	case c.accept("queries"):
		return &Show{What: "queries", Objects: true}
	case c.accept("create"):
		k := d.objKind()
		return &ShowCreate{Kind: k, Name: d.objName()}
	case c.accept("all"):
		return &Show{What: "all"}
	case c.acceptSeq("time", "zone"):
		return &Show{What: "timezone"}
	case c.acceptSeq("transaction", "isolation", "level"):
		return &Show{What: "transaction_isolation"}
	case c.acceptSeq("session", "authorization"):
		return &Show{What: "session_authorization"}
	}
	return &Show{What: d.settingName()}
}

// settingName reads a (possibly dotted) setting name.
func (d *dispatcher) settingName() string {
	c := &d.c
	name := c.colLabel()
	for c.acceptKind(lex.Dot) {
		name += "." + c.colLabel()
	}
	return name
}

// set parses every PostgreSQL SET form.
func (d *dispatcher) set() Statement {
	c := &d.c
	c.next()
	local := false
	if c.accept("local") {
		local = true
	} else if c.is("session") && !c.peekN(1).Is("characteristics") && !c.peekN(1).Is("authorization") {
		c.next()
	}
	t := c.peek()
	switch {
	case c.accept("transaction"):
		if c.is("snapshot") {
			fail(pgerror.NotSupported("SET TRANSACTION SNAPSHOT is not supported").WithPosition(t.Pos))
		}
		return &SetTransaction{Modes: d.txnModes()}
	case c.acceptSeq("session", "characteristics", "as", "transaction"):
		return &SetTransaction{Session: true, Modes: d.txnModes()}
	case c.acceptSeq("time", "zone"):
		s := &Set{Name: "timezone", Local: local}
		switch {
		case c.accept("local"), c.accept("default"):
		case c.is("interval"):
			it := c.peek()
			fail(pgerror.NotSupported("SET TIME ZONE INTERVAL is not supported").WithPosition(it.Pos))
		default:
			s.Values = []string{d.optionValue()}
		}
		return s
	case c.accept("names"):
		s := &Set{Name: "client_encoding", Local: local}
		if !c.accept("default") {
			s.Values = []string{d.optionValue()}
		}
		return s
	case c.accept("schema"):
		return &Set{Name: "search_path", Values: []string{d.optionValue()}, Local: local}
	case t.Is("session") || t.Is("role"):
		fail(pgerror.NotSupported("SET %s is not supported", strings.ToUpper(t.Val)).WithPosition(t.Pos))
	}
	s := &Set{Name: d.settingName(), Local: local}
	if !c.accept("to") {
		if !c.peek().IsOp("=") {
			c.syntaxError()
		}
		c.next()
	}
	if c.accept("default") {
		return s
	}
	s.Values = []string{}
	for {
		s.Values = append(s.Values, d.optionValue())
		if !c.acceptKind(lex.Comma) {
			break
		}
	}
	return s
}

// reset parses RESET name | ALL | TIME ZONE.
func (d *dispatcher) reset() Statement {
	c := &d.c
	c.next()
	switch {
	case c.accept("all"):
		return &Reset{All: true}
	case c.acceptSeq("time", "zone"):
		return &Reset{Name: "timezone"}
	case c.acceptSeq("session", "authorization"):
		return &Reset{Name: "session_authorization"}
	case c.acceptSeq("transaction", "isolation", "level"):
		return &Reset{Name: "transaction_isolation"}
	}
	return &Reset{Name: d.settingName()}
}

// explain parses EXPLAIN [ANALYZE] [VERBOSE] stmt | EXPLAIN (opts) stmt.
func (d *dispatcher) explain() Statement {
	c := &d.c
	c.next()
	opts := map[string]string{}
	if c.peek().Kind == lex.LParen && !(&rewriter{c: *c}).isQueryStart(1) {
		opts = d.options()
	} else {
		if c.accept("analyze") || c.accept("analyse") {
			opts["analyze"] = "true"
		}
		if c.accept("verbose") {
			opts["verbose"] = "true"
		}
	}
	t := c.peek()
	if t.Is("explain") {
		c.syntaxError()
	}
	return &Explain{Stmt: d.statement(), Options: opts}
}

// copyStmt parses COPY in its current and legacy option forms.
func (d *dispatcher) copyStmt() Statement {
	c := &d.c
	c.next()
	s := &Copy{Options: map[string]string{}}
	if c.peek().Kind == lex.LParen {
		c.next()
		start := c.i
		depth := 0
		for {
			t := c.peek()
			if t.Kind == lex.EOF {
				c.syntaxError()
			}
			if t.Kind == lex.LParen {
				depth++
			} else if t.Kind == lex.RParen {
				if depth == 0 {
					break
				}
				depth--
			}
			c.next()
		}
		end := c.i
		s.QueryText = d.textOf(start, end)
		s.Query = d.queryUntil(start, end)
		c.next()
	} else {
		s.Table = d.objName()
		if c.peek().Kind == lex.LParen {
			s.Columns = d.identList()
		}
	}
	t := c.peek()
	switch {
	case c.accept("from"):
		s.From = true
		if s.Query != nil {
			fail(pgerror.Syntax(t.Pos, "COPY (query) FROM is not supported"))
		}
	case c.accept("to"):
	default:
		c.syntaxError()
	}
	switch {
	case s.From && c.accept("stdin"):
		s.Stdin = true
	case !s.From && c.accept("stdout"):
		s.Stdout = true
	case c.is("program"):
		fail(pgerror.NotSupported("COPY ... PROGRAM is not supported").WithPosition(c.peek().Pos))
	default:
		s.File = c.expectKind(lex.String).Val
	}
	c.accept("with")
	if c.peek().Kind == lex.LParen {
		for k, v := range d.options() {
			s.Options[k] = v
		}
	} else {
		d.legacyCopyOptions(s)
	}
	if c.is("where") {
		fail(pgerror.NotSupported("COPY ... WHERE is not supported").WithPosition(c.peek().Pos))
	}
	d.applyCopyOptions(s)
	return s
}

// legacyCopyOptions reads the pre-9.0 option syntax psql still sends:
// BINARY, CSV, HEADER, DELIMITER [AS] 'c', NULL [AS] 'x', QUOTE [AS] 'c',
// ESCAPE [AS] 'c', FORCE QUOTE cols|*, FORCE NOT NULL cols.
func (d *dispatcher) legacyCopyOptions(s *Copy) {
	c := &d.c
	str := func() string {
		c.accept("as")
		return c.expectKind(lex.String).Val
	}
	for {
		switch {
		case c.accept("binary"):
			s.Options["format"] = "binary"
		case c.accept("csv"):
			s.Options["format"] = "csv"
		case c.accept("header"):
			s.Options["header"] = "true"
		case c.accept("delimiter"):
			s.Options["delimiter"] = str()
		case c.accept("null"):
			s.Options["null"] = str()
		case c.accept("quote"):
			s.Options["quote"] = str()
		case c.accept("escape"):
			s.Options["escape"] = str()
		case c.acceptSeq("force", "quote"), c.acceptSeq("force", "not", "null"):
			if c.peek().IsOp("*") {
				c.next()
			} else {
				for {
					c.ident()
					if !c.acceptKind(lex.Comma) {
						break
					}
				}
			}
		default:
			return
		}
	}
}

// applyCopyOptions validates Options and fills the typed fields.
func (d *dispatcher) applyCopyOptions(s *Copy) {
	s.Format = "text"
	for k, v := range s.Options {
		switch k {
		case "format":
			v = strings.ToLower(v)
			if v != "text" && v != "csv" && v != "binary" {
				fail(pgerror.New(pgerror.CodeInvalidParameterValue, "COPY format \"%s\" not recognized", v))
			}
			s.Format = v
		case "delimiter":
			if len(v) != 1 {
				fail(pgerror.New(pgerror.CodeInvalidParameterValue, "COPY delimiter must be a single one-byte character"))
			}
			s.Delimiter = v
		case "null":
			s.Null = v
		case "quote":
			if len(v) != 1 {
				fail(pgerror.New(pgerror.CodeInvalidParameterValue, "COPY quote must be a single one-byte character"))
			}
			s.Quote = v
		case "escape":
			if len(v) != 1 {
				fail(pgerror.New(pgerror.CodeInvalidParameterValue, "COPY escape must be a single one-byte character"))
			}
			s.Escape = v
		case "header":
			b, ok := parseBool(v)
			if !ok && strings.ToLower(v) != "match" {
				fail(pgerror.New(pgerror.CodeInvalidParameterValue, "header requires a Boolean value or \"match\""))
			}
			s.Header = b || strings.ToLower(v) == "match"
		case "encoding", "freeze", "force_quote", "force_not_null", "force_null", "default", "on_error", "log_verbosity":
		default:
			fail(pgerror.Syntax(0, "option \"%s\" not recognized", k))
		}
	}
	if s.Format != "csv" && (s.Quote != "" || s.Escape != "") {
		fail(pgerror.NotSupported("COPY quote and escape are available only in CSV mode"))
	}
	if s.Format == "binary" && (s.Delimiter != "" || s.Null != "" || s.Header) {
		fail(pgerror.Syntax(0, "cannot specify DELIMITER, NULL or HEADER in BINARY mode"))
	}
}

// parseBool reads PostgreSQL boolean option spellings.
func parseBool(v string) (b, ok bool) {
	switch strings.ToLower(v) {
	case "true", "on", "1", "yes", "t", "y":
		return true, true
	case "false", "off", "0", "no", "f", "n":
		return false, true
	}
	return false, false
}

// prepare parses PREPARE name [(types)] AS statement.
func (d *dispatcher) prepare() Statement {
	c := &d.c
	c.next()
	if c.is("transaction") {
		fail(pgerror.NotSupported("PREPARE TRANSACTION is not supported").WithPosition(c.peek().Pos))
	}
	s := &Prepare{Name: c.colLabel()}
	if c.peek().Kind == lex.LParen {
		c.next()
		for {
			s.ParamTypes = append(s.ParamTypes, parseTypeName(c))
			if !c.acceptKind(lex.Comma) {
				break
			}
		}
		c.expectKind(lex.RParen)
	}
	c.expect("as")
	s.Stmt = d.statement()
	return s
}

// declare parses DECLARE name ... CURSOR [WITH[OUT] HOLD] FOR query.
func (d *dispatcher) declare() Statement {
	c := &d.c
	c.next()
	s := &Declare{Name: c.colLabel()}
	for {
		switch {
		case c.accept("binary"):
			s.Binary = true
		case c.accept("asensitive"), c.accept("insensitive"):
		case c.acceptSeq("no", "scroll"):
			s.Scroll = false
		case c.accept("scroll"):
			s.Scroll = true
		default:
			c.expect("cursor")
			if c.acceptSeq("with", "hold") {
				s.Hold = true
			} else {
				c.acceptSeq("without", "hold")
			}
			c.expect("for")
			s.Query = d.query()
			return s
		}
	}
}

// fetch parses FETCH / MOVE [direction] [FROM | IN] name.
func (d *dispatcher) fetch() Statement {
	c := &d.c
	s := &Fetch{Move: c.next().Is("move"), Direction: "forward", Count: 1}
	count := func() int64 {
		neg := false
		if c.peek().IsOp("-") {
			c.next()
			neg = true
		}
		t := c.expectKind(lex.Number)
		if !t.Integer {
			fail(pgerror.Syntax(t.Pos, "syntax error at or near \"%s\"", t.Text))
		}
		var n int64
		for _, ch := range t.Val {
			n = n*10 + int64(ch-'0')
		}
		if neg {
			n = -n
		}
		return n
	}
	isCount := func() bool { return c.peek().Kind == lex.Number || c.peek().IsOp("-") }
	switch {
	case c.accept("next"):
	case c.accept("prior"):
		s.Direction = "backward"
	case c.accept("first"):
		s.Direction, s.Count = "absolute", 1
	case c.accept("last"):
		s.Direction, s.Count = "absolute", -1
	case c.accept("absolute"):
		s.Direction, s.Count = "absolute", count()
	case c.accept("relative"):
		s.Direction, s.Count = "relative", count()
	case c.accept("all"):
		s.Count = -1
	case c.accept("forward"), c.accept("backward"):
		if c.toks[c.i-1].Is("backward") {
			s.Direction = "backward"
		}
		if c.accept("all") {
			s.Count = -1
		} else if isCount() {
			s.Count = count()
		}
	case isCount():
		s.Count = count()
	}
	if !c.accept("from") {
		c.accept("in")
	}
	s.Name = c.colLabel()
	return s
}

// comment parses COMMENT ON kind name IS 'text' | NULL.
func (d *dispatcher) comment() Statement {
	c := &d.c
	c.next()
	c.expect("on")
	s := &CommentOn{}
	if c.accept("column") {
		s.Kind = "column"
		a := c.colLabel()
		c.expectKind(lex.Dot)
		b := c.colLabel()
		if c.acceptKind(lex.Dot) {
			s.Name = ObjName{Schema: a, Name: b}
			s.Column = c.colLabel()
		} else {
			s.Name, s.Column = ObjName{Name: a}, b
		}
	} else {
		s.Kind = string(d.objKind())
		s.Name = d.objName()
	}
	c.expect("is")
	if !c.accept("null") {
		v := c.expectKind(lex.String).Val
		s.Comment = &v
	}
	return s
}
