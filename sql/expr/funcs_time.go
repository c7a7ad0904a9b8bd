package expr

import (
	"math"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Date/time functions. now() and friends are Stable: they read ctx.Now,
// fixed per statement. Fields of timestamptz values are taken in the
// session time zone (ctx.Location).

// tsParts is a broken-down timestamp.
type tsParts struct {
	days             int64 // since 1970-01-01
	y, m, d          int
	hour, min, sec   int
	us               int64 // within the second
	dow              int   // 0 = Sunday
	doy              int
	offset           int // seconds east of UTC (timestamptz only)
	local            int64
	isoYear, isoWeek int
}

func splitTS(local int64) tsParts {
	days, rem := types.FloorDiv(local, types.MicrosPerDay)
	p := tsParts{days: days, local: local}
	p.y, p.m, p.d = types.CivilFromDays(days)
	p.hour = int(rem / types.MicrosPerHour)
	p.min = int(rem / types.MicrosPerMinute % 60)
	p.sec = int(rem / types.MicrosPerSecond % 60)
	p.us = rem % types.MicrosPerSecond
	_, dw := types.FloorDiv(days+4, 7) // 1970-01-01 was a Thursday
	p.dow = int(dw)
	p.doy = int(days-types.DaysFromCivil(p.y, 1, 1)) + 1
	p.isoYear, p.isoWeek = isoWeek(days)
	return p
}

// isoWeek returns the ISO 8601 year and week of a day.
func isoWeek(days int64) (int, int) {
	_, dw := types.FloorDiv(days+3, 7) // 0 = Monday
	thursday := days - dw + 3
	y, _, _ := types.CivilFromDays(thursday)
	jan1 := types.DaysFromCivil(y, 1, 1)
	return y, int((thursday-jan1)/7) + 1
}

// tsField returns a field of a timestamp as num / 10^scale.
func tsField(field string, p tsParts, tz bool, utc int64, typ string) (num int64, scale int, err error) {
	ay := int64(p.y) // astronomical: 0 is 1 BC
	year := ay
	if year <= 0 {
		year-- // 1 BC is year -1 in PostgreSQL
	}
	switch field {
	case "microsecond", "microseconds", "us", "usec", "usecs":
		return int64(p.sec)*1000000 + p.us, 0, nil
	case "millisecond", "milliseconds", "ms", "msec", "msecs":
		return int64(p.sec)*1000000 + p.us, 3, nil
	case "second", "seconds", "s", "sec", "secs":
		return int64(p.sec)*1000000 + p.us, 6, nil
	case "minute", "minutes", "m", "min", "mins":
		return int64(p.min), 0, nil
	case "hour", "hours", "h", "hr", "hrs":
		return int64(p.hour), 0, nil
	case "day", "days", "d":
		return int64(p.d), 0, nil
	case "month", "months", "mon", "mons":
		return int64(p.m), 0, nil
	case "quarter", "qtr":
		return int64((p.m-1)/3 + 1), 0, nil
	case "year", "years", "y", "yr", "yrs":
		return year, 0, nil
	case "decade", "decades":
		if ay >= 0 {
			return ay / 10, 0, nil
		}
		return -((8 - (ay - 1)) / 10), 0, nil
	case "century", "centuries":
		if ay > 0 {
			return (ay + 99) / 100, 0, nil
		}
		return -((99 - (ay - 1)) / 100), 0, nil
	case "millennium", "millennia", "millenniums":
		if ay > 0 {
			return (ay + 999) / 1000, 0, nil
		}
		return -((999 - (ay - 1)) / 1000), 0, nil
	case "dow":
		return int64(p.dow), 0, nil
	case "isodow":
		if p.dow == 0 {
			return 7, 0, nil
		}
		return int64(p.dow), 0, nil
	case "doy":
		return int64(p.doy), 0, nil
	case "week":
		return int64(p.isoWeek), 0, nil
	case "isoyear":
		return int64(p.isoYear), 0, nil
	case "epoch":
		if tz {
			return utc, 6, nil
		}
		return p.local, 6, nil
	case "julian":
		return p.days + 2440588, 0, nil
	case "timezone":
		if tz {
			return int64(p.offset), 0, nil
		}
	case "timezone_hour":
		if tz {
			return int64(p.offset / 3600), 0, nil
		}
	case "timezone_minute":
		if tz {
			return int64(p.offset / 60 % 60), 0, nil
		}
	}
	return 0, 0, pgerror.New(pgerror.CodeInvalidParameterValue, "unit %q not recognized for type %s", field, typ)
}

// ivField returns a field of an interval as num / 10^scale.
func ivField(field string, v types.IntervalValue) (int64, int, error) {
	us := v.Micros
	switch field {
	case "microsecond", "microseconds", "us", "usec", "usecs":
		return us % types.MicrosPerMinute, 0, nil
	case "millisecond", "milliseconds", "ms", "msec", "msecs":
		return us % types.MicrosPerMinute, 3, nil
	case "second", "seconds", "s", "sec", "secs":
		return us % types.MicrosPerMinute, 6, nil
	case "minute", "minutes", "m", "min", "mins":
		return us / types.MicrosPerMinute % 60, 0, nil
	case "hour", "hours", "h", "hr", "hrs":
		return us / types.MicrosPerHour, 0, nil
	case "day", "days", "d":
		return int64(v.Days), 0, nil
	case "month", "months", "mon", "mons":
		return int64(v.Months % 12), 0, nil
	case "quarter", "qtr":
		return int64(v.Months%12)/3 + 1, 0, nil
	case "year", "years", "y", "yr", "yrs":
		return int64(v.Months / 12), 0, nil
	case "decade", "decades":
		return int64(v.Months / 120), 0, nil
	case "century", "centuries":
		return int64(v.Months / 1200), 0, nil
	case "millennium", "millennia", "millenniums":
		return int64(v.Months / 12000), 0, nil
	case "epoch":
		// A year is 365.25 days, a month 30 days.
		secs := int64(v.Months/12)*(36525*864) + int64(v.Months%12)*30*86400 + int64(v.Days)*86400
		return secs*1000000 + us, 6, nil
	}
	return 0, 0, pgerror.New(pgerror.CodeInvalidParameterValue, "unit %q not recognized for type interval", field)
}

func tsPartsFor(ctx *EvalCtx, ts int64, tz bool) (tsParts, int64) {
	if !tz {
		return splitTS(ts), ts
	}
	local, off := types.LocalMicros(ts, ctx.Location)
	p := splitTS(local)
	p.offset = off
	return p, ts
}

// fieldFunc builds date_part (float8) or extract (numeric) over a
// timestamp-like argument.
func fieldFunc(argT types.T, numeric bool) func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
	return func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		field := strings.ToLower(strings.TrimSpace(a[0].S))
		var num int64
		var scale int
		var err error
		switch argT.ID {
		case types.Interval:
			num, scale, err = ivField(field, a[1].V)
		case types.Date:
			d := a[1].I
			if d == types.DateInfinity || d == types.DateNegInfinity {
				return infiniteField(numeric, d > 0)
			}
			num, scale, err = tsField(field, splitTS(d*types.MicrosPerDay), false, 0, "date")
			if err == nil && scale > 0 && field == "epoch" {
				num, scale = num/1000000, 0
			}
		default:
			ts := a[1].I
			if isInfTS(ts) {
				return infiniteField(numeric, ts > 0)
			}
			p, utc := tsPartsFor(ctx, ts, argT.ID == types.TimestampTZ)
			num, scale, err = tsField(field, p, argT.ID == types.TimestampTZ, utc, argT.String())
		}
		if err != nil {
			return types.Datum{}, err
		}
		if numeric {
			return ddec(apd.New(num, int32(-scale)))
		}
		return types.DFloat(float64(num) / math.Pow10(scale)), nil
	}
}

