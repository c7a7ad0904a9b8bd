package format

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Kind is a record format.
type Kind string

const (
	// JSON records are JSON objects; members map to columns by name.
	JSON Kind = "json"
	// CSV records are one CSV line each; fields map to columns by position.
	CSV Kind = "csv"
)

// codeBadEncoding is PostgreSQL's character_not_in_repertoire, reported for
// bytes that are not UTF-8.
const codeBadEncoding = "22021"

// Options are the decoding options of a source.
type Options struct {
	Kind Kind
	// Delimiter separates CSV fields (default ',').
	Delimiter byte
	// Location is the time zone of timestamptz values without an explicit
	// offset (nil: UTC, weir's fixed zone for connectors).
	Location *time.Location
}

// ParseOptions reads the decoding options from a source's WITH options:
// `format` ('json' or 'csv'; default 'json') and, for csv, `delimiter` (one
// single-byte character; default ','). Unknown values are 22023 errors.
func ParseOptions(opts map[string]string) (Options, error) {
	o := Options{Kind: JSON, Delimiter: ','}
	if f, ok := opts["format"]; ok {
		switch Kind(strings.ToLower(f)) {
		case JSON:
			o.Kind = JSON
		case CSV:
			o.Kind = CSV
		default:
			return o, pgerror.New(pgerror.CodeInvalidParameterValue, "invalid format %q: expected 'json' or 'csv'", f)
		}
	}
	if d, ok := opts["delimiter"]; ok {
		if o.Kind != CSV {
			return o, pgerror.New(pgerror.CodeInvalidParameterValue, "option delimiter is only valid with format 'csv'")
		}
		if len(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r' {
			return o, pgerror.New(pgerror.CodeInvalidParameterValue, "invalid delimiter %q: must be one single-byte character other than quote, newline and carriage return", d)
		}
		o.Delimiter = d[0]
	}
	return o, nil
}

// Decoder turns records into rows. It is not safe for concurrent use; it
// holds no state between records, so one decoder per reader is enough.
type Decoder struct {
	opts   Options
	cols   []connectors.Column
	fields []int
	// byName maps a column name to its position in fields (JSON).
	byName map[string]int
	seen   []bool
	// fieldBuf is reused across CSV records.
	fieldBuf  []byte
	fieldEnds []int
	fieldNull []bool
}

// NewDecoder returns a decoder filling the columns of cols listed in fields
// (indexes into cols, in the order of the CSV fields), or every column when
// fields is nil. Columns not in fields are left alone by Decode: the
// connector fills them (Kafka's _key, _offset, ...).
func NewDecoder(cols []connectors.Column, fields []int, o Options) (*Decoder, error) {
	if o.Delimiter == 0 {
		o.Delimiter = ','
	}
	if o.Kind != JSON && o.Kind != CSV {
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "invalid format %q: expected 'json' or 'csv'", string(o.Kind))
	}
	if fields == nil {
		fields = make([]int, len(cols))
		for i := range cols {
			fields[i] = i
		}
	}
	d := &Decoder{opts: o, cols: cols, fields: fields, byName: map[string]int{}, seen: make([]bool, len(fields))}
	for j, c := range fields {
		if c < 0 || c >= len(cols) {
			return nil, fmt.Errorf("format: field %d names column %d of %d", j, c, len(cols))
		}
		d.byName[cols[c].Name] = j
	}
	return d, nil
}

// Decode decodes one record into row (len(row) == len(cols)), setting the
// decoded columns and leaving the others unchanged. A record that does not
// decode returns a *pgerror.Error naming the column at fault: 22P02 for
// malformed JSON, a value the column type does not accept or a JSON record
// that is not an object; 22P04 for a CSV line with missing or extra fields
// or an unterminated quote; 23502 for a NULL or missing NOT NULL column;
// 22021 for bytes that are not UTF-8; 22001 and 22003 for values too long
// for varchar(n) or too large for numeric(p,s). row is then partly written.
func (d *Decoder) Decode(rec []byte, row []types.Datum) error {
	if !utf8.Valid(rec) {
		return pgerror.New(codeBadEncoding, `invalid byte sequence for encoding "UTF8"`)
	}
	if d.opts.Kind == CSV {
		return d.decodeCSV(rec, row)
	}
	return d.decodeJSON(rec, row)
}

func (d *Decoder) decodeJSON(rec []byte, row []types.Datum) error {
	v, err := types.ParseJSON(string(rec))
	if err != nil {
		return err
	}
	if v.Kind != "object" {
		return pgerror.New(pgerror.CodeInvalidTextRepresentation, "record is a JSON %s, not an object", v.Kind)
	}
	clear(d.seen)
	for k, key := range v.Keys {
		j, ok := d.byName[key]
		if !ok {
			continue // members without a column are ignored
		}
		d.seen[j] = true
		c := d.fields[j]
		val, err := d.jsonValue(c, v.Vals[k])
		if err != nil {
			return err
		}
		row[c] = val
	}
	for j, c := range d.fields {
		if !d.seen[j] {
			if d.cols[c].NotNull {
				return notNull(d.cols[c].Name)
			}
			row[c] = types.NullDatum
		}
	}
	return nil
}

// jsonValue converts one JSON member for column c as jsonb_populate_record
// does.
func (d *Decoder) jsonValue(c int, v *types.JSONValue) (types.Datum, error) {
	col := d.cols[c]
	if v.Kind == "null" {
		if col.NotNull {
			return types.Datum{}, notNull(col.Name)
		}
		return types.NullDatum, nil
	}
	if col.T.ID == types.JSONB {
		return types.DString(v.String()), nil
	}
	text := v.Str
	if v.Kind == "object" || v.Kind == "array" {
		text = v.String()
	}
	return d.value(col, text)
}

