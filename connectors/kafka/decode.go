package kafka

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Metadata columns: a source column with one of these names is filled from
// the record instead of its value.
const (
	colKey       = "_key"       // text, varchar, bytea or jsonb; NULL when the record has no key
	colPartition = "_partition" // smallint, integer or bigint
	colOffset    = "_offset"    // bigint (or integer)
	colTimestamp = "_timestamp" // timestamptz or timestamp (UTC)
)

// record is the part of a Kafka record that the decoder reads.
type record struct {
	partition int
	offset    int64
	key       []byte // nil: no key
	value     []byte // nil: tombstone
	time      time.Time
}

// decoder turns record values into rows of the source's columns. JSON maps
// object members to columns by name; CSV maps fields to the non-metadata
// columns by position. Conversion of a value follows PostgreSQL's
// json_populate_record: a JSON scalar's text (a string unquoted, a number
// as written, true/false) goes through the column type's text input
// function, so {"n": "12"} fills a bigint and {"n": true} is an error; an
// object or array fills a jsonb column (or a text column with its JSON
// text). A decoder is not safe for concurrent use.
type decoder struct {
	cols   []connectors.Column
	format string
	// data lists the indexes of the columns read from the value, in
	// order (the CSV field order).
	data []int
	// byName maps a column name to its index, for JSON.
	byName map[string]int
	// fold maps a lower-cased column name to its index, for JSON keys
	// that match a column only case-insensitively.
	fold map[string]int
	// meta[i] is the metadata column name of column i, or "".
	meta []string

	fields []csvField // scratch for CSV, reused per record
}

// newDecoder checks the columns (metadata column types) and returns a
// decoder for format "json" or "csv".
func newDecoder(cols []connectors.Column, format string) (*decoder, error) {
	d := &decoder{cols: cols, format: format, byName: map[string]int{}, fold: map[string]int{},
		meta: make([]string, len(cols))}
	for i, c := range cols {
		switch c.Name {
		case colKey:
			switch c.T.ID {
			case types.Text, types.Varchar, types.Bytea, types.JSONB:
			default:
				return nil, badOption("column %s must be text, varchar, bytea or jsonb, not %s", c.Name, c.T)
			}
		case colPartition, colOffset:
			if !c.T.IsInteger() {
				return nil, badOption("column %s must be an integer type, not %s", c.Name, c.T)
			}
		case colTimestamp:
			if c.T.ID != types.TimestampTZ && c.T.ID != types.Timestamp {
				return nil, badOption("column %s must be timestamptz or timestamp, not %s", c.Name, c.T)
			}
		default:
			d.data = append(d.data, i)
			d.byName[c.Name] = i
			if _, dup := d.fold[strings.ToLower(c.Name)]; !dup {
				d.fold[strings.ToLower(c.Name)] = i
			}
			continue
		}
		d.meta[i] = c.Name
	}
	return d, nil
}

// errBad marks decoding errors: the record is bad, the source is fine.
func errBad(format string, args ...any) error {
	return pgerror.New(pgerror.CodeInvalidTextRepresentation, format, args...)
}

// decode fills row (len(cols)) from rec. An error means the record is bad;
// row is then garbage.
func (d *decoder) decode(rec *record, row []types.Datum) error {
	for i := range row {
		row[i] = types.NullDatum
	}
	if rec.value == nil {
		return errBad("record has no value (a tombstone)")
	}
	if !utf8.Valid(rec.value) {
		return errBad("invalid byte sequence for encoding \"UTF8\"")
	}
	var err error
	if d.format == "csv" {
		err = d.decodeCSV(rec.value, row)
	} else {
		err = d.decodeJSON(rec.value, row)
	}
	if err != nil {
		return err
	}
	for i, m := range d.meta {
		if m == "" {
			continue
		}
		if row[i], err = d.metaDatum(m, d.cols[i].T, rec); err != nil {
			return err
		}
	}
	for i, c := range d.cols {
		if c.NotNull && row[i].Null {
			return pgerror.New(pgerror.CodeNotNullViolation,
				"null value in column %q violates not-null constraint", c.Name)
		}
	}
	return nil
}

func (d *decoder) metaDatum(name string, t types.T, rec *record) (types.Datum, error) {
	switch name {
	case colKey:
		if rec.key == nil {
			return types.NullDatum, nil
		}
		if t.ID == types.Bytea {
			return types.DString(string(rec.key)), nil
		}
		if !utf8.Valid(rec.key) {
			return types.Datum{}, errBad("record key: invalid byte sequence for encoding \"UTF8\"")
		}
		return d.convert(t, string(rec.key), "_key")
	case colPartition:
		return types.DInt(int64(rec.partition)), nil
	case colOffset:
		return types.DInt(rec.offset), nil
	default: // colTimestamp
		if rec.time.IsZero() {
			return types.NullDatum, nil
		}
		return types.DInt(types.TimestampFromTime(rec.time)), nil
	}
}

func (d *decoder) decodeJSON(value []byte, row []types.Datum) error {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(value))
	if err := dec.Decode(&obj); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errBad("JSON record is %s, not an object", typeErr.Value)
		}
		return errBad("invalid input syntax for type json: %v", err)
	}
	if dec.More() {
		return errBad("invalid input syntax for type json: data after the JSON object")
	}
	if obj == nil {
		return errBad("JSON record is null, not an object")
	}
	for k, raw := range obj {
		i, ok := d.byName[k]
		if !ok {
			if i, ok = d.fold[strings.ToLower(k)]; !ok {
				continue // extra fields are ignored
			}
			if _, exact := obj[d.cols[i].Name]; exact {
				continue // the exactly named member wins
			}
		}
		v, err := d.jsonDatum(d.cols[i], raw)
		if err != nil {
			return err
		}
		row[i] = v
	}
	return nil
}

