package parser

import (
	"strings"

	"github.com/weirdb/weir/sql/lex"
	"github.com/weirdb/weir/sql/pgerror"
)

// PostgreSQL operator precedence, lowest first (PostgreSQL docs, table
// "Operator Precedence").
const (
	precOr = iota + 1
	precAnd
	precNot
	precIs
	precCmp
	precLike // BETWEEN IN LIKE ILIKE SIMILAR
	precOther
	precAdd
	precMul
	precExp
	precAt
	precCollate
	precUnary
)

// tidbOps are binary operators TiDB reads with PostgreSQL's meaning (the
// binder still applies PostgreSQL typing, e.g. integer division); every
// other operator becomes weir_op.
var tidbOps = setOf(`+ - * / % = <> < > <= >= || & | << >>`)

// prefixOps are the operators that may start an expression.
var prefixOps = setOf(`- + ~ @ |/ ||/ !!`)

// exprStartWords are reserved keywords that nevertheless start an expression.
var exprStartWords = setOf(`case cast not null true false array current_date current_time
current_timestamp localtime localtimestamp current_user session_user user current_role
current_catalog current_schema default exists`)

// typedLiteralWords start a type name that may precede a string constant
// (DATE '2026-01-01').
var typedLiteralWords = setOf(`date time timestamp timestamptz bool boolean int int2 int4 int8
integer smallint bigint real float float4 float8 double numeric decimal text varchar char
character bytea jsonb json name oid regclass regtype regproc bpchar pg_catalog`)

// startsExpr reports whether the token at the cursor can begin an expression.
func (r *rewriter) startsExpr() bool {
	t := r.c.peek()
	switch t.Kind {
	case lex.Number, lex.String, lex.Param, lex.BitString, lex.HexString, lex.LParen, lex.QIdent:
		return true
	case lex.Op:
		return prefixOps[t.Val]
	case lex.Ident:
		return !pgReserved[t.Val] || exprStartWords[t.Val]
	}
	return false
}

// expr parses an expression whose operators bind at least as tightly as
// minPrec.
func (r *rewriter) expr(minPrec int) node {
	c := &r.c
	left := r.prefix()
	for {
		t := c.peek()
		switch {
		case t.Is("or") && minPrec <= precOr:
			c.next()
			right := r.expr(precOr + 1)
			left = r.infix("or", t, left, right)
		case t.Is("and") && minPrec <= precAnd:
			c.next()
			right := r.expr(precAnd + 1)
			left = r.infix("and", t, left, right)
		case (t.Is("is") || t.Is("isnull") || t.Is("notnull")) && minPrec <= precIs:
			left = r.isExpr(left)
		case t.Kind == lex.Op && isCmp(t.Val) && minPrec <= precCmp:
			c.next()
			left = r.comparison(t.Val, t, left)
		case minPrec <= precLike && r.likeClass():
			left = r.likeExpr(left)
		case t.Is("operator") && c.peekN(1).Kind == lex.LParen && minPrec <= precOther:
			op := r.operatorSyntax()
			if isCmp(op) {
				left = r.comparison(op, t, left)
				continue
			}
			right := r.expr(precOther + 1)
			left = r.binary(op, t, left, right)
		case t.Kind == lex.Op && !isCmp(t.Val):
			p := opPrec(t.Val)
			if p < minPrec {
				return left
			}
			c.next()
			// A trailing operator with no operand (PostgreSQL removed
			// postfix operators) is a syntax error from prefix().
			right := r.expr(p + 1)
			left = r.binary(t.Val, t, left, right)
		case t.Is("at") && c.peekN(1).Is("time") && c.peekN(2).Is("zone") && minPrec <= precAt:
			c.i += 3
			zone := r.expr(precAt + 1)
			left = node{f: call(MarkerAtTimeZone, t, left.f, zone.f)}
		case t.Is("collate") && minPrec <= precCollate:
			r.collate()
		default:
			return left
		}
	}
}

func isCmp(op string) bool {
	switch op {
	case "=", "<>", "<", ">", "<=", ">=":
		return true
	}
	return false
}

func opPrec(op string) int {
	switch op {
	case "+", "-":
		return precAdd
	case "*", "/", "%":
		return precMul
	case "^":
		return precExp
	}
	return precOther
}

