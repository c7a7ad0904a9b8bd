package types

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
)

// Text codec: PostgreSQL's text input and output functions for every type,
// with the session settings weir supports fixed to PostgreSQL's defaults:
// DateStyle ISO, MDY; IntervalStyle postgres; extra_float_digits 1 (shortest
// exact float output, as PostgreSQL 12 and later); bytea_output hex;
// standard_conforming_strings on.

// ParseText parses s, the text form of a value of type t, as PostgreSQL's
// input function for the type does. loc is the session time zone, used for
// timestamptz input without an explicit zone (nil means UTC). Errors are
// *pgerror.Error: 22P02 for bad syntax, 22003 for numbers out of range,
// 22007/22008 for bad dates and times. Length limits of varchar(n) and the
// precision of numeric(p,s) are not enforced here: they belong to casts.
func ParseText(t T, s string, loc *time.Location) (Datum, error) {
	switch t.ID {
	case Bool:
		return parseBool(s)
	case Int2:
		return parseInt(s, 16, "smallint")
	case Int4:
		return parseInt(s, 32, "integer")
	case Int8:
		return parseInt(s, 64, "bigint")
	case Oid, RegClass, RegProc, RegNamespace:
		return parseOid(t, s)
	case RegType:
		return parseRegType(s)
	case Float4:
		return parseFloat(s, 32, "real")
	case Float8:
		return parseFloat(s, 64, "double precision")
	case Numeric:
		d, err := ParseNumeric(s)
		if err != nil {
			return Datum{}, err
		}
		return DDecimal(d), nil
	case Text, Varchar, Unknown:
		return DString(s), nil
	case Name:
		if len(s) > 63 {
			s = truncateUTF8(s, 63)
		}
		return DString(s), nil
	case Char:
		if len(s) > 1 {
			s = s[:1]
		}
		return DString(s), nil
	case Bytea:
		return parseBytea(s)
	case JSONB:
		j, err := NormalizeJSON(s)
		if err != nil {
			return Datum{}, err
		}
		return DString(j), nil
	case Date:
		d, err := ParseDate(s)
		if err != nil {
			return Datum{}, err
		}
		return DInt(d), nil
	case Timestamp:
		ts, err := ParseTimestamp(s, false, loc)
		if err != nil {
			return Datum{}, err
		}
		return DInt(ts), nil
	case TimestampTZ:
		ts, err := ParseTimestamp(s, true, loc)
		if err != nil {
			return Datum{}, err
		}
		return DInt(ts), nil
	case Interval:
		v, err := ParseInterval(s)
		if err != nil {
			return Datum{}, err
		}
		return DInterval(v), nil
	case TextArray:
		return parseTextArray(s)
	case Int2Vector, OidVector:
		return parseIntVector(t, s)
	case Int2Array, Int4Array, Int8Array, OidArray, CharArray, NameArray:
		return parseArray(t, s, loc)
	}
	return Datum{}, pgerror.NotSupported("text input for type %s is not supported", t)
}