// jsonDatum converts one member value to a datum of column c.
func (d *decoder) jsonDatum(c connectors.Column, raw json.RawMessage) (types.Datum, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return types.NullDatum, nil
	}
	if c.T.ID == types.JSONB {
		return d.convert(c.T, string(raw), c.Name)
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return types.Datum{}, errBad("column %q: %v", c.Name, err)
		}
		return d.convert(c.T, s, c.Name)
	case '{', '[':
		if !c.T.IsString() {
			return types.Datum{}, errBad("column %q: cannot convert a JSON %s to %s", c.Name, jsonKind(raw[0]), c.T)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return types.Datum{}, errBad("column %q: %v", c.Name, err)
		}
		return d.convert(c.T, buf.String(), c.Name)
	default: // number, true, false
		return d.convert(c.T, string(raw), c.Name)
	}
}

func jsonKind(c byte) string {
	if c == '{' {
		return "object"
	}
	return "array"
}

// convert parses s with the text input function of t and applies the
// type modifier (varchar(n) length, numeric(p,s) scale and precision) as
// an assignment to a column of that type does.
func (d *decoder) convert(t types.T, s string, col string) (types.Datum, error) {
	if strings.IndexByte(s, 0) >= 0 && t.ID != types.Bytea {
		return types.Datum{}, pgerror.New("22P05", "column %q: unsupported Unicode escape sequence \\u0000", col)
	}
	v, err := types.ParseText(t, s, time.UTC)
	if err != nil {
		return types.Datum{}, wrapColumn(err, col)
	}
	switch {
	case t.ID == types.Varchar && t.Mod >= 4:
		if n := int(t.Mod - 4); utf8.RuneCountInString(v.S) > n {
			return types.Datum{}, pgerror.New(pgerror.CodeStringDataRightTruncation,
				"column %q: value too long for type character varying(%d)", col, n)
		}
	case t.ID == types.Numeric && t.Mod >= 4:
		if v, err = applyNumericMod(t, v); err != nil {
			return types.Datum{}, wrapColumn(err, col)
		}
	}
	return v, nil
}

func wrapColumn(err error, col string) error {
	var pe *pgerror.Error
	if errors.As(err, &pe) {
		return pgerror.New(pe.Code, "column %q: %s", col, pe.Message)
	}
	return errBad("column %q: %v", col, err)
}

// applyNumericMod rounds v to the scale of numeric(p,s) and refuses values
// with more than p-s integer digits, as PostgreSQL's numeric typmod does.
func applyNumericMod(t types.T, v types.Datum) (types.Datum, error) {
	if v.D == nil || v.D.Form != apd.Finite {
		return v, nil
	}
	prec, scale := t.NumericPrecScale()
	var r apd.Decimal
	ctx := apd.BaseContext.WithPrecision(1000)
	ctx.Rounding = apd.RoundHalfUp
	if _, err := ctx.Quantize(&r, v.D, -scale); err != nil {
		return v, pgerror.New(pgerror.CodeNumericValueOutOfRange, "numeric field overflow")
	}
	intDigits := int64(r.NumDigits()) + int64(r.Exponent)
	if !r.IsZero() && intDigits > int64(prec-scale) {
		return v, pgerror.New(pgerror.CodeNumericValueOutOfRange, "numeric field overflow").
			WithDetail("A field with precision %d, scale %d must round to an absolute value less than 10^%d.",
				prec, scale, prec-scale)
	}
	return types.DDecimal(&r), nil
}

// csvField is one field of a CSV line; an unquoted empty field is NULL
// (PostgreSQL's COPY ... CSV rule), a quoted empty one the empty string.
type csvField struct {
	s      string
	quoted bool
}

// splitCSV splits one CSV record (RFC 4180: comma separated, fields
// optionally in double quotes with "" for a quote; a quoted field may span
// lines). One trailing newline is allowed.
func splitCSV(line string, out []csvField) ([]csvField, error) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	out = out[:0]
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			var sb strings.Builder
			j := i + 1
			for {
				k := strings.IndexByte(line[j:], '"')
				if k < 0 {
					return nil, errBad("unterminated CSV quoted field")
				}
				sb.WriteString(line[j : j+k])
				j += k + 1
				if j < len(line) && line[j] == '"' {
					sb.WriteByte('"')
					j++
					continue
				}
				break
			}
			out = append(out, csvField{s: sb.String(), quoted: true})
			i = j
			if i == len(line) {
				return out, nil
			}
			if line[i] != ',' {
				return nil, errBad("extra data after CSV quoted field")
			}
			i++
			continue
		}
		k := strings.IndexByte(line[i:], ',')
		field := line[i:]
		if k >= 0 {
			field = line[i : i+k]
		}
		if strings.ContainsAny(field, "\"\n\r") {
			return nil, errBad("unquoted CSV field contains a quote or a newline")
		}
		out = append(out, csvField{s: field})
		if k < 0 {
			return out, nil
		}
		i += k + 1
	}
}

func (d *decoder) decodeCSV(value []byte, row []types.Datum) error {
	var err error
	d.fields, err = splitCSV(string(value), d.fields)
	if err != nil {
		return err
	}
	if len(d.fields) != len(d.data) {
		return errBad("CSV record has %d fields, expected %d", len(d.fields), len(d.data))
	}
	for j, f := range d.fields {
		i := d.data[j]
		if f.s == "" && !f.quoted {
			continue // NULL
		}
		if row[i], err = d.convert(d.cols[i].T, f.s, d.cols[i].Name); err != nil {
			return err
		}
	}
	return nil
}
