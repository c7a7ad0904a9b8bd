package planner_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/planner/plantest"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/parser"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// bindSQL parses PostgreSQL text with weir's front end and binds it.
func bindSQL(t *testing.T, cat planner.Catalog, sql string) (*binder.Bound, error) {
	t.Helper()
	st, err := parser.New().Parse(sql)
	if err != nil {
		return nil, err
	}
	q, ok := st.(*parser.Query)
	require.True(t, ok, "not a query: %s", sql)
	return binder.Bind(cat, &binder.Source{Node: q.Node, Text: q.Text, NumParams: q.NumParams,
		ParamIndex: q.ParamIndex, OrigPos: q.OrigPos}, nil, binder.Options{})
}

func streamCatalog() *plantest.Catalog {
	cat := plantest.New()
	cat.AddTable("t", []planner.Column{{Name: "k", T: types.TText}, {Name: "v", T: types.TInt8}, {Name: "f", T: types.TFloat8}}, nil)
	cat.AddTable("u", []planner.Column{{Name: "k", T: types.TText}, {Name: "w", T: types.TInt8}}, nil)
	cat.AddTable("e", []planner.Column{{Name: "k", T: types.TText}, {Name: "v", T: types.TInt8}, {Name: "ts", T: types.TTimestamp},
		{Name: "tz", T: types.TTimestampTZ}}, nil)
	// users has a primary key: upserts, UPDATE and DELETE retract rows.
	cat.AddTable("users", []planner.Column{{Name: "id", T: types.TInt8, NotNull: true}, {Name: "city", T: types.TText},
		{Name: "score", T: types.TInt8}}, nil).PK = []int{0}
	return cat
}

// TestStreamify runs testdata/stream: `stream` binds the SQL and prints the
// streaming plan, its key, inputs and state versions, or the error;
// `stream eowc` plans it with EMIT ON WINDOW CLOSE.
func TestStreamify(t *testing.T) {
	datadriven.RunTest(t, "testdata/stream", func(t *testing.T, d *datadriven.TestData) string {
		cat := streamCatalog()
		switch d.Cmd {
		case "stream":
			b, err := bindSQL(t, cat, d.Input)
			require.NoError(t, err)
			p, err := planner.StreamifyWith(b.Plan, planner.StreamOptions{EmitOnClose: d.HasArg("eowc")})
			if err != nil {
				var pe *pgerror.Error
				require.True(t, errors.As(err, &pe), "error without SQLSTATE: %v", err)
				return fmt.Sprintf("error %s: %s\n", pe.Code, pe.Message)
			}
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
			if p.EmitOnClose {
				sb.WriteString("emit on window close\n")
			}
			return sb.String()
		}
		t.Fatalf("unknown command %q", d.Cmd)
		return ""
	})
}

func TestStreamFingerprint(t *testing.T) {
	cat := streamCatalog()
	plan := func(sql string) *planner.StreamPlan {
		b, err := bindSQL(t, cat, sql)
		require.NoError(t, err)
		p, err := planner.Streamify(b.Plan)
		require.NoError(t, err)
		return p
	}
	a := plan("SELECT k, count(*) FROM t GROUP BY k")
	require.Equal(t, a.Fingerprint, plan("SELECT k, count(*) FROM t GROUP BY k").Fingerprint, "deterministic")
	require.Len(t, a.Fingerprint, 64)
	require.NotEqual(t, a.Fingerprint, plan("SELECT k, sum(v) FROM t GROUP BY k").Fingerprint)
	require.NotEqual(t, a.Fingerprint, plan("SELECT k, count(*) FROM t WHERE v > 0 GROUP BY k").Fingerprint)

	// EMIT ON WINDOW CLOSE is part of the fingerprint.
	w := "SELECT k, window_start, count(*) FROM TUMBLE(e, ts, INTERVAL '10 seconds') GROUP BY k, window_start"
	b, err := bindSQL(t, cat, w)
	require.NoError(t, err)
	eowc, err := planner.StreamifyWith(b.Plan, planner.StreamOptions{EmitOnClose: true})
	require.NoError(t, err)
	require.NotEqual(t, plan(w).Fingerprint, eowc.Fingerprint)

	require.Equal(t, "", planner.StateVersionsDiff(a.StateVersions, a.StateVersions))
	require.Equal(t, "op1:top_n state version 1, this weir writes 2",
		planner.StateVersionsDiff(map[string]uint32{"op1:top_n": 1}, map[string]uint32{"op1:top_n": 2}))
	require.Equal(t, "op1:hash_agg is new (version 1); op1:top_n is gone (was version 1)",
		planner.StateVersionsDiff(map[string]uint32{"op1:top_n": 1}, map[string]uint32{"op1:hash_agg": 1}))
}
