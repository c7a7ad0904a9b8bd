package parser

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/weirdb/weir/sql/lex"
	"github.com/weirdb/weir/sql/pgerror"
)

// This file is layers 3 and 4 of the front end (DESIGN.md): it reads a
// PostgreSQL query's tokens with PostgreSQL's precedence rules and writes
// text that TiDB's grammar (in ANSI_QUOTES | PIPES_AS_CONCAT |
// NO_BACKSLASH_ESCAPES | IGNORE_SPACE mode) parses to the same meaning, with
// PostgreSQL-only constructs turned into the marker functions of
// markers.go. Every output token remembers the original position it came
// from, so errors found in the rewritten text point at the user's text.
//
// The rewriter is not a full PostgreSQL grammar: clauses are walked
// loosely (keywords are copied through) and expressions are parsed with a
// precedence climber wherever one can start. Operands of an operator are
// parenthesised unless PostgreSQL and TiDB agree on the grouping, so TiDB's
// different precedences (|| above +, for one) never change the meaning.

// otok is one token of rewritten output.
type otok struct {
	text string
	pos  int // 1-based character position in the original text
	// verbatim is true when text is exactly the original token text, so a
	// position inside it maps to the same offset inside the original.
	verbatim bool
	// glue suppresses the space before the token (a call's "(").
	glue bool
}

type frag []otok

// node is an expression being rewritten: its output and its top-level
// operator ("" for a primary), which decides parenthesisation.
type node struct {
	f  frag
	op string
}

// Normalized is the output of the normaliser for one query.
type Normalized struct {
	// Text is the rewritten query for TiDB.
	Text string
	// ParamIndex maps the order of each "?" in Text (TiDB's
	// ParamMarkerExpr.Order) to the 0-based index n-1 of the $n it replaced.
	ParamIndex []int
	// NumParams is the highest $n used.
	NumParams int
	// PosMap maps rewritten byte offsets to original character positions.
	PosMap PosMap

	orig []lex.Token // the original tokens, for error messages
}

// PosMap maps byte offsets in rewritten text to 1-based character
// positions in the original text.
type PosMap struct {
	offs     []int // start byte offset of each output token, ascending
	pos      []int // its original position
	verbatim []bool
	texts    []string
	origLen  int // characters in the original text
}

// OrigPos returns the 1-based character position in the original text of
// the rewritten byte offset off. Offsets inside a token copied verbatim map
// inside the original token; offsets inside synthesised text map to the
// start of the construct it replaced; offsets at or past the end map to
// one past the original's last character.
func (m PosMap) OrigPos(off int) int {
	if len(m.offs) == 0 {
		return 1
	}
	i := sort.SearchInts(m.offs, off+1) - 1
	if i < 0 {
		return m.pos[0]
	}
	d := off - m.offs[i]
	if d >= len(m.texts[i]) {
		if i == len(m.offs)-1 {
			return m.origLen + 1
		}
		return m.pos[i+1]
	}
	if m.verbatim[i] && d > 0 {
		return m.pos[i] + utf8.RuneCountInString(m.texts[i][:d])
	}
	return m.pos[i]
}

// rewriter holds the state of one normalisation.
type rewriter struct {
	c          cursor
	paramIndex []int
	numParams  int
	subqueries int
	typedLit   frag // result of a typed literal attempt (special)
}

// normalize rewrites the query tokens toks (from text) for TiDB.
func normalize(text string, toks []lex.Token) (n Normalized, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	r := &rewriter{c: cursor{toks: toks, text: text}}
	f := r.query()
	if !r.c.atEOF() {
		r.c.syntaxError()
	}
	n = render(f, utf8.RuneCountInString(text))
	n.ParamIndex, n.NumParams = r.paramIndex, r.numParams
	n.orig = toks
	return n, nil
}

