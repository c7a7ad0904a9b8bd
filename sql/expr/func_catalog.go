package expr

import (
	"github.com/weirdb/weir/sql/types"
)

// Catalog-specific functions that psql's describe queries and BI tools
// call (see catalog/testdata/psql_*.sql). General catalog helpers
// (pg_get_userbyid, pg_table_is_visible, format_type, ...) live with the
// other built-ins; the ones here need definitions only the catalog has, which
// they read through CatalogDefs.

// CatalogDefs is the part of the catalog that renders definitions. The
// catalog implements it next to CatalogFuncs; functions below type-assert
// EvalCtx.Catalog to it and return NULL when it is absent or the OID is
// unknown, as PostgreSQL does for an unknown OID.
type CatalogDefs interface {
	// IndexDef is pg_get_indexdef: "CREATE UNIQUE INDEX t_pkey ON public.t
	// USING btree (id)".
	IndexDef(oid uint32) (string, bool)
	// ConstraintDef is pg_get_constraintdef: "PRIMARY KEY (id)".
	ConstraintDef(oid uint32) (string, bool)
	// ViewDef is pg_get_viewdef: the SELECT text of a view or
	// materialized view.
	ViewDef(oid uint32) (string, bool)
}

// catalogTextFunc builds a strict kernel mapping the OID in args[0] to text
// through lookup; unknown OIDs (or no catalog) give NULL.
func catalogTextFunc(lookup func(CatalogDefs, uint32) (string, bool)) VecFunc {
	return func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := types.NewVec(types.TText, n)
		defs, _ := ctx.Catalog.(CatalogDefs)
		for i := range n {
			if defs == nil || args[0].IsNull(i) {
				out.AppendNull()
				continue
			}
			s, ok := lookup(defs, uint32(args[0].I[i]))
			if !ok {
				out.AppendNull()
				continue
			}
			out.Append(types.DString(s))
		}
		return out, nil
	}
}

func init() {
	indexDef := catalogTextFunc(CatalogDefs.IndexDef)
	constraintDef := catalogTextFunc(CatalogDefs.ConstraintDef)
	viewDef := catalogTextFunc(CatalogDefs.ViewDef)
	for _, f := range []*Func{
		// pg_get_indexdef(index oid [, column int4, pretty bool]); a column
		// number other than 0 asks for one key column, which weir renders as
		// the whole definition only for 0 (psql passes 0).
		{Name: "pg_get_indexdef", Args: []types.T{types.TOid}, Ret: types.TText, Eval: indexDef, Stable: true},
		{Name: "pg_get_indexdef", Args: []types.T{types.TOid, types.TInt4, types.TBool}, Ret: types.TText, Eval: indexDef, Stable: true},
		{Name: "pg_get_constraintdef", Args: []types.T{types.TOid}, Ret: types.TText, Eval: constraintDef, Stable: true},
		{Name: "pg_get_constraintdef", Args: []types.T{types.TOid, types.TBool}, Ret: types.TText, Eval: constraintDef, Stable: true},
		{Name: "pg_get_viewdef", Args: []types.T{types.TOid}, Ret: types.TText, Eval: viewDef, Stable: true},
		{Name: "pg_get_viewdef", Args: []types.T{types.TOid, types.TBool}, Ret: types.TText, Eval: viewDef, Stable: true},
		// weir has no logical replication: nothing is publishable, and there
		// are no extended statistics objects.
		{Name: "pg_relation_is_publishable", Args: []types.T{types.TRegClass}, Ret: types.TBool, Stable: true,
			Eval: func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
				return types.ConstVec(types.TBool, types.DBool(false), n), nil
			}},
		{Name: "pg_get_statisticsobjdef_columns", Args: []types.T{types.TOid}, Ret: types.TText, Stable: true,
			Eval: func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
				return types.ConstVec(types.TText, types.NullDatum, n), nil
			}},
	} {
		RegisterFunc(f)
	}
}
