package expr

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// castFunc converts a vector to type to. NULL rows stay NULL and are never
// converted (they hold zero values).
type castFunc func(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error)

// CastDatum converts one value, for row-at-a-time paths (INSERT coercion,
// COPY, parameters). explicit selects CAST semantics (varchar(n) truncates);
// otherwise assignment semantics (too long is 22001). Errors: 42846 when
// there is no conversion, else the conversion's own error (22P02, 22003...).
func CastDatum(ctx *EvalCtx, d types.Datum, from, to types.T, explicit bool) (types.Datum, error) {
	if d.Null {
		return types.NullDatum, nil
	}
	k, err := castKernel(from, to, explicit)
	if err != nil {
		return types.Datum{}, err
	}
	if ctx == nil {
		ctx = &EvalCtx{}
	}
	v := types.NewVec(from, 1)
	v.Append(d)
	out, err := k(ctx, v, to, 1)
	if err != nil {
		return types.Datum{}, err
	}
	return out.Datum(0), nil
}

func cannotCast(from, to types.T) *pgerror.Error {
	return pgerror.New(pgerror.CodeCannotCoerce, "cannot cast type %s to %s", from, to)
}

// mapRows applies f to each non-NULL row of v, writing an output of type to.
func mapRows(v *types.Vec, to types.T, n int, f func(i int, out *types.Vec) error) (*types.Vec, error) {
	out := newOut(to, n)
	out.Nulls = cloneBits(v.Nulls)
	hasNulls := out.Nulls.Any()
	for i := 0; i < n; i++ {
		if hasNulls && out.Nulls.Get(i) {
			continue
		}
		if err := f(i, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isStringish(id types.ID) bool {
	switch id {
	case types.Text, types.Varchar, types.Name, types.Char, types.Unknown:
		return true
	}
	return false
}

func isOidish(id types.ID) bool {
	switch id {
	case types.Oid, types.RegClass, types.RegType, types.RegProc, types.RegNamespace:
		return true
	}
	return false
}

// castKernel returns the conversion from → to, or 42846.
func castKernel(from, to types.T, explicit bool) (castFunc, error) {
	f, t := from.ID, to.ID
	if f == t {
		switch {
		case t == types.Varchar && to.Mod >= 4:
			return stringToString(explicit), nil
		case t == types.Numeric && to.Mod >= 4:
			return numericMod, nil
		}
		return identity, nil
	}
	switch {
	case isStringish(t):
		if isStringish(f) {
			return stringToString(explicit), nil
		}
		return toText(explicit), nil
	case isStringish(f):
		return fromText, nil
	}
	switch {
	case (from.IsInteger() || isOidish(f)) && (to.IsInteger() || isOidish(t)):
		return intToInt, nil
	case from.IsInteger() && (t == types.Float4 || t == types.Float8):
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			out := newOut(to, n)
			out.Nulls = cloneBits(v.Nulls)
			for i := 0; i < n; i++ {
				out.F[i] = float64(v.I[i])
				if to.ID == types.Float4 {
					out.F[i] = float64(float32(out.F[i]))
				}
			}
			return out, nil
		}, nil
	case from.IsInteger() && t == types.Numeric:
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				d, err := applyNumericMod(decFromInt(v.I[i]), to)
				out.D[i] = d
				return err
			})
		}, nil
	case (f == types.Float4 || f == types.Float8) && to.IsInteger():
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				x := math.RoundToEven(v.F[i])
				if math.IsNaN(x) || x < -9223372036854775808 || x >= 9223372036854775808 {
					return intRange(to)
				}
				r, err := checkIntRange(int64(x), to)
				out.I[i] = r
				return err
			})
		}, nil
	case f == types.Float8 && t == types.Float4:
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				x := float32(v.F[i])
				if math.IsInf(float64(x), 0) && !math.IsInf(v.F[i], 0) {
					return pgerror.New(pgerror.CodeNumericValueOutOfRange, "value out of range: overflow")
				}
				if x == 0 && v.F[i] != 0 {
					return pgerror.New(pgerror.CodeNumericValueOutOfRange, "value out of range: underflow")
				}
				out.F[i] = float64(x)
				return nil
			})
		}, nil
	case f == types.Float4 && t == types.Float8:
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return retype(v, to), nil
		}, nil
	case (f == types.Float4 || f == types.Float8) && t == types.Numeric:
		bits := 64
		if f == types.Float4 {
			bits = 32
		}
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				d, err := applyNumericMod(floatToDec(v.F[i], bits), to)
				out.D[i] = d
				return err
			})
		}, nil
	case f == types.Numeric && to.IsInteger():
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				r, err := decToInt(v.D[i], to)
				out.I[i] = r
				return err
			})
		}, nil
	case f == types.Numeric && (t == types.Float4 || t == types.Float8):
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				x := decToFloat(v.D[i])
				if t == types.Float4 {
					x = float64(float32(x))
				}
				if math.IsInf(x, 0) && v.D[i].Form == apd.Finite {
					return pgerror.New(pgerror.CodeNumericValueOutOfRange, "value out of range: overflow")
				}
				out.F[i] = x
				return nil
			})
		}, nil
	case f == types.Bool && to.IsInteger():
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return retype(v, to), nil
		}, nil
	case from.IsInteger() && t == types.Bool:
		return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			out := newOut(to, n)
			out.Nulls = cloneBits(v.Nulls)
			for i := 0; i < n; i++ {
				if v.I[i] != 0 {
					out.I[i] = 1
				}
			}
			return out, nil
		}, nil
	case f == types.Date && (t == types.Timestamp || t == types.TimestampTZ):
		return func(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				d := v.I[i]
				switch d {
				case types.DateInfinity:
					out.I[i] = types.TimestampInfinity
					return nil
				case types.DateNegInfinity:
					out.I[i] = types.TimestampNegInfinity
					return nil
				}
				ts := d * types.MicrosPerDay
				if to.ID == types.TimestampTZ {
					ts = types.UTCFromLocal(ts, ctx.Location)
				}
				out.I[i] = ts
				return nil
			})
		}, nil
	case (f == types.Timestamp || f == types.TimestampTZ) && t == types.Date:
		return func(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				ts := v.I[i]
				switch ts {
				case types.TimestampInfinity:
					out.I[i] = types.DateInfinity
					return nil
				case types.TimestampNegInfinity:
					out.I[i] = types.DateNegInfinity
					return nil
				}
				if from.ID == types.TimestampTZ {
					ts, _ = types.LocalMicros(ts, ctx.Location)
				}
				out.I[i], _ = types.FloorDiv(ts, types.MicrosPerDay)
				return nil
			})
		}, nil
	case f == types.Timestamp && t == types.TimestampTZ:
		return func(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				out.I[i] = types.UTCFromLocal(v.I[i], ctx.Location)
				return nil
			})
		}, nil
	case f == types.TimestampTZ && t == types.Timestamp:
		return func(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				out.I[i], _ = types.LocalMicros(v.I[i], ctx.Location)
				return nil
			})
		}, nil
	case f == types.JSONB && (to.IsNumeric() || t == types.Bool):
		return jsonbToScalar, nil
	case from.IsArray() && to.IsArray():
		return arrayCast(from, to, explicit)
	}
	return nil, cannotCast(from, to)
}