// render joins output tokens with single spaces, except after "(" "." "["
// and before ")" "," "." "]" and glued tokens.
func render(f frag, origLen int) Normalized {
	var b strings.Builder
	var m PosMap
	m.origLen = origLen
	prev := ""
	for i, t := range f {
		if i > 0 && !t.glue && prev != "(" && prev != "." && prev != "[" &&
			t.text != ")" && t.text != "," && t.text != "." && t.text != "]" {
			b.WriteByte(' ')
		}
		m.offs = append(m.offs, b.Len())
		m.pos = append(m.pos, t.pos)
		m.verbatim = append(m.verbatim, t.verbatim)
		m.texts = append(m.texts, t.text)
		b.WriteString(t.text)
		prev = t.text
	}
	return Normalized{Text: b.String(), PosMap: m}
}

// syn returns a synthesised output token at the position of t.
func syn(text string, t lex.Token) otok { return otok{text: text, pos: t.Pos} }

// call builds name(args...) with the name at the position of at.
func call(name string, at lex.Token, args ...frag) frag {
	f := frag{syn(name, at), {text: "(", pos: at.Pos, glue: true}}
	for i, a := range args {
		if i > 0 {
			f = append(f, syn(",", at))
		}
		f = append(f, a...)
	}
	return append(f, syn(")", at))
}

// strLit returns a TiDB string literal for s at the position of at. With
// NO_BACKSLASH_ESCAPES only the quote needs doubling.
func strLit(s string, at lex.Token) frag {
	return frag{syn("'"+strings.ReplaceAll(s, "'", "''")+"'", at)}
}

