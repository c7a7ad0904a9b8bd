package format

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

var testCols = []connectors.Column{
	{Name: "id", T: types.TInt8, NotNull: true},
	{Name: "name", T: types.WithVarcharLen(5)},
	{Name: "price", T: types.WithNumericPrecScale(6, 2)},
	{Name: "ts", T: types.TTimestamp},
	{Name: "tz", T: types.TTimestampTZ},
	{Name: "ok", T: types.TBool},
	{Name: "doc", T: types.TJSONB},
	{Name: "raw", T: types.TBytea},
	{Name: "iv", T: types.TInterval},
	{Name: "f", T: types.TFloat8},
}

// render formats a decoded row with PostgreSQL's text output, NULL as
// "NULL", so expectations read like psql output.
func render(cols []connectors.Column, row []types.Datum) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = types.FormatText(c.T, row[i], nil)
	}
	return out
}

func TestDecodeJSON(t *testing.T) {
	dec, err := NewDecoder(testCols, nil, Options{Kind: JSON})
	require.NoError(t, err)
	tests := []struct {
		rec  string
		want []string
	}{
		{
			`{"id": 1, "name": "bob", "price": 12.345, "ts": "2026-01-01 00:00:01.5", "tz": "2026-01-01T01:00:00+01:00",
			  "ok": true, "doc": {"b": [1, 2], "a": null}, "raw": "\\x00ff", "iv": "1 day 02:00:00", "f": 1e-7}`,
			[]string{"1", "bob", "12.35", "2026-01-01 00:00:01.5", "2026-01-01 00:00:00+00", "t", `{"a": null, "b": [1, 2]}`, `\x00ff`, "1 day 02:00:00", "1e-07"},
		},
		// Missing nullable members and JSON null are NULL; unknown members
		// are ignored; strings go through the input function.
		{`{"id": "7", "extra": [1], "name": null}`, []string{"7", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"}},
		// A jsonb column keeps a JSON string as a JSON string.
		{`{"id": 2, "doc": "x", "ok": "yes", "price": -0.001}`, []string{"2", "NULL", "0.00", "NULL", "NULL", "t", `"x"`, "NULL", "NULL", "NULL"}},
		// Trailing spaces beyond varchar(n) are cut, as an assignment does.
		{`{"id": 3, "name": "abcde   "}`, []string{"3", "abcde", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"}},
		// The last of duplicate members wins, as in jsonb.
		{`{"id": 3, "id": 4}`, []string{"4", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"}},
	}
	for _, tc := range tests {
		row := make([]types.Datum, len(testCols))
		require.NoError(t, dec.Decode([]byte(tc.rec), row), tc.rec)
		require.Equal(t, tc.want, render(testCols, row), tc.rec)
	}
}

// TestDecodeBad is the corpus of malformed records: each gives an error
// with its SQLSTATE and a message naming the problem, never a panic.
func TestDecodeBad(t *testing.T) {
	tests := []struct {
		kind Kind
		rec  string
		code string
		msg  string
	}{
		{JSON, `{"id": 1`, pgerror.CodeInvalidTextRepresentation, "invalid input syntax for type json"},
		{JSON, ``, pgerror.CodeInvalidTextRepresentation, "invalid input syntax for type json"},
		{JSON, `[1, 2]`, pgerror.CodeInvalidTextRepresentation, "record is a JSON array, not an object"},
		{JSON, `"id"`, pgerror.CodeInvalidTextRepresentation, "record is a JSON string, not an object"},
		{JSON, `{"name": "x"}`, pgerror.CodeNotNullViolation, `null value in column "id" violates not-null constraint`},
		{JSON, `{"id": null}`, pgerror.CodeNotNullViolation, `null value in column "id" violates not-null constraint`},
		{JSON, `{"id": "abc"}`, pgerror.CodeInvalidTextRepresentation, `column "id": invalid input syntax for type bigint: "abc"`},
		{JSON, `{"id": 1.5}`, pgerror.CodeInvalidTextRepresentation, `column "id": invalid input syntax for type bigint: "1.5"`},
		{JSON, `{"id": 99999999999999999999}`, pgerror.CodeNumericValueOutOfRange, `column "id": value "99999999999999999999" is out of range for type bigint`},
		{JSON, `{"id": {"a": 1}}`, pgerror.CodeInvalidTextRepresentation, `column "id": invalid input syntax for type bigint: "{\"a\": 1}"`},
		{JSON, `{"id": 1, "name": "abcdef"}`, pgerror.CodeStringDataRightTruncation, `column "name": value too long for type character varying(5)`},
		{JSON, `{"id": 1, "price": 10000}`, pgerror.CodeNumericValueOutOfRange, `column "price": numeric field overflow`},
		{JSON, `{"id": 1, "price": 9999.995}`, pgerror.CodeNumericValueOutOfRange, `column "price": numeric field overflow`},
		{JSON, `{"id": 1, "ts": "yesterday-ish"}`, pgerror.CodeInvalidDatetimeFormat, `column "ts": invalid input syntax for type timestamp: "yesterday-ish"`},
		{JSON, `{"id": 1, "ok": 2}`, pgerror.CodeInvalidTextRepresentation, `column "ok": invalid input syntax for type boolean: "2"`},
		{JSON, "{\"id\": 1, \"name\": \"\xff\"}", "22021", `invalid byte sequence for encoding "UTF8"`},
		{CSV, `1,"abc`, pgerror.CodeBadCopyFileFormat, "unterminated CSV quoted field"},
		{CSV, `1,a`, pgerror.CodeBadCopyFileFormat, `missing data for column "price"`},
		{CSV, `1,a,1,,,,,,,,`, pgerror.CodeBadCopyFileFormat, "extra data after last expected column"},
		{CSV, `,a,1,,,,,,,`, pgerror.CodeNotNullViolation, `null value in column "id" violates not-null constraint`},
		{CSV, `x,a,1,,,,,,,`, pgerror.CodeInvalidTextRepresentation, `column "id": invalid input syntax for type bigint: "x"`},
		{CSV, `1,a,1,,,,,\xzz,,`, pgerror.CodeInvalidTextRepresentation, `column "raw": invalid hexadecimal digit: "zz"`},
	}
	for _, tc := range tests {
		dec, err := NewDecoder(testCols, nil, Options{Kind: tc.kind})
		require.NoError(t, err)
		row := make([]types.Datum, len(testCols))
		err = dec.Decode([]byte(tc.rec), row)
		require.Error(t, err, "%s %q", tc.kind, tc.rec)
		require.Equal(t, tc.code, pgerror.Code(err), "%s %q: %v", tc.kind, tc.rec, err)
		require.Contains(t, err.Error(), tc.msg, "%s %q", tc.kind, tc.rec)
	}
}

func TestDecodeCSV(t *testing.T) {
	cols := []connectors.Column{
		{Name: "a", T: types.TText},
		{Name: "b", T: types.TText},
		{Name: "n", T: types.TInt4},
	}
	tests := []struct {
		rec  string
		want []string
	}{
		{"x,y,1\n", []string{"x", "y", "1"}},
		{"x,y,1\r\n", []string{"x", "y", "1"}},
		// Unquoted empty is NULL, quoted empty is the empty string.
		{`,"",`, []string{"NULL", "", "NULL"}},
		// Delimiters and doubled quotes inside quotes; a quoted section in
		// the middle of a field.
		{`"a,b","say ""hi""",2`, []string{"a,b", `say "hi"`, "2"}},
		{`a"b,c"d,e,3`, []string{"ab,cd", "e", "3"}},
		// White space is kept in text and accepted around numbers.
		{` x , y , 4 `, []string{" x ", " y ", "4"}},
		// A quoted field may hold a newline (a Kafka record, not a file
		// line).
		{"\"l1\nl2\",z,5", []string{"l1\nl2", "z", "5"}},
	}
	dec, err := NewDecoder(cols, nil, Options{Kind: CSV})
	require.NoError(t, err)
	for _, tc := range tests {
		row := make([]types.Datum, len(cols))
		require.NoError(t, dec.Decode([]byte(tc.rec), row), tc.rec)
		require.Equal(t, tc.want, render(cols, row), tc.rec)
	}

	semi, err := NewDecoder(cols, nil, Options{Kind: CSV, Delimiter: ';'})
	require.NoError(t, err)
	row := make([]types.Datum, len(cols))
	require.NoError(t, semi.Decode([]byte(`a,b;"c;d";6`), row))
	require.Equal(t, []string{"a,b", "c;d", "6"}, render(cols, row))
}

// TestDecodeFields checks that columns outside fields are left to the
// connector and CSV positions follow fields.
func TestDecodeFields(t *testing.T) {
	cols := []connectors.Column{
		{Name: "_offset", T: types.TInt8},
		{Name: "v", T: types.TText},
		{Name: "w", T: types.TInt4},
	}
	for _, kind := range []Kind{JSON, CSV} {
		dec, err := NewDecoder(cols, []int{2, 1}, Options{Kind: kind})
		require.NoError(t, err)
		row := []types.Datum{types.DInt(42), {}, {}}
		rec := `9,hello`
		if kind == JSON {
			rec = `{"w": 9, "v": "hello", "_offset": 1}`
		}
		require.NoError(t, dec.Decode([]byte(rec), row))
		require.Equal(t, []string{"42", "hello", "9"}, render(cols, row))
	}
	_, err := NewDecoder(cols, []int{3}, Options{Kind: CSV})
	require.Error(t, err)
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(map[string]string{"connector": "file"})
	require.NoError(t, err)
	require.Equal(t, JSON, o.Kind)
	o, err = ParseOptions(map[string]string{"format": "CSV", "delimiter": "|"})
	require.NoError(t, err)
	require.Equal(t, Options{Kind: CSV, Delimiter: '|'}, o)
	for _, bad := range []map[string]string{
		{"format": "avro"},
		{"format": "json", "delimiter": ","},
		{"format": "csv", "delimiter": ",,"},
		{"format": "csv", "delimiter": `"`},
	} {
		_, err := ParseOptions(bad)
		require.Error(t, err, "%v", bad)
		require.Equal(t, pgerror.CodeInvalidParameterValue, pgerror.Code(err), "%v", bad)
	}
}
