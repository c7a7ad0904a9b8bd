package types

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/weirdb/weir/sql/pgerror"
)

// Dates are days since 1970-01-01 and timestamps microseconds since
// 1970-01-01 00:00:00 (UTC for timestamptz, zone-less for timestamp), in the
// proleptic Gregorian calendar. PostgreSQL's special values 'infinity' and
// '-infinity' are the extreme int32 (date) and int64 (timestamp) values.
const (
	DateInfinity         = math.MaxInt32
	DateNegInfinity      = math.MinInt32
	TimestampInfinity    = math.MaxInt64
	TimestampNegInfinity = math.MinInt64
)

// MicrosPerSecond and friends are unit sizes in microseconds.
const (
	MicrosPerSecond = 1000000
	MicrosPerMinute = 60 * MicrosPerSecond
	MicrosPerHour   = 60 * MicrosPerMinute
)

// Supported range, as PostgreSQL's: 4714-11-24 BC to 294276 AD for
// timestamps, 5874897 AD for dates.
const (
	minTimestampDays = -2440588 // 4714-11-24 BC (Julian day 0) from 1970-01-01
	maxTimestampDays = 106751991
	maxDateDays      = 2147483494 - 2440588
)

// DaysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date; year uses astronomical numbering (0 is 1 BC).
func DaysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mp := (int64(m) + 9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// CivilFromDays is the inverse of DaysFromCivil.
func CivilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

// DaysInMonth returns the number of days of a month.
func DaysInMonth(y, m int) int {
	switch m {
	case 4, 6, 9, 11:
		return 30
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}

// FloorDiv returns a/b rounded toward negative infinity and the
// non-negative remainder.
func FloorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

// TimestampFromTime converts a time.Time to timestamptz microseconds.
func TimestampFromTime(t time.Time) int64 { return t.UnixMicro() }

// TimeFromTimestamp converts timestamp microseconds to a time.Time in UTC
// (for a zone-less timestamp the result's wall clock is the value).
func TimeFromTimestamp(us int64) time.Time { return time.UnixMicro(us).UTC() }

// LocalMicros converts a timestamptz to the wall-clock microseconds of loc
// (a zone-less timestamp) and returns the zone offset in seconds used.
func LocalMicros(us int64, loc *time.Location) (int64, int) {
	if loc == nil || loc == time.UTC || us == TimestampInfinity || us == TimestampNegInfinity {
		return us, 0
	}
	secs, _ := FloorDiv(us, MicrosPerSecond)
	_, off := time.Unix(secs, 0).In(loc).Zone()
	return us + int64(off)*MicrosPerSecond, off
}

// UTCFromLocal converts wall-clock microseconds in loc to a timestamptz,
// resolving DST gaps and overlaps as Go's time.Date does.
func UTCFromLocal(local int64, loc *time.Location) int64 {
	if loc == nil || loc == time.UTC || local == TimestampInfinity || local == TimestampNegInfinity {
		return local
	}
	days, rem := FloorDiv(local, MicrosPerDay)
	y, m, d := CivilFromDays(days)
	secs := rem / MicrosPerSecond
	t := time.Date(y, time.Month(m), d, int(secs/3600), int(secs/60%60), int(secs%60), 0, loc)
	return t.Unix()*MicrosPerSecond + rem%MicrosPerSecond
}

type dtFields struct {
	year, month, day int
	bc               bool
	hasDate          bool
	hour, min, sec   int
	micros           int64
	hasTime          bool
	hasTZ            bool
	tzOff            int // seconds east of UTC
	loc              *time.Location
	special          string
}

func dtSyntax(typ, s string) *pgerror.Error {
	return pgerror.New(pgerror.CodeInvalidDatetimeFormat, "invalid input syntax for type %s: %q", typ, s)
}

func dtRange(s string) *pgerror.Error {
	return pgerror.New(pgerror.CodeDatetimeFieldOverflow, "date/time field value out of range: %q", s)
}

func digitsAt(s string, i int) (int, int) {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return i, j
}

// parseDateTime parses the ISO 8601 and PostgreSQL forms weir accepts:
// YYYY-MM-DD, MM/DD/YYYY (DateStyle MDY), YYYYMMDD; then optionally a time
// HH:MM[:SS[.ffffff]] after a space or T; then optionally a zone (Z, UTC,
// GMT, ±HH, ±HHMM, ±HH:MM[:SS], or an IANA name) and BC/AD.
func parseDateTime(s, typ string, wantTime bool) (dtFields, error) {
	var f dtFields
	v := strings.ToLower(trimSpace(s))
	switch v {
	case "infinity", "+infinity", "-infinity", "epoch", "now", "today", "tomorrow", "yesterday":
		f.special = strings.TrimPrefix(v, "+")
		return f, nil
	}
	i := 0
	a0, a1 := digitsAt(v, 0)
	if a1 == a0 {
		return f, dtSyntax(typ, s)
	}
	switch {
	case a1 < len(v) && v[a1] == '-':
		b0, b1 := digitsAt(v, a1+1)
		if b1 == b0 || b1 >= len(v) || v[b1] != '-' {
			return f, dtSyntax(typ, s)
		}
		c0, c1 := digitsAt(v, b1+1)
		if c1 == c0 {
			return f, dtSyntax(typ, s)
		}
		f.year, _ = strconv.Atoi(v[a0:a1])
		f.month, _ = strconv.Atoi(v[b0:b1])
		f.day, _ = strconv.Atoi(v[c0:c1])
		if a1-a0 <= 2 && c1-c0 == 4 { // DD-MM-YYYY is not MDY; PostgreSQL reads MM-DD-YYYY
			f.year, f.month, f.day = f.day, f.year, f.month
		}
		i = c1
	case a1 < len(v) && v[a1] == '/':
		b0, b1 := digitsAt(v, a1+1)
		if b1 == b0 || b1 >= len(v) || v[b1] != '/' {
			return f, dtSyntax(typ, s)
		}
		c0, c1 := digitsAt(v, b1+1)
		if c1 == c0 {
			return f, dtSyntax(typ, s)
		}
		if a1-a0 == 4 { // YYYY/MM/DD
			f.year, _ = strconv.Atoi(v[a0:a1])
			f.month, _ = strconv.Atoi(v[b0:b1])
			f.day, _ = strconv.Atoi(v[c0:c1])
		} else {
			f.month, _ = strconv.Atoi(v[a0:a1])
			f.day, _ = strconv.Atoi(v[b0:b1])
			f.year, _ = strconv.Atoi(v[c0:c1])
			if c1-c0 <= 2 {
				f.year += 2000
				if f.year >= 2070 {
					f.year -= 100
				}
			}
		}
		i = c1
	case a1-a0 == 8:
		f.year, _ = strconv.Atoi(v[0:4])
		f.month, _ = strconv.Atoi(v[4:6])
		f.day, _ = strconv.Atoi(v[6:8])
		i = a1
	default:
		return f, dtSyntax(typ, s)
	}
	f.hasDate = true
	// Time.
	j := i
	if j < len(v) && (v[j] == 't' || isSpace(v[j])) {
		j++
		for j < len(v) && isSpace(v[j]) {
			j++
		}
		h0, h1 := digitsAt(v, j)
		if h1 > h0 && h1 < len(v) && v[h1] == ':' {
			m0, m1 := digitsAt(v, h1+1)
			if m1 == m0 {
				return f, dtSyntax(typ, s)
			}
			f.hour, _ = strconv.Atoi(v[h0:h1])
			f.min, _ = strconv.Atoi(v[m0:m1])
			k := m1
			if k < len(v) && v[k] == ':' {
				s0, s1 := digitsAt(v, k+1)
				if s1 == s0 {
					return f, dtSyntax(typ, s)
				}
				f.sec, _ = strconv.Atoi(v[s0:s1])
				k = s1
				if k < len(v) && v[k] == '.' {
					fr0, fr1 := digitsAt(v, k+1)
					f.micros = parseFraction(v[fr0:fr1])
					k = fr1
				}
			}
			f.hasTime = true
			i = k
		} else if v[i] == 't' {
			return f, dtSyntax(typ, s)
		}
	}
	// Zone and era.
	rest := v[i:]
	for {
		rest = trimSpace(rest)
		if rest == "" {
			break
		}
		switch {
		case rest[0] == '+' || rest[0] == '-':
			off, n, ok := parseOffset(rest)
			if !ok {
				return f, dtSyntax(typ, s)
			}
			f.hasTZ, f.tzOff = true, off
			rest = rest[n:]
		case rest == "z" || strings.HasPrefix(rest, "z "):
			f.hasTZ, f.tzOff = true, 0
			rest = rest[1:]
		case rest == "bc" || strings.HasPrefix(rest, "bc "):
			f.bc = true
			rest = rest[2:]
		case rest == "ad" || strings.HasPrefix(rest, "ad "):
			rest = rest[2:]
		default:
			word := rest
			if k := strings.IndexAny(word, " \t"); k >= 0 {
				word = word[:k]
			}
			rest = rest[len(word):]
			switch word {
			case "utc", "gmt", "zulu", "ut":
				f.hasTZ, f.tzOff = true, 0
				continue
			}
			orig := trimSpace(s)
			k := strings.Index(strings.ToLower(orig), word)
			loc, err := time.LoadLocation(orig[k : k+len(word)])
			if err != nil {
				return f, pgerror.New(pgerror.CodeInvalidParameterValue, "time zone %q not recognized", orig[k:k+len(word)])
			}
			f.hasTZ, f.loc = true, loc
		}
	}
	if f.bc {
		if f.year <= 0 {
			return f, dtRange(s)
		}
		f.year = 1 - f.year
	}
	if f.month < 1 || f.month > 12 || f.day < 1 || f.day > DaysInMonth(f.year, f.month) {
		return f, dtRange(s)
	}
	if f.hour > 24 || f.min > 59 || f.sec > 60 || (f.hour == 24 && (f.min != 0 || f.sec != 0 || f.micros != 0)) {
		return f, dtRange(s)
	}
	return f, nil
}

// parseFraction converts the digits after a decimal point to microseconds,
// rounding half away from zero beyond six digits.
func parseFraction(d string) int64 {
	var us int64
	for k := 0; k < 6; k++ {
		us *= 10
		if k < len(d) {
			us += int64(d[k] - '0')
		}
	}
	if len(d) > 6 && d[6] >= '5' {
		us++
	}
	return us
}

// parseOffset parses ±HH, ±HHMM, ±HH:MM or ±HH:MM:SS and returns seconds
// east of UTC and the bytes consumed.
func parseOffset(s string) (int, int, bool) {
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	d0, d1 := digitsAt(s, 1)
	var h, m, sec int
	n := d1
	switch d1 - d0 {
	case 1, 2:
		h, _ = strconv.Atoi(s[d0:d1])
		if n < len(s) && s[n] == ':' {
			m0, m1 := digitsAt(s, n+1)
			if m1-m0 != 2 {
				return 0, 0, false
			}
			m, _ = strconv.Atoi(s[m0:m1])
			n = m1
			if n < len(s) && s[n] == ':' {
				s0, s1 := digitsAt(s, n+1)
				if s1-s0 != 2 {
					return 0, 0, false
				}
				sec, _ = strconv.Atoi(s[s0:s1])
				n = s1
			}
		}
	case 4:
		h, _ = strconv.Atoi(s[d0 : d0+2])
		m, _ = strconv.Atoi(s[d0+2 : d1])
	default:
		return 0, 0, false
	}
	if h > 15 || m > 59 || sec > 59 {
		return 0, 0, false
	}
	return sign * (h*3600 + m*60 + sec), n, true
}

// ParseDate parses date text input (see parseDateTime; a time part is
// accepted and ignored, as PostgreSQL does).
func ParseDate(s string) (int64, error) {
	f, err := parseDateTime(s, "date", false)
	if err != nil {
		return 0, err
	}
	switch f.special {
	case "infinity":
		return DateInfinity, nil
	case "-infinity":
		return DateNegInfinity, nil
	case "epoch":
		return 0, nil
	case "now", "today", "tomorrow", "yesterday":
		now := time.Now()
		d := DaysFromCivil(now.Year(), int(now.Month()), now.Day())
		switch f.special {
		case "tomorrow":
			d++
		case "yesterday":
			d--
		}
		return d, nil
	}
	d := DaysFromCivil(f.year, f.month, f.day)
	if d < minTimestampDays || d > maxDateDays {
		return 0, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "date out of range: %q", s)
	}
	return d, nil
}

// ParseTimestamp parses timestamp (tz false) or timestamptz (tz true) text
// input. A zone in the input is ignored for timestamp, as PostgreSQL does;
// timestamptz input without a zone is read in loc.
func ParseTimestamp(s string, tz bool, loc *time.Location) (int64, error) {
	typ := "timestamp"
	if tz {
		typ = "timestamp with time zone"
	}
	f, err := parseDateTime(s, typ, true)
	if err != nil {
		return 0, err
	}
	switch f.special {
	case "infinity":
		return TimestampInfinity, nil
	case "-infinity":
		return TimestampNegInfinity, nil
	case "epoch":
		return 0, nil
	case "now":
		now := time.Now().UnixMicro()
		if !tz {
			now, _ = LocalMicros(now, loc)
		}
		return now, nil
	case "today", "tomorrow", "yesterday":
		local, _ := LocalMicros(time.Now().UnixMicro(), loc)
		d, _ := FloorDiv(local, MicrosPerDay)
		switch f.special {
		case "tomorrow":
			d++
		case "yesterday":
			d--
		}
		if tz {
			return UTCFromLocal(d*MicrosPerDay, loc), nil
		}
		return d * MicrosPerDay, nil
	}
	days := DaysFromCivil(f.year, f.month, f.day)
	if days < minTimestampDays || days > maxTimestampDays {
		return 0, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "timestamp out of range: %q", s)
	}
	local := days*MicrosPerDay + int64(f.hour)*MicrosPerHour + int64(f.min)*MicrosPerMinute +
		int64(f.sec)*MicrosPerSecond + f.micros
	if !tz {
		return local, nil
	}
	switch {
	case f.loc != nil:
		return UTCFromLocal(local, f.loc), nil
	case f.hasTZ:
		return local - int64(f.tzOff)*MicrosPerSecond, nil
	}
	return UTCFromLocal(local, loc), nil
}

