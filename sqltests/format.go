package sqltests

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Result values reach the runner in the format the client chose: text in
// the simple protocol, binary for the types pgx knows in the extended one.
// formatValue turns either into PostgreSQL's text output form under the
// default output settings (DateStyle ISO, IntervalStyle postgres,
// bytea_output hex, extra_float_digits 1), so both passes compare against
// the same expected results and the binary encoders are checked too.

// Type OIDs the binary formatter understands.
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidRegProc     = 24
	oidText        = 25
	oidOid         = 26
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidUnknown     = 705
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestampTZ = 1184
	oidInterval    = 1186
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// formatOptions carries the session state binary values are formatted with.
type formatOptions struct {
	// loc is the session TimeZone, for timestamptz.
	loc *time.Location
}

// formatValue returns the text form of one result value. A nil raw is SQL
// NULL.
func formatValue(raw []byte, oid uint32, binaryFormat bool, opts formatOptions) (string, error) {
	if raw == nil {
		return "NULL", nil
	}
	if !binaryFormat {
		return string(raw), nil
	}
	return formatBinary(raw, oid, opts)
}

// displayValue applies the result-file conventions to a text value.
func displayValue(s string, isNull bool) string {
	switch {
	case isNull:
		return "NULL"
	case s == "":
		return "(empty)"
	}
	return strings.ReplaceAll(s, "\n", `\n`)
}

func formatBinary(b []byte, oid uint32, opts formatOptions) (string, error) {
	need := func(n int) error {
		if len(b) != n {
			return fmt.Errorf("binary value of type %d has %d bytes, want %d", oid, len(b), n)
		}
		return nil
	}
	switch oid {
	case oidBool:
		if err := need(1); err != nil {
			return "", err
		}
		if b[0] != 0 {
			return "t", nil
		}
		return "f", nil
	case oidInt2:
		if err := need(2); err != nil {
			return "", err
		}
		return strconv.Itoa(int(int16(binary.BigEndian.Uint16(b)))), nil
	case oidInt4:
		if err := need(4); err != nil {
			return "", err
		}
		return strconv.Itoa(int(int32(binary.BigEndian.Uint32(b)))), nil
	case oidInt8:
		if err := need(8); err != nil {
			return "", err
		}
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(b)), 10), nil
	case oidOid, oidRegProc:
		if oid == oidRegProc {
			break // its text form is a name; binary cannot be shown faithfully
		}
		if err := need(4); err != nil {
			return "", err
		}
		return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b)), 10), nil
	case oidFloat4:
		if err := need(4); err != nil {
			return "", err
		}
		return formatFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 32), nil
	case oidFloat8:
		if err := need(8); err != nil {
			return "", err
		}
		return formatFloat(math.Float64frombits(binary.BigEndian.Uint64(b)), 64), nil
	case oidChar:
		// "char" sends its one byte; the empty value is a NUL byte, which
		// charout prints as the empty string.
		if len(b) == 1 && b[0] == 0 {
			return "", nil
		}
		return string(b), nil
	case oidText, oidVarchar, oidName, oidBPChar, oidUnknown, oidJSON:
		return string(b), nil
	case oidJSONB:
		if len(b) == 0 || b[0] != 1 {
			return "", fmt.Errorf("jsonb binary value without version 1")
		}
		return string(b[1:]), nil
	case oidBytea:
		return `\x` + hex.EncodeToString(b), nil
	case oidNumeric:
		return formatNumeric(b)
	case oidDate:
		if err := need(4); err != nil {
			return "", err
		}
		return formatDate(int32(binary.BigEndian.Uint32(b))), nil
	case oidTime:
		if err := need(8); err != nil {
			return "", err
		}
		return formatClock(int64(binary.BigEndian.Uint64(b))), nil
	case oidTimestamp, oidTimestampTZ:
		if err := need(8); err != nil {
			return "", err
		}
		us := int64(binary.BigEndian.Uint64(b))
		if oid == oidTimestamp {
			return formatTimestamp(us, nil), nil
		}
		loc := opts.loc
		if loc == nil {
			loc = time.UTC
		}
		return formatTimestamp(us, loc), nil
	case oidInterval:
		if err := need(16); err != nil {
			return "", err
		}
		return formatInterval(int64(binary.BigEndian.Uint64(b)),
			int32(binary.BigEndian.Uint32(b[8:])), int32(binary.BigEndian.Uint32(b[12:]))), nil
	case oidUUID:
		if err := need(16); err != nil {
			return "", err
		}
		h := hex.EncodeToString(b)
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
	}
	if elem, ok := arrayElem[oid]; ok {
		return formatArray(b, elem, opts)
	}
	return "", fmt.Errorf("no binary formatter for type OID %d", oid)
}

