package expr

import (
	"math"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Date and time arithmetic as PostgreSQL defines it: timestamp ± interval
// adds months (clamping the day to the month's end), then days, then time;
// for timestamptz months and days are added in the session time zone, so a
// day across a DST change keeps the wall clock. timestamp − timestamp is an
// interval with whole days split out (justify_hours); date − date is an
// integer; date ± integer is a date.

func tsOutOfRange() error {
	return pgerror.New(pgerror.CodeDatetimeFieldOverflow, "timestamp out of range")
}

func isInfTS(t int64) bool { return t == types.TimestampInfinity || t == types.TimestampNegInfinity }

// AddInterval adds v to a zone-less timestamp.
func AddInterval(ts int64, v types.IntervalValue) (int64, error) {
	if isInfTS(ts) {
		return ts, nil
	}
	days, rem := types.FloorDiv(ts, types.MicrosPerDay)
	if v.Months != 0 {
		y, m, d := types.CivilFromDays(days)
		total := int64(y)*12 + int64(m-1) + int64(v.Months)
		ny, nm := total/12, total%12
		if nm < 0 {
			nm += 12
			ny--
		}
		if dim := types.DaysInMonth(int(ny), int(nm+1)); d > dim {
			d = dim
		}
		days = types.DaysFromCivil(int(ny), int(nm+1), d)
	}
	days += int64(v.Days)
	if days > 106751991 || days < -2440588 {
		return 0, tsOutOfRange()
	}
	r := days*types.MicrosPerDay + rem
	s := r + v.Micros
	if (v.Micros > 0 && s < r) || (v.Micros < 0 && s > r) {
		return 0, tsOutOfRange()
	}
	return s, nil
}

// AddIntervalTZ adds v to a timestamptz, months and days in loc.
func AddIntervalTZ(ts int64, v types.IntervalValue, ctx *EvalCtx) (int64, error) {
	if isInfTS(ts) {
		return ts, nil
	}
	if v.Months != 0 || v.Days != 0 {
		local, _ := types.LocalMicros(ts, ctx.Location)
		moved, err := AddInterval(local, types.IntervalValue{Months: v.Months, Days: v.Days})
		if err != nil {
			return 0, err
		}
		ts = types.UTCFromLocal(moved, ctx.Location)
	}
	return AddInterval(ts, types.IntervalValue{Micros: v.Micros})
}

func negInterval(v types.IntervalValue) (types.IntervalValue, error) {
	if v.Months == math.MinInt32 || v.Days == math.MinInt32 || v.Micros == math.MinInt64 {
		return types.IntervalValue{}, intervalRange()
	}
	return types.IntervalValue{Months: -v.Months, Days: -v.Days, Micros: -v.Micros}, nil
}

func intervalRange() error {
	return pgerror.New(pgerror.CodeDatetimeFieldOverflow, "interval out of range")
}

func addIntervals(a, b types.IntervalValue) (types.IntervalValue, error) {
	m := int64(a.Months) + int64(b.Months)
	d := int64(a.Days) + int64(b.Days)
	us := a.Micros + b.Micros
	if m != int64(int32(m)) || d != int64(int32(d)) || (a.Micros > 0 && b.Micros > 0 && us < 0) || (a.Micros < 0 && b.Micros < 0 && us >= 0) {
		return types.IntervalValue{}, intervalRange()
	}
	return types.IntervalValue{Months: int32(m), Days: int32(d), Micros: us}, nil
}

// justifyHours moves whole 24-hour days out of the time part.
func justifyHours(us int64) types.IntervalValue {
	d := us / types.MicrosPerDay
	return types.IntervalValue{Days: int32(d), Micros: us - d*types.MicrosPerDay}
}

// MulInterval multiplies an interval by a float as PostgreSQL's interval_mul
// does: fractional months spill into days (30 per month) and fractional
// days into time.
func MulInterval(v types.IntervalValue, f float64) (types.IntervalValue, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return types.IntervalValue{}, intervalRange()
	}
	months := float64(v.Months) * f
	days := float64(v.Days) * f
	wholeMonths := math.Trunc(months)
	monthFracDays := (months - wholeMonths) * 30
	wholeDays := math.Trunc(days)
	fracDays := days - wholeDays + monthFracDays - math.Trunc(monthFracDays)
	wholeDays += math.Trunc(monthFracDays)
	us := float64(v.Micros)*f + fracDays*types.MicrosPerDay
	if math.Abs(wholeMonths) > math.MaxInt32 || math.Abs(wholeDays) > math.MaxInt32 || math.Abs(us) > 9.2e18 {
		return types.IntervalValue{}, intervalRange()
	}
	return types.IntervalValue{Months: int32(wholeMonths), Days: int32(wholeDays), Micros: int64(math.Round(us))}, nil
}

