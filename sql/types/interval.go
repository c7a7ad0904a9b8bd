package types

import (
	"math"
	"strconv"
	"strings"

	"github.com/weirdb/weir/sql/pgerror"
)

// ParseInterval parses interval text input in the forms PostgreSQL accepts
// with IntervalStyle postgres: quantity/unit pairs ('1 day 2 hours',
// '1.5 days', '10s', '@ 1 hour ago'), a time part ('1 day 02:03:04.5',
// '-00:00:01'), a bare number of seconds ('10'), year-month ('1-2') and ISO
// 8601 designators ('P1Y2M3DT4H5M6.5S'). Fractional units cascade down as
// in PostgreSQL: '1.5 months' is 1 mon 15 days.
func ParseInterval(s string) (IntervalValue, error) {
	v := strings.ToLower(trimSpace(s))
	bad := func() (IntervalValue, error) {
		return IntervalValue{}, pgerror.New(pgerror.CodeInvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	var acc ivAcc
	if strings.HasPrefix(v, "p") {
		if !acc.iso(v[1:]) {
			return bad()
		}
		return acc.result(s)
	}
	i := 0
	ago := false
	any := false
	for {
		for i < len(v) && isSpace(v[i]) {
			i++
		}
		if i >= len(v) {
			break
		}
		c := v[i]
		if c == '@' {
			i++
			continue
		}
		if c >= 'a' && c <= 'z' {
			w := i
			for i < len(v) && v[i] >= 'a' && v[i] <= 'z' {
				i++
			}
			if v[w:i] != "ago" {
				return bad()
			}
			ago = true
			continue
		}
		// A number, possibly a time or a year-month.
		start := i
		if c == '+' || c == '-' {
			i++
		}
		d0, d1 := digitsAt(v, i)
		i = d1
		if i < len(v) && v[i] == ':' {
			j := i
			for j < len(v) && !isSpace(v[j]) {
				j++
			}
			us, ok := parseIntervalTime(v[start:j])
			if !ok {
				return bad()
			}
			acc.micros += us
			i = j
			any = true
			continue
		}
		if i < len(v) && v[i] == '-' && d1 > d0 {
			// year-month: Y-M
			m0, m1 := digitsAt(v, i+1)
			if m1 == m0 {
				return bad()
			}
			y, _ := strconv.ParseInt(v[d0:d1], 10, 64)
			m, _ := strconv.ParseInt(v[m0:m1], 10, 64)
			total := y*12 + m
			if v[start] == '-' {
				total = -total
			}
			acc.months += float64(total)
			i = m1
			any = true
			continue
		}
		if i < len(v) && v[i] == '.' {
			_, f1 := digitsAt(v, i+1)
			i = f1
		}
		numText := v[start:i]
		if numText == "" || numText == "+" || numText == "-" || numText == "." {
			return bad()
		}
		num, err := strconv.ParseFloat(numText, 64)
		if err != nil {
			return bad()
		}
		for i < len(v) && isSpace(v[i]) {
			i++
		}
		u0 := i
		for i < len(v) && v[i] >= 'a' && v[i] <= 'z' {
			i++
		}
		unit := v[u0:i]
		if unit == "" {
			unit = "second"
		}
		if unit == "ago" {
			i = u0
			unit = "second"
		}
		if !acc.add(num, unit) {
			return bad()
		}
		any = true
	}
	if !any {
		return bad()
	}
	if ago {
		acc.months, acc.days, acc.micros = -acc.months, -acc.days, -acc.micros
	}
	return acc.result(s)
}

// ivAcc accumulates interval fields; months and days may carry fractions
// that cascade down when the result is built.
type ivAcc struct {
	months float64
	days   float64
	micros float64
}

func (a *ivAcc) add(n float64, unit string) bool {
	switch unit {
	case "microsecond", "microseconds", "us", "usec", "usecs", "useconds":
		a.micros += n
	case "millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds":
		a.micros += n * 1000
	case "second", "seconds", "s", "sec", "secs":
		a.micros += n * MicrosPerSecond
	case "minute", "minutes", "m", "min", "mins":
		a.micros += n * MicrosPerMinute
	case "hour", "hours", "h", "hr", "hrs":
		a.micros += n * MicrosPerHour
	case "day", "days", "d":
		a.days += n
	case "week", "weeks", "w":
		a.days += n * 7
	case "month", "months", "mon", "mons":
		a.months += n
	case "year", "years", "y", "yr", "yrs":
		a.months += math.Trunc(n)*12 + math.RoundToEven((n-math.Trunc(n))*12)
	case "decade", "decades":
		a.months += math.Round(n * 120)
	case "century", "centuries":
		a.months += math.Round(n * 1200)
	case "millennium", "millennia", "millenniums":
		a.months += math.Round(n * 12000)
	default:
		return false
	}
	return true
}

// iso parses the part after "P" of an ISO 8601 duration.
func (a *ivAcc) iso(s string) bool {
	inTime := false
	if s == "" {
		return false
	}
	for len(s) > 0 {
		if s[0] == 't' {
			if inTime {
				return false
			}
			inTime = true
			s = s[1:]
			continue
		}
		j := 0
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			j++
		}
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		if j == 0 || j >= len(s) {
			return false
		}
		n, err := strconv.ParseFloat(s[:j], 64)
		if err != nil {
			return false
		}
		var unit string
		switch s[j] {
		case 'y':
			unit = "year"
		case 'm':
			if inTime {
				unit = "minute"
			} else {
				unit = "month"
			}
		case 'w':
			unit = "week"
		case 'd':
			unit = "day"
		case 'h':
			unit = "hour"
		case 's':
			unit = "second"
		default:
			return false
		}
		if inTime != (unit == "hour" || unit == "minute" || unit == "second") {
			return false
		}
		a.add(n, unit)
		s = s[j+1:]
	}
	return true
}

// result cascades fractional months into days and fractional days into
// microseconds (a month is 30 days, a day 24 hours, as in PostgreSQL).
func (a *ivAcc) result(s string) (IntervalValue, error) {
	months := math.Trunc(a.months)
	fracDays := (a.months - months) * 30
	days := math.Trunc(a.days + fracDays)
	fracMicros := (a.days + fracDays - days) * MicrosPerDay
	micros := math.Round(a.micros + fracMicros)
	if math.Abs(months) > math.MaxInt32 || math.Abs(days) > math.MaxInt32 || math.Abs(micros) > 9.2e18 {
		return IntervalValue{}, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "interval field value out of range: %q", s)
	}
	return IntervalValue{Months: int32(months), Days: int32(days), Micros: int64(micros)}, nil
}

