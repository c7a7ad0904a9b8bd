package expr

import (
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// to_char / to_timestamp templates: the common subset of PostgreSQL's
// patterns. Date/time: YYYY YYY YY Y, MM, DD, DDD, D, ID, HH HH12 HH24, MI,
// SS, MS, US, AM PM am pm A.M. P.M., Mon MON mon, Month MONTH month, Dy DY
// dy, Day DAY day, Q, IW, IYYY, TZ tz, OF, with the FM prefix suppressing
// padding and "quoted" literal text. Numbers: 9 0 . D , G S MI PL SG and FM.

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// tsPatterns is ordered so that longer patterns match first.
var tsPatterns = []string{
	"HH24", "HH12", "HH", "MI", "SS", "MS", "US", "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.",
	"YYYY", "IYYY", "YYY", "YY", "Y", "MONTH", "Month", "month", "MON", "Mon", "mon", "MM",
	"DAY", "Day", "day", "DY", "Dy", "dy", "DDD", "DD", "D", "ID", "IW", "Q", "TZ", "tz", "OF",
}

func matchPattern(f string) string {
	for _, p := range tsPatterns {
		if strings.HasPrefix(f, p) {
			return p
		}
	}
	return ""
}

func pad(v int, width int, fm bool) string {
	s := strconv.Itoa(v)
	if fm {
		return s
	}
	neg := v < 0
	if neg {
		s = s[1:]
	}
	for len(s) < width {
		s = "0" + s
	}
	if neg {
		s = "-" + s
	}
	return s
}

func caseName(name, pat string, fm bool, width int) string {
	switch {
	case pat == strings.ToUpper(pat):
		name = strings.ToUpper(name)
	case pat == strings.ToLower(pat):
		name = strings.ToLower(name)
	}
	if !fm {
		for len(name) < width {
			name += " "
		}
	}
	return name
}

func formatTS(p tsParts, f string, tz bool) string {
	var b strings.Builder
	for len(f) > 0 {
		fm := false
		if strings.HasPrefix(f, "FM") {
			fm = true
			f = f[2:]
		}
		if f == "" {
			break
		}
		if f[0] == '"' {
			end := strings.IndexByte(f[1:], '"')
			if end < 0 {
				b.WriteString(f[1:])
				break
			}
			b.WriteString(f[1 : 1+end])
			f = f[end+2:]
			continue
		}
		if f[0] == '\\' && len(f) > 1 {
			b.WriteByte(f[1])
			f = f[2:]
			continue
		}
		pat := matchPattern(f)
		if pat == "" {
			b.WriteByte(f[0])
			f = f[1:]
			continue
		}
		f = f[len(pat):]
		h12 := p.hour % 12
		if h12 == 0 {
			h12 = 12
		}
		year := p.y
		if year <= 0 {
			year = 1 - year
		}
		switch pat {
		case "HH24":
			b.WriteString(pad(p.hour, 2, fm))
		case "HH12", "HH":
			b.WriteString(pad(h12, 2, fm))
		case "MI":
			b.WriteString(pad(p.min, 2, fm))
		case "SS":
			b.WriteString(pad(p.sec, 2, fm))
		case "MS":
			b.WriteString(pad(int(p.us/1000), 3, fm))
		case "US":
			b.WriteString(pad(int(p.us), 6, fm))
		case "AM", "PM":
			b.WriteString(map[bool]string{true: "PM", false: "AM"}[p.hour >= 12])
		case "am", "pm":
			b.WriteString(map[bool]string{true: "pm", false: "am"}[p.hour >= 12])
		case "A.M.", "P.M.":
			b.WriteString(map[bool]string{true: "P.M.", false: "A.M."}[p.hour >= 12])
		case "a.m.", "p.m.":
			b.WriteString(map[bool]string{true: "p.m.", false: "a.m."}[p.hour >= 12])
		case "YYYY":
			b.WriteString(pad(year, 4, fm))
		case "IYYY":
			b.WriteString(pad(p.isoYear, 4, fm))
		case "YYY":
			b.WriteString(pad(year%1000, 3, fm))
		case "YY":
			b.WriteString(pad(year%100, 2, fm))
		case "Y":
			b.WriteString(strconv.Itoa(year % 10))
		case "MONTH", "Month", "month":
			if p.m >= 1 {
				b.WriteString(caseName(monthNames[p.m-1], pat, fm, 9))
			}
		case "MON", "Mon", "mon":
			if p.m >= 1 {
				b.WriteString(caseName(monthNames[p.m-1][:3], pat, true, 0))
			}
		case "MM":
			b.WriteString(pad(p.m, 2, fm))
		case "DAY", "Day", "day":
			b.WriteString(caseName(dayNames[p.dow], pat, fm, 9))
		case "DY", "Dy", "dy":
			b.WriteString(caseName(dayNames[p.dow][:3], pat, true, 0))
		case "DDD":
			b.WriteString(pad(p.doy, 3, fm))
		case "DD":
			b.WriteString(pad(p.d, 2, fm))
		case "D":
			b.WriteString(strconv.Itoa(p.dow + 1))
		case "ID":
			if p.dow == 0 {
				b.WriteString("7")
			} else {
				b.WriteString(strconv.Itoa(p.dow))
			}
		case "IW":
			b.WriteString(pad(p.isoWeek, 2, fm))
		case "Q":
			if p.m >= 1 {
				b.WriteString(strconv.Itoa((p.m-1)/3 + 1))
			}
		case "TZ", "tz":
			if tz {
				s := string(types.AppendOffset(nil, p.offset))
				if p.offset == 0 {
					s = "UTC"
				}
				if pat == "tz" {
					s = strings.ToLower(s)
				}
				b.WriteString(s)
			}
		case "OF":
			if tz {
				b.WriteString(string(types.AppendOffset(nil, p.offset)))
			}
		}
	}
	return b.String()
}

// parseWithFormat parses s against a to_timestamp template and returns
// wall-clock microseconds. Fields not in the template default to
// 0001-01-01 00:00:00 as in PostgreSQL (year defaults to 1).
func parseWithFormat(s, f string) (int64, error) {
	y, mo, d, h, mi, sec := 1, 1, 1, 0, 0, 0
	var us int64
	pm, hasAMPM, h12 := false, false, false
	bad := func() (int64, error) {
		return 0, pgerror.New(pgerror.CodeInvalidDatetimeFormat, "invalid value %q for template %q", s, f)
	}
	num := func(maxDigits int) (int, bool) {
		for len(s) > 0 && s[0] == ' ' {
			s = s[1:]
		}
		neg := false
		if len(s) > 0 && s[0] == '-' {
			neg = true
			s = s[1:]
		}
		k := 0
		for k < len(s) && k < maxDigits && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k == 0 {
			return 0, false
		}
		v, _ := strconv.Atoi(s[:k])
		s = s[k:]
		if neg {
			v = -v
		}
		return v, true
	}
	for len(f) > 0 {
		if strings.HasPrefix(f, "FM") {
			f = f[2:]
			continue
		}
		if f[0] == '"' {
			end := strings.IndexByte(f[1:], '"')
			if end < 0 {
				end = len(f) - 1
			}
			lit := f[1 : 1+end]
			f = f[min(end+2, len(f)):]
			if len(s) < len(lit) {
				return bad()
			}
			s = s[len(lit):]
			continue
		}
		pat := matchPattern(f)
		if pat == "" {
			// A separator in the template skips one character of input
			// (any character, as PostgreSQL's non-FX mode does).
			if f[0] == ' ' {
				for len(s) > 0 && s[0] == ' ' {
					s = s[1:]
				}
			} else if len(s) > 0 {
				s = s[1:]
			}
			f = f[1:]
			continue
		}
		f = f[len(pat):]
		var ok bool
		switch pat {
		case "YYYY", "IYYY":
			// Without a separator after it YYYY reads exactly 4 digits.
			width := 9
			if matchPattern(strings.TrimPrefix(f, "FM")) != "" {
				width = 4
			}
			y, ok = num(width)
		case "YYY":
			y, ok = num(3)
			y += 2000
		case "YY":
			y, ok = num(2)
			if y < 70 {
				y += 2000
			} else {
				y += 1900
			}
		case "Y":
			y, ok = num(1)
			y += 2020
		case "MM":
			mo, ok = num(2)
		case "DD":
			d, ok = num(2)
		case "HH24":
			h, ok = num(2)
		case "HH12", "HH":
			h, ok = num(2)
			h12 = true
		case "MI":
			mi, ok = num(2)
		case "SS":
			sec, ok = num(2)
		case "MS":
			var v int
			v, ok = num(3)
			us += int64(v) * 1000
		case "US":
			var v int
			v, ok = num(6)
			us += int64(v)
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			hasAMPM = true
			up := strings.ToUpper(s)
			switch {
			case strings.HasPrefix(up, "PM"), strings.HasPrefix(up, "P.M."):
				pm = true
			case strings.HasPrefix(up, "AM"), strings.HasPrefix(up, "A.M."):
			default:
				return bad()
			}
			s = s[len(pat):]
			ok = true
		case "MONTH", "Month", "month", "MON", "Mon", "mon":
			up := strings.ToLower(s)
			ok = false
			for k, name := range monthNames {
				full := strings.ToLower(name)
				if strings.HasPrefix(up, full) {
					mo, ok, s = k+1, true, s[len(full):]
					break
				}
				if strings.HasPrefix(up, full[:3]) {
					mo, ok, s = k+1, true, s[3:]
					break
				}
			}
		case "DAY", "Day", "day", "DY", "Dy", "dy":
			up := strings.ToLower(s)
			for _, name := range dayNames {
				full := strings.ToLower(name)
				if strings.HasPrefix(up, full) {
					s, ok = s[len(full):], true
					break
				}
				if strings.HasPrefix(up, full[:3]) {
					s, ok = s[3:], true
					break
				}
			}
		default:
			_, ok = num(3)
		}
		if !ok {
			return bad()
		}
	}
	if hasAMPM || h12 {
		if h < 1 || h > 12 {
			return 0, pgerror.New(pgerror.CodeInvalidDatetimeFormat, "hour \"%d\" is invalid for the 12-hour clock", h)
		}
		h %= 12
		if pm {
			h += 12
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > types.DaysInMonth(y, mo) || h > 24 || mi > 59 || sec > 60 {
		return 0, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "date/time field value out of range: %q", s)
	}
	days := types.DaysFromCivil(y, mo, d)
	return days*types.MicrosPerDay + int64(h)*types.MicrosPerHour + int64(mi)*types.MicrosPerMinute + int64(sec)*types.MicrosPerSecond + us, nil
}

// formatNumber implements to_char(number, template) for the digit
// patterns 9 and 0, the decimal point (. or D), group separators (, or G),
// FM, and the sign patterns S, MI, PL, SG (default: a leading minus or
// space). Too many digits for the template print as '#'.
func formatNumber(d *apd.Decimal, f string) string {
	fm := strings.Contains(f, "FM")
	f = strings.ReplaceAll(f, "FM", "")
	intPos, fracPos := 0, 0
	seenPoint := false
	explicitSign := strings.Contains(f, "S") || strings.Contains(f, "MI") || strings.Contains(f, "PL") || strings.Contains(f, "SG")
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '9', '0':
			if seenPoint {
				fracPos++
			} else {
				intPos++
			}
		case '.', 'D':
			seenPoint = true
		}
	}
	if d.Form != apd.Finite {
		return strings.Repeat("#", intPos+fracPos+1)
	}
	var r apd.Decimal
	if _, err := quantize(&r, d, int32(-fracPos)); err != nil {
		return strings.Repeat("#", intPos+fracPos+1)
	}
	neg := r.Negative && !r.IsZero()
	r.Negative = false
	txt := string(types.AppendNumeric(nil, &r))
	intDigits, fracDigits := txt, ""
	if k := strings.IndexByte(txt, '.'); k >= 0 {
		intDigits, fracDigits = txt[:k], txt[k+1:]
	}
	if intDigits == "0" {
		intDigits = ""
	}
	overflow := len(intDigits) > intPos
	var b strings.Builder
	signDone := false
	writeSign := func() {
		if signDone || explicitSign {
			return
		}
		signDone = true
		if neg {
			b.WriteByte('-')
		} else if !fm {
			b.WriteByte(' ')
		}
	}
	// Leading positions without a digit print as spaces until a 0
	// pattern forces zeros.
	k := 0 // integer position index
	zeroFill := false
	started := false
	fi := 0 // fraction position index
	seenPoint = false
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '9' || c == '0':
			if seenPoint {
				switch {
				case overflow:
					b.WriteByte('#')
				case fi < len(fracDigits):
					b.WriteByte(fracDigits[fi])
				}
				fi++
				continue
			}
			pos := intPos - k // digits remaining including this one
			k++
			if c == '0' {
				zeroFill = true
			}
			switch {
			case overflow:
				if !started {
					writeSign()
					started = true
				}
				b.WriteByte('#')
			case pos <= len(intDigits):
				if !started {
					writeSign()
					started = true
				}
				b.WriteByte(intDigits[len(intDigits)-pos])
			case zeroFill:
				if !started {
					writeSign()
					started = true
				}
				b.WriteByte('0')
			case pos == 1 && intDigits == "" && !seenPointAhead(f[i+1:]):
				if !started {
					writeSign()
					started = true
				}
				b.WriteByte('0')
			default:
				if !fm {
					b.WriteByte(' ')
				}
			}
		case c == '.' || c == 'D':
			if !started {
				writeSign()
				started = true
				if intDigits == "" && !fm {
					// PostgreSQL prints 0 before the point when the
					// template has integer positions.
					if intPos > 0 {
						b.WriteByte('0')
					}
				}
			}
			seenPoint = true
			b.WriteByte('.')
		case c == ',' || c == 'G':
			if started {
				b.WriteByte(',')
			} else if !fm {
				b.WriteByte(' ')
			}
		case c == 'S' || c == 'G' && false:
			if neg {
				b.WriteByte('-')
			} else {
				b.WriteByte('+')
			}
		case strings.HasPrefix(f[i:], "MI"):
			if neg {
				b.WriteByte('-')
			} else if !fm {
				b.WriteByte(' ')
			}
			i++
		case strings.HasPrefix(f[i:], "PL"):
			if !neg {
				b.WriteByte('+')
			} else if !fm {
				b.WriteByte(' ')
			}
			i++
		case strings.HasPrefix(f[i:], "SG"):
			if neg {
				b.WriteByte('-')
			} else {
				b.WriteByte('+')
			}
			i++
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if fm && strings.Contains(out, ".") {
		// FM drops trailing zeros printed by 9 positions in the fraction.
		out = strings.TrimRight(out, "0")
		out = strings.TrimSuffix(out, ".")
	}
	return out
}

func seenPointAhead(rest string) bool { return strings.ContainsAny(rest, ".D") }
