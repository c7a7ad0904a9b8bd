package binder

import (
	"strconv"
	"strings"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// parseTypeName maps a PostgreSQL type name (as the front end writes it in
// weir_cast: lower-case, possibly qualified with pg_catalog, possibly with
// a modifier or []) to a type. An unknown name is 42704.
func parseTypeName(s string) (types.T, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	s = strings.TrimPrefix(s, "pg_catalog.")
	var mods []int32
	if i := strings.IndexByte(s, '('); i >= 0 {
		j := strings.IndexByte(s, ')')
		if j < i {
			return types.T{}, pgerror.New(pgerror.CodeSyntaxError, "syntax error in type name %q", s)
		}
		for _, m := range strings.Split(s[i+1:j], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(m))
			if err != nil {
				return types.T{}, pgerror.New(pgerror.CodeSyntaxError, "syntax error in type name %q", s)
			}
			mods = append(mods, int32(n))
		}
		s = strings.TrimSpace(s[:i] + s[j+1:])
	}
	s = strings.Join(strings.Fields(s), " ")
	var t types.T
	switch s {
	case "bool", "boolean":
		t = types.TBool
	case "int2", "smallint":
		t = types.TInt2
	case "int", "int4", "integer":
		t = types.TInt4
	case "int8", "bigint":
		t = types.TInt8
	case "float4", "real":
		t = types.TFloat4
	case "float8", "double precision", "float":
		t = types.TFloat8
	case "numeric", "decimal":
		t = types.TNumeric
		if len(mods) >= 1 {
			sc := int32(0)
			if len(mods) == 2 {
				sc = mods[1]
			}
			return types.WithNumericPrecScale(mods[0], sc), nil
		}
	case "text":
		t = types.TText
	case "varchar", "character varying", "char", "character", "bpchar":
		t = types.TVarchar
		if len(mods) == 1 {
			return types.WithVarcharLen(mods[0]), nil
		}
	case "\"char\"":
		t = types.TChar
	case "name":
		t = types.TName
	case "timestamp", "timestamp without time zone":
		t = types.TTimestamp
	case "timestamptz", "timestamp with time zone":
		t = types.TTimestampTZ
	case "date":
		t = types.TDate
	case "interval":
		t = types.TInterval
	case "bytea":
		t = types.TBytea
	case "jsonb", "json":
		t = types.TJSONB
	case "oid":
		t = types.TOid
	case "regclass":
		t = types.TRegClass
	case "regtype":
		t = types.TRegType
	case "regproc":
		t = types.TRegProc
	case "text[]", "_text", "varchar[]", "name[]":
		t = types.TTextArray
	case "int2vector":
		t = types.TInt2Vector
	case "oidvector":
		t = types.TOidVector
	default:
		if t, ok := lookupTypeName(s); ok {
			return t, nil
		}
		return types.T{}, pgerror.New(pgerror.CodeUndefinedObject, "type %q does not exist", s)
	}
	return t, nil
}
