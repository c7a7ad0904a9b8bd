package parser

import (
	"errors"
	"strings"

	"github.com/weirdb/weir/sql/lex"
	"github.com/weirdb/weir/sql/pgerror"
)

// Parse parses one statement (a lex.Piece's text; one trailing ';' is
// allowed, as in an extended-protocol Parse message). It returns *Empty
// for empty or comment-only text.
//
// Errors are *pgerror.Error: 42601 for syntax errors, 0A000 for syntax
// PostgreSQL has but weir does not support, 42704 for unknown types in
// DDL, 22023 for bad option values; Position is the 1-based character
// position in text.
func (p *Parser) Parse(text string) (stmt Statement, err error) {
	toks, err := lex.Lex(text)
	if err != nil {
		return nil, err
	}
	// One trailing ';' is allowed; any other top-level ';' means several
	// statements, which a single Parse cannot take.
	if n := len(toks); n >= 2 && toks[n-2].Kind == lex.Semicolon {
		semi := toks[n-2].Pos
		toks = append(toks[:n-2:n-2], toks[n-1])
		// PostgreSQL sees the ';' as the next token: an incomplete
		// statement is a syntax error at or near ";", not at the end.
		defer func() {
			var pe *pgerror.Error
			if errors.As(err, &pe) && pe.Code == pgerror.CodeSyntaxError && pe.Message == "syntax error at end of input" {
				pe.Message, pe.Position = `syntax error at or near ";"`, semi
			}
		}()
	}
	depth := 0
	for _, t := range toks {
		switch t.Kind {
		case lex.LParen:
			depth++
		case lex.RParen:
			depth--
		case lex.Semicolon:
			if depth == 0 {
				return nil, pgerror.Syntax(t.Pos, "cannot insert multiple commands into a prepared statement")
			}
		}
	}
	if toks[0].Kind == lex.EOF {
		return &Empty{}, nil
	}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			stmt, err = nil, b.err
		}
	}()
	d := &dispatcher{p: p, c: cursor{toks: toks, text: text}}
	stmt = d.statement()
	if !d.c.atEOF() {
		d.c.syntaxError()
	}
	return stmt, nil
}

// dispatcher is the recursive-descent parser for statements TiDB does not
// see (DESIGN.md layer 2); it hands queries to the normaliser.
type dispatcher struct {
	p *Parser
	c cursor
}

// statement parses the statement at the cursor.
func (d *dispatcher) statement() Statement {
	c := &d.c
	t := c.peek()
	if t.Kind == lex.LParen {
		return d.query()
	}
	if t.Kind != lex.Ident {
		c.syntaxError()
	}
	switch t.Val {
	case "select", "with", "values", "table", "insert", "update", "delete":
		return d.query()
	case "create":
		return d.create()
	case "drop":
		return d.drop()
	case "alter":
		return d.alter()
	case "show":
		return d.show()
	case "set":
		return d.set()
	case "reset":
		return d.reset()
	case "discard":
		c.next()
		w := c.next()
		switch w.Val {
		case "all", "plans", "sequences", "temp":
		case "temporary":
			w.Val = "temp"
		default:
			c.i--
			c.syntaxError()
		}
		return &Discard{What: w.Val}
	case "begin", "start":
		c.next()
		if t.Val == "start" {
			c.expect("transaction")
		} else if !c.accept("work") {
			c.accept("transaction")
		}
		return &Begin{Modes: d.txnModes()}
	case "commit", "end":
		c.next()
		if c.is("prepared") {
			fail(pgerror.NotSupported("COMMIT PREPARED is not supported").WithPosition(t.Pos))
		}
		if !c.accept("work") {
			c.accept("transaction")
		}
		return &Commit{Chain: d.chain()}
	case "rollback", "abort":
		c.next()
		if c.is("prepared") {
			fail(pgerror.NotSupported("ROLLBACK PREPARED is not supported").WithPosition(t.Pos))
		}
		if !c.accept("work") {
			c.accept("transaction")
		}
		if t.Val == "rollback" && c.accept("to") {
			c.accept("savepoint")
			return &RollbackToSavepoint{Name: c.colLabel()}
		}
		return &Rollback{Chain: d.chain()}
	case "savepoint":
		c.next()
		return &Savepoint{Name: c.colLabel()}
	case "release":
		c.next()
		c.accept("savepoint")
		return &ReleaseSavepoint{Name: c.colLabel()}
	case "flush":
		c.next()
		return &Flush{}
	case "subscribe":
		c.next()
		c.accept("to")
		return &Subscribe{Name: d.objName()}
	case "explain":
		return d.explain()
	case "copy":
		return d.copyStmt()
	case "prepare":
		return d.prepare()
	case "execute":
		c.next()
		name := c.colLabel()
		var params []string
		if c.peek().Kind == lex.LParen {
			params = d.rawList()
		}
		return &ExecutePrepared{Name: name, Params: params}
	case "deallocate":
		c.next()
		c.accept("prepare")
		if c.accept("all") {
			return &Deallocate{All: true}
		}
		return &Deallocate{Name: c.colLabel()}
	case "declare":
		return d.declare()
	case "fetch", "move":
		return d.fetch()
	case "close":
		c.next()
		if c.accept("all") {
			return &ClosePortal{All: true}
		}
		return &ClosePortal{Name: c.colLabel()}
	case "comment":
		return d.comment()
	case "vacuum", "analyze", "analyse", "listen", "unlisten", "notify", "grant", "revoke",
		"truncate", "lock", "cluster", "reindex", "checkpoint", "load", "do", "call",
		"security", "import", "refresh", "merge", "reassign":
		fail(pgerror.NotSupported("%s is not supported", strings.ToUpper(t.Val)).WithPosition(t.Pos))
	}
	c.syntaxError()
	return nil
}

