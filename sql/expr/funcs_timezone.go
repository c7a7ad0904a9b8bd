package expr

import (
	"strconv"
	"strings"
	"time"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// timezone(zone, x) is x AT TIME ZONE zone (the binder turns the operator
// into this call, as PostgreSQL does):
//
//   - timezone(zone, timestamp) → timestamptz: x is wall-clock time in
//     zone; the result is that instant.
//   - timezone(zone, timestamptz) → timestamp: the wall-clock time in zone
//     at instant x.
//
// zone is text (a time zone abbreviation, a full IANA name, or a POSIX
// offset such as '+02' or 'UTC-3', where positive means WEST of Greenwich
// as in PostgreSQL) or an interval (ISO sign: INTERVAL '-08:00' is eight
// hours west). Both are immutable for a fixed zone argument: they do not
// read the session TimeZone.
//
// date_bin(stride, source, origin) (PostgreSQL 14+) returns the start of
// the stride-long bin containing source, bins being aligned to origin:
// origin + floor((source - origin) / stride) * stride. The stride must be
// positive and contain no months or years. For timestamptz the arithmetic
// is on the absolute time, so the result does not depend on the session
// TimeZone either.

// tzAbbrevs are the time zone abbreviations of PostgreSQL's default
// timezone_abbreviations set that people write, in seconds east of UTC.
// PostgreSQL looks abbreviations up before full names, so 'CET' is the
// fixed +01 offset, not the zone Europe/Paris-like "CET" with summer time.
var tzAbbrevs = map[string]int{
	"utc": 0, "gmt": 0, "ut": 0, "z": 0, "zulu": 0, "wet": 0,
	"est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
	"mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
	"akst": -9 * 3600, "akdt": -8 * 3600, "hst": -10 * 3600,
	"west": 3600, "bst": 3600, "cet": 3600, "cest": 2 * 3600, "met": 3600, "mest": 2 * 3600,
	"eet": 2 * 3600, "eest": 3 * 3600, "ist": 2 * 3600, "msk": 3 * 3600,
	"sgt": 8 * 3600, "hkt": 8 * 3600, "awst": 8 * 3600, "jst": 9 * 3600, "kst": 9 * 3600,
	"acst": 9*3600 + 1800, "aest": 10 * 3600, "aedt": 11 * 3600, "nzst": 12 * 3600, "nzdt": 13 * 3600,
}

// LookupTimeZone resolves a time zone name as AT TIME ZONE and timezone()
// read it: an abbreviation (fixed offset), an IANA name, or a POSIX
// offset ("+02", "-3:30", "UTC+5"; positive is west of Greenwich). An
// unknown name is a 22023 error, as in PostgreSQL.
func LookupTimeZone(name string) (*time.Location, error) {
	s := strings.TrimSpace(name)
	lower := strings.ToLower(s)
	if off, ok := tzAbbrevs[lower]; ok {
		if off == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(strings.ToUpper(s), off), nil
	}
	if s != "" && !strings.HasPrefix(s, "/") && !strings.Contains(s, "..") {
		if loc, err := time.LoadLocation(s); err == nil {
			return loc, nil
		}
	}
	// POSIX: an optional alphabetic name of 3+ letters, then a signed
	// offset in hours[:minutes[:seconds]], positive west.
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == 0 || i >= 3 {
		if off, ok := parsePosixOffset(s[i:]); ok {
			return time.FixedZone(s, -off), nil
		}
	}
	return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "time zone %q not recognized", name)
}

// parsePosixOffset reads [+-]h[h][:mm[:ss]] into seconds.
func parsePosixOffset(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		sign, s = -1, s[1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, false
	}
	secs := 0
	for k, p := range parts {
		if p == "" || len(p) > 2 {
			return 0, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || (k > 0 && v > 59) {
			return 0, false
		}
		secs = secs*60 + v
	}
	for k := len(parts); k < 3; k++ {
		secs *= 60
	}
	if secs > 15*3600+59*60 {
		return 0, false
	}
	return sign * secs, true
}

// intervalZoneOffset converts an interval zone to seconds east of UTC.
func intervalZoneOffset(v types.IntervalValue) (int64, error) {
	if v.Months != 0 || v.Days != 0 {
		return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "interval time zone %q must not include months or days",
			types.FormatText(types.TInterval, types.DInterval(v), time.UTC))
	}
	return v.Micros, nil
}

func isInfTSValue(us int64) bool {
	return us == types.TimestampInfinity || us == types.TimestampNegInfinity
}

// DateBin computes date_bin over microseconds (see above); stride must
// already be checked positive. It fails with 22008 when the result does not
// fit.
func DateBin(stride, source, origin int64) (int64, error) {
	diff := source - origin
	if (source >= 0) != (origin >= 0) && (diff >= 0) != (source >= 0) {
		return 0, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "interval out of range")
	}
	delta := diff - diff%stride
	if diff < 0 && diff%stride != 0 {
		delta -= stride
	}
	r := origin + delta
	if (delta >= 0) == (origin >= 0) && (r >= 0) != (origin >= 0) {
		return 0, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "timestamp out of range")
	}
	return r, nil
}

func dateBinStride(v types.IntervalValue) (int64, error) {
	if v.Months != 0 {
		return 0, pgerror.NotSupported("timestamps cannot be binned into intervals containing months or years")
	}
	us := int64(v.Days)*types.MicrosPerDay + v.Micros
	if us <= 0 {
		return 0, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "stride must be greater than zero")
	}
	return us, nil
}

func init() {
	tz, ts, iv, T := types.TTimestampTZ, types.TTimestamp, types.TInterval, types.TText
	regRow("timezone", tt(T, ts), tz, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		loc, err := LookupTimeZone(a[0].S)
		if err != nil || isInfTSValue(a[1].I) {
			return a[1], err
		}
		return types.DInt(types.UTCFromLocal(a[1].I, loc)), nil
	})
	regRow("timezone", tt(T, tz), ts, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		loc, err := LookupTimeZone(a[0].S)
		if err != nil || isInfTSValue(a[1].I) {
			return a[1], err
		}
		l, _ := types.LocalMicros(a[1].I, loc)
		return types.DInt(l), nil
	})
	regRow("timezone", tt(iv, ts), tz, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		off, err := intervalZoneOffset(a[0].V)
		if err != nil || isInfTSValue(a[1].I) {
			return a[1], err
		}
		return types.DInt(a[1].I - off), nil
	})
	regRow("timezone", tt(iv, tz), ts, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		off, err := intervalZoneOffset(a[0].V)
		if err != nil || isInfTSValue(a[1].I) {
			return a[1], err
		}
		return types.DInt(a[1].I + off), nil
	})
	for _, t := range []types.T{ts, tz} {
		regRow("date_bin", tt(iv, t, t), t, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			stride, err := dateBinStride(a[0].V)
			if err != nil {
				return types.Datum{}, err
			}
			if isInfTSValue(a[2].I) {
				return types.Datum{}, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "origin out of range")
			}
			if isInfTSValue(a[1].I) {
				return a[1], nil
			}
			r, err := DateBin(stride, a[1].I, a[2].I)
			return types.DInt(r), err
		})
	}
}