// collate drops COLLATE clauses that name the default or C/POSIX
// collations (weir compares text by code point, which is C's order);
// other collations are not supported.
func (r *rewriter) collate() {
	c := &r.c
	t := c.next()
	var parts []string
	for {
		n := c.next()
		if n.Kind != lex.Ident && n.Kind != lex.QIdent {
			c.i--
			c.syntaxError()
		}
		parts = append(parts, n.Val)
		if !c.acceptKind(lex.Dot) {
			break
		}
	}
	name := parts[len(parts)-1]
	if len(parts) > 1 && parts[0] != "pg_catalog" {
		name = "?"
	}
	switch name {
	case "default", "C", "POSIX", "c", "posix", "ucs_basic":
		return
	}
	fail(pgerror.NotSupported("collation \"%s\" is not supported", strings.Join(parts, ".")).WithPosition(t.Pos))
}

// operatorSyntax reads OPERATOR(schema.op) and returns op.
func (r *rewriter) operatorSyntax() string {
	c := &r.c
	c.next()
	c.expectKind(lex.LParen)
	if (c.peek().Kind == lex.Ident || c.peek().Kind == lex.QIdent) && c.peekN(1).Kind == lex.Dot {
		c.i += 2
	}
	op := c.expectKind(lex.Op)
	c.expectKind(lex.RParen)
	return op.Val
}

// paren wraps a node's output in parentheses.
func paren(n node, at otok) frag {
	f := frag{{text: "(", pos: at.pos}}
	f = append(f, n.f...)
	return append(f, otok{text: ")", pos: at.pos})
}

var arith = setOf(`+ - * / % neg`)

// operand returns n's output, parenthesised unless TiDB is known to group
// it under op as PostgreSQL does.
func operand(op string, n node, left bool) frag {
	if n.op == "" || safeOperand(op, n.op, left) {
		return n.f
	}
	return paren(n, n.f[0])
}

func safeOperand(op, inner string, left bool) bool {
	switch op {
	case "or":
		return true
	case "and":
		return inner != "or"
	case "=", "<>", "<", ">", "<=", ">=", "like", "not like", "in", "not in", "between", "not between", "is":
		return arith[inner] || inner == "||"
	case "+", "-":
		return inner == "*" || inner == "/" || inner == "%" || inner == "neg" || left && (inner == "+" || inner == "-")
	case "*", "/", "%":
		return inner == "neg" || left && (inner == "*" || inner == "/" || inner == "%")
	case "||":
		return left && inner == "||"
	case "not":
		return inner != "or" && inner != "and"
	}
	return false
}

// infix builds "l op r" with TiDB's spelling of op.
func (r *rewriter) infix(op string, at lex.Token, l, rt node) node {
	var f frag
	f = append(f, operand(op, l, true)...)
	f = append(f, otok{text: strings.ToUpper(op), pos: at.Pos})
	f = append(f, operand(op, rt, false)...)
	return node{f: f, op: op}
}

// binary builds a binary operator: infix when TiDB shares its meaning,
// else weir_op('op', l, r).
func (r *rewriter) binary(op string, at lex.Token, l, rt node) node {
	if tidbOps[op] {
		var f frag
		f = append(f, operand(op, l, true)...)
		f = append(f, otok{text: op, pos: at.Pos, verbatim: op == at.Text})
		f = append(f, operand(op, rt, false)...)
		return node{f: f, op: op}
	}
	return node{f: call(MarkerOp, at, strLit(op, at), l.f, rt.f)}
}

// comparison builds l op r, including op ANY/SOME/ALL (array or subquery).
func (r *rewriter) comparison(op string, at lex.Token, l node) node {
	c := &r.c
	q := c.peek()
	if (q.Is("any") || q.Is("some") || q.Is("all")) && c.peekN(1).Kind == lex.LParen {
		c.next()
		lp := c.next()
		if r.isQueryStart(0) {
			sub := r.query()
			rp := c.expectKind(lex.RParen)
			var f frag
			f = append(f, operand(op, l, true)...)
			f = append(f, otok{text: op, pos: at.Pos}, r.verbatim(q), r.verbatim(lp))
			f = append(f, sub...)
			f = append(f, r.verbatim(rp))
			return node{f: f, op: op}
		}
		arr := r.expr(0)
		c.expectKind(lex.RParen)
		marker := MarkerAny
		if q.Is("all") {
			marker = MarkerAll
		}
		return node{f: call(marker, q, strLit(op, at), l.f, arr.f)}
	}
	right := r.expr(precCmp + 1)
	return r.binary(op, at, l, right)
}

