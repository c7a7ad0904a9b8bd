package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/weirdb/weir/sql/lex"
	"github.com/weirdb/weir/sql/pgerror"
)

// TestNormalize runs testdata/normalize: PostgreSQL query text in, the
// rewritten TiDB text and parameter map out, and whether TiDB parses it.
func TestNormalize(t *testing.T) {
	p := New()
	datadriven.RunTest(t, "testdata/normalize", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "normalize":
			toks, err := lex.Lex(d.Input)
			if err != nil {
				return fmtErr(err)
			}
			n, err := normalize(d.Input, toks)
			if err != nil {
				return fmtErr(err)
			}
			var b strings.Builder
			b.WriteString(n.Text + "\n")
			if n.NumParams > 0 {
				fmt.Fprintf(&b, "params: %d order->index: %v\n", n.NumParams, n.ParamIndex)
			}
			if _, err := p.tidbParse(n); err != nil {
				fmt.Fprintf(&b, "tidb: %s\n", fmtErr(err))
			}
			return b.String()
		}
		return "unknown command " + d.Cmd
	})
}

func fmtErr(err error) string {
	pe := pgerror.Convert(err)
	return fmt.Sprintf("error %s at %d: %s\n", pe.Code, pe.Position, pe.Message)
}