func append0(buf []byte, v int, width int) []byte {
	var tmp [20]byte // formatted on the stack: no allocation per value
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for k := len(s); k < width; k++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// appendYMD appends YYYY-MM-DD and reports whether the year is BC.
func appendYMD(buf []byte, days int64) ([]byte, bool) {
	y, m, d := CivilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	buf = append0(buf, y, 4)
	buf = append(buf, '-')
	buf = append0(buf, m, 2)
	buf = append(buf, '-')
	return append0(buf, d, 2), bc
}

// AppendDate appends a date in ISO form (2026-01-31, 0044-03-15 BC).
func AppendDate(buf []byte, days int64) []byte {
	switch days {
	case DateInfinity:
		return append(buf, "infinity"...)
	case DateNegInfinity:
		return append(buf, "-infinity"...)
	}
	buf, bc := appendYMD(buf, days)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// AppendTime appends HH:MM:SS with the fraction trimmed of trailing zeros.
func AppendTime(buf []byte, us int64) []byte {
	buf = append0(buf, int(us/MicrosPerHour), 2)
	buf = append(buf, ':')
	buf = append0(buf, int(us/MicrosPerMinute%60), 2)
	buf = append(buf, ':')
	buf = append0(buf, int(us/MicrosPerSecond%60), 2)
	return appendFrac(buf, us%MicrosPerSecond)
}

func appendFrac(buf []byte, frac int64) []byte {
	if frac == 0 {
		return buf
	}
	buf = append(buf, '.')
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], frac+MicrosPerSecond, 10)[1:]
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return append(buf, s...)
}

