package parser

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	// TiDB's parser needs a driver for literal values; the test driver
	// turns constants into *test_driver.ValueExpr whose Datum holds int64
	// (integers that fit), uint64 (larger integers), *types.MyDecimal
	// (1.5), float64 (1e10), string ('..') and nil (NULL). weir needs no
	// more from it than the literal's text and kind.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/weirdb/weir/sql/pgerror"
)

// sqlMode makes TiDB read the rewritten text as close to PostgreSQL as its
// grammar allows: "x" is an identifier, || concatenates, backslash is an
// ordinary character in strings, and "f (" is a call.
const sqlMode = mysql.ModeANSIQuotes | mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes | mysql.ModeIgnoreSpace

var tidbErrRE = regexp.MustCompile(`^line (\d+) column (\d+) near "`)

// tidbParse parses normalised text with TiDB. Errors are 42601 with the
// position mapped back to the original text.
func (p *Parser) tidbParse(n Normalized) (ast.StmtNode, error) {
	stmts, _, err := p.tidb.ParseSQL(n.Text)
	if err != nil {
		return nil, p.mapTiDBError(n, err)
	}
	if len(stmts) != 1 {
		return nil, pgerror.Syntax(0, "expected one statement, got %d", len(stmts))
	}
	return stmts[0], nil
}

// mapTiDBError turns TiDB's `line L column C near "rest..."` into a
// PostgreSQL-style syntax error. "rest" is the input from the offending
// token on (TiDB cuts it at 2048 bytes and then appends the total length),
// which gives the token's byte offset in the rewritten text.
func (p *Parser) mapTiDBError(n Normalized, err error) error {
	msg := err.Error()
	m := tidbErrRE.FindStringSubmatchIndex(msg)
	if m == nil {
		return pgerror.Wrap(err, pgerror.CodeSyntaxError)
	}
	rest := msg[m[1]:]
	off := -1
	if i := strings.LastIndex(rest, "(total length "); i >= 0 {
		if total, aerr := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest[i+len("(total length "):]), ")")); aerr == nil {
			off = len(n.Text) - total
		}
	}
	if off < 0 {
		// The smallest offset whose remainder, followed by the closing
		// quote, is a prefix of rest.
		for o := 0; o <= len(n.Text); o++ {
			if strings.HasPrefix(rest, n.Text[o:]+`"`) {
				off = o
				break
			}
		}
	}
	if off < 0 || off >= len(strings.TrimRight(n.Text, " ")) {
		return pgerror.Syntax(n.PosMap.OrigPos(len(n.Text)), "syntax error at end of input")
	}
	pos := n.PosMap.OrigPos(off)
	tok := ""
	for _, t := range n.orig {
		if t.Pos == pos {
			tok = t.Text
		}
	}
	if tok == "" {
		tok = n.Text[off:]
		if i := strings.IndexAny(tok, " (),"); i > 0 {
			tok = tok[:i]
		} else if i == 0 {
			tok = tok[:1]
		}
	}
	return pgerror.Syntax(pos, "syntax error at or near \"%s\"", tok)
}

// newTiDB returns a TiDB parser in weir's SQL mode.
func newTiDB() *parser.Parser {
	p := parser.New()
	p.SetSQLMode(sqlMode)
	return p
}
