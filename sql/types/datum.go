package types

import "github.com/cockroachdb/apd/v3"

// IntervalValue is a PostgreSQL interval: months, days and microseconds are kept
// apart because their lengths vary (a month is not 30 days, a day across a
// DST change is not 24 hours).
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}

// Datum is one scalar value. Which field holds the value depends on the
// type's Phys; Datum does not carry its type (the expression or column that
// holds it does). It is used for constants, parameters and row-at-a-time
// paths (INSERT, COPY, state keys), never per value on hot paths.
type Datum struct {
	Null bool
	I    int64         // PhysInt
	F    float64       // PhysFloat
	S    string        // PhysString
	D    *apd.Decimal  // PhysDecimal; never mutated once set
	V    IntervalValue // PhysInterval
}

// Null is the NULL datum of any type.
var NullDatum = Datum{Null: true}

// DInt returns an integer-represented datum.
func DInt(i int64) Datum { return Datum{I: i} }

// DBool returns a boolean datum.
func DBool(b bool) Datum {
	if b {
		return Datum{I: 1}
	}
	return Datum{}
}

// DFloat returns a float datum.
func DFloat(f float64) Datum { return Datum{F: f} }

// DString returns a string-represented datum.
func DString(s string) Datum { return Datum{S: s} }

// DDecimal returns a numeric datum; d must not be mutated afterwards.
func DDecimal(d *apd.Decimal) Datum { return Datum{D: d} }

// DInterval returns an interval datum.
func DInterval(v IntervalValue) Datum { return Datum{V: v} }