// value parses text with the column type's input function and applies its
// modifier.
func (d *Decoder) value(col connectors.Column, text string) (types.Datum, error) {
	v, err := types.ParseText(col.T, text, d.opts.Location)
	if err == nil {
		v, err = applyTypmod(col.T, v)
	}
	if err != nil {
		return types.Datum{}, columnErr(col.Name, err)
	}
	return v, nil
}

// decodeCSV splits one CSV record as COPY ... (FORMAT csv) does: fields
// separated by the delimiter, '"' quoting (a doubled quote inside quotes is
// one quote; quoted sections may appear anywhere in a field), an unquoted
// empty field is NULL. One trailing newline (\n or \r\n) is ignored.
func (d *Decoder) decodeCSV(rec []byte, row []types.Datum) error {
	rec = trimNewline(rec)
	const quote = '"'
	delim := d.opts.Delimiter
	d.fieldBuf, d.fieldEnds, d.fieldNull = d.fieldBuf[:0], d.fieldEnds[:0], d.fieldNull[:0]
	inQuote, sawQuote := false, false
	for i := 0; i < len(rec); i++ {
		b := rec[i]
		switch {
		case inQuote && b == quote:
			if i+1 < len(rec) && rec[i+1] == quote {
				d.fieldBuf = append(d.fieldBuf, quote)
				i++
			} else {
				inQuote = false
			}
		case inQuote:
			d.fieldBuf = append(d.fieldBuf, b)
		case b == quote:
			inQuote, sawQuote = true, true
		case b == delim:
			d.endField(sawQuote)
			sawQuote = false
		default:
			d.fieldBuf = append(d.fieldBuf, b)
		}
	}
	if inQuote {
		return pgerror.New(pgerror.CodeBadCopyFileFormat, "unterminated CSV quoted field")
	}
	d.endField(sawQuote)
	if len(d.fieldEnds) < len(d.fields) {
		return pgerror.New(pgerror.CodeBadCopyFileFormat, "missing data for column %q", d.cols[d.fields[len(d.fieldEnds)]].Name)
	}
	if len(d.fieldEnds) > len(d.fields) {
		return pgerror.New(pgerror.CodeBadCopyFileFormat, "extra data after last expected column")
	}
	start := 0
	for j, c := range d.fields {
		end := d.fieldEnds[j]
		col := d.cols[c]
		if d.fieldNull[j] {
			if col.NotNull {
				return notNull(col.Name)
			}
			row[c] = types.NullDatum
		} else {
			v, err := d.value(col, string(d.fieldBuf[start:end]))
			if err != nil {
				return err
			}
			row[c] = v
		}
		start = end
	}
	return nil
}

func (d *Decoder) endField(quoted bool) {
	start := 0
	if n := len(d.fieldEnds); n > 0 {
		start = d.fieldEnds[n-1]
	}
	d.fieldEnds = append(d.fieldEnds, len(d.fieldBuf))
	d.fieldNull = append(d.fieldNull, !quoted && len(d.fieldBuf) == start)
}

func trimNewline(rec []byte) []byte {
	if n := len(rec); n > 0 && rec[n-1] == '\n' {
		rec = rec[:n-1]
		if n := len(rec); n > 0 && rec[n-1] == '\r' {
			rec = rec[:n-1]
		}
	}
	return rec
}

func notNull(col string) error {
	return pgerror.New(pgerror.CodeNotNullViolation, "null value in column %q violates not-null constraint", col)
}

func columnErr(col string, err error) error {
	e := &pgerror.Error{Code: pgerror.Code(err), Message: fmt.Sprintf("column %q: %v", col, err), Cause: err}
	var pe *pgerror.Error
	if errors.As(err, &pe) {
		e.Detail, e.Hint = pe.Detail, pe.Hint
	}
	return e
}

// applyTypmod applies varchar(n) and numeric(p,s) as an assignment does:
// a string longer than n characters is an error (22001), a number is
// rounded half away from zero to s digits and must have at most p-s
// integer digits (22003).
func applyTypmod(t types.T, v types.Datum) (types.Datum, error) {
	if t.Mod < 4 || v.Null {
		return v, nil
	}
	switch t.ID {
	case types.Varchar:
		n := int(t.Mod - 4)
		if utf8.RuneCountInString(v.S) > n {
			// PostgreSQL lets trailing spaces beyond n be cut silently.
			trimmed := strings.TrimRight(v.S, " ")
			if utf8.RuneCountInString(trimmed) > n {
				return v, pgerror.New(pgerror.CodeStringDataRightTruncation, "value too long for type character varying(%d)", n)
			}
			r := []rune(v.S)
			v.S = string(r[:n])
		}
	case types.Numeric:
		p, s := t.NumericPrecScale()
		if v.D.Form != apd.Finite {
			if v.D.Form == apd.NaN {
				return v, nil
			}
			return v, pgerror.New(pgerror.CodeNumericValueOutOfRange, "numeric field overflow").
				WithDetail("A field with precision %d, scale %d cannot hold an infinite value.", p, s)
		}
		out := new(apd.Decimal)
		ctx := apd.BaseContext.WithPrecision(1000)
		ctx.Rounding = apd.RoundHalfUp
		if _, err := ctx.Quantize(out, v.D, -s); err != nil {
			return v, pgerror.New(pgerror.CodeNumericValueOutOfRange, "numeric field overflow")
		}
		if !out.IsZero() && int64(out.NumDigits())+int64(out.Exponent) > int64(p-s) {
			return v, pgerror.New(pgerror.CodeNumericValueOutOfRange, "numeric field overflow").
				WithDetail("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", p, s, p-s)
		}
		if out.IsZero() {
			out.Negative = false
		}
		v.D = out
	}
	return v, nil
}