// AppendText appends the text output form of d (a non-NULL value of type t)
// to buf. loc is the session time zone for timestamptz output (nil: UTC).
func AppendText(buf []byte, t T, d Datum, loc *time.Location) []byte {
	switch t.ID {
	case Bool:
		if d.I != 0 {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case Int2, Int4, Int8, Oid, RegClass, RegNamespace:
		return strconv.AppendInt(buf, d.I, 10)
	case RegProc:
		if d.I == 0 {
			return append(buf, '-')
		}
		return strconv.AppendInt(buf, d.I, 10)
	case RegType:
		if rt, ok := ByOID(uint32(d.I)); ok && d.I != 0 {
			return append(buf, rt.String()...)
		}
		if d.I == 0 {
			return append(buf, '-')
		}
		return strconv.AppendInt(buf, d.I, 10)
	case Float4:
		return AppendFloat(buf, d.F, 32)
	case Float8:
		return AppendFloat(buf, d.F, 64)
	case Numeric:
		return AppendNumeric(buf, d.D)
	case Bytea:
		buf = append(buf, '\\', 'x')
		return hex.AppendEncode(buf, []byte(d.S))
	case Date:
		return AppendDate(buf, d.I)
	case Timestamp:
		return AppendTimestamp(buf, d.I, false, loc)
	case TimestampTZ:
		return AppendTimestamp(buf, d.I, true, loc)
	case Interval:
		return AppendInterval(buf, d.V)
	case TextArray:
		return appendTextArray(buf, d.S)
	case Int2Array, Int4Array, Int8Array, OidArray, CharArray, NameArray:
		return appendArray(buf, t, d.S, loc)
	}
	return append(buf, d.S...)
}

// AppendText appends the text output form of row i (which must not be NULL).
func (v *Vec) AppendText(buf []byte, i int, loc *time.Location) []byte {
	// The common types read the vector directly rather than through a
	// Datum; the output is AppendText's.
	switch v.T.ID {
	case Int2, Int4, Int8, Oid:
		return strconv.AppendInt(buf, v.I[i], 10)
	case Text, Varchar, Name, JSONB, Char, Unknown:
		return append(buf, v.S[i]...)
	case Float8:
		return AppendFloat(buf, v.F[i], 64)
	case Numeric:
		return AppendNumeric(buf, v.D[i])
	case Timestamp:
		return AppendTimestamp(buf, v.I[i], false, loc)
	case TimestampTZ:
		return AppendTimestamp(buf, v.I[i], true, loc)
	case Date:
		return AppendDate(buf, v.I[i])
	}
	return AppendText(buf, v.T, v.Datum(i), loc)
}

// FormatText returns the text output form of d, or "NULL" for NULL; a
// convenience for tests, EXPLAIN and error messages.
func FormatText(t T, d Datum, loc *time.Location) string {
	if d.Null {
		return "NULL"
	}
	return string(AppendText(nil, t, d, loc))
}

func invalidSyntax(typ, s string) *pgerror.Error {
	return pgerror.New(pgerror.CodeInvalidTextRepresentation, "invalid input syntax for type %s: %q", typ, s)
}

func outOfRange(typ, s string) *pgerror.Error {
	return pgerror.New(pgerror.CodeNumericValueOutOfRange, "value %q is out of range for type %s", s, typ)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func parseBool(s string) (Datum, error) {
	v := strings.ToLower(trimSpace(s))
	if v != "" {
		switch {
		case strings.HasPrefix("true", v), strings.HasPrefix("yes", v), v == "on", v == "1":
			return DBool(true), nil
		case strings.HasPrefix("false", v), strings.HasPrefix("no", v), len(v) >= 2 && strings.HasPrefix("off", v), v == "0":
			return DBool(false), nil
		}
	}
	return Datum{}, invalidSyntax("boolean", s)
}

// parseInt accepts optional surrounding white space, a sign and decimal
// digits, as PostgreSQL 15's int input does.
func parseInt(s string, bitSize int, typ string) (Datum, error) {
	v := trimSpace(s)
	if v == "" {
		return Datum{}, invalidSyntax(typ, s)
	}
	digits := v
	if digits[0] == '+' || digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return Datum{}, invalidSyntax(typ, s)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Datum{}, invalidSyntax(typ, s)
		}
	}
	if v[0] == '+' {
		v = v[1:]
	}
	i, err := strconv.ParseInt(v, 10, bitSize)
	if err != nil {
		return Datum{}, outOfRange(typ, s)
	}
	return DInt(i), nil
}

func parseOid(t T, s string) (Datum, error) {
	v := trimSpace(s)
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil || v == "" {
		if t.ID == RegClass || t.ID == RegProc {
			return Datum{}, pgerror.New(pgerror.CodeInvalidTextRepresentation,
				"invalid input syntax for type %s: %q (names need the catalog; cast text to %s instead)", t, s, t)
		}
		return Datum{}, invalidSyntax(t.String(), s)
	}
	if i < math.MinInt32 || i > math.MaxUint32 {
		return Datum{}, outOfRange(t.String(), s)
	}
	if i < 0 {
		i += 1 << 32
	}
	return DInt(i), nil
}

// parseRegType accepts an OID or a type name as format_type or pg_type
// spell it ("integer", "int4", "pg_catalog.int4", "character varying").
func parseRegType(s string) (Datum, error) {
	v := trimSpace(s)
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return DInt(i), nil
	}
	if t, ok := TypeByName(v); ok {
		return DInt(int64(t.OID())), nil
	}
	return Datum{}, pgerror.New(pgerror.CodeUndefinedObject, "type %q does not exist", v)
}