// likeClass reports whether the cursor is at [NOT] BETWEEN / IN / LIKE /
// ILIKE / SIMILAR TO.
func (r *rewriter) likeClass() bool {
	c := &r.c
	n := 0
	if c.is("not") {
		n = 1
	}
	t := c.peekN(n)
	switch {
	case t.Is("between"), t.Is("like"), t.Is("ilike"):
		return true
	case t.Is("in"):
		return c.peekN(n+1).Kind == lex.LParen
	case t.Is("similar"):
		return c.peekN(n + 1).Is("to")
	}
	return false
}

// likeExpr parses the BETWEEN / IN / LIKE family after its left operand.
func (r *rewriter) likeExpr(l node) node {
	c := &r.c
	not := c.accept("not")
	t := c.next()
	neg := ""
	if not {
		neg = "not "
	}
	switch t.Val {
	case "between":
		if c.is("symmetric") {
			fail(pgerror.NotSupported("BETWEEN SYMMETRIC is not supported").WithPosition(c.peek().Pos))
		}
		c.accept("asymmetric")
		lo := r.expr(precLike + 1)
		c.expect("and")
		hi := r.expr(precLike + 1)
		op := neg + "between"
		var f frag
		f = append(f, operand(op, l, true)...)
		f = append(f, syn(strings.ToUpper(op), t))
		f = append(f, operand(op, lo, false)...)
		f = append(f, syn("AND", t))
		f = append(f, operand(op, hi, false)...)
		return node{f: f, op: op}
	case "in":
		lp := c.next()
		var inner frag
		if r.isQueryStart(0) {
			inner = r.query()
		} else {
			for i, a := range r.exprList(lex.RParen) {
				if i > 0 {
					inner = append(inner, syn(",", lp))
				}
				inner = append(inner, a...)
			}
		}
		rp := c.expectKind(lex.RParen)
		op := neg + "in"
		var f frag
		f = append(f, operand(op, l, true)...)
		f = append(f, syn(strings.ToUpper(op), t), r.verbatim(lp))
		f = append(f, inner...)
		f = append(f, r.verbatim(rp))
		return node{f: f, op: op}
	case "like":
		pat := r.expr(precLike + 1)
		op := neg + "like"
		var f frag
		f = append(f, operand(op, l, true)...)
		f = append(f, syn(strings.ToUpper(op), t))
		f = append(f, operand(op, pat, false)...)
		if e := c.peek(); e.Is("escape") {
			c.next()
			esc := r.expr(precLike + 1)
			f = append(f, r.verbatim(e))
			f = append(f, operand(op, esc, false)...)
		}
		return node{f: f, op: op}
	case "ilike":
		pat := r.expr(precLike + 1)
		if c.is("escape") {
			fail(pgerror.NotSupported("ILIKE ... ESCAPE is not supported").WithPosition(c.peek().Pos))
		}
		op := "~~*"
		if not {
			op = "!~~*"
		}
		return node{f: call(MarkerOp, t, strLit(op, t), l.f, pat.f)}
	case "similar":
		c.expect("to")
		pat := r.expr(precLike + 1)
		if c.is("escape") {
			fail(pgerror.NotSupported("SIMILAR TO ... ESCAPE is not supported").WithPosition(c.peek().Pos))
		}
		return node{f: call(MarkerOp, t, strLit(neg+"similar to", t), l.f, pat.f)}
	}
	c.i--
	c.syntaxError()
	return node{}
}

// isExpr parses IS [NOT] NULL|TRUE|FALSE|UNKNOWN|DISTINCT FROM x, ISNULL
// and NOTNULL after the left operand.
func (r *rewriter) isExpr(l node) node {
	c := &r.c
	t := c.next()
	var f frag
	f = append(f, operand("is", l, true)...)
	switch t.Val {
	case "isnull":
		return node{f: append(f, syn("IS", t), syn("NULL", t)), op: "is"}
	case "notnull":
		return node{f: append(f, syn("IS", t), syn("NOT", t), syn("NULL", t)), op: "is"}
	}
	not := c.accept("not")
	w := c.peek()
	switch {
	case w.Is("null"), w.Is("true"), w.Is("false"), w.Is("unknown"):
		c.next()
		f = append(f, syn("IS", t))
		if not {
			f = append(f, syn("NOT", t))
		}
		return node{f: append(f, syn(strings.ToUpper(w.Val), w)), op: "is"}
	case w.Is("distinct"):
		c.next()
		c.expect("from")
		rt := r.expr(precIs + 1)
		m := MarkerIsDistinct
		if not {
			m = MarkerIsNotDistinct
		}
		return node{f: call(m, t, l.f, rt.f)}
	}
	c.syntaxError()
	return node{}
}

