package expr

import (
	"math"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Arithmetic operators with PostgreSQL semantics: integer results of the
// operands' type with overflow errors (22003 "integer out of range"),
// integer division truncating toward zero, % taking the dividend's sign,
// division by zero 22012 for every type (floats included), IEEE floats
// otherwise, exact numeric with PostgreSQL's division scale.

func divByZero() error { return pgerror.New(pgerror.CodeDivisionByZero, "division by zero") }

func floatOverflow() error {
	return pgerror.New(pgerror.CodeNumericValueOutOfRange, "value out of range: overflow")
}

func floatUnderflow() error {
	return pgerror.New(pgerror.CodeNumericValueOutOfRange, "value out of range: underflow")
}

func init() {
	for _, t := range []types.T{types.TInt2, types.TInt4, types.TInt8} {
		t := t
		reg2("+", t, t, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) {
			r := a + b
			if (a > 0 && b > 0 && r < 0) || (a < 0 && b < 0 && r >= 0) {
				return 0, intRange(t)
			}
			return checkIntRange(r, t)
		}))
		reg2("-", t, t, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) {
			r := a - b
			if (a >= 0 && b < 0 && r < 0) || (a < 0 && b > 0 && r >= 0) {
				return 0, intRange(t)
			}
			return checkIntRange(r, t)
		}))
		reg2("*", t, t, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) {
			r := a * b
			if a != 0 && (r/a != b || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64)) {
				return 0, intRange(t)
			}
			return checkIntRange(r, t)
		}))
		reg2("/", t, t, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) {
			if b == 0 {
				return 0, divByZero()
			}
			if b == -1 {
				if a == math.MinInt64 {
					return 0, intRange(t)
				}
				return checkIntRange(-a, t)
			}
			return a / b, nil
		}))
		modf := bin(t, gI, gI, gI, func(a, b int64) (int64, error) {
			if b == 0 {
				return 0, divByZero()
			}
			if b == -1 {
				return 0, nil
			}
			return a % b, nil
		})
		reg2("%", t, t, t, modf)
		reg2("mod", t, t, t, modf)
		reg2("&", t, t, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) { return a & b, nil }))
		reg2("|", t, t, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) { return a | b, nil }))
		reg2("#", t, t, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) { return a ^ b, nil }))
		bitsOf := map[types.ID]uint{types.Int2: 16, types.Int4: 32, types.Int8: 64}[t.ID]
		reg2("<<", t, types.TInt4, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) {
			s := uint(b) % bitsOf
			return signExtend(a<<s, bitsOf), nil
		}))
		reg2(">>", t, types.TInt4, t, bin(t, gI, gI, gI, func(a, b int64) (int64, error) {
			return a >> (uint(b) % bitsOf), nil
		}))
		reg1("~", t, t, un(t, gI, gI, func(a int64) (int64, error) { return ^a, nil }))
		reg1("-", t, t, un(t, gI, gI, func(a int64) (int64, error) {
			if a == math.MinInt64 {
				return 0, intRange(t)
			}
			return checkIntRange(-a, t)
		}))
		reg1("+", t, t, un(t, gI, gI, func(a int64) (int64, error) { return a, nil }))
	}

	for _, t := range []types.T{types.TFloat4, types.TFloat8} {
		t := t
		fix := func(r, a, b float64) (float64, error) {
			if t.ID == types.Float4 {
				r = float64(float32(r))
			}
			if math.IsInf(r, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
				return 0, floatOverflow()
			}
			return r, nil
		}
		reg2("+", t, t, t, bin(t, gF, gF, gF, func(a, b float64) (float64, error) { return fix(a+b, a, b) }))
		reg2("-", t, t, t, bin(t, gF, gF, gF, func(a, b float64) (float64, error) { return fix(a-b, a, b) }))
		reg2("*", t, t, t, bin(t, gF, gF, gF, func(a, b float64) (float64, error) {
			r, err := fix(a*b, a, b)
			if err == nil && r == 0 && a != 0 && b != 0 {
				return 0, floatUnderflow()
			}
			return r, err
		}))
		reg2("/", t, t, t, bin(t, gF, gF, gF, func(a, b float64) (float64, error) {
			if b == 0 {
				return 0, divByZero()
			}
			r, err := fix(a/b, a, b)
			if err == nil && r == 0 && a != 0 && !math.IsInf(b, 0) {
				return 0, floatUnderflow()
			}
			return r, err
		}))
		reg1("-", t, t, un(t, gF, gF, func(a float64) (float64, error) { return -a, nil }))
		reg1("+", t, t, un(t, gF, gF, func(a float64) (float64, error) { return a, nil }))
	}
	reg2("^", types.TFloat8, types.TFloat8, types.TFloat8, bin(types.TFloat8, gF, gF, gF, floatPow))

	n := types.TNumeric
	reg2("+", n, n, n, bin(n, gD, gD, gD, func(a, b *apd.Decimal) (*apd.Decimal, error) {
		return decOp(exact.Add, a, b)
	}))
	reg2("-", n, n, n, bin(n, gD, gD, gD, func(a, b *apd.Decimal) (*apd.Decimal, error) {
		return decOp(exact.Sub, a, b)
	}))
	reg2("*", n, n, n, bin(n, gD, gD, gD, func(a, b *apd.Decimal) (*apd.Decimal, error) {
		return decOp(exact.Mul, a, b)
	}))
	reg2("/", n, n, n, bin(n, gD, gD, gD, NumericDiv))
	modn := bin(n, gD, gD, gD, func(a, b *apd.Decimal) (*apd.Decimal, error) {
		if b.IsZero() && b.Form == apd.Finite {
			return nil, divByZero()
		}
		if isNaN(a) || isNaN(b) {
			return &apd.Decimal{Form: apd.NaN}, nil
		}
		r := new(apd.Decimal)
		c := exact
		c.Precision = uint32(max(a.NumDigits(), b.NumDigits()) + 10)
		if _, err := c.Rem(r, a, b); err != nil {
			return nil, pgerror.Wrap(err, pgerror.CodeNumericValueOutOfRange)
		}
		return r, nil
	})
	reg2("%", n, n, n, modn)
	reg2("mod", n, n, n, modn)
	reg2("^", n, n, n, bin(n, gD, gD, gD, numericPow))
	reg1("-", n, n, un(n, gD, gD, func(a *apd.Decimal) (*apd.Decimal, error) {
		r := new(apd.Decimal)
		r.Neg(a)
		if r.IsZero() {
			r.Negative = false
		}
		return r, nil
	}))
	reg1("+", n, n, un(n, gD, gD, func(a *apd.Decimal) (*apd.Decimal, error) { return a, nil }))
}

