package parser

import (
	"github.com/pingcap/tidb/pkg/parser"
)

// Parser parses statements for one session. It wraps one TiDB parser,
// which is not safe for concurrent use, so neither is Parser.
type Parser struct {
	tidb *parser.Parser
}

// New returns a Parser.
func New() *Parser { return &Parser{tidb: newTiDB()} }