func identity(_ *EvalCtx, v *types.Vec, to types.T, _ int) (*types.Vec, error) {
	return retype(v, to), nil
}

func numericMod(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
	return mapRows(v, to, n, func(i int, out *types.Vec) error {
		d, err := applyNumericMod(v.D[i], to)
		out.D[i] = d
		return err
	})
}

func intToInt(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
	widening := to.ID == types.Int8 || (to.ID == types.Int4 && v.T.ID == types.Int2) ||
		(isOidish(to.ID) && isOidish(v.T.ID))
	if widening {
		return retype(v, to), nil
	}
	return mapRows(v, to, n, func(i int, out *types.Vec) error {
		r, err := checkIntRange(v.I[i], to)
		out.I[i] = r
		return err
	})
}

// stringToString converts between text-like types, applying the target's
// length rule: name keeps 63 bytes, "char" one byte, varchar(n) n
// characters (explicit casts truncate; assignment errors unless the excess
// is spaces, as in PostgreSQL).
func stringToString(explicit bool) castFunc {
	return func(_ *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
		limit := -1
		switch to.ID {
		case types.Varchar:
			if to.Mod >= 4 {
				limit = int(to.Mod - 4)
			}
		case types.Name:
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				s := v.S[i]
				if len(s) > 63 {
					s = truncBytesUTF8(s, 63)
				}
				out.S[i] = s
				return nil
			})
		case types.Char:
			return mapRows(v, to, n, func(i int, out *types.Vec) error {
				s := v.S[i]
				if len(s) > 1 {
					s = s[:1]
				}
				out.S[i] = s
				return nil
			})
		}
		if limit < 0 {
			return retype(v, to), nil
		}
		return mapRows(v, to, n, func(i int, out *types.Vec) error {
			s, err := varcharLimit(v.S[i], limit, to, explicit)
			out.S[i] = s
			return err
		})
	}
}