func init() {
	ts, tz, d, iv, i4 := types.TTimestamp, types.TTimestampTZ, types.TDate, types.TInterval, types.TInt4
	reg2("+", ts, iv, ts, bin(ts, gI, gV, gI, AddInterval))
	reg2("+", iv, ts, ts, bin(ts, gV, gI, gI, func(v types.IntervalValue, t int64) (int64, error) { return AddInterval(t, v) }))
	reg2("-", ts, iv, ts, bin(ts, gI, gV, gI, func(t int64, v types.IntervalValue) (int64, error) {
		n, err := negInterval(v)
		if err != nil {
			return 0, err
		}
		return AddInterval(t, n)
	}))
	reg2("+", tz, iv, tz, binCtx(tz, gI, gV, gI, func(ctx *EvalCtx, t int64, v types.IntervalValue) (int64, error) {
		return AddIntervalTZ(t, v, ctx)
	}))
	reg2("+", iv, tz, tz, binCtx(tz, gV, gI, gI, func(ctx *EvalCtx, v types.IntervalValue, t int64) (int64, error) {
		return AddIntervalTZ(t, v, ctx)
	}))
	reg2("-", tz, iv, tz, binCtx(tz, gI, gV, gI, func(ctx *EvalCtx, t int64, v types.IntervalValue) (int64, error) {
		n, err := negInterval(v)
		if err != nil {
			return 0, err
		}
		return AddIntervalTZ(t, n, ctx)
	}))
	tsDiff := func(a, b int64) (types.IntervalValue, error) {
		if isInfTS(a) || isInfTS(b) {
			return types.IntervalValue{}, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "cannot subtract infinite timestamps")
		}
		diff := a - b
		if (b < 0 && diff < a) || (b > 0 && diff > a) {
			return types.IntervalValue{}, intervalRange()
		}
		return justifyHours(diff), nil
	}
	reg2("-", ts, ts, iv, bin(iv, gI, gI, gV, tsDiff))
	reg2("-", tz, tz, iv, bin(iv, gI, gI, gV, tsDiff))
	reg2("+", d, i4, d, bin(d, gI, gI, gI, func(a, b int64) (int64, error) { return dateAdd(a, b) }))
	reg2("+", i4, d, d, bin(d, gI, gI, gI, func(b, a int64) (int64, error) { return dateAdd(a, b) }))
	reg2("-", d, i4, d, bin(d, gI, gI, gI, func(a, b int64) (int64, error) { return dateAdd(a, -b) }))
	reg2("-", d, d, i4, bin(i4, gI, gI, gI, func(a, b int64) (int64, error) {
		if a == types.DateInfinity || a == types.DateNegInfinity || b == types.DateInfinity || b == types.DateNegInfinity {
			return 0, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "cannot subtract infinite dates")
		}
		return checkIntRange(a-b, types.TInt4)
	}))
	dateToTS := func(a int64) int64 {
		switch a {
		case types.DateInfinity:
			return types.TimestampInfinity
		case types.DateNegInfinity:
			return types.TimestampNegInfinity
		}
		return a * types.MicrosPerDay
	}
	reg2("+", d, iv, ts, bin(ts, gI, gV, gI, func(a int64, v types.IntervalValue) (int64, error) {
		return AddInterval(dateToTS(a), v)
	}))
	reg2("+", iv, d, ts, bin(ts, gV, gI, gI, func(v types.IntervalValue, a int64) (int64, error) {
		return AddInterval(dateToTS(a), v)
	}))
	reg2("-", d, iv, ts, bin(ts, gI, gV, gI, func(a int64, v types.IntervalValue) (int64, error) {
		n, err := negInterval(v)
		if err != nil {
			return 0, err
		}
		return AddInterval(dateToTS(a), n)
	}))
	reg2("+", iv, iv, iv, bin(iv, gV, gV, gV, addIntervals))
	reg2("-", iv, iv, iv, bin(iv, gV, gV, gV, func(a, b types.IntervalValue) (types.IntervalValue, error) {
		n, err := negInterval(b)
		if err != nil {
			return types.IntervalValue{}, err
		}
		return addIntervals(a, n)
	}))
	reg1("-", iv, iv, un(iv, gV, gV, negInterval))
	reg1("+", iv, iv, un(iv, gV, gV, func(v types.IntervalValue) (types.IntervalValue, error) { return v, nil }))
	f8 := types.TFloat8
	reg2("*", iv, f8, iv, bin(iv, gV, gF, gV, MulInterval))
	reg2("*", f8, iv, iv, bin(iv, gF, gV, gV, func(f float64, v types.IntervalValue) (types.IntervalValue, error) { return MulInterval(v, f) }))
	reg2("/", iv, f8, iv, bin(iv, gV, gF, gV, func(v types.IntervalValue, f float64) (types.IntervalValue, error) {
		if f == 0 {
			return types.IntervalValue{}, divByZero()
		}
		return MulInterval(v, 1/f)
	}))
}

func dateAdd(a, b int64) (int64, error) {
	if a == types.DateInfinity || a == types.DateNegInfinity {
		return a, nil
	}
	r := a + b
	if r < -2440588 || r > 2147483494-2440588 {
		return 0, pgerror.New(pgerror.CodeDatetimeFieldOverflow, "date out of range")
	}
	return r, nil
}
