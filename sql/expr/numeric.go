package expr

import (
	"math"
	"strconv"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// exact is the context for exact numeric arithmetic (add, subtract,
// multiply: precision 0 means unlimited in apd).
var exact = apd.BaseContext

func decFromInt(i int64) *apd.Decimal { return apd.New(i, 0) }

func isNaN(d *apd.Decimal) bool { return d.Form == apd.NaN || d.Form == apd.NaNSignaling }

// decToInt rounds d half away from zero (PostgreSQL's numeric → integer
// rule) and checks the result fits in bits.
func decToInt(d *apd.Decimal, t types.T) (int64, error) {
	if d.Form != apd.Finite {
		return 0, pgerror.New(pgerror.CodeFeatureNotSupported, "cannot convert %s to %s", types.FormatText(types.TNumeric, types.DDecimal(d), nil), t)
	}
	var r apd.Decimal
	if _, err := quantize(&r, d, 0); err != nil {
		return 0, intRange(t)
	}
	i, err := r.Int64()
	if err != nil {
		return 0, intRange(t)
	}
	return checkIntRange(i, t)
}

func intRange(t types.T) *pgerror.Error {
	return pgerror.New(pgerror.CodeNumericValueOutOfRange, "%s out of range", t.String())
}

func checkIntRange(i int64, t types.T) (int64, error) {
	switch t.ID {
	case types.Int2:
		if i < math.MinInt16 || i > math.MaxInt16 {
			return 0, intRange(t)
		}
	case types.Int4:
		if i < math.MinInt32 || i > math.MaxInt32 {
			return 0, intRange(t)
		}
	case types.Oid, types.RegClass, types.RegType, types.RegProc:
		if i < math.MinInt32 || i > math.MaxUint32 {
			return 0, pgerror.New(pgerror.CodeNumericValueOutOfRange, "OID out of range")
		}
		if i < 0 {
			i += 1 << 32
		}
	}
	return i, nil
}

func decToFloat(d *apd.Decimal) float64 {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return math.NaN()
	case apd.Infinite:
		if d.Negative {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

func floatToDec(f float64, bits int) *apd.Decimal {
	switch {
	case math.IsNaN(f):
		return &apd.Decimal{Form: apd.NaN}
	case math.IsInf(f, 1):
		return &apd.Decimal{Form: apd.Infinite}
	case math.IsInf(f, -1):
		return &apd.Decimal{Form: apd.Infinite, Negative: true}
	}
	// PostgreSQL converts through the float's text output (15 or 6
	// significant digits before PostgreSQL 12's shortest form; 12+ uses
	// the shortest exact form, as here).
	d, _, _ := apd.NewFromString(strconv.FormatFloat(f, 'g', -1, bits))
	if d.IsZero() {
		d.Negative = false
	}
	return d
}

// applyNumericMod rounds d to numeric(p,s) and checks its precision, as
// PostgreSQL's numeric typmod coercion does.
func applyNumericMod(d *apd.Decimal, t types.T) (*apd.Decimal, error) {
	if t.Mod < 4 || d.Form != apd.Finite {
		return d, nil
	}
	p, s := t.NumericPrecScale()
	var r apd.Decimal
	if _, err := quantize(&r, d, -s); err != nil {
		return nil, numericOverflow(p, s)
	}
	// Digits before the point must be at most p - s.
	intDigits := int32(r.NumDigits()) + r.Exponent
	if !r.IsZero() && intDigits > p-s {
		return nil, numericOverflow(p, s)
	}
	if r.IsZero() {
		r.Negative = false
	}
	return &r, nil
}

func numericOverflow(p, s int32) *pgerror.Error {
	e := pgerror.New(pgerror.CodeNumericValueOutOfRange, "numeric field overflow")
	if p == s {
		return e.WithDetail("A field with precision %d, scale %d must round to an absolute value less than 1.", p, s)
	}
	return e.WithDetail("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", p, s, p-s)
}

// quantize rounds d half away from zero to exponent exp (scale -exp).
func quantize(r, d *apd.Decimal, exp int32) (apd.Condition, error) {
	c := exact
	c.Rounding = apd.RoundHalfUp
	shift := int64(d.Exponent) - int64(exp)
	if shift < 0 {
		shift = 0
	}
	c.Precision = uint32(int64(d.NumDigits()) + shift + 2)
	return c.Quantize(r, d, exp)
}