// query parses the rest of the statement as a query.
func (d *dispatcher) query() *Query {
	c := &d.c
	start := c.i
	end := len(c.toks) - 1
	c.i = end
	return d.p.subQuery(c.text, c.toks[start:end], c.toks[end])
}

// queryUntil parses toks[start:end] as a query.
func (d *dispatcher) queryUntil(start, end int) *Query {
	t := d.c.toks[end]
	eof := lex.Token{Kind: lex.EOF, Offset: t.Offset, Pos: t.Pos}
	return d.p.subQuery(d.c.text, d.c.toks[start:end], eof)
}

// subQuery normalises toks (a query inside text) and parses it with TiDB.
// Positions in the result refer to text.
func (p *Parser) subQuery(text string, toks []lex.Token, eof lex.Token) *Query {
	all := make([]lex.Token, 0, len(toks)+1)
	all = append(append(all, toks...), eof)
	n, err := normalize(text, all)
	if err != nil {
		fail(pgerror.Convert(err))
	}
	node, err := p.tidbParse(n)
	if err != nil {
		fail(pgerror.Convert(err))
	}
	return &Query{Node: node, Text: n.Text, Orig: text, NumParams: n.NumParams, ParamIndex: n.ParamIndex, PosMap: n.PosMap}
}

// textOf returns the original text of toks[start:end].
func (d *dispatcher) textOf(start, end int) string {
	if start >= end {
		return ""
	}
	return d.c.text[d.c.toks[start].Offset:d.c.toks[end-1].End()]
}

// objName reads [schema.]name with PostgreSQL folding.
func (d *dispatcher) objName() ObjName {
	c := &d.c
	first := c.ident()
	if c.acceptKind(lex.Dot) {
		return ObjName{Schema: first, Name: c.colLabel()}
	}
	return ObjName{Name: first}
}

// chain reads [AND [NO] CHAIN].
func (d *dispatcher) chain() bool {
	c := &d.c
	if c.accept("and") {
		no := c.accept("no")
		c.expect("chain")
		return !no
	}
	return false
}

// txnModes reads transaction modes, optionally comma-separated.
func (d *dispatcher) txnModes() TxnModes {
	c := &d.c
	var m TxnModes
	yes, no := true, false
	for {
		switch {
		case c.acceptSeq("isolation", "level"):
			switch {
			case c.accept("serializable"):
				m.Isolation = "serializable"
			case c.acceptSeq("repeatable", "read"):
				m.Isolation = "repeatable read"
			case c.acceptSeq("read", "committed"):
				m.Isolation = "read committed"
			case c.acceptSeq("read", "uncommitted"):
				m.Isolation = "read uncommitted"
			default:
				c.syntaxError()
			}
		case c.acceptSeq("read", "only"):
			m.ReadOnly = &yes
		case c.acceptSeq("read", "write"):
			m.ReadOnly = &no
		case c.accept("deferrable"):
			m.Deferrable = &yes
		case c.acceptSeq("not", "deferrable"):
			m.Deferrable = &no
		default:
			return m
		}
		c.acceptKind(lex.Comma)
	}
}

// rawList reads "(" a, b, ... ")" and returns each element's original text.
func (d *dispatcher) rawList() []string {
	c := &d.c
	c.expectKind(lex.LParen)
	var out []string
	start, depth := c.i, 0
	for {
		t := c.peek()
		switch t.Kind {
		case lex.EOF:
			c.syntaxError()
		case lex.LParen, lex.LBracket:
			depth++
		case lex.RBracket:
			depth--
		case lex.RParen, lex.Comma:
			if depth == 0 {
				if c.i == start {
					c.syntaxError()
				}
				out = append(out, d.textOf(start, c.i))
				c.next()
				if t.Kind == lex.RParen {
					return out
				}
				start = c.i
				continue
			}
			if t.Kind == lex.RParen {
				depth--
			}
		}
		c.next()
	}
}

// options reads "(" key [=] value, ... ")" (WITH options): keys are
// lower-cased dotted names; values are strings, numbers, identifiers or
// true/false; a key without a value is "true".
func (d *dispatcher) options() map[string]string {
	c := &d.c
	c.expectKind(lex.LParen)
	m := map[string]string{}
	for {
		key := strings.ToLower(c.colLabel())
		for c.acceptKind(lex.Dot) {
			key += "." + strings.ToLower(c.colLabel())
		}
		if c.peek().IsOp("=") { // "=" is optional in PG option lists
			c.next()
		}
		if t := c.peek(); t.Kind == lex.Comma || t.Kind == lex.RParen {
			m[key] = "true"
		} else {
			m[key] = d.optionValue()
		}
		if !c.acceptKind(lex.Comma) {
			break
		}
	}
	c.expectKind(lex.RParen)
	return m
}

// optionValue reads one option or setting value as text.
func (d *dispatcher) optionValue() string {
	c := &d.c
	t := c.next()
	switch t.Kind {
	case lex.String, lex.Ident, lex.QIdent:
		return t.Val
	case lex.Number:
		return t.Val
	case lex.Op:
		if (t.Val == "-" || t.Val == "+") && c.peek().Kind == lex.Number {
			n := c.next()
			if t.Val == "-" {
				return "-" + n.Val
			}
			return n.Val
		}
	}
	c.i--
	c.syntaxError()
	return ""
}