// TypeByName finds a type by its pg_type name, its format_type name or a
// common alias, optionally qualified with pg_catalog.
func TypeByName(name string) (T, bool) {
	n := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "pg_catalog."))
	n = strings.Trim(n, `"`)
	switch n {
	case "int", "integer":
		return TInt4, true
	case "float", "double precision":
		return TFloat8, true
	case "decimal":
		return TNumeric, true
	case "character varying":
		return TVarchar, true
	case "timestamp without time zone":
		return TTimestamp, true
	case "timestamp with time zone":
		return TTimestampTZ, true
	case "boolean":
		return TBool, true
	case "json":
		return TJSONB, true
	}
	for id := ID(1); id < numIDs; id++ {
		if infos[id].typname == n || infos[id].name == n {
			return T{id, -1}, true
		}
	}
	return T{}, false
}

func parseFloat(s string, bitSize int, typ string) (Datum, error) {
	v := trimSpace(s)
	switch strings.ToLower(v) {
	case "nan":
		return DFloat(math.NaN()), nil
	case "infinity", "+infinity", "inf", "+inf":
		return DFloat(math.Inf(1)), nil
	case "-infinity", "-inf":
		return DFloat(math.Inf(-1)), nil
	}
	if v == "" || strings.ContainsAny(v, "xXpP_") || strings.ContainsAny(strings.ToLower(v), "in") {
		return Datum{}, invalidSyntax(typ, s)
	}
	f, err := strconv.ParseFloat(v, bitSize)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return Datum{}, pgerror.New(pgerror.CodeNumericValueOutOfRange, "%q is out of range for type %s", v, typ)
		}
		return Datum{}, invalidSyntax(typ, s)
	}
	return DFloat(f), nil
}

// ParseNumeric parses numeric text input: decimal digits with an optional
// sign, point and exponent, or NaN / Infinity / -Infinity, with optional
// surrounding white space.
func ParseNumeric(s string) (*apd.Decimal, error) {
	v := trimSpace(s)
	switch strings.ToLower(v) {
	case "nan":
		return &apd.Decimal{Form: apd.NaN}, nil
	case "infinity", "+infinity", "inf", "+inf":
		return &apd.Decimal{Form: apd.Infinite}, nil
	case "-infinity", "-inf":
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	}
	if v == "" {
		return nil, invalidSyntax("numeric", s)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return nil, invalidSyntax("numeric", s)
		}
	}
	d, _, err := apd.NewFromString(v)
	if err != nil || d.Form != apd.Finite {
		return nil, invalidSyntax("numeric", s)
	}
	if d.IsZero() {
		d.Negative = false
	}
	return d, nil
}

// AppendFloat appends a float in PostgreSQL's shortest-exact output form
// (extra_float_digits = 1): exponent notation when the decimal exponent is
// below -4 or at least 15 (6 for real), "NaN", "Infinity", "-Infinity".
func AppendFloat(buf []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	var tmp [32]byte // the shortest 'e' form fits; no allocation per value
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bitSize)
	i := strings.LastIndexByte(string(e), 'e')
	exp, _ := strconv.Atoi(string(e[i+1:]))
	limit := 15
	if bitSize == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		return append(buf, e...)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, bitSize)
}

// AppendNumeric appends a numeric as PostgreSQL prints it: plain notation
// with the value's scale kept (1.50 stays 1.50), NaN, Infinity, -Infinity.
func AppendNumeric(buf []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, "NaN"...)
	case apd.Infinite:
		if d.Negative {
			return append(buf, "-Infinity"...)
		}
		return append(buf, "Infinity"...)
	}
	if d.Negative && !d.IsZero() {
		buf = append(buf, '-')
	}
	// The coefficient's digits; those that fit a uint64 (every numeric of
	// up to 19 digits) are formatted without allocating.
	var tmp [20]byte
	var digits []byte
	if d.Coeff.IsUint64() {
		digits = strconv.AppendUint(tmp[:0], d.Coeff.Uint64(), 10)
	} else {
		digits = []byte(d.Coeff.String())
	}
	if d.Exponent >= 0 {
		buf = append(buf, digits...)
		if string(digits) != "0" {
			for range d.Exponent {
				buf = append(buf, '0')
			}
		}
		return buf
	}
	scale := int(-d.Exponent)
	if len(digits) <= scale {
		buf = append(buf, '0', '.')
		for range scale - len(digits) {
			buf = append(buf, '0')
		}
		return append(buf, digits...)
	}
	buf = append(buf, digits[:len(digits)-scale]...)
	buf = append(buf, '.')
	return append(buf, digits[len(digits)-scale:]...)
}

