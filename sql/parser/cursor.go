package parser

import (
	"github.com/weirdb/weir/sql/lex"
	"github.com/weirdb/weir/sql/pgerror"
)

// bailout carries a *pgerror.Error out of the recursive-descent code; it
// is recovered at the package's entry points (Parser.Parse) and never
// escapes the package.
type bailout struct{ err *pgerror.Error }

func fail(err *pgerror.Error) { panic(bailout{err}) }

// cursor walks a token slice that ends with lex.EOF.
type cursor struct {
	toks []lex.Token
	i    int
	text string // the text the tokens came from
}

func (c *cursor) peek() lex.Token { return c.toks[c.i] }

func (c *cursor) peekN(n int) lex.Token {
	if c.i+n < len(c.toks) {
		return c.toks[c.i+n]
	}
	return c.toks[len(c.toks)-1]
}

func (c *cursor) next() lex.Token {
	t := c.toks[c.i]
	if t.Kind != lex.EOF {
		c.i++
	}
	return t
}

func (c *cursor) atEOF() bool { return c.peek().Kind == lex.EOF }

// is reports whether the next token is the keyword word.
func (c *cursor) is(word string) bool { return c.peek().Is(word) }

// accept consumes the keyword word if it is next.
func (c *cursor) accept(word string) bool {
	if c.is(word) {
		c.i++
		return true
	}
	return false
}

// acceptSeq consumes the keywords words if they are all next.
func (c *cursor) acceptSeq(words ...string) bool {
	for n, w := range words {
		if !c.peekN(n).Is(w) {
			return false
		}
	}
	c.i += len(words)
	return true
}

func (c *cursor) acceptKind(k lex.Kind) bool {
	if c.peek().Kind == k {
		c.i++
		return true
	}
	return false
}

// expect consumes the keyword word or fails with a syntax error.
func (c *cursor) expect(word string) {
	if !c.accept(word) {
		c.syntaxError()
	}
}

func (c *cursor) expectKind(k lex.Kind) lex.Token {
	if c.peek().Kind != k {
		c.syntaxError()
	}
	return c.next()
}

// syntaxError fails at the next token, as PostgreSQL reports it.
func (c *cursor) syntaxError() {
	fail(syntaxErrorAt(c.peek()))
}

func syntaxErrorAt(t lex.Token) *pgerror.Error {
	if t.Kind == lex.EOF {
		return pgerror.Syntax(t.Pos, "syntax error at end of input")
	}
	return pgerror.Syntax(t.Pos, "syntax error at or near \"%s\"", t.Text)
}

// ident consumes an identifier (bare or quoted) and returns its name. Bare
// reserved keywords are not identifiers.
func (c *cursor) ident() string {
	t := c.peek()
	switch {
	case t.Kind == lex.QIdent:
		c.i++
		return t.Val
	case t.Kind == lex.Ident && !pgReserved[t.Val]:
		c.i++
		return t.Val
	}
	c.syntaxError()
	return ""
}

// colLabel consumes any identifier or keyword (PostgreSQL's ColLabel).
func (c *cursor) colLabel() string {
	t := c.peek()
	if t.Kind == lex.QIdent || t.Kind == lex.Ident {
		c.i++
		return t.Val
	}
	c.syntaxError()
	return ""
}