// prefix parses a prefix operator or NOT and its operand, or a primary.
func (r *rewriter) prefix() node {
	c := &r.c
	t := c.peek()
	switch {
	case t.Is("not"):
		c.next()
		x := r.expr(precNot + 1)
		return node{f: append(frag{syn("NOT", t)}, operand("not", x, false)...), op: "not"}
	case t.Kind == lex.Op && (t.Val == "-" || t.Val == "+"):
		c.next()
		x := r.expr(precUnary)
		f := frag{r.verbatim(t)}
		xf := operand("*", x, false)
		xf[0].glue = xf[0].text != "-" && xf[0].text != "+"
		return node{f: append(f, xf...), op: "neg"}
	case t.Kind == lex.Op && t.Val == "~":
		c.next()
		x := r.expr(precUnary)
		f := frag{r.verbatim(t)}
		return node{f: append(f, operand("~", x, false)...), op: "neg"}
	case t.Kind == lex.Op && prefixOps[t.Val]:
		c.next()
		x := r.expr(precUnary)
		return node{f: call(MarkerOp, t, strLit(t.Val, t), x.f)}
	case t.Is("operator") && c.peekN(1).Kind == lex.LParen:
		op := r.operatorSyntax()
		x := r.expr(precOther + 1)
		if op == "-" || op == "+" || op == "~" {
			return node{f: append(frag{syn(op, t)}, operand("*", x, false)...), op: "neg"}
		}
		return node{f: call(MarkerOp, t, strLit(op, t), x.f)}
	}
	return r.postfix(r.primary())
}

// postfix applies :: casts, [] subscripts and .field selection.
func (r *rewriter) postfix(n node) node {
	c := &r.c
	for {
		t := c.peek()
		switch t.Kind {
		case lex.Typecast:
			c.next()
			tn := parseTypeName(c)
			n = node{f: call(MarkerCast, t, n.f, strLit(tn.Text, t))}
		case lex.LBracket:
			c.next()
			var args []frag
			args = append(args, n.f)
			if c.peek().Kind == lex.Colon {
				args = append(args, frag{syn("NULL", t)})
			} else {
				args = append(args, r.expr(0).f)
			}
			if c.acceptKind(lex.Colon) {
				if c.peek().Kind == lex.RBracket {
					args = append(args, frag{syn("NULL", t)})
				} else {
					args = append(args, r.expr(0).f)
				}
			}
			c.expectKind(lex.RBracket)
			n = node{f: call(MarkerSubscript, t, args...)}
		case lex.Dot:
			f := c.peekN(1)
			var name string
			switch {
			case f.Kind == lex.Ident || f.Kind == lex.QIdent:
				name = f.Val
			case f.IsOp("*"):
				name = "*"
			default:
				c.next()
				c.syntaxError()
			}
			c.i += 2
			n = node{f: call(MarkerField, t, n.f, strLit(name, f))}
		default:
			return n
		}
	}
}

// primary parses a constant, parameter, parenthesised expression or
// subquery, name, function call or special form.
func (r *rewriter) primary() node {
	c := &r.c
	t := c.peek()
	switch t.Kind {
	case lex.Number, lex.String, lex.BitString, lex.HexString, lex.Param:
		c.next()
		return node{f: frag{r.verbatim(t)}}
	case lex.LParen:
		c.next()
		if r.isQueryStart(0) {
			sub := r.query()
			rp := c.expectKind(lex.RParen)
			f := append(frag{r.verbatim(t)}, sub...)
			return node{f: append(f, r.verbatim(rp))}
		}
		list := r.exprList(lex.RParen)
		rp := c.expectKind(lex.RParen)
		if len(list) == 0 {
			c.i--
			c.syntaxError()
		}
		f := frag{r.verbatim(t)}
		for i, a := range list {
			if i > 0 {
				f = append(f, syn(",", t))
			}
			f = append(f, a...)
		}
		return node{f: append(f, r.verbatim(rp))}
	case lex.QIdent:
		return r.name()
	case lex.Ident:
		if n, ok := r.special(); ok {
			return n
		}
		if pgReserved[t.Val] {
			c.syntaxError()
		}
		return r.name()
	}
	c.syntaxError()
	return node{}
}

