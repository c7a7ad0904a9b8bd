package binder_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	tidb "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/planner/plantest"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// parse parses TiDB-dialect text (what the front end produces) into a
// parser.Query.
func parse(sql string) (*binder.Source, error) {
	p := tidb.New()
	p.SetSQLMode(mysql.ModeANSIQuotes | mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes | mysql.ModeIgnoreSpace)
	st, err := p.ParseOneStmt(sql, "", "")
	if err != nil {
		return nil, pgerror.New(pgerror.CodeSyntaxError, "%v", err)
	}
	n := strings.Count(sql, "?")
	return &binder.Source{Node: st, Text: sql, NumParams: n}, nil
}

func typeByName(t *testing.T, s string) types.T {
	// varchar(n): a length modifier (atttypmod n+4).
	if base, n, ok := strings.Cut(strings.TrimSuffix(s, ")"), "("); ok {
		var length int32
		_, err := fmt.Sscan(n, &length)
		require.NoError(t, err)
		bt := typeByName(t, base)
		bt.Mod = length + 4
		return bt
	}
	for _, x := range types.All() {
		if x.TypName() == s {
			return x
		}
	}
	t.Fatalf("unknown type %q", s)
	return types.T{}
}

// table <name>
// a int4 [notnull], b text
// 1 | x
// NULL | y
func defineTable(t *testing.T, cat *plantest.Catalog, d *datadriven.TestData) {
	lines := strings.Split(strings.TrimSpace(d.Input), "\n")
	var cols []planner.Column
	for _, c := range strings.Split(lines[0], ",") {
		f := strings.Fields(c)
		col := planner.Column{Name: f[0], T: typeByName(t, f[1])}
		col.NotNull = len(f) > 2 && f[2] == "notnull"
		cols = append(cols, col)
	}
	var rows [][]types.Datum
	for _, l := range lines[1:] {
		vals := strings.Split(l, "|")
		require.Len(t, vals, len(cols), "row %q", l)
		row := make([]types.Datum, len(cols))
		for i, v := range vals {
			v = strings.TrimSpace(v)
			if v == "NULL" {
				row[i] = types.NullDatum
				continue
			}
			dd, err := types.ParseText(cols[i].T, v, time.UTC)
			require.NoError(t, err)
			row[i] = dd
		}
		rows = append(rows, row)
	}
	var name string
	d.ScanArgs(t, "name", &name)
	tbl := cat.AddTable(name, cols, rows)
	if d.HasArg("chunk") {
		d.ScanArgs(t, "chunk", &tbl.ChunkSize)
	}
	if d.HasArg("pk") {
		var pk []string
		d.ScanArgs(t, "pk", &pk)
		for _, name := range pk {
			i := slices.IndexFunc(cols, func(c planner.Column) bool { return c.Name == name })
			require.GreaterOrEqual(t, i, 0, "pk column %q", name)
			tbl.PK = append(tbl.PK, i)
		}
	}
}

func formatErr(err error) string {
	pe := pgerror.Convert(err)
	s := fmt.Sprintf("error %s: %s", pe.Code, pe.Message)
	if pe.Position > 0 {
		s += fmt.Sprintf(" (position %d)", pe.Position)
	}
	return s + "\n"
}

func bind(t *testing.T, cat *plantest.Catalog, d *datadriven.TestData) (*binder.Bound, error) {
	q, err := parse(d.Input)
	if err != nil {
		return nil, err
	}
	var pts []types.T
	if d.HasArg("params") {
		var ps []string
		d.ScanArgs(t, "params", &ps)
		for _, p := range ps {
			if p == "unknown" {
				pts = append(pts, types.TUnknown)
			} else {
				pts = append(pts, typeByName(t, p))
			}
		}
	}
	return binder.BindSource(cat, q, pts, binder.Options{Parse: parse})
}

