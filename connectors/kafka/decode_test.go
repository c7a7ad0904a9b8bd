package kafka

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

var modRE = regexp.MustCompile(`^(\w+)\((\d+)(?:,(\d+))?\)$`)

// parseType reads a type name as CREATE SOURCE would, with varchar(n) and
// numeric(p,s) modifiers.
func parseType(t testing.TB, s string) types.T {
	t.Helper()
	if m := modRE.FindStringSubmatch(s); m != nil {
		a, _ := strconv.Atoi(m[2])
		switch m[1] {
		case "varchar":
			return types.WithVarcharLen(int32(a))
		case "numeric":
			b, _ := strconv.Atoi(m[3])
			return types.WithNumericPrecScale(int32(a), int32(b))
		}
		t.Fatalf("bad type %s", s)
	}
	typ, ok := types.TypeByName(s)
	require.True(t, ok, "type %s", s)
	return typ
}

// parseColumns reads one column per line: name type [not null].
func parseColumns(t testing.TB, input string) []connectors.Column {
	var cols []connectors.Column
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		line = strings.TrimSpace(line)
		notNull := strings.HasSuffix(line, " not null")
		line = strings.TrimSuffix(line, " not null")
		name, typ, ok := strings.Cut(line, " ")
		require.True(t, ok, "column line %q", line)
		cols = append(cols, connectors.Column{Name: name, T: parseType(t, strings.TrimSpace(typ)), NotNull: notNull})
	}
	return cols
}

func formatRow(cols []connectors.Column, row []types.Datum) string {
	parts := make([]string, len(row))
	for i, d := range row {
		parts[i] = types.FormatText(cols[i].T, d, time.UTC)
	}
	return strings.Join(parts, " | ")
}

// TestDecode runs testdata/decode: "columns" sets the source's columns;
// "decode format=json|csv [key=...] [partition=n] [offset=n]" decodes each
// input line as one record value ("<nil>" is a tombstone) and prints the
// row or the bad-record error with its SQLSTATE.
func TestDecode(t *testing.T) {
	var cols []connectors.Column
	datadriven.RunTest(t, "testdata/decode", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "columns":
			cols = parseColumns(t, d.Input)
			if d.HasArg("format") {
				var f string
				d.ScanArgs(t, "format", &f)
				if _, err := newDecoder(cols, f); err != nil {
					return fmt.Sprintf("error: %s %v", pgerror.Code(err), err)
				}
			}
			return ""
		case "decode":
			var format string
			d.ScanArgs(t, "format", &format)
			dec, err := newDecoder(cols, format)
			if err != nil {
				return fmt.Sprintf("error: %s %v", pgerror.Code(err), err)
			}
			rec := record{partition: 3, offset: 42, time: time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)}
			if d.HasArg("key") {
				var k string
				d.ScanArgs(t, "key", &k)
				rec.key = []byte(k)
			}
			var out strings.Builder
			row := make([]types.Datum, len(cols))
			for _, line := range strings.Split(d.Input, "\n") {
				rec.value = []byte(line)
				if line == "<nil>" {
					rec.value = nil
				}
				line = strings.ReplaceAll(line, `\n`, "\n")
				if rec.value != nil {
					rec.value = []byte(line)
				}
				if err := dec.decode(&rec, row); err != nil {
					fmt.Fprintf(&out, "bad: %s %v\n", pgerror.Code(err), err)
				} else {
					fmt.Fprintf(&out, "row: %s\n", formatRow(cols, row))
				}
			}
			return out.String()
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

func TestSplitCSV(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []csvField
		err  string
	}{
		{in: "a,b", want: []csvField{{s: "a"}, {s: "b"}}},
		{in: "a,b\r\n", want: []csvField{{s: "a"}, {s: "b"}}},
		{in: ",", want: []csvField{{}, {}}},
		{in: `"",x`, want: []csvField{{quoted: true}, {s: "x"}}},
		{in: `"a ""q"" , b",c`, want: []csvField{{s: `a "q" , b`, quoted: true}, {s: "c"}}},
		{in: "\"two\nlines\"", want: []csvField{{s: "two\nlines", quoted: true}}},
		{in: `"open`, err: "unterminated CSV quoted field"},
		{in: `"a"b,c`, err: "extra data after CSV quoted field"},
		{in: `a"b,c`, err: "unquoted CSV field contains a quote or a newline"},
	} {
		got, err := splitCSV(tc.in, nil)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

// TestDecodeMalformedNeverPanics feeds a corpus of malformed values (and
// every prefix of each) to both formats: each yields a row or a bad-record
// error, nothing panics.
func TestDecodeMalformedNeverPanics(t *testing.T) {
	cols := []connectors.Column{
		{Name: "a", T: types.TInt8, NotNull: true}, {Name: "b", T: types.TText},
		{Name: "c", T: types.TTimestampTZ}, {Name: "d", T: types.TNumeric}, {Name: "e", T: types.TJSONB},
		{Name: "_key", T: types.TBytea}, {Name: "_offset", T: types.TInt8},
	}
	corpus := []string{
		`{"a":1,"b":"x","c":"2026-01-01 00:00:00+00","d":1.5,"e":{"x":[1,2]}}`,
		`{"a":1,"b":"\ud800"}`, `{"a":1e400}`, `{"a":"9223372036854775808"}`, `{"a":1,"d":"NaN"}`,
		`{"a":1,"b":"\u0000"}`, `[1,2,3]`, `"str"`, `null`, `{}{}`, `{"a":1,}`, `{"a":01}`,
		"\xff\xfe", `{"a":1,"c":"yesterday-ish"}`, `{"a":1,"e":"\"x\""}`,
		`1,x,2026-01-01,1.5,{}`, `"1",""x",,,`, `1,"x`, `,,,,`, `1,2,3,4,5,6`,
	}
	for _, format := range []string{"json", "csv"} {
		dec, err := newDecoder(cols, format)
		require.NoError(t, err)
		row := make([]types.Datum, len(cols))
		for _, v := range corpus {
			for n := 0; n <= len(v); n++ {
				rec := record{value: []byte(v[:n]), key: []byte{0xff}}
				require.NotPanics(t, func() { _ = dec.decode(&rec, row) }, "%s %q", format, v[:n])
			}
		}
	}
}

func pgerrorCode(err error) string { return pgerror.Code(err) }