// special parses keyword-led expression forms.
func (r *rewriter) special() (node, bool) {
	c := &r.c
	t := c.peek()
	next := c.peekN(1)
	switch t.Val {
	case "null", "true", "false", "default":
		c.next()
		return node{f: frag{syn(strings.ToUpper(t.Val), t)}}, true
	case "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp":
		c.next()
		f := frag{r.verbatim(t)}
		if c.peek().Kind == lex.LParen && t.Val != "current_date" {
			f = append(f, otok{text: "(", pos: t.Pos, glue: true})
			c.next()
			f = append(f, r.verbatim(c.expectKind(lex.Number)), r.verbatim(c.expectKind(lex.RParen)))
		}
		return node{f: f}, true
	case "user", "current_user", "current_role", "session_user", "current_catalog", "current_schema":
		c.next()
		fn := t.Val
		switch fn {
		case "user", "current_role":
			fn = "current_user"
		}
		if fn == "current_schema" && c.peek().Kind == lex.LParen && c.peekN(1).Kind == lex.RParen {
			c.i += 2
		}
		return node{f: call(fn, t)}, true
	case "case":
		return r.caseExpr(), true
	case "cast":
		if next.Kind != lex.LParen {
			return node{}, false
		}
		c.i += 2
		x := r.expr(0)
		c.expect("as")
		tn := parseTypeName(c)
		c.expectKind(lex.RParen)
		return node{f: call(MarkerCast, t, x.f, strLit(tn.Text, t))}, true
	case "extract":
		if next.Kind != lex.LParen {
			return node{}, false
		}
		c.i += 2
		ft := c.next()
		var field string
		switch ft.Kind {
		case lex.Ident, lex.String, lex.QIdent:
			field = strings.ToLower(ft.Val)
		default:
			c.i--
			c.syntaxError()
		}
		c.expect("from")
		x := r.expr(0)
		c.expectKind(lex.RParen)
		return node{f: call(MarkerExtract, t, strLit(field, ft), x.f)}, true
	case "interval":
		if next.Kind != lex.String {
			return node{}, false
		}
		c.i += 2
		fields := intervalFields(c)
		txt := next.Val
		if fields == "" {
			return node{f: call(MarkerInterval, t, strLit(txt, next))}, true
		}
		if !strings.Contains(fields, " to ") && isPlainNumber(txt) {
			return node{f: call(MarkerInterval, t, strLit(strings.TrimSpace(txt)+" "+fields, next))}, true
		}
		return node{f: call(MarkerInterval, t, strLit(txt, next), strLit(fields, t))}, true
	case "array":
		switch next.Kind {
		case lex.LBracket:
			c.next()
			return node{f: r.arrayBrackets(t)}, true
		case lex.LParen:
			c.i += 2
			if !r.isQueryStart(0) {
				c.syntaxError()
			}
			sub := r.query()
			rp := c.expectKind(lex.RParen)
			f := append(frag{syn("(", next)}, sub...)
			f = append(f, r.verbatim(rp))
			return node{f: call(MarkerArraySubquery, t, f)}, true
		}
		return node{}, false
	case "exists":
		if next.Kind != lex.LParen {
			return node{}, false
		}
		c.i += 2
		sub := r.query()
		rp := c.expectKind(lex.RParen)
		f := frag{r.verbatim(t), r.verbatim(next)}
		f = append(f, sub...)
		return node{f: append(f, r.verbatim(rp))}, true
	case "row":
		if next.Kind != lex.LParen {
			return node{}, false
		}
		c.i += 2
		args := r.exprList(lex.RParen)
		c.expectKind(lex.RParen)
		return node{f: call("ROW", t, args...)}, true
	}
	if typedLiteralWords[t.Val] {
		save := c.i
		ok := func() (ok bool) {
			defer func() {
				if rec := recover(); rec != nil {
					if _, isB := rec.(bailout); !isB {
						panic(rec)
					}
					ok = false
				}
			}()
			tn := parseTypeName(c)
			if c.peek().Kind != lex.String {
				return false
			}
			s := c.next()
			r.typedLit = call(MarkerCast, t, strLit(s.Val, s), strLit(tn.Text, t))
			return true
		}()
		if ok {
			return node{f: r.typedLit}, true
		}
		c.i = save
	}
	return node{}, false
}