// formatRows renders a result: a header of name:type, then one line per
// row with values in PostgreSQL text format.
func formatRows(cols []binder.ResultColumn, c *types.Chunk) string {
	var b strings.Builder
	for i, col := range cols {
		if i > 0 {
			b.WriteString(" | ")
		}
		fmt.Fprintf(&b, "%s:%s", col.Name, col.T.TypName())
	}
	b.WriteByte('\n')
	for r := 0; r < c.N; r++ {
		for i, v := range c.Cols {
			if i > 0 {
				b.WriteString(" | ")
			}
			if v.IsNull(r) {
				b.WriteString("NULL")
			} else {
				b.Write(v.AppendText(nil, r, time.UTC))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		cat := plantest.New()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "table":
				defineTable(t, cat, d)
				return ""
			case "view":
				var name string
				d.ScanArgs(t, "name", &name)
				b, err := bind(t, cat, d)
				require.NoError(t, err)
				var cols []planner.Column
				for _, c := range b.Columns {
					cols = append(cols, planner.Column{Name: c.Name, T: c.T})
				}
				cat.AddView(name, cols, d.Input)
				return ""
			case "plan", "logical":
				b, err := bind(t, cat, d)
				if err != nil {
					return formatErr(err)
				}
				if d.Cmd == "logical" {
					return planner.Explain(b.Logical)
				}
				return planner.Explain(b.Plan)
			case "params":
				b, err := bind(t, cat, d)
				if err != nil {
					return formatErr(err)
				}
				s := make([]string, len(b.ParamTypes))
				for i, p := range b.ParamTypes {
					s[i] = p.String()
				}
				return strings.Join(s, ", ") + "\n"
			case "query":
				b, err := bind(t, cat, d)
				if err != nil {
					return formatErr(err)
				}
				ectx := &expr.EvalCtx{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Location: time.UTC}
				if d.HasArg("args") {
					var as []string
					d.ScanArgs(t, "args", &as)
					for i, a := range as {
						dd, err := types.ParseText(b.ParamTypes[i], a, time.UTC)
						require.NoError(t, err)
						ectx.Params = append(ectx.Params, dd)
					}
				}
				c, err := exec.Collect(context.Background(), b.Plan, ectx)
				if err != nil {
					return formatErr(err)
				}
				if b.Update != nil || b.Delete != nil {
					return formatDML(b, c)
				}
				if b.Insert != nil {
					cols := b.Insert.Table.Columns()
					rc := make([]binder.ResultColumn, len(cols))
					for i, col := range cols {
						rc[i] = binder.ResultColumn{Name: col.Name, T: col.T}
					}
					return "insert into " + b.Insert.Table.Name() + "\n" + formatRows(rc, c)
				}
				return formatRows(b.Columns, c)
			}
			t.Fatalf("unknown command %s", d.Cmd)
			return ""
		})
	})
}

// formatDML renders what an UPDATE or DELETE plan yields: the rows it
// would change, as "old -> new" for UPDATE.
func formatDML(b *binder.Bound, c *types.Chunk) string {
	var out strings.Builder
	var rel planner.Relation
	if b.Update != nil {
		rel = b.Update.Table
		names := make([]string, len(b.Update.Set))
		for i, j := range b.Update.Set {
			names[i] = rel.Columns()[j].Name
		}
		fmt.Fprintf(&out, "update %s set %s\n", rel.Name(), strings.Join(names, ", "))
	} else {
		rel = b.Delete.Table
		fmt.Fprintf(&out, "delete from %s\n", rel.Name())
	}
	n := len(rel.Columns())
	text := func(r, from, to int) string {
		vals := make([]string, 0, to-from)
		for i := from; i < to; i++ {
			if c.Cols[i].IsNull(r) {
				vals = append(vals, "NULL")
			} else {
				vals = append(vals, string(c.Cols[i].AppendText(nil, r, time.UTC)))
			}
		}
		return "(" + strings.Join(vals, ", ") + ")"
	}
	for r := 0; r < c.N; r++ {
		out.WriteString(text(r, 0, n))
		if b.Update != nil {
			out.WriteString(" -> " + text(r, n, 2*n))
		}
		out.WriteByte('\n')
	}
	return out.String()
}
