package planner_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/planner/plantest"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// keyedTable is a table with a primary key, as the catalog's PK tables
// are seen by the planner (PrimaryKey) — the lookup side of lookup joins.
type keyedTable struct {
	*plantest.Table
	pk   []int
	kind planner.RelKind
}

func (t *keyedTable) PrimaryKey() []int                                     { return t.pk }
func (t *keyedTable) Kind() planner.RelKind                                 { return t.kind }
func (t *keyedTable) Scan(ctx context.Context) (planner.ChunkReader, error) { return t.Table.Scan(ctx) }

func joinCatalog() *plantest.Catalog {
	cat := streamCatalog()
	ts := []planner.Column{{Name: "k", T: types.TText}, {Name: "v", T: types.TInt8}, {Name: "ts", T: types.TTimestamp}}
	// a and b declare WATERMARK FOR ts (interval joins need it); a_nowm and
	// b_nowm are the same without.
	cat.AddTable("a", ts, nil).Watermark = "ts"
	cat.AddTable("b", ts, nil).Watermark = "ts"
	cat.AddTable("a_nowm", ts, nil)
	cat.AddTable("b_nowm", ts, nil)
	users := cat.AddTable("users", []planner.Column{{Name: "id", T: types.TInt8}, {Name: "name", T: types.TText}, {Name: "city", T: types.TText}}, nil)
	cat.Rels["users"] = &keyedTable{Table: users, pk: []int{0}, kind: planner.KindTable}
	pairs := cat.AddTable("pairs", []planner.Column{{Name: "x", T: types.TInt4}, {Name: "y", T: types.TText}, {Name: "z", T: types.TInt8}}, nil)
	cat.Rels["pairs"] = &keyedTable{Table: pairs, pk: []int{0, 1}, kind: planner.KindTable}
	usersTS := cat.AddTable("users_ts", []planner.Column{{Name: "id", T: types.TInt8}, {Name: "ts", T: types.TTimestamp}}, nil)
	cat.Rels["users_ts"] = &keyedTable{Table: usersTS, pk: []int{0}, kind: planner.KindTable}
	cat.AddTable("clicks", []planner.Column{{Name: "uid", T: types.TInt4}, {Name: "url", T: types.TText}, {Name: "ts", T: types.TTimestamp}}, nil)
	return cat
}

// TestStreamifyJoins runs testdata/stream_join: `stream` binds the SQL and
// prints the streaming plan, its key, inputs and state versions (or the
// error), as testdata/stream does.
func TestStreamifyJoins(t *testing.T) {
	datadriven.RunTest(t, "testdata/stream_join", func(t *testing.T, d *datadriven.TestData) string {
		require.Equal(t, "stream", d.Cmd)
		b, err := bindSQL(t, joinCatalog(), d.Input)
		if err == nil {
			var p *planner.StreamPlan
			if p, err = planner.Streamify(b.Plan); err == nil {
				return describeStreamPlan(p)
			}
		}
		var pe *pgerror.Error
		require.True(t, errors.As(err, &pe), "error without SQLSTATE: %v", err)
		return fmt.Sprintf("error %s: %s\n", pe.Code, pe.Message)
	})
}

func describeStreamPlan(p *planner.StreamPlan) string {
	var sb strings.Builder
	sb.WriteString(planner.Explain(p.Root))
	if p.Key == nil {
		sb.WriteString("key: none (multiset)\n")
	} else {
		names := make([]string, len(p.Key))
		for i, k := range p.Key {
			names[i] = p.Root.Schema()[k].Name
		}
		fmt.Fprintf(&sb, "key: [%s]\n", strings.Join(names, ", "))
	}
	var ins []string
	for _, r := range p.Inputs {
		ins = append(ins, r.Name())
	}
	fmt.Fprintf(&sb, "inputs: %s\n", strings.Join(ins, ", "))
	var vs []string
	for k, v := range p.StateVersions {
		vs = append(vs, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(vs)
	fmt.Fprintf(&sb, "state: %s\n", strings.Join(vs, " "))
	return sb.String()
}