func infiniteField(numeric bool, pos bool) (types.Datum, error) {
	if numeric {
		return types.DDecimal(&apd.Decimal{Form: apd.Infinite, Negative: !pos}), nil
	}
	if pos {
		return types.DFloat(math.Inf(1)), nil
	}
	return types.DFloat(math.Inf(-1)), nil
}

// truncLocal truncates wall-clock microseconds to the unit.
func truncLocal(field string, local int64, typ string) (int64, error) {
	p := splitTS(local)
	day := p.days * types.MicrosPerDay
	ymd := func(y, m, d int) int64 { return types.DaysFromCivil(y, m, d) * types.MicrosPerDay }
	switch field {
	case "microseconds", "microsecond", "us", "usec":
		return local, nil
	case "milliseconds", "millisecond", "ms", "msec":
		q, _ := types.FloorDiv(local, 1000)
		return q * 1000, nil
	case "second", "seconds", "s", "sec":
		q, _ := types.FloorDiv(local, types.MicrosPerSecond)
		return q * types.MicrosPerSecond, nil
	case "minute", "minutes", "m", "min":
		q, _ := types.FloorDiv(local, types.MicrosPerMinute)
		return q * types.MicrosPerMinute, nil
	case "hour", "hours", "h", "hr":
		q, _ := types.FloorDiv(local, types.MicrosPerHour)
		return q * types.MicrosPerHour, nil
	case "day", "days", "d":
		return day, nil
	case "week", "weeks", "w":
		_, dw := types.FloorDiv(p.days+3, 7) // 0 = Monday
		return (p.days - dw) * types.MicrosPerDay, nil
	case "month", "months", "mon":
		return ymd(p.y, p.m, 1), nil
	case "quarter", "qtr":
		return ymd(p.y, (p.m-1)/3*3+1, 1), nil
	case "year", "years", "y", "yr":
		return ymd(p.y, 1, 1), nil
	case "decade", "decades":
		y := p.y
		if y > 0 {
			y = y / 10 * 10
		} else {
			y = -((8 - (y - 1)) / 10 * 10) + 1
		}
		return ymd(y, 1, 1), nil
	case "century", "centuries":
		y := p.y
		if y > 0 {
			y = (y+99)/100*100 - 99
		} else {
			y = -((99 - (y - 1)) / 100 * 100) + 1
		}
		return ymd(y, 1, 1), nil
	case "millennium", "millennia":
		y := p.y
		if y > 0 {
			y = (y+999)/1000*1000 - 999
		} else {
			y = -((999 - (y - 1)) / 1000 * 1000) + 1
		}
		return ymd(y, 1, 1), nil
	}
	return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "unit %q not recognized for type %s", field, typ)
}