// isPlainNumber reports whether s is a (signed, decimal) number.
func isPlainNumber(s string) bool {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return true
}

// arrayBrackets parses [a, b, ...] (after ARRAY or nested inside one).
func (r *rewriter) arrayBrackets(at lex.Token) frag {
	c := &r.c
	c.expectKind(lex.LBracket)
	var args []frag
	if c.peek().Kind != lex.RBracket {
		for {
			if c.peek().Kind == lex.LBracket {
				args = append(args, r.arrayBrackets(c.peek()))
			} else {
				args = append(args, r.expr(0).f)
			}
			if !c.acceptKind(lex.Comma) {
				break
			}
		}
	}
	c.expectKind(lex.RBracket)
	return call(MarkerArray, at, args...)
}

// caseExpr parses CASE [x] WHEN a THEN b ... [ELSE c] END.
func (r *rewriter) caseExpr() node {
	c := &r.c
	f := frag{r.verbatim(c.next())}
	if !c.is("when") {
		f = append(f, r.expr(0).f...)
	}
	for c.is("when") {
		f = append(f, r.verbatim(c.next()))
		f = append(f, r.expr(0).f...)
		f = append(f, r.verbatim(c.peek()))
		c.expect("then")
		f = append(f, r.expr(0).f...)
	}
	if c.is("else") {
		f = append(f, r.verbatim(c.next()))
		f = append(f, r.expr(0).f...)
	}
	f = append(f, r.verbatim(c.peek()))
	c.expect("end")
	return node{f: f}
}

// name parses a (qualified) column reference, t.*, or a function call.
func (r *rewriter) name() node {
	c := &r.c
	toks := []lex.Token{c.next()}
	star := false
	for c.peek().Kind == lex.Dot {
		n := c.peekN(1)
		if n.Kind == lex.Ident || n.Kind == lex.QIdent {
			c.i += 2
			toks = append(toks, n)
			continue
		}
		if n.IsOp("*") {
			c.i += 2
			star = true
		}
		break
	}
	if !star && c.peek().Kind == lex.LParen {
		return r.funcCall(toks)
	}
	f := qualified(toks)
	if star {
		f = append(f, syn(".", toks[0]), syn("*", toks[0]))
	}
	return node{f: f}
}

// funcCall parses name(args) [FILTER (WHERE cond)] [OVER window].
func (r *rewriter) funcCall(toks []lex.Token) node {
	c := &r.c
	var f frag
	for i, t := range toks {
		if i > 0 {
			f = append(f, syn(".", t))
		}
		if t.Kind == lex.QIdent {
			f = append(f, identTok(t))
		} else {
			f = append(f, otok{text: t.Val, pos: t.Pos, verbatim: t.Val == t.Text})
		}
	}
	lp := c.next()
	last := toks[len(toks)-1].Val
	if len(toks) == 1 || len(toks) == 2 && toks[0].Val == "pg_catalog" {
		if n, ok := r.positionIn(f, lp); ok {
			return n
		}
	}
	f = append(f, otok{text: "(", pos: lp.Pos, glue: true})
	// DISTINCT and ORDER BY inside the parentheses of an aggregate: TiDB's
	// own aggregates keep DISTINCT; any other function gets the
	// weir_agg_distinct marker, and ORDER BY becomes weir_agg_order.
	distinct := false
	if dt := c.peek(); dt.Is("distinct") && !tidbAggregates[last] {
		c.next()
		distinct = true
	} else if dt.Is("all") && !tidbAggregates[last] && c.peekN(1).Kind != lex.RParen {
		c.next()
	}
	var orderBy []frag
	if c.peek().IsOp("*") && c.peekN(1).Kind == lex.RParen {
		f = append(f, r.verbatim(c.next()))
	} else {
		f = append(f, r.seq(&level{funcArgs: true})...)
		if ot := c.peek(); ot.Is("order") && c.peekN(1).Is("by") {
			c.i += 2
			orderBy = r.aggOrderItems()
		}
	}
	f = append(f, r.verbatim(c.expectKind(lex.RParen)))
	if c.is("within") {
		fail(pgerror.NotSupported("WITHIN GROUP is not supported").WithPosition(c.peek().Pos))
	}
	if distinct {
		f = call(MarkerAggDistinct, toks[0], f)
	}
	if orderBy != nil {
		if c.is("over") {
			fail(pgerror.NotSupported("aggregate ORDER BY is not implemented for window functions").WithPosition(toks[0].Pos))
		}
		f = call(MarkerAggOrder, toks[0], append([]frag{f}, orderBy...)...)
	}
	if ft := c.peek(); ft.Is("filter") && c.peekN(1).Kind == lex.LParen {
		c.i += 2
		c.expect("where")
		cond := r.expr(0)
		c.expectKind(lex.RParen)
		f = call(MarkerAggFilter, ft, f, cond.f)
	}
	if ot := c.peek(); ot.Is("over") {
		c.next()
		f = append(f, r.verbatim(ot))
		if c.peek().Kind == lex.LParen {
			f = append(f, r.windowSpec()...)
		} else {
			n := c.next()
			if n.Kind != lex.Ident && n.Kind != lex.QIdent {
				c.i--
				c.syntaxError()
			}
			f = append(f, identTok(n))
		}
	}
	return node{f: f}
}

