package server

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/pgerror"
)

// copyFormat describes how COPY ... FROM STDIN data is laid out. The zero
// value is not valid; use newCopyFormat.
type copyFormat struct {
	csv       bool
	delimiter byte
	null      string
	quote     byte
	escape    byte
	header    bool
}

// newCopyFormat returns PostgreSQL's defaults for the format: text uses tab
// and \N; csv uses comma, an empty unquoted string for NULL, and '"'.
func newCopyFormat(format, delimiter, null, quote, escape string, header bool) (copyFormat, error) {
	f := copyFormat{header: header}
	switch strings.ToLower(format) {
	case "", "text":
		f.delimiter, f.null = '\t', `\N`
	case "csv":
		f.csv, f.delimiter, f.null, f.quote, f.escape = true, ',', "", '"', '"'
	case "binary":
		return f, pgerror.NotSupported("COPY binary format is not supported")
	default:
		return f, pgerror.New(pgerror.CodeInvalidParameterValue, "COPY format %q not recognized", format)
	}
	single := func(opt, v string) (byte, error) {
		if len(v) != 1 {
			return 0, pgerror.New(pgerror.CodeFeatureNotSupported, "COPY %s must be a single one-byte character", opt)
		}
		return v[0], nil
	}
	var err error
	if delimiter != "" {
		if f.delimiter, err = single("delimiter", delimiter); err != nil {
			return f, err
		}
	}
	if null != "" || (f.csv && null == "") {
		if null != "" {
			f.null = null
		}
	}
	if quote != "" {
		if !f.csv {
			return f, pgerror.NotSupported("COPY quote available only in CSV mode")
		}
		if f.quote, err = single("quote", quote); err != nil {
			return f, err
		}
	}
	if escape != "" {
		if !f.csv {
			return f, pgerror.NotSupported("COPY escape available only in CSV mode")
		}
		if f.escape, err = single("escape", escape); err != nil {
			return f, err
		}
	}
	return f, nil
}

// copyDecoder turns the byte stream of CopyData messages into rows of
// fields. Messages may split lines anywhere, so it buffers the incomplete
// tail. A nil field is NULL.
type copyDecoder struct {
	f       copyFormat
	buf     []byte
	line    int // 1-based line number of the next line, for errors
	skipHdr bool
	done    bool // saw the text-format end marker `\.`
}

func newCopyDecoder(f copyFormat) *copyDecoder {
	return &copyDecoder{f: f, line: 1, skipHdr: f.header}
}

// write adds data and calls fn for each complete row.
func (d *copyDecoder) write(data []byte, fn func(fields []*string, line int) error) error {
	d.buf = append(d.buf, data...)
	for !d.done {
		end, ok := d.rowEnd()
		if !ok {
			break
		}
		row := d.buf[:end]
		d.buf = d.buf[min(end+1, len(d.buf)):]
		if err := d.emit(row, fn); err != nil {
			return err
		}
	}
	return nil
}

// finish flushes a final row that lacks a trailing newline.
func (d *copyDecoder) finish(fn func(fields []*string, line int) error) error {
	if d.done || len(d.buf) == 0 {
		return nil
	}
	row := d.buf
	d.buf = nil
	if d.f.csv {
		if q := d.openQuote(row); q {
			return copyErr(d.line, "unterminated CSV quoted field")
		}
	}
	return d.emit(row, fn)
}

// rowEnd finds the newline that ends the next row: in CSV a newline inside
// quotes belongs to the field.
func (d *copyDecoder) rowEnd() (int, bool) {
	if !d.f.csv {
		i := bytes.IndexByte(d.buf, '\n')
		return i, i >= 0
	}
	inQuote := false
	for i := 0; i < len(d.buf); i++ {
		c := d.buf[i]
		switch {
		case inQuote && c == d.f.escape && d.f.escape != d.f.quote && i+1 < len(d.buf) && d.buf[i+1] == d.f.quote:
			i++
		case c == d.f.quote:
			inQuote = !inQuote
		case c == '\n' && !inQuote:
			return i, true
		}
	}
	return 0, false
}

func (d *copyDecoder) openQuote(row []byte) bool {
	in := false
	for _, c := range row {
		if c == d.f.quote {
			in = !in
		}
	}
	return in
}

func (d *copyDecoder) emit(row []byte, fn func(fields []*string, line int) error) error {
	line := d.line
	d.line += 1 + bytes.Count(row, []byte{'\n'})
	row = bytes.TrimSuffix(row, []byte{'\r'})
	if !d.f.csv && string(row) == `\.` {
		d.done = true
		return nil
	}
	if d.f.csv && string(row) == `\.` {
		d.done = true
		return nil
	}
	if d.skipHdr {
		d.skipHdr = false
		return nil
	}
	var fields []*string
	var err error
	if d.f.csv {
		fields, err = d.splitCSV(row)
	} else {
		fields, err = d.splitText(row)
	}
	if err != nil {
		return copyErr(line, "%s", err.Error())
	}
	return fn(fields, line)
}

// splitText splits a text-format row: fields separated by the delimiter,
// backslash escapes decoded, the null marker (matched before decoding) NULL.
func (d *copyDecoder) splitText(row []byte) ([]*string, error) {
	var fields []*string
	for _, raw := range bytes.Split(row, []byte{d.f.delimiter}) {
		if string(raw) == d.f.null {
			fields = append(fields, nil)
			continue
		}
		s, err := unescapeCopyText(raw)
		if err != nil {
			return nil, err
		}
		fields = append(fields, &s)
	}
	return fields, nil
}

func unescapeCopyText(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), nil
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 == len(raw) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := raw[i]; e {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case 'x':
			v, n := 0, 0
			for n < 2 && i+1 < len(raw) && isHex(raw[i+1]) {
				i++
				v = v*16 + hexVal(raw[i])
				n++
			}
			if n == 0 {
				b.WriteByte('x')
			} else {
				b.WriteByte(byte(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v, n := int(e-'0'), 1
			for n < 3 && i+1 < len(raw) && raw[i+1] >= '0' && raw[i+1] <= '7' {
				i++
				v = v*8 + int(raw[i]-'0')
				n++
			}
			b.WriteByte(byte(v))
		default:
			b.WriteByte(e)
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

// splitCSV splits a CSV row. An unquoted field equal to the null string is
// NULL; a quoted one never is (PostgreSQL's rule).
func (d *copyDecoder) splitCSV(row []byte) ([]*string, error) {
	var fields []*string
	i := 0
	for {
		var b strings.Builder
		quoted := false
		for i < len(row) && row[i] != d.f.delimiter {
			c := row[i]
			if c != d.f.quote {
				b.WriteByte(c)
				i++
				continue
			}
			quoted = true
			i++
			for {
				if i >= len(row) {
					return nil, fmt.Errorf("unterminated CSV quoted field")
				}
				c := row[i]
				if c == d.f.escape && i+1 < len(row) && row[i+1] == d.f.quote {
					b.WriteByte(d.f.quote)
					i += 2
					continue
				}
				if c == d.f.quote {
					i++
					break
				}
				b.WriteByte(c)
				i++
			}
		}
		s := b.String()
		if !quoted && s == d.f.null {
			fields = append(fields, nil)
		} else {
			fields = append(fields, &s)
		}
		if i >= len(row) {
			return fields, nil
		}
		i++ // delimiter
	}
}

func copyErr(line int, format string, args ...any) error {
	return pgerror.New(pgerror.CodeBadCopyFileFormat, format, args...).WithDetail("COPY line %d", line)
}
