package expr

import (
	"math"
	"math/rand/v2"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func dfloat(f float64) (types.Datum, error) { return types.DFloat(f), nil }
func ddec(d *apd.Decimal) (types.Datum, error) {
	if d.IsZero() {
		d.Negative = false
	}
	return types.DDecimal(d), nil
}

func init() {
	F, N, I := types.TFloat8, types.TNumeric, types.TInt4
	for _, t := range []types.T{types.TInt2, types.TInt4, types.TInt8} {
		t := t
		regRow("abs", tt(t), t, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			if a[0].I < 0 {
				if a[0].I == math.MinInt64 {
					return types.Datum{}, intRange(t)
				}
				r, err := checkIntRange(-a[0].I, t)
				return types.DInt(r), err
			}
			return a[0], nil
		})
	}
	for _, t := range []types.T{types.TFloat4, F} {
		regRow("abs", tt(t), t, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dfloat(math.Abs(a[0].F)) })
	}
	regRow("abs", tt(N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return ddec(new(apd.Decimal).Abs(a[0].D))
	})
	// Rounding: float round() rounds half to even (rint), numeric half away
	// from zero, as PostgreSQL does.
	floatFns := map[string]func(float64) float64{
		"ceil": math.Ceil, "ceiling": math.Ceil, "floor": math.Floor, "round": math.RoundToEven,
		"trunc": math.Trunc,
	}
	for name, f := range floatFns {
		f := f
		regRow(name, tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dfloat(f(a[0].F)) })
	}
	decRound := func(mode apd.Rounder) func(d *apd.Decimal, scale int64) (types.Datum, error) {
		return func(d *apd.Decimal, scale int64) (types.Datum, error) {
			if d.Form != apd.Finite {
				return types.DDecimal(d), nil
			}
			scale = max(min(scale, 1000), -1000)
			c := exact
			c.Rounding = mode
			c.Precision = uint32(max(int64(d.NumDigits())+scale+int64(-d.Exponent)+2, 1))
			r := new(apd.Decimal)
			if _, err := c.Quantize(r, d, int32(-scale)); err != nil {
				return types.Datum{}, pgerror.New(pgerror.CodeNumericValueOutOfRange, "value overflows numeric format")
			}
			if scale < 0 {
				// PostgreSQL shows round(1234.5, -2) as 1200 (scale 0).
				if _, err := c.Quantize(r, r, 0); err != nil {
					return types.Datum{}, err
				}
			}
			return ddec(r)
		}
	}
	roundHalf, truncDown := decRound(apd.RoundHalfUp), decRound(apd.RoundDown)
	regRow("round", tt(N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return roundHalf(a[0].D, 0) })
	regRow("round", tt(N, I), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return roundHalf(a[0].D, a[1].I) })
	regRow("trunc", tt(N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return truncDown(a[0].D, 0) })
	regRow("trunc", tt(N, I), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return truncDown(a[0].D, a[1].I) })
	ceilFloor := func(mode apd.Rounder) func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			d := a[0].D
			if d.Form != apd.Finite {
				return a[0], nil
			}
			c := exact
			c.Rounding = mode
			c.Precision = uint32(d.NumDigits() + 2)
			r := new(apd.Decimal)
			if _, err := c.Quantize(r, d, 0); err != nil {
				return types.Datum{}, err
			}
			return ddec(r)
		}
	}
	regRow("ceil", tt(N), N, ceilFloor(apd.RoundCeiling))
	regRow("ceiling", tt(N), N, ceilFloor(apd.RoundCeiling))
	regRow("floor", tt(N), N, ceilFloor(apd.RoundFloor))
	regRow("sqrt", tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[0].F < 0 {
			return types.Datum{}, pgerror.New("2201F", "cannot take square root of a negative number")
		}
		return dfloat(math.Sqrt(a[0].F))
	})
	regRow("sqrt", tt(N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[0].D.Negative {
			return types.Datum{}, pgerror.New("2201F", "cannot take square root of a negative number")
		}
		d := a[0].D
		if d.Form != apd.Finite {
			return a[0], nil
		}
		// PostgreSQL's numeric_sqrt scale: 16 significant digits counted
		// from the base-10000 weight of the argument.
		var w int64
		if !d.IsZero() {
			w, _ = nbaseWeight(d)
		}
		sweight := (w+1)*4/2 - 1
		rscale := max(16-sweight, dscale(d), 0)
		c := exact
		c.Precision = uint32(max(int64(d.NumDigits())+int64(d.Exponent), 1) + rscale + 4)
		r := new(apd.Decimal)
		if _, err := c.Sqrt(r, d); err != nil {
			return types.Datum{}, pgerror.Wrap(err, pgerror.CodeNumericValueOutOfRange)
		}
		out := new(apd.Decimal)
		if _, err := quantize(out, r, int32(-rscale)); err != nil {
			return types.Datum{}, err
		}
		return ddec(out)
	})
	regRow("cbrt", tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dfloat(math.Cbrt(a[0].F)) })
	for _, name := range []string{"power", "pow"} {
		regRow(name, tt(F, F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			r, err := floatPow(a[0].F, a[1].F)
			return types.DFloat(r), err
		})
		regRow(name, tt(N, N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			r, err := numericPow(a[0].D, a[1].D)
			if err != nil {
				return types.Datum{}, err
			}
			return ddec(r)
		})
	}
	logCheck := func(f float64) error {
		if f == 0 {
			return pgerror.New("2201E", "cannot take logarithm of zero")
		}
		if f < 0 {
			return pgerror.New("2201E", "cannot take logarithm of a negative number")
		}
		return nil
	}
	regRow("exp", tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		r := math.Exp(a[0].F)
		if math.IsInf(r, 0) && !math.IsInf(a[0].F, 0) {
			return types.Datum{}, floatOverflow()
		}
		return dfloat(r)
	})
	regRow("exp", tt(N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return decFunc(a[0].D, func(c *apd.Context, r, d *apd.Decimal) error { _, err := c.Exp(r, d); return err })
	})
	regRow("ln", tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if err := logCheck(a[0].F); err != nil {
			return types.Datum{}, err
		}
		return dfloat(math.Log(a[0].F))
	})
	regRow("ln", tt(N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if err := logCheck(decToFloat(a[0].D)); err != nil {
			return types.Datum{}, err
		}
		return decFunc(a[0].D, func(c *apd.Context, r, d *apd.Decimal) error { _, err := c.Ln(r, d); return err })
	})
	for _, name := range []string{"log", "log10"} {
		regRow(name, tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			if err := logCheck(a[0].F); err != nil {
				return types.Datum{}, err
			}
			return dfloat(math.Log10(a[0].F))
		})
		regRow(name, tt(N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			if err := logCheck(decToFloat(a[0].D)); err != nil {
				return types.Datum{}, err
			}
			return decFunc(a[0].D, func(c *apd.Context, r, d *apd.Decimal) error { _, err := c.Log10(r, d); return err })
		})
	}
	regRow("log", tt(N, N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if err := logCheck(decToFloat(a[0].D)); err != nil {
			return types.Datum{}, err
		}
		if err := logCheck(decToFloat(a[1].D)); err != nil {
			return types.Datum{}, err
		}
		c := exact
		c.Precision = 40
		lb, lx := new(apd.Decimal), new(apd.Decimal)
		if _, err := c.Ln(lb, a[0].D); err != nil {
			return types.Datum{}, err
		}
		if _, err := c.Ln(lx, a[1].D); err != nil {
			return types.Datum{}, err
		}
		if lb.IsZero() {
			return types.Datum{}, divByZero()
		}
		q, err := NumericDiv(lx, lb)
		if err != nil {
			return types.Datum{}, err
		}
		return ddec(q)
	})
	regRow("sign", tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		switch {
		case a[0].F > 0:
			return dfloat(1)
		case a[0].F < 0:
			return dfloat(-1)
		}
		return dfloat(0)
	})
	regRow("sign", tt(N), N, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if isNaN(a[0].D) {
			return a[0], nil
		}
		switch {
		case a[0].D.IsZero():
			return ddec(apd.New(0, 0))
		case a[0].D.Negative:
			return ddec(apd.New(-1, 0))
		}
		return ddec(apd.New(1, 0))
	})
	regRow("pi", nil, F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dfloat(math.Pi) })
	regRow("degrees", tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dfloat(a[0].F * 180 / math.Pi) })
	regRow("radians", tt(F), F, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dfloat(a[0].F * math.Pi / 180) })
	RegisterFunc(&Func{Name: "random", Ret: F, Volatile: true, Eval: func(_ *EvalCtx, _ []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(F, n)
		for i := range out.F {
			out.F[i] = rand.Float64()
		}
		return out, nil
	}})
	for _, t := range orderedTypes {
		t := t
		for _, name := range []string{"greatest", "least"} {
			greatest := name == "greatest"
			RegisterFunc(&Func{Name: name, Args: tt(t), Variadic: true, NullCall: true, Ret: t, Eval: extremeKernel(t, greatest)})
		}
		RegisterFunc(&Func{Name: "nullif", Args: tt(t, t), NullCall: true, Ret: t, Eval: nullifKernel})
	}
}