// quoteIdent returns name as TiDB should read it: bare when it is a plain
// lower-case name TiDB does not reserve, else double-quoted.
func quoteIdent(name string) string {
	plain := name != "" && !tidbReserved[name]
	for i := 0; i < len(name) && plain; i++ {
		ch := name[i]
		plain = ch >= 'a' && ch <= 'z' || ch == '_' || ch >= 0x80 || i > 0 && (ch >= '0' && ch <= '9' || ch == '$')
	}
	if plain {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// identTok emits an identifier token.
func identTok(t lex.Token) otok {
	q := quoteIdent(t.Val)
	return otok{text: q, pos: t.Pos, verbatim: q == t.Text}
}

// verbatim emits a token as it is (keywords, punctuation, operators that
// TiDB reads like PostgreSQL).
func (r *rewriter) verbatim(t lex.Token) otok {
	switch t.Kind {
	case lex.Ident:
		return otok{text: t.Val, pos: t.Pos, verbatim: t.Val == t.Text}
	case lex.QIdent:
		return identTok(t)
	case lex.String:
		return strLit(t.Val, t)[0]
	case lex.BitString:
		return syn("b'"+t.Val+"'", t)
	case lex.HexString:
		return syn("x'"+t.Val+"'", t)
	case lex.Number:
		return otok{text: t.Val, pos: t.Pos, verbatim: t.Val == t.Text}
	case lex.Param:
		return r.param(t)
	case lex.Op:
		return otok{text: t.Val, pos: t.Pos, verbatim: t.Val == t.Text}
	case lex.Typecast, lex.Colon:
		r.c.i--
		r.c.syntaxError()
	}
	return otok{text: t.Text, pos: t.Pos, verbatim: true}
}

func (r *rewriter) param(t lex.Token) otok {
	r.paramIndex = append(r.paramIndex, t.Param-1)
	if t.Param > r.numParams {
		r.numParams = t.Param
	}
	return syn("?", t)
}

// isQueryStart reports whether the tokens at the cursor (after any "(")
// begin a query.
func (r *rewriter) isQueryStart(n int) bool {
	for r.c.peekN(n).Kind == lex.LParen {
		n++
	}
	t := r.c.peekN(n)
	return t.Is("select") || t.Is("with") || t.Is("values") || t.Is("table")
}

// level is the state of one query nesting level.
type level struct {
	clause   string // the current clause keyword: select, from, where, ...
	insert   bool   // INSERT: VALUES rows stay TiDB's
	update   bool   // UPDATE: SET is a keyword
	limit    bool   // a LIMIT was written at this level
	fullJoin *lex.Token
	funcArgs bool // inside a function call's parentheses
	window   bool // inside a window specification
}

// query rewrites one query (SELECT / WITH / VALUES / TABLE / INSERT /
// UPDATE / DELETE, possibly parenthesised) up to an unmatched ")" or EOF.
func (r *rewriter) query() frag {
	return r.seq(&level{})
}

// seq rewrites tokens until an unmatched closing bracket or EOF, copying
// keywords and parsing expressions where they can start.
func (r *rewriter) seq(lv *level) frag {
	var f frag
	c := &r.c
	for {
		t := c.peek()
		switch t.Kind {
		case lex.EOF, lex.RParen, lex.RBracket:
			if lv.fullJoin != nil {
				fail(pgerror.NotSupported("FULL JOIN is only supported with an ON condition").WithPosition(lv.fullJoin.Pos))
			}
			return f
		case lex.Comma:
			c.next()
			f = append(f, r.verbatim(t))
			if lv.clause == "from" {
				f = append(f, r.fromItem(lv)...)
			}
			continue
		case lex.Ident:
			if lv.funcArgs && t.Is("order") && c.peekN(1).Is("by") {
				// An aggregate's ORDER BY: the caller (funcCall) reads it.
				return f
			}
			if g, ok := r.keyword(lv); ok {
				f = append(f, g...)
				continue
			}
		}
		if r.startsExpr() {
			f = append(f, r.expr(0).f...)
			continue
		}
		c.next()
		f = append(f, r.verbatim(t))
	}
}

// windowWords are keywords inside a window specification.
var windowWords = setOf(`partition by rows range groups between unbounded preceding following
current row and exclude no others ties`)

// funcArgWords are keywords that PostgreSQL's special function syntaxes put
// between arguments: substring(x FROM a FOR b), trim(BOTH x FROM y),
// position(a IN b), overlay(x PLACING y FROM a FOR b).
var funcArgWords = setOf(`from for in placing both leading trailing distinct all`)

// keyword handles a clause keyword at the cursor. It returns false when the
// token is not one (the caller then parses an expression or copies it).
func (r *rewriter) keyword(lv *level) (frag, bool) {
	c := &r.c
	t := c.peek()
	w := t.Val
	if lv.window && windowWords[w] {
		c.next()
		if w == "order" && c.is("by") {
			c.next()
			return append(frag{r.verbatim(t), syn("BY", t)}, r.orderItems(lv)...), true
		}
		return frag{r.verbatim(t)}, true
	}
	if lv.funcArgs {
		if funcArgWords[w] {
			c.next()
			return frag{r.verbatim(t)}, true
		}
		return nil, false
	}
	switch w {
	case "select":
		c.next()
		lv.clause = "select"
		f := frag{r.verbatim(t)}
		if c.is("distinct") && c.peekN(1).Is("on") {
			d := c.next()
			c.next()
			c.expectKind(lex.LParen)
			args := r.exprList(lex.RParen)
			c.expectKind(lex.RParen)
			f = append(f, call(MarkerDistinctOn, d, args...)...)
			f = append(f, syn(",", d))
		}
		return f, true
	case "from":
		c.next()
		lv.clause = "from"
		return append(frag{r.verbatim(t)}, r.fromItem(lv)...), true
	case "join":
		c.next()
		return append(frag{r.verbatim(t)}, r.fromItem(lv)...), true
	case "full":
		if c.peekN(1).Is("join") || c.peekN(1).Is("outer") && c.peekN(2).Is("join") {
			c.next()
			c.accept("outer")
			c.next()
			ft := t
			lv.fullJoin = &ft
			return append(frag{syn("LEFT", t), syn("JOIN", t)}, r.fromItem(lv)...), true
		}
	case "on":
		if c.peekN(1).Is("conflict") {
			fail(pgerror.NotSupported("INSERT ... ON CONFLICT is not supported").WithPosition(t.Pos))
		}
		if lv.clause != "from" {
			return nil, false
		}
		c.next()
		e := r.expr(0).f
		if lv.fullJoin != nil {
			e = call(MarkerFullJoin, *lv.fullJoin, e)
			lv.fullJoin = nil
		}
		return append(frag{r.verbatim(t)}, e...), true
	case "natural":
		if c.peekN(1).Is("full") && (c.peekN(2).Is("join") || c.peekN(2).Is("outer") && c.peekN(3).Is("join")) {
			// l NATURAL FULL JOIN r → l LEFT JOIN r ON weir_full_join(weir_natural()).
			c.i += 2
			c.accept("outer")
			c.next()
			f := append(frag{syn("LEFT", t), syn("JOIN", t)}, r.fromItem(lv)...)
			f = append(f, syn("ON", t))
			return append(f, call(MarkerFullJoin, t, call(MarkerNatural, t))...), true
		}
	case "where", "having", "group", "window", "returning", "into", "using":
		if w == "returning" {
			fail(pgerror.NotSupported("RETURNING is not supported").WithPosition(t.Pos))
		}
		if w == "using" && lv.fullJoin != nil {
			// l FULL JOIN r USING (a, b) → l LEFT JOIN r ON
			// weir_full_join(weir_using('a', 'b')).
			c.next()
			c.expectKind(lex.LParen)
			var names []frag
			for {
				n := c.next()
				if n.Kind != lex.Ident && n.Kind != lex.QIdent {
					c.i--
					c.syntaxError()
				}
				names = append(names, strLit(n.Val, n))
				if !c.acceptKind(lex.Comma) {
					break
				}
			}
			c.expectKind(lex.RParen)
			ft := *lv.fullJoin
			lv.fullJoin = nil
			return append(frag{syn("ON", t)}, call(MarkerFullJoin, ft, call(MarkerUsing, t, names...))...), true
		}
		c.next()
		lv.clause = w
		f := frag{r.verbatim(t)}
		if w == "window" {
			return append(f, r.windowDefs(lv)...), true
		}
		return f, true
	case "by":
		c.next()
		return frag{r.verbatim(t)}, true
	case "order":
		if !c.peekN(1).Is("by") {
			return nil, false
		}
		c.next()
		by := c.next()
		lv.clause = "order"
		return append(frag{r.verbatim(t), r.verbatim(by)}, r.orderItems(lv)...), true
	case "limit":
		c.next()
		lv.clause = "limit"
		if c.accept("all") {
			return nil, true
		}
		negativeConstant(c, "2201W", "LIMIT")
		lv.limit = true
		return append(frag{r.verbatim(t)}, r.expr(0).f...), true
	case "offset":
		c.next()
		lv.clause = "offset"
		negativeConstant(c, "2201X", "OFFSET")
		e := r.expr(0).f
		if !c.accept("row") {
			c.accept("rows")
		}
		f := frag{}
		if !lv.limit {
			if c.is("limit") || c.is("fetch") {
				// OFFSET before LIMIT: TiDB wants LIMIT first.
				lim, _ := r.keyword(lv)
				if lim == nil { // LIMIT ALL
					lim = frag{syn("LIMIT", t), syn("18446744073709551615", t)}
				}
				f = append(f, lim...)
			} else {
				f = append(f, syn("LIMIT", t), syn("18446744073709551615", t))
			}
		}
		return append(append(f, r.verbatim(t)), e...), true
	case "fetch":
		// FETCH {FIRST|NEXT} [n] {ROW|ROWS} ONLY
		c.next()
		if !c.accept("first") {
			c.expect("next")
		}
		var e frag
		if c.is("row") || c.is("rows") {
			e = frag{syn("1", t)}
		} else {
			e = r.expr(0).f
		}
		if !c.accept("row") {
			c.expect("rows")
		}
		if c.is("with") {
			fail(pgerror.NotSupported("FETCH ... WITH TIES is not supported").WithPosition(t.Pos))
		}
		c.expect("only")
		lv.limit = true
		return append(frag{syn("LIMIT", t)}, e...), true
	case "values":
		if lv.insert {
			c.next()
			return frag{r.verbatim(t)}, true
		}
		return r.values(nil), true
	case "table":
		// TABLE name is SELECT * FROM name.
		c.next()
		return append(frag{syn("SELECT", t), syn("*", t), syn("FROM", t)}, r.fromItem(lv)...), true
	case "insert":
		c.next()
		lv.insert = true
		return frag{r.verbatim(t)}, true
	case "update":
		c.next()
		lv.update = true
		lv.clause = "update"
		return append(frag{r.verbatim(t)}, r.fromItem(lv)...), true
	case "set":
		if lv.update {
			c.next()
			lv.clause = "set"
			return frag{r.verbatim(t)}, true
		}
	case "delete", "union", "intersect", "except", "all", "distinct", "recursive",
		"lateral", "inner", "left", "right", "outer", "cross", "default", "ignore":
		c.next()
		return frag{r.verbatim(t)}, true
	case "with":
		c.next()
		lv.clause = "with"
		return frag{r.verbatim(t)}, true
	case "as":
		c.next()
		f := frag{r.verbatim(t)}
		c.accept("materialized")
		c.acceptSeq("not", "materialized")
		if n := c.peek(); n.Kind == lex.Ident || n.Kind == lex.QIdent {
			c.next()
			f = append(f, identTok(n))
		}
		return f, true
	case "for":
		switch c.peekN(1).Val {
		case "update", "share", "no", "key":
			fail(pgerror.NotSupported("SELECT FOR UPDATE/SHARE is not supported").WithPosition(t.Pos))
		}
	}
	return nil, false
}

// windowDefs rewrites WINDOW name AS (spec) [, ...].
func (r *rewriter) windowDefs(lv *level) frag {
	c := &r.c
	var f frag
	for {
		n := c.next()
		if n.Kind != lex.Ident && n.Kind != lex.QIdent {
			c.i--
			c.syntaxError()
		}
		as := c.peek()
		c.expect("as")
		f = append(f, identTok(n), r.verbatim(as))
		f = append(f, r.windowSpec()...)
		if c.peek().Kind != lex.Comma {
			return f
		}
		f = append(f, r.verbatim(c.next()))
	}
}

// windowSpec rewrites "(" window specification ")".
func (r *rewriter) windowSpec() frag {
	c := &r.c
	lp := c.expectKind(lex.LParen)
	f := frag{r.verbatim(lp)}
	f = append(f, r.seq(&level{window: true})...)
	return append(f, r.verbatim(c.expectKind(lex.RParen)))
}

// orderItems rewrites ORDER BY items: expr [ASC|DESC] [NULLS FIRST|LAST].
func (r *rewriter) orderItems(lv *level) frag {
	c := &r.c
	var f frag
	for {
		start := c.peek()
		e := r.expr(0).f
		var dir frag
		if c.is("asc") || c.is("desc") {
			dir = frag{r.verbatim(c.next())}
		}
		if c.is("using") {
			fail(pgerror.NotSupported("ORDER BY ... USING is not supported").WithPosition(c.peek().Pos))
		}
		if c.is("nulls") {
			c.next()
			switch {
			case c.accept("first"):
				e = call(MarkerNullsFirst, start, e)
			case c.accept("last"):
				e = call(MarkerNullsLast, start, e)
			default:
				c.syntaxError()
			}
		}
		f = append(append(f, e...), dir...)
		if c.peek().Kind != lex.Comma {
			return f
		}
		f = append(f, r.verbatim(c.next()))
	}
}

// aliasStop reports whether the token cannot be a bare alias.
func aliasStop(t lex.Token) bool {
	if t.Kind == lex.QIdent {
		return false
	}
	if t.Kind != lex.Ident {
		return true
	}
	switch t.Val {
	case "for", "tablesample", "set":
		return true
	}
	return pgReserved[t.Val]
}

// alias reads [AS] alias [(col, ...)] after a FROM item.
func (r *rewriter) alias() (name *lex.Token, cols []lex.Token) {
	c := &r.c
	if c.is("as") {
		c.next()
		t := c.next()
		if t.Kind != lex.Ident && t.Kind != lex.QIdent {
			c.i--
			c.syntaxError()
		}
		name = &t
	} else if !aliasStop(c.peek()) {
		t := c.next()
		name = &t
	}
	if name != nil && c.peek().Kind == lex.LParen {
		c.next()
		for {
			t := c.next()
			if t.Kind != lex.Ident && t.Kind != lex.QIdent {
				c.i--
				c.syntaxError()
			}
			cols = append(cols, t)
			if !c.acceptKind(lex.Comma) {
				break
			}
		}
		c.expectKind(lex.RParen)
	}
	return name, cols
}

// fromItem rewrites one FROM item (table, subquery, VALUES, function,
// parenthesised join) including its alias.
func (r *rewriter) fromItem(lv *level) frag {
	c := &r.c
	var f frag
	if t := c.peek(); t.Is("lateral") {
		f = append(f, r.verbatim(c.next()))
	}
	c.accept("only")
	t := c.peek()
	switch {
	case t.Kind == lex.LParen && c.peekN(1).Is("values"):
		c.next()
		name, cols := r.valuesInFrom()
		body := r.values(cols)
		rp := c.expectKind(lex.RParen)
		if name == nil {
			n2, cols2 := r.alias()
			name = n2
			if len(cols2) > 0 {
				// (VALUES ...) AS v(a, b): the alias comes after the ")".
				body = r.valuesWithColumns(body, cols2)
			}
		}
		f = append(f, r.verbatim(t))
		f = append(f, body...)
		f = append(f, r.verbatim(rp))
		return append(f, r.subqueryAlias(name, t)...)
	case t.Kind == lex.LParen && r.isQueryStart(1):
		c.next()
		body := r.query()
		rp := c.expectKind(lex.RParen)
		name, cols := r.alias()
		if len(cols) > 0 {
			fail(pgerror.NotSupported("column alias lists on subqueries are not supported").WithPosition(cols[0].Pos))
		}
		f = append(f, r.verbatim(t))
		f = append(f, body...)
		f = append(f, r.verbatim(rp))
		return append(f, r.subqueryAlias(name, t)...)
	case t.Kind == lex.LParen:
		// A parenthesised join tree.
		c.next()
		inner := r.seq(&level{clause: "from"})
		rp := c.expectKind(lex.RParen)
		f = append(f, r.verbatim(t))
		f = append(f, r.fromItem2(inner)...)
		f = append(f, r.verbatim(rp))
		if name, _ := r.alias(); name != nil {
			fail(pgerror.NotSupported("aliases on parenthesised joins are not supported").WithPosition(name.Pos))
		}
		return f
	case t.Kind == lex.Ident || t.Kind == lex.QIdent:
	default:
		c.syntaxError()
	}
	// A name: a relation or a function.
	nameToks := []lex.Token{c.next()}
	for c.peek().Kind == lex.Dot {
		c.next()
		n := c.next()
		if n.Kind != lex.Ident && n.Kind != lex.QIdent {
			c.i--
			c.syntaxError()
		}
		nameToks = append(nameToks, n)
	}
	if c.peek().Kind == lex.LParen {
		return append(f, r.tableFunction(nameToks)...)
	}
	checkRelationName(nameToks)
	f = append(f, qualified(nameToks)...)
	var asOf frag
	if c.is("for") && c.peekN(1).Is("system_time") {
		asOf = r.systemTime()
	}
	name, cols := r.alias()
	if len(cols) > 0 {
		fail(pgerror.NotSupported("column alias lists on tables are not supported").WithPosition(cols[0].Pos))
	}
	if asOf == nil && c.is("for") && c.peekN(1).Is("system_time") {
		asOf = r.systemTime()
	}
	if name != nil {
		f = append(f, syn("AS", *name), identTok(*name))
	}
	return append(f, asOf...)
}

// fromItem2 returns the already rewritten contents of a parenthesised join.
func (r *rewriter) fromItem2(inner frag) frag { return inner }

// systemTime rewrites FOR SYSTEM_TIME AS OF expr to TiDB's AS OF TIMESTAMP.
func (r *rewriter) systemTime() frag {
	c := &r.c
	ft := c.next()
	c.next()
	c.expect("as")
	c.expect("of")
	e := c.peek()
	var ts frag
	if e.Is("proctime") && c.peekN(1).Kind == lex.LParen && c.peekN(2).Kind == lex.RParen {
		c.i += 3
		ts = call(MarkerProcTime, e)
	} else {
		ts = r.expr(0).f
	}
	return append(frag{syn("AS", ft), syn("OF", ft), syn("TIMESTAMP", ft)}, ts...)
}

// qualified emits a dotted name.
func qualified(toks []lex.Token) frag {
	var f frag
	for i, t := range toks {
		if i > 0 {
			f = append(f, syn(".", t))
		}
		f = append(f, identTok(t))
	}
	return f
}

// subqueryAlias emits AS alias, generating weir_subquery_N when absent.
func (r *rewriter) subqueryAlias(name *lex.Token, at lex.Token) frag {
	if name != nil {
		return frag{syn("AS", *name), identTok(*name)}
	}
	r.subqueries++
	return frag{syn("AS", at), syn(MarkerSubqueryAlias+strconv.Itoa(r.subqueries), at)}
}

// windowTVFs are the streaming window table functions whose first argument
// is a relation.
var windowTVFs = map[string]bool{"tumble": true, "hop": true, "session": true}

// tableFunction rewrites name(args) [AS] alias [(cols)] in FROM.
func (r *rewriter) tableFunction(nameToks []lex.Token) frag {
	c := &r.c
	at := nameToks[0]
	var parts []string
	for _, t := range nameToks {
		parts = append(parts, t.Val)
	}
	if len(parts) == 2 && parts[0] == "pg_catalog" {
		parts = parts[1:]
	}
	fname := strings.Join(parts, ".")
	c.expectKind(lex.LParen)
	var rel frag
	if windowTVFs[fname] {
		relToks := []lex.Token{c.next()}
		if relToks[0].Kind != lex.Ident && relToks[0].Kind != lex.QIdent {
			fail(pgerror.Syntax(relToks[0].Pos, "the first argument of %s must be a relation name", strings.ToUpper(fname)))
		}
		for c.peek().Kind == lex.Dot {
			c.next()
			relToks = append(relToks, c.next())
		}
		rel = qualified(relToks)
		if c.peek().Kind != lex.RParen {
			if c.peek().Kind != lex.Comma {
				c.syntaxError()
			}
			c.next()
		}
	}
	var args []frag
	if c.peek().Kind != lex.RParen {
		args = r.exprList(lex.RParen)
	}
	c.expectKind(lex.RParen)
	if c.is("with") && c.peekN(1).Is("ordinality") {
		fail(pgerror.NotSupported("WITH ORDINALITY is not supported").WithPosition(c.peek().Pos))
	}
	name, cols := r.alias()
	allArgs := append([]frag{strLit(fname, at)}, args...)
	if len(cols) > 0 {
		allArgs = append(allArgs, columnsMarker(cols))
	}
	f := frag{syn("(", at), syn("SELECT", at), syn("*", at), syn("FROM", at)}
	if rel != nil {
		f = append(f, rel...)
	} else {
		f = append(f, syn(MarkerTVFDual, at))
	}
	f = append(f, syn("WHERE", at))
	f = append(f, call(MarkerTVF, at, allArgs...)...)
	f = append(f, syn(")", at), syn("AS", at))
	if name != nil {
		return append(f, identTok(*name))
	}
	return append(f, otok{text: quoteIdent(parts[len(parts)-1]), pos: at.Pos})
}

func columnsMarker(cols []lex.Token) frag {
	var args []frag
	for _, t := range cols {
		args = append(args, strLit(t.Val, t))
	}
	return call(MarkerTVFColumns, cols[0], args...)
}

// valuesInFrom is a hook for (VALUES ...) parsing; the alias always comes
// after the closing parenthesis, so there is none inside.
func (r *rewriter) valuesInFrom() (*lex.Token, []lex.Token) { return nil, nil }

// values rewrites VALUES (..), (..) at the cursor into a SELECT over the
// weir_values placeholder (see MarkerValues).
func (r *rewriter) values(cols []lex.Token) frag {
	c := &r.c
	vt := c.next() // VALUES
	var rows []frag
	for {
		lp := c.expectKind(lex.LParen)
		args := r.exprList(lex.RParen)
		c.expectKind(lex.RParen)
		rows = append(rows, call(MarkerRow, lp, args...))
		if !c.acceptKind(lex.Comma) {
			break
		}
	}
	if len(cols) > 0 {
		rows = append(rows, columnsMarker(cols))
	}
	f := frag{syn("SELECT", vt), syn("*", vt), syn("FROM", vt), syn(MarkerValues, vt), syn("WHERE", vt)}
	return append(f, call(MarkerValuesRows, vt, rows...)...)
}

// valuesWithColumns adds weir_tvf_columns to a rewritten VALUES.
func (r *rewriter) valuesWithColumns(body frag, cols []lex.Token) frag {
	// body ends with "))": insert before the final ")".
	out := append(frag{}, body[:len(body)-1]...)
	out = append(out, syn(",", cols[0]))
	out = append(out, columnsMarker(cols)...)
	return append(out, body[len(body)-1])
}

// exprList parses comma-separated expressions up to (not including) the
// closing token kind; an empty list is allowed.
func (r *rewriter) exprList(closing lex.Kind) []frag {
	c := &r.c
	var out []frag
	if c.peek().Kind == closing {
		return nil
	}
	for {
		out = append(out, r.expr(0).f)
		if !c.acceptKind(lex.Comma) {
			return out
		}
	}
}

// negativeConstant fails with PostgreSQL's error for a negative constant
// LIMIT or OFFSET (TiDB's grammar takes only unsigned constants there, so
// the binder never sees one): 2201W "LIMIT must not be negative", 2201X
// "OFFSET must not be negative".
func negativeConstant(c *cursor, code, clause string) {
	if t := c.peek(); t.IsOp("-") && c.peekN(1).Kind == lex.Number {
		n := c.peekN(1).Val
		if strings.Trim(n, "0.") != "" {
			fail(pgerror.New(code, "%s must not be negative", clause))
		}
		c.next() // -0 is 0

	}
}

// checkRelationName rejects relation names TiDB cannot represent, with
// PostgreSQL's errors: a catalog-qualified name db.schema.rel (0A000;
// weir serves one database, and the front end does not know its name, so
// every catalog qualifier is refused) and more than three dotted parts
// (42601).
func checkRelationName(toks []lex.Token) {
	if len(toks) < 3 {
		return
	}
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.Val
	}
	if len(toks) == 3 {
		fail(pgerror.New(pgerror.CodeFeatureNotSupported, "cross-database references are not implemented: %q", strings.Join(parts, ".")).WithPosition(toks[0].Pos))
	}
	fail(pgerror.Syntax(toks[0].Pos, "improper qualified name (too many dotted names): %s", strings.Join(parts, ".")))
}