func signExtend(v int64, bits uint) int64 {
	if bits == 64 {
		return v
	}
	s := 64 - bits
	return v << s >> s
}

func floatPow(a, b float64) (float64, error) {
	if a == 0 && b < 0 {
		return 0, pgerror.New("2201F", "zero raised to a negative power is undefined")
	}
	if a < 0 && b != math.Trunc(b) {
		return 0, pgerror.New("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	r := math.Pow(a, b)
	if math.IsInf(r, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		return 0, floatOverflow()
	}
	return r, nil
}

func decOp(op func(d, x, y *apd.Decimal) (apd.Condition, error), a, b *apd.Decimal) (*apd.Decimal, error) {
	r := new(apd.Decimal)
	if isNaN(a) || isNaN(b) {
		return &apd.Decimal{Form: apd.NaN}, nil
	}
	if _, err := op(r, a, b); err != nil {
		// Inf - Inf and the like.
		return &apd.Decimal{Form: apd.NaN}, nil
	}
	if r.IsZero() {
		r.Negative = false
	}
	return r, nil
}

// nbaseWeight returns PostgreSQL's base-10000 weight and first digit of a
// non-zero finite numeric.
func nbaseWeight(d *apd.Decimal) (weight int64, first int64) {
	digits := d.Coeff.String()
	e10 := int64(len(digits)) + int64(d.Exponent) - 1
	weight = e10 / 4
	if e10 < 0 && e10%4 != 0 {
		weight--
	}
	lead := e10 - weight*4 + 1 // decimal digits in the first group (1..4)
	for int64(len(digits)) < lead {
		digits += "0"
	}
	for _, c := range digits[:lead] {
		first = first*10 + int64(c-'0')
	}
	return weight, first
}

func dscale(d *apd.Decimal) int64 {
	if d.Exponent < 0 {
		return int64(-d.Exponent)
	}
	return 0
}

// NumericDiv divides with PostgreSQL's result scale (select_div_scale): at
// least 16 significant digits, at least the scale of either input, rounded
// half away from zero.
func NumericDiv(a, b *apd.Decimal) (*apd.Decimal, error) {
	if b.Form == apd.Finite && b.IsZero() {
		return nil, divByZero()
	}
	if isNaN(a) || isNaN(b) {
		return &apd.Decimal{Form: apd.NaN}, nil
	}
	if a.Form == apd.Infinite || b.Form == apd.Infinite {
		if a.Form == apd.Infinite && b.Form == apd.Infinite {
			return &apd.Decimal{Form: apd.NaN}, nil
		}
		if b.Form == apd.Infinite {
			return apd.New(0, 0), nil
		}
		return &apd.Decimal{Form: apd.Infinite, Negative: a.Negative != b.Negative}, nil
	}
	var w1, f1, w2, f2 int64
	if !a.IsZero() {
		w1, f1 = nbaseWeight(a)
	}
	w2, f2 = nbaseWeight(b)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := 16 - qweight*4
	rscale = max(rscale, dscale(a), dscale(b), 0)
	rscale = min(rscale, 1000)
	// Truncate with enough digits, then round half away from zero: exact,
	// since truncation never turns a value below a tie into a tie.
	intDigits := int64(a.NumDigits()) + int64(a.Exponent) - (int64(b.NumDigits()) + int64(b.Exponent)) + 2
	c := exact
	c.Precision = uint32(max(intDigits+rscale+2, 2))
	c.Rounding = apd.RoundDown
	q := new(apd.Decimal)
	if _, err := c.Quo(q, a, b); err != nil {
		return nil, pgerror.Wrap(err, pgerror.CodeNumericValueOutOfRange)
	}
	r := new(apd.Decimal)
	if _, err := quantize(r, q, int32(-rscale)); err != nil {
		return nil, pgerror.Wrap(err, pgerror.CodeNumericValueOutOfRange)
	}
	if r.IsZero() {
		r.Negative = false
	}
	return r, nil
}

func numericPow(a, b *apd.Decimal) (*apd.Decimal, error) {
	if a.IsZero() && b.Negative {
		return nil, pgerror.New("2201F", "zero raised to a negative power is undefined")
	}
	r := new(apd.Decimal)
	c := exact
	c.Precision = 32
	if _, err := c.Pow(r, a, b); err != nil {
		return nil, pgerror.New("2201F", "a negative number raised to a non-integer power yields a complex result")
	}
	// Result scale as PostgreSQL's power_var: at least 16 significant
	// digits and the input scales.
	rscale := max(int64(16)-(int64(r.NumDigits())+int64(r.Exponent)-1), dscale(a), dscale(b), 0)
	out := new(apd.Decimal)
	if _, err := quantize(out, r, int32(-min(rscale, 1000))); err != nil {
		return r, nil
	}
	return out, nil
}