func truncInterval(field string, v types.IntervalValue) (types.IntervalValue, error) {
	switch field {
	case "microseconds", "microsecond":
		return v, nil
	case "milliseconds", "millisecond":
		v.Micros -= v.Micros % 1000
	case "second", "seconds":
		v.Micros -= v.Micros % types.MicrosPerSecond
	case "minute", "minutes":
		v.Micros -= v.Micros % types.MicrosPerMinute
	case "hour", "hours":
		v.Micros -= v.Micros % types.MicrosPerHour
	case "day", "days":
		v.Micros = 0
	case "month", "months":
		v.Micros, v.Days = 0, 0
	case "quarter":
		v.Micros, v.Days, v.Months = 0, 0, v.Months/3*3
	case "year", "years":
		v.Micros, v.Days, v.Months = 0, 0, v.Months/12*12
	case "decade", "decades":
		v.Micros, v.Days, v.Months = 0, 0, v.Months/120*120
	case "century", "centuries":
		v.Micros, v.Days, v.Months = 0, 0, v.Months/1200*1200
	case "millennium":
		v.Micros, v.Days, v.Months = 0, 0, v.Months/12000*12000
	default:
		return v, pgerror.New(pgerror.CodeInvalidParameterValue, "unit %q not recognized for type interval", field)
	}
	return v, nil
}

func nowFunc(name string, ret types.T, f func(ctx *EvalCtx) types.Datum, vol bool) {
	RegisterFunc(&Func{Name: name, Ret: ret, Stable: !vol, Volatile: vol, Eval: func(ctx *EvalCtx, _ []*types.Vec, n int) (*types.Vec, error) {
		return types.ConstVec(ret, f(ctx), n), nil
	}})
}

func stmtNow(ctx *EvalCtx) int64 {
	if ctx.Now.IsZero() {
		return time.Now().UnixMicro()
	}
	return ctx.Now.UnixMicro()
}