// decFunc evaluates a transcendental numeric function with PostgreSQL's
// scale rule of thumb: at least 16 significant digits and the input scale.
func decFunc(d *apd.Decimal, f func(c *apd.Context, r, d *apd.Decimal) error) (types.Datum, error) {
	if d.Form != apd.Finite {
		return types.DDecimal(d), nil
	}
	c := exact
	c.Precision = 40
	r := new(apd.Decimal)
	if err := f(&c, r, d); err != nil {
		return types.Datum{}, pgerror.Wrap(err, pgerror.CodeNumericValueOutOfRange)
	}
	rscale := max(int64(16)-(int64(r.NumDigits())+int64(r.Exponent)-1), dscale(d), 0)
	out := new(apd.Decimal)
	if _, err := quantize(out, r, int32(-min(rscale, 1000))); err != nil {
		return types.Datum{}, err
	}
	return ddec(out)
}

// extremeKernel is greatest/least: NULL arguments are ignored; NULL only
// when all are NULL.
func extremeKernel(t types.T, greatest bool) VecFunc {
	return func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(t, n)
		for i := 0; i < n; i++ {
			best := -1
			for k, a := range args {
				if a.Nulls.Get(i) {
					continue
				}
				if best < 0 {
					best = k
					continue
				}
				c := a.Compare(i, args[best], i)
				if (greatest && c > 0) || (!greatest && c < 0) {
					best = k
				}
			}
			if best < 0 {
				out.Nulls.Set(i)
				continue
			}
			setRow(out, i, args[best], i)
		}
		return out, nil
	}
}

func nullifKernel(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
	a, b := args[0], args[1]
	out := newOut(a.T, n)
	for i := 0; i < n; i++ {
		if a.Nulls.Get(i) || (!b.Nulls.Get(i) && a.Compare(i, b, i) == 0) {
			out.Nulls.Set(i)
			continue
		}
		setRow(out, i, a, i)
	}
	return out, nil
}
