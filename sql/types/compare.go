package types

import (
	"math"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Compare returns -1, 0 or +1 as a is less than, equal to or greater than b
// in the SQL order of type t. Neither value may be NULL (see
// CompareNullable).
//
// The order is PostgreSQL's: strings compare by bytes (the C collation, no
// pad space); floats order NaN above every other value and equal to itself,
// and -0 equal to 0; numeric orders NaN above +Infinity; intervals compare
// by their total span with a month counted as 30 days and a day as 24 hours,
// so '1 mon' = '30 days'.
func Compare(t T, a, b Datum) int {
	switch t.Phys() {
	case PhysInt:
		return cmpInt(a.I, b.I)
	case PhysFloat:
		return cmpFloat(a.F, b.F)
	case PhysDecimal:
		return cmpDecimal(a.D, b.D)
	case PhysString:
		return strings.Compare(a.S, b.S)
	default:
		return CompareInterval(a.V, b.V)
	}
}

// CompareNullable is Compare extended to NULLs, which sort first when
// nullsFirst is set and last otherwise; two NULLs are equal.
func CompareNullable(t T, a, b Datum, nullsFirst bool) int {
	switch {
	case a.Null && b.Null:
		return 0
	case a.Null:
		if nullsFirst {
			return -1
		}
		return 1
	case b.Null:
		if nullsFirst {
			return 1
		}
		return -1
	}
	return Compare(t, a, b)
}

// Compare compares row i of v with row j of w, neither of which may be
// NULL. Both vectors must have the same Phys; the comparison uses v's type.
func (v *Vec) Compare(i int, w *Vec, j int) int {
	switch v.T.Phys() {
	case PhysInt:
		return cmpInt(v.I[i], w.I[j])
	case PhysFloat:
		return cmpFloat(v.F[i], w.F[j])
	case PhysDecimal:
		return cmpDecimal(v.D[i], w.D[j])
	case PhysString:
		return strings.Compare(v.S[i], w.S[j])
	default:
		return CompareInterval(v.V[i], w.V[j])
	}
}

// Equal reports whether row i of v equals row j of w under Compare; neither
// may be NULL.
func (v *Vec) Equal(i int, w *Vec, j int) bool {
	switch v.T.Phys() {
	case PhysInt:
		return v.I[i] == w.I[j]
	case PhysString:
		return v.S[i] == w.S[j]
	}
	return v.Compare(i, w, j) == 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpDecimal orders numerics as PostgreSQL does: NaN is equal to itself and
// greater than everything else, including +Infinity.
func cmpDecimal(a, b *apd.Decimal) int {
	an, bn := a.Form == apd.NaN || a.Form == apd.NaNSignaling, b.Form == apd.NaN || b.Form == apd.NaNSignaling
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return a.Cmp(b)
}

// MicrosPerDay is the number of microseconds in a 24-hour day.
const MicrosPerDay = 86400 * 1000000

// IntervalSpan returns an interval's span normalised to whole days (a month
// counted as 30 days) and a remainder in [0, MicrosPerDay). Two intervals are
// equal in SQL exactly when their spans are equal.
func IntervalSpan(v IntervalValue) (days int64, micros int64) {
	days = int64(v.Months)*30 + int64(v.Days)
	d, m := v.Micros/MicrosPerDay, v.Micros%MicrosPerDay
	if m < 0 {
		m += MicrosPerDay
		d--
	}
	return days + d, m
}

// CompareInterval compares two intervals by span, as PostgreSQL's
// interval_cmp does.
func CompareInterval(a, b IntervalValue) int {
	ad, am := IntervalSpan(a)
	bd, bm := IntervalSpan(b)
	if c := cmpInt(ad, bd); c != 0 {
		return c
	}
	return cmpInt(am, bm)
}
