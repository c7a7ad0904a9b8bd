package expr

import (
	"fmt"

	"github.com/weirdb/weir/sql/pgerror"
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

// CatalogPrettyDefs renders pg_get_indexdef(oid, 0, true): like IndexDef
// but with the table name schema-qualified only when it is not visible on
// the search path, as PostgreSQL's pretty mode prints it.
type CatalogPrettyDefs interface {
	IndexDefPretty(oid uint32) (string, bool)
}

// CatalogRoles names roles for pg_get_userbyid.
type CatalogRoles interface {
	RoleName(oid uint32) (string, bool)
}

// CatalogNamespaces resolves schema OIDs for regnamespace; the catalog
// implements it next to CatalogFuncs. Without it, the fixed OIDs of
// pg_catalog (11) and public (2200) are still known.
type CatalogNamespaces interface {
	NamespaceName(oid uint32) (string, bool)
	NamespaceOID(name string) (uint32, bool)
}

// CatalogVisibility answers pg_table_is_visible: whether the relation is
// the one its bare name finds on the search path.
type CatalogVisibility interface {
	RelationVisible(oid uint32) bool
}

// CatalogSizes answers the disk size functions. RelationSize is the bytes
// the relation's own data takes (pg_relation_size, pg_table_size);
// TotalRelationSize adds its indexes (pg_total_relation_size). ok is false
// for an unknown OID (the functions then return NULL, as PostgreSQL does).
type CatalogSizes interface {
	RelationSize(oid uint32) (int64, bool)
	TotalRelationSize(oid uint32) (int64, bool)
}

func namespaceName(ctx *EvalCtx, oid uint32) (string, bool) {
	if ns, ok := ctx.Catalog.(CatalogNamespaces); ok {
		return ns.NamespaceName(oid)
	}
	switch oid {
	case 11:
		return "pg_catalog", true
	case 2200:
		return "public", true
	}
	return "", false
}

// namespaceOID is regnamespace input: a schema name (folded to lower
// case unless quoted), 3F000 when unknown.
func namespaceOID(ctx *EvalCtx, s string) (uint32, error) {
	name := s
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = name[1 : len(name)-1]
	} else {
		name = lowerASCII(name)
	}
	if ns, ok := ctx.Catalog.(CatalogNamespaces); ok {
		if oid, ok := ns.NamespaceOID(name); ok {
			return oid, nil
		}
	} else {
		switch name {
		case "pg_catalog":
			return 11, nil
		case "public":
			return 2200, nil
		}
	}
	return 0, pgerror.New("3F000", "schema %q does not exist", name)
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// PrettySize is pg_size_pretty(bigint): bytes below 10 kB, then kB, MB,
// GB, TB and PB, each used while the value stays under 20 units and
// rounded half away from zero, exactly as PostgreSQL 15 computes it.
func PrettySize(size int64) string {
	units := []struct {
		name  string
		limit int64
		round bool
		bits  uint
	}{{"bytes", 10 * 1024, false, 0}, {"kB", 20*1024 - 1, true, 10}, {"MB", 20*1024 - 1, true, 20},
		{"GB", 20*1024 - 1, true, 30}, {"TB", 20*1024 - 1, true, 40}, {"PB", 20*1024 - 1, true, 50}}
	abs := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	for k, u := range units {
		if k == len(units)-1 || abs(size) < u.limit {
			if u.round {
				if size < 0 {
					size = (size - 1) / 2
				} else {
					size = (size + 1) / 2
				}
			}
			return fmt.Sprintf("%d %s", size, u.name)
		}
		next := units[k+1]
		bits := next.bits - u.bits
		if next.round {
			bits--
		}
		if u.round {
			bits++
		}
		size /= int64(1) << bits
	}
	panic("unreachable")
}

func nullText(_ *EvalCtx, _ []*types.Vec, n int) (*types.Vec, error) {
	return types.ConstVec(types.TText, types.NullDatum, n), nil
}

// sizeFunc builds a size kernel over CatalogSizes; no catalog or an
// unknown OID gives NULL.
func sizeFunc(size func(CatalogSizes, uint32) (int64, bool)) VecFunc {
	return func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := types.NewVec(types.TInt8, n)
		sizes, _ := ctx.Catalog.(CatalogSizes)
		for i := range n {
			if sizes == nil || args[0].IsNull(i) {
				out.AppendNull()
				continue
			}
			b, ok := size(sizes, uint32(args[0].I[i]))
			if !ok {
				out.AppendNull()
				continue
			}
			out.Append(types.DInt(b))
		}
		return out, nil
	}
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
		{Name: "pg_get_indexdef", Args: []types.T{types.TOid, types.TInt4, types.TBool}, Ret: types.TText, Stable: true,
			Eval: func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
				// Only column 0 (the whole definition) is rendered; pretty
				// mode drops a visible table's schema.
				out := types.NewVec(types.TText, n)
				defs, _ := ctx.Catalog.(CatalogDefs)
				pretty, _ := ctx.Catalog.(CatalogPrettyDefs)
				for i := range n {
					if defs == nil || args[0].IsNull(i) || args[1].IsNull(i) || args[2].IsNull(i) || args[1].I[i] != 0 {
						out.AppendNull()
						continue
					}
					oid := uint32(args[0].I[i])
					var s string
					var ok bool
					if args[2].I[i] != 0 && pretty != nil {
						s, ok = pretty.IndexDefPretty(oid)
					} else {
						s, ok = defs.IndexDef(oid)
					}
					if !ok {
						out.AppendNull()
						continue
					}
					out.Append(types.DString(s))
				}
				return out, nil
			}},
		{Name: "pg_get_userbyid", Args: []types.T{types.TOid}, Ret: types.TName, Stable: true,
			Eval: func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
				// PostgreSQL prints "unknown (OID=n)" for a role that does
				// not exist.
				out := types.NewVec(types.TName, n)
				roles, _ := ctx.Catalog.(CatalogRoles)
				for i := range n {
					if args[0].IsNull(i) {
						out.AppendNull()
						continue
					}
					oid := uint32(args[0].I[i])
					name, ok := "", false
					if roles != nil {
						name, ok = roles.RoleName(oid)
					} else if oid == 10 {
						name, ok = setting(ctx, "user", "weir"), true
					}
					if !ok {
						name = fmt.Sprintf("unknown (OID=%d)", oid)
					}
					out.Append(types.DString(name))
				}
				return out, nil
			}},
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
		// Sizes: regclass in, bytes out; NULL for an unknown OID.
		{Name: "pg_relation_size", Args: []types.T{types.TRegClass}, Ret: types.TInt8, Eval: sizeFunc(CatalogSizes.RelationSize), Volatile: true},
		{Name: "pg_table_size", Args: []types.T{types.TRegClass}, Ret: types.TInt8, Eval: sizeFunc(CatalogSizes.RelationSize), Volatile: true},
		{Name: "pg_total_relation_size", Args: []types.T{types.TRegClass}, Ret: types.TInt8, Eval: sizeFunc(CatalogSizes.TotalRelationSize), Volatile: true},
		{Name: "pg_size_pretty", Args: []types.T{types.TInt8}, Ret: types.TText,
			Eval: func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
				out := newOut(types.TText, n)
				for i := 0; i < n; i++ {
					out.S[i] = PrettySize(args[0].I[i])
				}
				return out, nil
			}},
		// weir has no rewrite rules and no user-visible pg_proc rows:
		// these answer NULL, as PostgreSQL does for an OID it does not
		// know, so psql's \d+ v and \df queries bind and run.
		{Name: "pg_get_ruledef", Args: []types.T{types.TOid}, Ret: types.TText, Stable: true, Eval: nullText},
		{Name: "pg_get_ruledef", Args: []types.T{types.TOid, types.TBool}, Ret: types.TText, Stable: true, Eval: nullText},
		{Name: "pg_get_function_result", Args: []types.T{types.TOid}, Ret: types.TText, Stable: true, Eval: nullText},
		{Name: "pg_get_function_arguments", Args: []types.T{types.TOid}, Ret: types.TText, Stable: true, Eval: nullText},
		{Name: "pg_get_function_identity_arguments", Args: []types.T{types.TOid}, Ret: types.TText, Stable: true, Eval: nullText},
		{Name: "pg_get_statisticsobjdef_columns", Args: []types.T{types.TOid}, Ret: types.TText, Stable: true,
			Eval: func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
				return types.ConstVec(types.TText, types.NullDatum, n), nil
			}},
	} {
		RegisterFunc(f)
	}
}