func init() {
	tz, ts, d, iv, T, F := types.TTimestampTZ, types.TTimestamp, types.TDate, types.TInterval, types.TText, types.TFloat8
	for _, name := range []string{"now", "current_timestamp", "transaction_timestamp", "statement_timestamp"} {
		nowFunc(name, tz, func(ctx *EvalCtx) types.Datum { return types.DInt(stmtNow(ctx)) }, false)
	}
	nowFunc("clock_timestamp", tz, func(ctx *EvalCtx) types.Datum { return types.DInt(time.Now().UnixMicro()) }, true)
	nowFunc("localtimestamp", ts, func(ctx *EvalCtx) types.Datum {
		l, _ := types.LocalMicros(stmtNow(ctx), ctx.Location)
		return types.DInt(l)
	}, false)
	nowFunc("current_date", d, func(ctx *EvalCtx) types.Datum {
		l, _ := types.LocalMicros(stmtNow(ctx), ctx.Location)
		q, _ := types.FloorDiv(l, types.MicrosPerDay)
		return types.DInt(q)
	}, false)

	for _, argT := range []types.T{ts, tz, d, iv} {
		// Only timestamptz fields depend on the session TimeZone; the
		// others are immutable (as in PostgreSQL), so continuous queries
		// may use them.
		var opts []fnOpt
		if argT.ID == types.TimestampTZ {
			opts = append(opts, stable)
		}
		regRow("date_part", tt(T, argT), F, fieldFunc(argT, false), opts...)
		regRow("extract", tt(T, argT), types.TNumeric, fieldFunc(argT, true), opts...)
		regRow("weir_extract", tt(T, argT), types.TNumeric, fieldFunc(argT, true), opts...)
	}
	regRow("date_trunc", tt(T, ts), ts, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if isInfTS(a[1].I) {
			return a[1], nil
		}
		r, err := truncLocal(strings.ToLower(a[0].S), a[1].I, "timestamp without time zone")
		return types.DInt(r), err
	})
	regRow("date_trunc", tt(T, tz), tz, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		if isInfTS(a[1].I) {
			return a[1], nil
		}
		field := strings.ToLower(a[0].S)
		local, _ := types.LocalMicros(a[1].I, ctx.Location)
		r, err := truncLocal(field, local, "timestamp with time zone")
		if err != nil {
			return types.Datum{}, err
		}
		switch field {
		case "microseconds", "milliseconds", "second", "minute":
			// Sub-hour units truncate the absolute time (zones with
			// sub-hour offsets still agree on these boundaries).
			return types.DInt(a[1].I - (local - r)), nil
		}
		return types.DInt(types.UTCFromLocal(r, ctx.Location)), nil
	}, stable)
	regRow("date_trunc", tt(T, iv), iv, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		r, err := truncInterval(strings.ToLower(a[0].S), a[1].V)
		return types.DInterval(r), err
	})
	regRow("to_timestamp", tt(F), tz, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		f := a[0].F
		switch {
		case math.IsNaN(f):
			return types.Datum{}, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "timestamp cannot be NaN")
		case math.IsInf(f, 1):
			return types.DInt(types.TimestampInfinity), nil
		case math.IsInf(f, -1):
			return types.DInt(types.TimestampNegInfinity), nil
		}
		us := math.Round(f * 1e6)
		if us < -210866803200e6 || us >= 9224318016000e6 {
			return types.Datum{}, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "timestamp out of range: %q", types.FormatText(F, a[0], nil))
		}
		return types.DInt(int64(us)), nil
	})
	regRow("to_timestamp", tt(T, T), tz, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		local, err := parseWithFormat(a[0].S, a[1].S)
		if err != nil {
			return types.Datum{}, err
		}
		return types.DInt(types.UTCFromLocal(local, ctx.Location)), nil
	}, stable)
	regRow("to_date", tt(T, T), d, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		local, err := parseWithFormat(a[0].S, a[1].S)
		if err != nil {
			return types.Datum{}, err
		}
		q, _ := types.FloorDiv(local, types.MicrosPerDay)
		return types.DInt(q), nil
	})
	regRow("to_char", tt(ts, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if isInfTS(a[0].I) {
			return types.NullDatum, nil
		}
		return dstr(formatTS(splitTS(a[0].I), a[1].S, false))
	})
	regRow("to_char", tt(tz, T), T, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
		if isInfTS(a[0].I) {
			return types.NullDatum, nil
		}
		p, _ := tsPartsFor(ctx, a[0].I, true)
		return dstr(formatTS(p, a[1].S, true))
	}, stable)
	regRow("to_char", tt(iv, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		v := a[0].V
		p := tsParts{y: int(v.Months / 12), m: int(v.Months % 12), d: int(v.Days)}
		us := v.Micros
		p.hour = int(us / types.MicrosPerHour)
		p.min = int(us / types.MicrosPerMinute % 60)
		p.sec = int(us / types.MicrosPerSecond % 60)
		p.us = us % types.MicrosPerSecond
		return dstr(formatTS(p, a[1].S, false))
	})
	for _, nt := range []types.T{types.TInt2, types.TInt4, types.TInt8, types.TFloat4, F, types.TNumeric} {
		nt := nt
		regRow("to_char", tt(nt, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			var dec *apd.Decimal
			switch nt.Phys() {
			case types.PhysInt:
				dec = apd.New(a[0].I, 0)
			case types.PhysFloat:
				bits := 64
				if nt.ID == types.Float4 {
					bits = 32
				}
				dec = floatToDec(a[0].F, bits)
			default:
				dec = a[0].D
			}
			return dstr(formatNumber(dec, a[1].S))
		})
	}
	for _, argT := range []types.T{ts, tz} {
		argT := argT
		regRow("age", tt(argT, argT), iv, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
			return ageOf(ctx, a[0].I, a[1].I, argT.ID == types.TimestampTZ)
		}, stable)
		regRow("age", tt(argT), iv, func(ctx *EvalCtx, a []types.Datum) (types.Datum, error) {
			l, _ := types.LocalMicros(stmtNow(ctx), ctx.Location)
			midnight, _ := types.FloorDiv(l, types.MicrosPerDay)
			today := midnight * types.MicrosPerDay
			if argT.ID == types.TimestampTZ {
				today = types.UTCFromLocal(today, ctx.Location)
			}
			return ageOf(ctx, today, a[0].I, argT.ID == types.TimestampTZ)
		}, stable)
	}
	regRow("justify_hours", tt(iv), iv, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		v := a[0].V
		j := justifyHours(v.Micros)
		j.Months = v.Months
		j.Days += v.Days
		return types.DInterval(j), nil
	})
	regRow("justify_days", tt(iv), iv, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		v := a[0].V
		v.Months += v.Days / 30
		v.Days %= 30
		return types.DInterval(v), nil
	})
	I, F8 := types.TInt4, types.TFloat8
	mk := []types.T{I, I, I, I, I, I, F8}
	for n := 1; n <= len(mk); n++ {
		regRow("make_interval", mk[:n], iv, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			var f [7]float64
			for k, x := range a {
				if k == 6 {
					f[k] = x.F
				} else {
					f[k] = float64(x.I)
				}
			}
			us := f[4]*types.MicrosPerHour + f[5]*types.MicrosPerMinute + f[6]*types.MicrosPerSecond
			return types.DInterval(types.IntervalValue{Months: int32(f[0]*12 + f[1]), Days: int32(f[2]*7 + f[3]), Micros: int64(math.Round(us))}), nil
		})
	}
}

