package expr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/types"
)

// TestAggStateFormat pins the persisted encoding of every aggregate state
// (testdata/agg_state). A change to an encoding fails here: bump the
// implementation's StateVersion, then regenerate with -rewrite.
//
//	state agg=<name> [args=<type>,...] [distinct] [append-only]
//	+<value>[|<value>...]     insert (NULL for NULL)
//	-<value>[|<value>...]     retract
//	----
//	version, tag, hex of AppendState, and Result/Count before and after a
//	LoadState round trip (which must agree)
func TestAggStateFormat(t *testing.T) {
	datadriven.RunTest(t, "testdata/agg_state", func(t *testing.T, d *datadriven.TestData) string {
		require.Equal(t, "state", d.Cmd)
		var c stateCase
		d.ScanArgs(t, "agg", &c.name)
		if d.HasArg("args") {
			var names []string
			d.ScanArgs(t, "args", &names)
			for _, n := range names {
				typ, ok := types.TypeByName(n)
				require.True(t, ok, "type %q", n)
				c.args = append(c.args, typ)
			}
		}
		c.distinct = d.HasArg("distinct")
		c.appendOnly = d.HasArg("append-only")
		s, ret := c.newState(t)
		s.Grow(1)
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			if line == "" {
				continue
			}
			op := types.Insert
			if line[0] == '-' {
				op = types.Delete
			}
			var vals []string
			if len(c.args) > 0 {
				vals = strings.Split(line[1:], "|")
			}
			require.Len(t, vals, len(c.args), "line %q", line)
			args := make([]*types.Vec, len(c.args))
			for i, typ := range c.args {
				args[i] = types.NewVec(typ, 1)
				if vals[i] == "NULL" {
					args[i].AppendNull()
				} else {
					args[i].Append(parseDatum(t, typ, vals[i]))
				}
			}
			// count(*) has no argument vectors; the group list gives the rows.
			if err := s.Update(testCtx(), []int32{0}, args, []types.Op{op}, nil); err != nil {
				return fmt.Sprintf("error: %v\n", err)
			}
		}
		enc := s.AppendState(nil, 0)
		fresh, _ := c.newState(t)
		fresh.Grow(1)
		require.NoError(t, fresh.LoadState(0, enc))
		require.Equal(t, enc, fresh.AppendState(nil, 0))
		res := aggResult(s, 0, ret)
		require.Equal(t, res, aggResult(fresh, 0, ret), "result after LoadState")
		require.Equal(t, s.Count(0), fresh.Count(0))
		var b strings.Builder
		fmt.Fprintf(&b, "version %d\n", s.StateVersion())
		fmt.Fprintf(&b, "state %q % x\n", enc[0], enc[1:])
		fmt.Fprintf(&b, "result %s\n", res)
		fmt.Fprintf(&b, "count %d\n", s.Count(0))
		return b.String()
	})
}