// AppendTimestamp appends a timestamp (tz false) or a timestamptz shown in
// loc with its UTC offset (tz true), in ISO DateStyle:
// 2026-01-01 00:00:00.5, 2026-01-01 01:00:00+01.
func AppendTimestamp(buf []byte, us int64, tz bool, loc *time.Location) []byte {
	switch us {
	case TimestampInfinity:
		return append(buf, "infinity"...)
	case TimestampNegInfinity:
		return append(buf, "-infinity"...)
	}
	off := 0
	if tz {
		us, off = LocalMicros(us, loc)
	}
	days, rem := FloorDiv(us, MicrosPerDay)
	buf, bc := appendYMD(buf, days)
	buf = append(buf, ' ')
	buf = AppendTime(buf, rem)
	if tz {
		buf = AppendOffset(buf, off)
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// AppendOffset appends a UTC offset as PostgreSQL prints it: +HH, +HH:MM or
// +HH:MM:SS.
func AppendOffset(buf []byte, off int) []byte {
	if off < 0 {
		buf = append(buf, '-')
		off = -off
	} else {
		buf = append(buf, '+')
	}
	buf = append0(buf, off/3600, 2)
	if off%3600 != 0 {
		buf = append(buf, ':')
		buf = append0(buf, off/60%60, 2)
		if off%60 != 0 {
			buf = append(buf, ':')
			buf = append0(buf, off%60, 2)
		}
	}
	return buf
}