func varcharLimit(s string, limit int, to types.T, explicit bool) (string, error) {
	if len(s) <= limit || utf8.RuneCountInString(s) <= limit {
		return s, nil
	}
	cut := 0
	for k := 0; k < limit; k++ {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	if !explicit {
		for j := cut; j < len(s); j++ {
			if s[j] != ' ' {
				return "", pgerror.New(pgerror.CodeStringDataRightTruncation, "value too long for type %s", to)
			}
		}
	}
	return s[:cut], nil
}

func truncBytesUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// toText formats values with their type's output function.
func toText(explicit bool) castFunc {
	return func(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
		var buf []byte
		text, err := mapRows(v, types.TText, n, func(i int, out *types.Vec) error {
			buf = buf[:0]
			if v.T.ID == types.RegClass && ctx.Catalog != nil {
				if name, ok := ctx.Catalog.RelationName(uint32(v.I[i])); ok {
					out.S[i] = name
					return nil
				}
			}
			if v.T.ID == types.RegNamespace {
				if name, ok := namespaceName(ctx, uint32(v.I[i])); ok {
					out.S[i] = name
					return nil
				}
			}
			buf = v.AppendText(buf, i, ctx.Location)
			out.S[i] = string(buf)
			return nil
		})
		if err != nil || to.ID == types.Text {
			return text, err
		}
		return stringToString(explicit)(ctx, text, to, n)
	}
}

// fromText parses text with the target type's input function.
func fromText(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
	return mapRows(v, to, n, func(i int, out *types.Vec) error {
		s := v.S[i]
		switch to.ID {
		case types.RegNamespace:
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				oid, err := namespaceOID(ctx, s)
				out.I[i] = int64(oid)
				return err
			}
		case types.RegClass:
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				if ctx.Catalog == nil {
					return pgerror.New(pgerror.CodeUndefinedTable, "relation %q does not exist", s)
				}
				oid, ok := ctx.Catalog.RelationOID(s)
				if !ok {
					return pgerror.New(pgerror.CodeUndefinedTable, "relation %q does not exist", s)
				}
				out.I[i] = int64(oid)
				return nil
			}
		}
		d, err := types.ParseText(to, s, ctx.Location)
		if err != nil {
			return err
		}
		if to.ID == types.Numeric && to.Mod >= 4 {
			if d.D, err = applyNumericMod(d.D, to); err != nil {
				return err
			}
		}
		setDatum(out, i, d)
		return nil
	})
}

// jsonbToScalar implements jsonb::numeric/int/float/bool for scalar jsonb.
func jsonbToScalar(ctx *EvalCtx, v *types.Vec, to types.T, n int) (*types.Vec, error) {
	return mapRows(v, to, n, func(i int, out *types.Vec) error {
		j, err := types.ParseJSON(v.S[i])
		if err != nil {
			return err
		}
		want := "number"
		if to.ID == types.Bool {
			want = "boolean"
		}
		if j.Kind != want {
			return pgerror.New(pgerror.CodeInvalidParameterValue, "cannot cast jsonb %s to type %s", j.Kind, to)
		}
		d, err := types.ParseText(to, j.Str, nil)
		if err != nil {
			return err
		}
		setDatum(out, i, d)
		return nil
	})
}
