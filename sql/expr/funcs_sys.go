package expr

import (
	"strconv"
	"strings"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Session and catalog information functions that clients (psql, JDBC,
// BI tools) call. Privilege checks answer true: weir has a single
// privilege level.

func setting(ctx *EvalCtx, name, def string) string {
	if ctx != nil && ctx.Settings != nil {
		if v, ok := ctx.Settings(name); ok {
			return v
		}
	}
	return def
}

func init() {
	T, N, O, B := types.TText, types.TName, types.TOid, types.TBool
	regRow("version", nil, T, func(ctx *EvalCtx, _ []types.Datum) (types.Datum, error) {
		v := setting(ctx, "server_version", "15.0")
		return dstr("PostgreSQL " + v + " (weir) on x86_64-pc-linux-gnu, compiled by Go, 64-bit")
	}, stable)
	currentSetting := func(ctx *EvalCtx, a []types.Datum, missingOK bool) (types.Datum, error) {
		if ctx != nil && ctx.Settings != nil {
			if v, ok := ctx.Settings(strings.ToLower(a[0].S)); ok {
				return dstr(v)
			}
		}
		if missingOK {
			return types.NullDatum, nil
		}
		return types.Datum{}, pgerror.New(pgerror.CodeUndefinedObject, "unrecognized configuration parameter %q", a[0].S)
	}
	regRow("current_setting", tt(T), T, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		return currentSetting(ctx, a, false)
	}, stable)
	regRow("current_setting", tt(T, B), T, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		return currentSetting(ctx, a, a[1].I != 0)
	}, stable)
	regRow("current_database", nil, N, func(ctx *EvalCtx, _ []types.Datum) (types.Datum, error) {
		return dstr(setting(ctx, "database", "weir"))
	}, stable)
	regRow("current_catalog", nil, N, func(ctx *EvalCtx, _ []types.Datum) (types.Datum, error) {
		return dstr(setting(ctx, "database", "weir"))
	}, stable)
	regRow("current_schema", nil, N, func(ctx *EvalCtx, _ []types.Datum) (types.Datum, error) { return dstr("public") }, stable)
	regRow("current_schemas", tt(B), types.TTextArray, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[0].I != 0 {
			return types.TextArrayDatum("pg_catalog", "public"), nil
		}
		return types.TextArrayDatum("public"), nil
	}, stable)
	for _, name := range []string{"current_user", "session_user", "user", "current_role"} {
		regRow(name, nil, N, func(ctx *EvalCtx, _ []types.Datum) (types.Datum, error) {
			return dstr(setting(ctx, "session_authorization", setting(ctx, "user", "weir")))
		}, stable)
	}
	regRow("pg_backend_pid", nil, types.TInt4, func(ctx *EvalCtx, _ []types.Datum) (types.Datum, error) {
		pid, _ := strconv.ParseInt(setting(ctx, "weir.backend_pid", "0"), 10, 32)
		return dint(pid)
	}, stable)
	for _, name := range []string{"has_table_privilege", "has_schema_privilege", "has_database_privilege",
		"has_column_privilege", "has_function_privilege", "has_sequence_privilege", "has_any_column_privilege",
		"has_type_privilege", "has_language_privilege", "has_tablespace_privilege", "pg_has_role"} {
		regRow(name, tt(TAny), B, func(*EvalCtx, []types.Datum) (types.Datum, error) { return types.DBool(true), nil }, variadic, stable)
	}
	RegisterFunc(&Func{Name: "pg_typeof", Args: tt(TAny), NullCall: true, Ret: types.TRegType, Stable: true,
		Eval: func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
			return types.ConstVec(types.TRegType, types.DInt(int64(args[0].T.OID())), n), nil
		}})
	regRow("format_type", tt(O, types.TInt4), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[0].Null {
			return types.NullDatum, nil
		}
		t, ok := types.ByOID(uint32(a[0].I))
		if !ok {
			return dstr("???")
		}
		if !a[1].Null {
			t.Mod = int32(a[1].I)
		}
		return dstr(t.String())
	}, nullCall)
	nullText := func(*EvalCtx, []types.Datum) (types.Datum, error) { return types.NullDatum, nil }
	regRow("obj_description", tt(O), T, nullText)
	regRow("obj_description", tt(O, N), T, nullText)
	regRow("shobj_description", tt(O, N), T, nullText)
	regRow("col_description", tt(O, types.TInt4), T, nullText)
	regRow("pg_get_expr", tt(T, O), T, nullText)
	regRow("pg_get_expr", tt(T, O, B), T, nullText)
	// pg_get_userbyid is in func_catalog.go (it names roles through the
	// catalog).
	visible := func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		// PostgreSQL: true when the relation is the one its bare name
		// finds on the search path (see CatalogVisibility in
		// func_catalog.go); false for an unknown OID.
		if ctx != nil && ctx.Catalog != nil {
			if v, ok := ctx.Catalog.(CatalogVisibility); ok {
				return types.DBool(v.RelationVisible(uint32(a[0].I))), nil
			}
			_, ok := ctx.Catalog.RelationName(uint32(a[0].I))
			return types.DBool(ok), nil
		}
		return types.DBool(true), nil
	}
	regRow("pg_table_is_visible", tt(O), B, visible, stable)
	for _, name := range []string{"pg_type_is_visible", "pg_function_is_visible"} {
		regRow(name, tt(O), B, func(*EvalCtx, []types.Datum) (types.Datum, error) { return types.DBool(true), nil })
	}
	regRow("pg_encoding_to_char", tt(types.TInt4), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[0].I == 6 {
			return dstr("UTF8")
		}
		if a[0].I == 0 {
			return dstr("SQL_ASCII")
		}
		return dstr("")
	})
	regRow("pg_is_in_recovery", nil, B, func(*EvalCtx, []types.Datum) (types.Datum, error) { return types.DBool(false), nil })
	regRow("txid_current", nil, types.TInt8, func(*EvalCtx, []types.Datum) (types.Datum, error) { return dint(1) }, stable)

	// jsonb access.
	J := types.TJSONB
	get := func(asText bool, byIndex bool) func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			j, err := types.ParseJSON(a[0].S)
			if err != nil {
				return types.Datum{}, err
			}
			var v *types.JSONValue
			if byIndex {
				if j.Kind == "array" {
					k := a[1].I
					if k < 0 {
						k += int64(len(j.Vals))
					}
					if k >= 0 && k < int64(len(j.Vals)) {
						v = j.Vals[k]
					}
				}
			} else {
				v = j.Get(a[1].S)
			}
			if v == nil {
				return types.NullDatum, nil
			}
			if asText {
				s, ok := v.Text()
				if !ok {
					return types.NullDatum, nil
				}
				return dstr(s)
			}
			return dstr(v.String())
		}
	}
	regRow("->", tt(J, T), J, get(false, false))
	regRow("->", tt(J, types.TInt4), J, get(false, true))
	regRow("->>", tt(J, T), T, get(true, false))
	regRow("->>", tt(J, types.TInt4), T, get(true, true))
	regRow("jsonb_typeof", tt(J), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		j, err := types.ParseJSON(a[0].S)
		if err != nil {
			return types.Datum{}, err
		}
		return dstr(j.Kind)
	})
}