// arrayElem maps the array types the formatter knows to their element type.
var arrayElem = map[uint32]uint32{
	1000: oidBool, 1001: oidBytea, 1002: oidChar, 1003: oidName, 1005: oidInt2,
	1007: oidInt4, 1009: oidText, 1014: oidBPChar, 1015: oidVarchar, 1016: oidInt8,
	1021: oidFloat4, 1022: oidFloat8, 1028: oidOid, 1115: oidTimestamp,
	1182: oidDate, 1185: oidTimestampTZ, 1187: oidInterval, 1231: oidNumeric,
	199: oidJSON, 3807: oidJSONB, 2951: oidUUID,
}

// formatFloat follows float4out/float8out with extra_float_digits = 1: the
// shortest representation that reads back exactly, in exponent form when
// the decimal exponent is below -4 or at least the type's digit count
// (FLT_DIG 6, DBL_DIG 15).
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		return e
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// formatNumeric decodes numeric's binary form (base-10000 digits, weight,
// sign, display scale) into numeric_out's text.
func formatNumeric(b []byte) (string, error) {
	if len(b) < 8 {
		return "", fmt.Errorf("numeric binary value too short")
	}
	ndigits := int(int16(binary.BigEndian.Uint16(b)))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(int16(binary.BigEndian.Uint16(b[6:])))
	if len(b) != 8+2*ndigits {
		return "", fmt.Errorf("numeric binary value has %d bytes for %d digits", len(b), ndigits)
	}
	switch sign {
	case 0xC000:
		return "NaN", nil
	case 0xD000:
		return "Infinity", nil
	case 0xF000:
		return "-Infinity", nil
	}
	digit := func(p int) int {
		if p < 0 || p >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(b[8+2*p:]))
	}
	var sb strings.Builder
	if sign == 0x4000 {
		sb.WriteByte('-')
	}
	if weight < 0 {
		sb.WriteByte('0')
	}
	for p := 0; p <= weight; p++ {
		if p == 0 {
			sb.WriteString(strconv.Itoa(digit(p)))
		} else {
			fmt.Fprintf(&sb, "%04d", digit(p))
		}
	}
	if dscale > 0 {
		var frac strings.Builder
		for k := 1; frac.Len() < dscale; k++ {
			fmt.Fprintf(&frac, "%04d", digit(weight+k))
		}
		sb.WriteByte('.')
		sb.WriteString(frac.String()[:dscale])
	}
	return sb.String(), nil
}

const (
	pgEpochUnix    = 946684800 // 2000-01-01 in Unix seconds
	usPerSecond    = 1_000_000
	usPerDay       = 86_400 * usPerSecond
	pgDateInfinity = math.MaxInt32
)

// formatDate formats days since 2000-01-01 as date_out does with DateStyle
// ISO.
func formatDate(days int32) string {
	switch days {
	case pgDateInfinity:
		return "infinity"
	case math.MinInt32:
		return "-infinity"
	}
	t := time.Unix(pgEpochUnix+int64(days)*86400, 0).UTC()
	return isoDate(t)
}

// isoDate prints the date part, with PostgreSQL's BC convention (year 0 of
// the proleptic calendar is 1 BC) applied by the caller's suffix.
func isoDate(t time.Time) string {
	y := t.Year()
	if y <= 0 {
		return fmt.Sprintf("%04d-%02d-%02d BC", 1-y, t.Month(), t.Day())
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, t.Month(), t.Day())
}

// formatClock prints microseconds since midnight as HH:MM:SS[.ffffff].
func formatClock(us int64) string {
	s := fmt.Sprintf("%02d:%02d:%02d", us/(3600*usPerSecond), us/(60*usPerSecond)%60, us/usPerSecond%60)
	return s + fraction(us%usPerSecond)
}

// fraction prints microseconds as a fraction with trailing zeros removed.
func fraction(us int64) string {
	if us == 0 {
		return ""
	}
	return strings.TrimRight(fmt.Sprintf(".%06d", us), "0")
}

// formatTimestamp formats microseconds since 2000-01-01 as timestamp_out
// (loc nil) or timestamptz_out in loc (DateStyle ISO).
func formatTimestamp(us int64, loc *time.Location) string {
	switch us {
	case math.MaxInt64:
		return "infinity"
	case math.MinInt64:
		return "-infinity"
	}
	secs := us / usPerSecond
	frac := us % usPerSecond
	if frac < 0 {
		frac += usPerSecond
		secs--
	}
	t := time.Unix(pgEpochUnix+secs, 0).UTC()
	zone := ""
	if loc != nil {
		t = t.In(loc)
		_, off := t.Zone()
		zone = formatOffset(off)
	}
	date := isoDate(t)
	bc := strings.HasSuffix(date, " BC")
	date = strings.TrimSuffix(date, " BC")
	s := fmt.Sprintf("%s %02d:%02d:%02d%s%s", date, t.Hour(), t.Minute(), t.Second(), fraction(frac), zone)
	if bc {
		s += " BC"
	}
	return s
}