// tidbAggregates are the aggregates TiDB's grammar parses itself (with
// DISTINCT); other aggregates reach TiDB as plain function calls.
var tidbAggregates = setOf(`count sum avg min max`)

// aggOrderItems parses the ORDER BY list inside an aggregate call's
// parentheses (after ORDER BY) into pairs of arguments for
// weir_agg_order: the key, then its direction text "asc" or "desc",
// followed by " nulls first" or " nulls last" when written.
func (r *rewriter) aggOrderItems() []frag {
	c := &r.c
	var out []frag
	for {
		start := c.peek()
		key := r.expr(0).f
		dir := "asc"
		if c.is("asc") || c.is("desc") {
			dir = c.next().Val
		}
		if c.is("using") {
			fail(pgerror.NotSupported("ORDER BY ... USING is not supported").WithPosition(c.peek().Pos))
		}
		if c.accept("nulls") {
			switch {
			case c.accept("first"):
				dir += " nulls first"
			case c.accept("last"):
				dir += " nulls last"
			default:
				c.syntaxError()
			}
		}
		out = append(out, key, strLit(dir, start))
		if !c.acceptKind(lex.Comma) {
			return out
		}
	}
}

// positionIn rewrites PostgreSQL's position(sub IN str) (the cursor is
// after the "(") to position(str, sub), the argument order of the
// function PostgreSQL's grammar calls; TiDB would read it as LOCATE with
// the arguments reversed. It returns false, leaving the cursor and the
// rewriter's state untouched, when the call is not of that form.
func (r *rewriter) positionIn(name frag, lp lex.Token) (node, bool) {
	c := &r.c
	if name[len(name)-1].text != "position" {
		return node{}, false
	}
	save, params, nparams, subs := c.i, len(r.paramIndex), r.numParams, r.subqueries
	restore := func() {
		c.i, r.paramIndex, r.numParams, r.subqueries = save, r.paramIndex[:params], nparams, subs
	}
	ok := func() (ok bool) {
		defer func() {
			if rec := recover(); rec != nil {
				if _, isB := rec.(bailout); !isB {
					panic(rec)
				}
				ok = false
			}
		}()
		// b_expr IN b_expr: the substring binds tighter than IN.
		sub := r.expr(precLike + 1)
		if !c.accept("in") {
			return false
		}
		mid := len(r.paramIndex)
		str := r.expr(0)
		rp := c.expectKind(lex.RParen)
		// The operands change places, so must their "?" in ParamIndex.
		subIdx := append([]int(nil), r.paramIndex[params:mid]...)
		r.paramIndex = append(append(r.paramIndex[:params], r.paramIndex[mid:]...), subIdx...)
		// Qualified, TiDB reads position(a, b) as an ordinary call.
		at := name[0]
		f := frag{{text: "pg_catalog", pos: at.pos}, {text: ".", pos: at.pos}, {text: "position", pos: at.pos}}
		f = append(f, otok{text: "(", pos: lp.Pos, glue: true})
		f = append(f, str.f...)
		f = append(f, syn(",", lp))
		f = append(f, sub.f...)
		r.typedLit = append(f, r.verbatim(rp))
		return true
	}()
	if !ok {
		restore()
		return node{}, false
	}
	return node{f: r.typedLit}, true
}
