package parser

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/weirdb/weir/sql/types"
)

// intervalUnits maps PostgreSQL interval unit spellings to (months, days,
// microseconds) per unit.
var intervalUnits = map[string][3]float64{}

func init() {
	add := func(v [3]float64, names ...string) {
		for _, n := range names {
			intervalUnits[n] = v
		}
	}
	add([3]float64{0, 0, 1}, "microsecond", "microseconds", "us", "usec", "usecs", "microsecon")
	add([3]float64{0, 0, 1e3}, "millisecond", "milliseconds", "ms", "msec", "msecs")
	add([3]float64{0, 0, 1e6}, "second", "seconds", "s", "sec", "secs")
	add([3]float64{0, 0, 60e6}, "minute", "minutes", "m", "min", "mins")
	add([3]float64{0, 0, 3600e6}, "hour", "hours", "h", "hr", "hrs")
	add([3]float64{0, 1, 0}, "day", "days", "d")
	add([3]float64{0, 7, 0}, "week", "weeks", "w")
	add([3]float64{1, 0, 0}, "month", "months", "mon", "mons")
	add([3]float64{12, 0, 0}, "year", "years", "y", "yr", "yrs")
	add([3]float64{120, 0, 0}, "decade", "decades")
	add([3]float64{1200, 0, 0}, "century", "centuries")
}

// ParseInterval reads PostgreSQL's interval input in its "postgres" and
// SQL forms: a sequence of "<number> <unit>" pairs ("1 day 2 hours",
// "10 seconds", "1.5 minutes"), optionally with an hh:mm[:ss[.ffffff]] time
// part and a trailing "ago". Fractions of months and days spill into
// smaller units as PostgreSQL does (0.5 month = 15 days).
func ParseInterval(s string) (types.IntervalValue, error) {
	var v types.IntervalValue
	f := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(f) == 0 {
		return v, fmt.Errorf("empty interval")
	}
	ago := false
	if f[len(f)-1] == "ago" {
		ago = true
		f = f[:len(f)-1]
	}
	var months, days, micros float64
	for i := 0; i < len(f); i++ {
		w := f[i]
		if w == "@" {
			continue
		}
		if strings.Contains(w, ":") {
			neg := strings.HasPrefix(w, "-")
			parts := strings.Split(strings.TrimLeft(w, "+-"), ":")
			if len(parts) > 3 {
				return v, fmt.Errorf("bad time")
			}
			mult := []float64{3600e6, 60e6, 1e6}
			var t float64
			for j, p := range parts {
				x, err := strconv.ParseFloat(p, 64)
				if err != nil || x < 0 || j < 2 && strings.Contains(p, ".") {
					return v, fmt.Errorf("bad time")
				}
				t += x * mult[j]
			}
			if neg {
				t = -t
			}
			micros += t
			continue
		}
		num := w
		unit := ""
		// "10s", "5min": number and unit without a space.
		j := 0
		for j < len(w) && (w[j] >= '0' && w[j] <= '9' || w[j] == '.' || w[j] == '-' || w[j] == '+') {
			j++
		}
		if j < len(w) {
			num, unit = w[:j], w[j:]
		} else if i+1 < len(f) {
			i++
			unit = f[i]
		} else {
			unit = "second" // a bare number is seconds
		}
		x, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return v, fmt.Errorf("bad number %q", num)
		}
		u, ok := intervalUnits[unit]
		if !ok {
			return v, fmt.Errorf("bad unit %q", unit)
		}
		months += x * u[0]
		days += x * u[1]
		micros += x * u[2]
	}
	// Spill fractional months into days (30 per month) and fractional
	// days into microseconds (24 hours per day).
	wholeMonths := math.Trunc(months)
	days += (months - wholeMonths) * 30
	wholeDays := math.Trunc(days)
	micros += (days - wholeDays) * 86400e6
	if ago {
		wholeMonths, wholeDays, micros = -wholeMonths, -wholeDays, -micros
	}
	if math.Abs(wholeMonths) > math.MaxInt32 || math.Abs(wholeDays) > math.MaxInt32 || math.Abs(micros) > math.MaxInt64/2 {
		return v, fmt.Errorf("interval out of range")
	}
	v.Months, v.Days, v.Micros = int32(wholeMonths), int32(wholeDays), int64(math.Round(micros))
	return v, nil
}
