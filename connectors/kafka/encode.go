package kafka

import (
	"math"
	"strconv"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/types"
)

// appendJSONValue appends the JSON form of row i of v as PostgreSQL's
// to_json renders a value of its type:
//
//   - NULL: null; boolean: true/false
//   - integers: JSON numbers; real/double: the shortest exact number, and
//     "NaN", "Infinity", "-Infinity" as strings; numeric: its exact
//     decimal text as a JSON number ("NaN" as a string)
//   - text, varchar, name, "char": strings
//   - date: "2026-01-31"; timestamp: "2026-01-31T12:00:00.5";
//     timestamptz: "2026-01-31T12:00:00.5+00:00" (UTC, ISO 8601)
//   - interval: its PostgreSQL text ("1 day 02:00:00")
//   - bytea: its hex text ("\\x0102"), as to_json prints bytea
//   - jsonb: the JSON value itself
//   - other types (arrays, catalog types): their text output as a string.
func appendJSONValue(buf []byte, v *types.Vec, i int) []byte {
	if v.IsNull(i) {
		return append(buf, "null"...)
	}
	t := v.T
	switch t.ID {
	case types.Bool:
		if v.I[i] != 0 {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	case types.Int2, types.Int4, types.Int8, types.Oid:
		return strconv.AppendInt(buf, v.I[i], 10)
	case types.Float4, types.Float8:
		f := v.F[i]
		switch {
		case math.IsNaN(f):
			return append(buf, `"NaN"`...)
		case math.IsInf(f, 1):
			return append(buf, `"Infinity"`...)
		case math.IsInf(f, -1):
			return append(buf, `"-Infinity"`...)
		}
		bits := 64
		if t.ID == types.Float4 {
			bits = 32
		}
		return types.AppendFloat(buf, f, bits)
	case types.Numeric:
		d := v.D[i]
		if d.Form != apd.Finite {
			return types.AppendJSONString(buf, string(types.AppendNumeric(nil, d)))
		}
		return types.AppendNumeric(buf, d)
	case types.JSONB:
		return append(buf, v.S[i]...)
	case types.Date:
		return types.AppendJSONString(buf, string(types.AppendDate(nil, v.I[i])))
	case types.Timestamp, types.TimestampTZ:
		return types.AppendJSONString(buf, isoTimestamp(v.I[i], t.ID == types.TimestampTZ))
	}
	return types.AppendJSONString(buf, string(v.AppendText(nil, i, time.UTC)))
}

// isoTimestamp formats a timestamp as to_json does: ISO 8601 with a T, and
// for timestamptz the UTC offset "+00:00". Infinite timestamps and years
// outside 1..9999 fall back to PostgreSQL's text form.
func isoTimestamp(us int64, tz bool) string {
	s := types.AppendTimestamp(nil, us, tz, time.UTC)
	if len(s) < 19 || s[4] != '-' || s[10] != ' ' {
		return string(s)
	}
	s[10] = 'T'
	if tz && len(s) >= 3 && (s[len(s)-3] == '+' || s[len(s)-3] == '-') {
		s = append(s, ":00"...)
	}
	return string(s)
}

// appendJSONObject appends {"col": value, ...} for the columns idx of row i.
func appendJSONObject(buf []byte, names []string, c *types.Chunk, idx []int, i int) []byte {
	buf = append(buf, '{')
	for j, col := range idx {
		if j > 0 {
			buf = append(buf, ',')
		}
		buf = types.AppendJSONString(buf, names[col])
		buf = append(buf, ':')
		buf = appendJSONValue(buf, c.Cols[col], i)
	}
	return append(buf, '}')
}