func parseBytea(s string) (Datum, error) {
	if len(s) >= 2 && s[0] == '\\' && (s[1] == 'x' || s[1] == 'X') {
		h := s[2:]
		out := make([]byte, 0, len(h)/2)
		for i := 0; i < len(h); {
			if isSpace(h[i]) {
				i++
				continue
			}
			if i+1 >= len(h) {
				return Datum{}, pgerror.New(pgerror.CodeInvalidTextRepresentation, "invalid hexadecimal data: odd number of digits")
			}
			b, err := hex.DecodeString(h[i : i+2])
			if err != nil {
				return Datum{}, pgerror.New(pgerror.CodeInvalidTextRepresentation, "invalid hexadecimal digit: %q", h[i:i+2])
			}
			out = append(out, b[0])
			i += 2
		}
		return DString(string(out)), nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			out = append(out, s[i])
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i += 2
			continue
		}
		if i+3 < len(s)+0 && isOct(s[i+1]) && isOct(s[i+2]) && isOct(s[i+3]) && s[i+1] <= '3' {
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 4
			continue
		}
		return Datum{}, invalidSyntax("bytea", s)
	}
	return DString(string(out)), nil
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }

func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// parseTextArray parses a one-dimensional array literal such as
// {a,"b c",NULL}.
func parseTextArray(s string) (Datum, error) {
	bad := func(detail string) (Datum, error) {
		return Datum{}, pgerror.New(pgerror.CodeInvalidTextRepresentation, "malformed array literal: %q", s).WithDetail("%s", detail)
	}
	v := trimSpace(s)
	if len(v) < 2 || v[0] != '{' || v[len(v)-1] != '}' {
		return bad(`Array value must start with "{" or dimension information.`)
	}
	body := v[1 : len(v)-1]
	var elems []string
	var nulls []bool
	anyNull := false
	if trimSpace(body) == "" {
		return DString(""), nil
	}
	i := 0
	for {
		for i < len(body) && isSpace(body[i]) {
			i++
		}
		var elem []byte
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for {
				if i >= len(body) {
					return bad("Unexpected end of input.")
				}
				c := body[i]
				if c == '\\' && i+1 < len(body) {
					elem = append(elem, body[i+1])
					i += 2
					continue
				}
				if c == '"' {
					i++
					break
				}
				elem = append(elem, c)
				i++
			}
			for i < len(body) && isSpace(body[i]) {
				i++
			}
		} else {
			for i < len(body) && body[i] != ',' {
				c := body[i]
				if c == '{' || c == '}' || c == '"' {
					return bad("Unexpected array element.")
				}
				if c == '\\' && i+1 < len(body) {
					elem = append(elem, body[i+1])
					i += 2
					continue
				}
				elem = append(elem, c)
				i++
			}
			elem = []byte(trimSpace(string(elem)))
			if len(elem) == 0 {
				return bad("Unexpected \",\" character.")
			}
		}
		isNull := !quoted && strings.EqualFold(string(elem), "NULL")
		anyNull = anyNull || isNull
		elems = append(elems, string(elem))
		nulls = append(nulls, isNull)
		if i >= len(body) {
			break
		}
		if body[i] != ',' {
			return bad("Unexpected array element.")
		}
		i++
	}
	if !anyNull {
		nulls = nil
	}
	return DString(EncodeTextArray(elems, nulls)), nil
}

func appendTextArray(buf []byte, s string) []byte {
	elems, nulls, err := DecodeTextArray(s)
	if err != nil {
		return append(buf, "{?}"...)
	}
	buf = append(buf, '{')
	for i, e := range elems {
		if i > 0 {
			buf = append(buf, ',')
		}
		if nulls != nil && nulls[i] {
			buf = append(buf, "NULL"...)
			continue
		}
		buf = AppendArrayElem(buf, e)
	}
	return append(buf, '}')
}

// AppendArrayElem appends one array element in array-literal form, quoted
// when PostgreSQL would quote it.
func AppendArrayElem(buf []byte, e string) []byte {
	needQuote := e == "" || strings.EqualFold(e, "NULL")
	for i := 0; i < len(e) && !needQuote; i++ {
		switch c := e[i]; c {
		case '{', '}', ',', '"', '\\':
			needQuote = true
		default:
			needQuote = isSpace(c)
		}
	}
	if !needQuote {
		return append(buf, e...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(e); i++ {
		if e[i] == '"' || e[i] == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, e[i])
	}
	return append(buf, '"')
}

func parseIntVector(t T, s string) (Datum, error) {
	fields := strings.Fields(s)
	for _, f := range fields {
		if _, err := strconv.ParseInt(f, 10, 64); err != nil {
			return Datum{}, invalidSyntax(t.String(), s)
		}
	}
	return DString(strings.Join(fields, " ")), nil
}