// ageOf is PostgreSQL's age(a, b): a symbolic difference in years, months
// and days, borrowing days from the month of b.
func ageOf(ctx *EvalCtx, a, b int64, tz bool) (types.Datum, error) {
	if isInfTS(a) || isInfTS(b) {
		return types.Datum{}, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "interval out of range")
	}
	pa, _ := tsPartsFor(ctx, a, tz)
	pb, _ := tsPartsFor(ctx, b, tz)
	neg := false
	if pa.local < pb.local {
		pa, pb = pb, pa
		neg = true
	}
	us := (int64(pa.hour)*3600+int64(pa.min)*60+int64(pa.sec))*1e6 + pa.us -
		((int64(pb.hour)*3600+int64(pb.min)*60+int64(pb.sec))*1e6 + pb.us)
	days := pa.d - pb.d
	months := pa.m - pb.m
	years := pa.y - pb.y
	if us < 0 {
		us += types.MicrosPerDay
		days--
	}
	if days < 0 {
		days += types.DaysInMonth(pb.y, pb.m)
		months--
	}
	if months < 0 {
		months += 12
		years--
	}
	v := types.IntervalValue{Months: int32(years*12 + months), Days: int32(days), Micros: us}
	if neg {
		v = types.IntervalValue{Months: -v.Months, Days: -v.Days, Micros: -v.Micros}
	}
	return types.DInterval(v), nil
}