// parseIntervalTime parses [-+]H:M[:S[.f]] into microseconds.
func parseIntervalTime(s string) (float64, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || m > 59 || parts[0] == "" {
		return 0, false
	}
	us := float64(h*MicrosPerHour + m*MicrosPerMinute)
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || sec >= 60 || parts[2] == "" || parts[2][0] == '-' || parts[2][0] == '+' {
			return 0, false
		}
		us += math.Round(sec * MicrosPerSecond)
	}
	if neg {
		us = -us
	}
	return us, true
}

// AppendInterval appends an interval as PostgreSQL prints it with
// IntervalStyle postgres: "1 year 2 mons 3 days 04:05:06.5", "-1 days
// +02:00:00", "00:00:00".
func AppendInterval(buf []byte, v IntervalValue) []byte {
	isBefore, isZero := false, true
	part := func(val int64, unit string) {
		if val == 0 {
			return
		}
		if !isZero {
			buf = append(buf, ' ')
		}
		if isBefore && val > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, val, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if val != 1 {
			buf = append(buf, 's')
		}
		isBefore, isZero = val < 0, false
	}
	part(int64(v.Months/12), "year")
	part(int64(v.Months%12), "mon")
	part(int64(v.Days), "day")
	if isZero || v.Micros != 0 {
		us := v.Micros
		minus := us < 0
		if !isZero {
			buf = append(buf, ' ')
		}
		switch {
		case minus:
			buf = append(buf, '-')
		case isBefore:
			buf = append(buf, '+')
		}
		// Negate in uint64 so that the minimum int64 does not overflow.
		u := uint64(us)
		if minus {
			u = -u
		}
		h := u / MicrosPerHour
		if h < 10 {
			buf = append(buf, '0')
		}
		buf = strconv.AppendUint(buf, h, 10)
		buf = append(buf, ':')
		buf = append0(buf, int(u/MicrosPerMinute%60), 2)
		buf = append(buf, ':')
		buf = append0(buf, int(u/MicrosPerSecond%60), 2)
		buf = appendFrac(buf, int64(u%MicrosPerSecond))
	}
	return buf
}