// formatOffset prints a UTC offset as PostgreSQL does: +00, -05, +05:30.
func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	s := fmt.Sprintf("%c%02d", sign, off/3600)
	if m := off % 3600 / 60; m != 0 || off%60 != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	if sec := off % 60; sec != 0 {
		s += fmt.Sprintf(":%02d", sec)
	}
	return s
}

// formatInterval follows interval_out with IntervalStyle postgres:
// "1 year 2 mons 3 days 04:05:06.5", "-1 days +02:00:00", "00:00:00".
func formatInterval(us int64, days, months int32) string {
	var sb strings.Builder
	isZero, isBefore := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !isZero {
			sb.WriteByte(' ')
		}
		if isBefore && v > 0 {
			sb.WriteByte('+')
		}
		fmt.Fprintf(&sb, "%d %s", v, unit)
		if v != 1 {
			sb.WriteByte('s')
		}
		isBefore = v < 0
		isZero = false
	}
	part(int64(months/12), "year")
	part(int64(months%12), "mon")
	part(int64(days), "day")
	hour := us / (3600 * usPerSecond)
	rest := us % (3600 * usPerSecond)
	min := rest / (60 * usPerSecond)
	rest %= 60 * usPerSecond
	sec := rest / usPerSecond
	fsec := rest % usPerSecond
	if isZero || us != 0 {
		if !isZero {
			sb.WriteByte(' ')
		}
		switch {
		case us < 0:
			sb.WriteByte('-')
		case isBefore:
			sb.WriteByte('+')
		}
		fmt.Fprintf(&sb, "%02d:%02d:%02d%s", abs(hour), abs(min), abs(sec), fraction(abs(fsec)))
	}
	return sb.String()
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// formatArray decodes an array's binary form and prints array_out's text:
// {a,"b c",NULL}, nested braces per dimension, and a [lo:hi]= prefix when a
// lower bound is not 1.
func formatArray(b []byte, elem uint32, opts formatOptions) (string, error) {
	if len(b) < 12 {
		return "", fmt.Errorf("array binary value too short")
	}
	ndim := int(int32(binary.BigEndian.Uint32(b)))
	b = b[12:] // ndim, has-null flag, element type
	if ndim == 0 {
		return "{}", nil
	}
	if len(b) < 8*ndim {
		return "", fmt.Errorf("array binary value too short for %d dimensions", ndim)
	}
	dims := make([]int, ndim)
	lbounds := make([]int, ndim)
	anyBound := false
	for d := range ndim {
		dims[d] = int(int32(binary.BigEndian.Uint32(b[8*d:])))
		lbounds[d] = int(int32(binary.BigEndian.Uint32(b[8*d+4:])))
		anyBound = anyBound || lbounds[d] != 1
	}
	prefix := ""
	if anyBound {
		for d := range ndim {
			prefix += fmt.Sprintf("[%d:%d]", lbounds[d], lbounds[d]+dims[d]-1)
		}
		prefix += "="
	}
	b = b[8*ndim:]
	var sb strings.Builder
	var walk func(d int) error
	walk = func(d int) error {
		sb.WriteByte('{')
		for i := range dims[d] {
			if i > 0 {
				sb.WriteByte(',')
			}
			if d+1 < ndim {
				if err := walk(d + 1); err != nil {
					return err
				}
				continue
			}
			if len(b) < 4 {
				return fmt.Errorf("array binary value truncated")
			}
			n := int(int32(binary.BigEndian.Uint32(b)))
			b = b[4:]
			if n < 0 {
				sb.WriteString("NULL")
				continue
			}
			if len(b) < n {
				return fmt.Errorf("array binary value truncated")
			}
			s, err := formatBinary(b[:n], elem, opts)
			if err != nil {
				return err
			}
			b = b[n:]
			sb.WriteString(quoteArrayElem(s))
		}
		sb.WriteByte('}')
		return nil
	}
	if err := walk(0); err != nil {
		return "", err
	}
	return prefix + sb.String(), nil
}

// quoteArrayElem quotes an element as array_out does: when it is empty,
// spells NULL, or holds a delimiter, brace, quote, backslash or space.
func quoteArrayElem(s string) string {
	need := s == "" || strings.EqualFold(s, "NULL")
	for i := 0; i < len(s) && !need; i++ {
		switch s[i] {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			need = true
		}
	}
	if !need {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
