package planner_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/planner/plantest"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func windowCatalog() *plantest.Catalog {
	cat := plantest.New()
	cat.AddTable("bids", []planner.Column{{Name: "auction", T: types.TInt8}, {Name: "price", T: types.TInt8},
		{Name: "ts", T: types.TTimestamp}, {Name: "tz", T: types.TTimestampTZ}}, nil)
	return cat
}

// TestWindowAggPlans runs testdata/window_agg: `plan` prints the optimized
// bounded plan, `logical` the binder's plan, `stream` the streaming plan;
// errors print their SQLSTATE.
func TestWindowAggPlans(t *testing.T) {
	datadriven.RunTest(t, "testdata/window_agg", func(t *testing.T, d *datadriven.TestData) string {
		cat := windowCatalog()
		b, err := bindSQL(t, cat, d.Input)
		if err != nil {
			pe := pgerror.Convert(err)
			return "error " + pe.Code + ": " + pe.Message + "\n"
		}
		switch d.Cmd {
		case "plan":
			return planner.Explain(b.Plan)
		case "logical":
			return planner.Explain(b.Logical)
		case "stream":
			p, err := planner.StreamifyWith(b.Plan, planner.StreamOptions{EmitOnClose: d.HasArg("eowc")})
			if err != nil {
				pe := pgerror.Convert(err)
				return "error " + pe.Code + ": " + pe.Message + "\n"
			}
			return formatStream(p)
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

// formatStream prints a streaming plan, its key and state versions.
func formatStream(p *planner.StreamPlan) string {
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
	var vs []string
	for k, v := range p.StateVersions {
		vs = append(vs, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(vs)
	fmt.Fprintf(&sb, "state: %s\n", strings.Join(vs, " "))
	return sb.String()
}
