package expr

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/weirdb/weir/sql/types"
)

type fakeDefs struct{}

func (fakeDefs) RelationOID(string) (uint32, bool)  { return 0, false }
func (fakeDefs) RelationName(uint32) (string, bool) { return "", false }
func (fakeDefs) IndexDef(oid uint32) (string, bool) {
	return "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)", oid == 16385
}
func (fakeDefs) ConstraintDef(oid uint32) (string, bool) { return "PRIMARY KEY (id)", oid == 16386 }
func (fakeDefs) ViewDef(oid uint32) (string, bool)       { return "SELECT 1", oid == 16387 }

func TestCatalogDefinitionFunctions(t *testing.T) {
	oids := types.NewVec(types.TOid, 3)
	for _, d := range []types.Datum{types.DInt(16385), types.DInt(16386), types.DInt(16387)} {
		oids.Append(d)
	}
	for _, tc := range []struct {
		name string
		args []types.T
		want []types.Datum
	}{
		{"pg_get_indexdef", []types.T{types.TOid}, []types.Datum{types.DString("CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)"), types.NullDatum, types.NullDatum}},
		{"pg_get_constraintdef", []types.T{types.TOid, types.TBool}, []types.Datum{types.NullDatum, types.DString("PRIMARY KEY (id)"), types.NullDatum}},
		{"pg_get_viewdef", []types.T{types.TOid}, []types.Datum{types.NullDatum, types.NullDatum, types.DString("SELECT 1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ResolveFunc(tc.name, tc.args)
			require.NoError(t, err)
			args := []*types.Vec{oids}
			for _, at := range tc.args[1:] {
				args = append(args, types.ConstVec(at, types.DInt(1), 3))
			}
			out, err := f.Eval(&EvalCtx{Catalog: fakeDefs{}}, args, 3)
			require.NoError(t, err)
			for i, w := range tc.want {
				require.Equal(t, w, out.Datum(i), "row %d", i)
			}
			// Without a catalog every result is NULL.
			out, err = f.Eval(&EvalCtx{}, args, 3)
			require.NoError(t, err)
			require.True(t, out.IsNull(0) && out.IsNull(1) && out.IsNull(2))
		})
	}
	f, err := ResolveFunc("pg_relation_is_publishable", []types.T{types.TRegClass})
	require.NoError(t, err)
	out, err := f.Eval(&EvalCtx{}, []*types.Vec{oids}, 3)
	require.NoError(t, err)
	require.Equal(t, types.DBool(false), out.Datum(2))
}
