package expr

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// TAny declares a function argument that accepts any type (pg_typeof,
// concat, count). The binder passes such arguments through uncast (see
// ImplicitCastTarget); untyped literals become text.
var TAny = types.TUnknown

type fnOpt func(*Func)

func variadic(f *Func) { f.Variadic = true }
func nullCall(f *Func) { f.NullCall = true }
func stable(f *Func)   { f.Stable = true }

// regRow registers a row-at-a-time function.
func regRow(name string, args []types.T, ret types.T, f func(ctx *EvalCtx, a []types.Datum) (types.Datum, error), opts ...fnOpt) {
	fn := &Func{Name: name, Args: args, Ret: ret}
	for _, o := range opts {
		o(fn)
	}
	if fn.NullCall {
		fn.Eval = rowFuncNullCall(ret, f)
	} else {
		fn.Eval = rowFunc(ret, f)
	}
	RegisterFunc(fn)
}

func tt(ts ...types.T) []types.T { return ts }

func dstr(s string) (types.Datum, error) { return types.DString(s), nil }
func dint(i int64) (types.Datum, error)  { return types.DInt(i), nil }

func init() {
	T, I := types.TText, types.TInt4
	charLen := func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return dint(int64(utf8.RuneCountInString(a[0].S)))
	}
	for _, name := range []string{"length", "char_length", "character_length"} {
		regRow(name, tt(T), I, charLen)
	}
	regRow("length", tt(types.TBytea), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dint(int64(len(a[0].S))) })
	for _, t := range []types.T{T, types.TBytea} {
		regRow("octet_length", tt(t), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dint(int64(len(a[0].S))) })
		regRow("bit_length", tt(t), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dint(int64(8 * len(a[0].S))) })
	}
	regRow("lower", tt(T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dstr(strings.ToLower(a[0].S)) })
	regRow("upper", tt(T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dstr(strings.ToUpper(a[0].S)) })
	regRow("initcap", tt(T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dstr(initcap(a[0].S)) })
	for _, name := range []string{"substring", "substr"} {
		regRow(name, tt(T, I), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			return substring(a[0].S, a[1].I, 0, false)
		})
		regRow(name, tt(T, I, I), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			return substring(a[0].S, a[1].I, a[2].I, true)
		})
	}
	regRow("substring", tt(T, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		re, err := compileRegex(a[1].S, false)
		if err != nil {
			return types.Datum{}, err
		}
		m := re.FindStringSubmatch(a[0].S)
		switch {
		case m == nil:
			return types.NullDatum, nil
		case len(m) > 1:
			return dstr(m[1])
		}
		return dstr(m[0])
	})
	regRow("replace", tt(T, T, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[1].S == "" {
			return a[0], nil
		}
		return dstr(strings.ReplaceAll(a[0].S, a[1].S, a[2].S))
	})
	regRow("split_part", tt(T, T, I), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		n := a[2].I
		if n == 0 {
			return types.Datum{}, pgerror.New(pgerror.CodeInvalidParameterValue, "field position must not be zero")
		}
		var parts []string
		if a[1].S == "" {
			parts = []string{a[0].S}
			if a[0].S == "" {
				parts = nil
			}
		} else {
			parts = strings.Split(a[0].S, a[1].S)
		}
		if n < 0 {
			n = int64(len(parts)) + n + 1
		}
		if n < 1 || n > int64(len(parts)) {
			return dstr("")
		}
		return dstr(parts[n-1])
	})
	// concat and concat_ws need the argument types, so they are vector
	// kernels.
	RegisterFunc(&Func{Name: "concat", Args: tt(TAny), Variadic: true, NullCall: true, Ret: T, Stable: true, Eval: concatKernel(false)})
	RegisterFunc(&Func{Name: "concat_ws", Args: tt(T, TAny), Variadic: true, NullCall: true, Ret: T, Stable: true, Eval: concatKernel(true)})
	trims := []struct {
		name        string
		left, right bool
	}{{"btrim", true, true}, {"trim", true, true}, {"ltrim", true, false}, {"rtrim", false, true}}
	for _, tr := range trims {
		tr := tr
		do := func(s, chars string) string {
			if tr.left {
				s = strings.TrimLeft(s, chars)
			}
			if tr.right {
				s = strings.TrimRight(s, chars)
			}
			return s
		}
		regRow(tr.name, tt(T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dstr(do(a[0].S, " ")) })
		regRow(tr.name, tt(T, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dstr(do(a[0].S, a[1].S)) })
	}
	for _, left := range []bool{true, false} {
		left := left
		name := "rpad"
		if left {
			name = "lpad"
		}
		pad := func(s string, n int64, fill string) (types.Datum, error) {
			if n < 0 {
				n = 0
			}
			r := []rune(s)
			if int64(len(r)) >= n {
				return dstr(string(r[:n]))
			}
			f := []rune(fill)
			if len(f) == 0 {
				return dstr(s)
			}
			need := int(n) - len(r)
			p := make([]rune, need)
			for k := range p {
				p[k] = f[k%len(f)]
			}
			if left {
				return dstr(string(p) + s)
			}
			return dstr(s + string(p))
		}
		regRow(name, tt(T, I), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return pad(a[0].S, a[1].I, " ") })
		regRow(name, tt(T, I, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return pad(a[0].S, a[1].I, a[2].S) })
	}
	regRow("left", tt(T, I), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		r := []rune(a[0].S)
		n := a[1].I
		if n < 0 {
			n = max(int64(len(r))+n, 0)
		}
		return dstr(string(r[:min(n, int64(len(r)))]))
	})
	regRow("right", tt(T, I), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		r := []rune(a[0].S)
		n := a[1].I
		if n < 0 {
			n = max(int64(len(r))+n, 0)
		}
		n = min(n, int64(len(r)))
		return dstr(string(r[int64(len(r))-n:]))
	})
	strpos := func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		k := strings.Index(a[0].S, a[1].S)
		if k < 0 {
			return dint(0)
		}
		return dint(int64(utf8.RuneCountInString(a[0].S[:k])) + 1)
	}
	// position(sub IN s) is called as position(s, sub), like strpos.
	regRow("strpos", tt(T, T), I, strpos)
	regRow("position", tt(T, T), I, strpos)
	regRow("starts_with", tt(T, T), types.TBool, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return types.DBool(strings.HasPrefix(a[0].S, a[1].S)), nil
	})
	regRow("repeat", tt(T, I), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[1].I <= 0 {
			return dstr("")
		}
		if int64(len(a[0].S))*a[1].I > 1<<30 {
			return types.Datum{}, pgerror.New("54000", "requested length too large")
		}
		return dstr(strings.Repeat(a[0].S, int(a[1].I)))
	})
	regRow("reverse", tt(T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		r := []rune(a[0].S)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return dstr(string(r))
	})
	for _, t := range []types.T{T, types.TBytea} {
		regRow("md5", tt(t), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			sum := md5.Sum([]byte(a[0].S))
			return dstr(hex.EncodeToString(sum[:]))
		})
	}
	regRow("ascii", tt(T), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[0].S == "" {
			return dint(0)
		}
		r, _ := utf8.DecodeRuneInString(a[0].S)
		return dint(int64(r))
	})
	regRow("chr", tt(I), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[0].I <= 0 || a[0].I > utf8.MaxRune {
			return types.Datum{}, pgerror.New(pgerror.CodeInvalidParameterValue, "requested character not valid for encoding: %d", a[0].I)
		}
		return dstr(string(rune(a[0].I)))
	})
	for _, t := range []types.T{I, types.TInt8} {
		regRow("to_hex", tt(t), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
			if t.ID == types.Int4 {
				return dstr(strconv.FormatUint(uint64(uint32(a[0].I)), 16))
			}
			return dstr(strconv.FormatUint(uint64(a[0].I), 16))
		})
	}
	regRow("translate", tt(T, T, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		from, to := []rune(a[1].S), []rune(a[2].S)
		var b strings.Builder
		for _, r := range a[0].S {
			k := -1
			for j, f := range from {
				if f == r {
					k = j
					break
				}
			}
			switch {
			case k < 0:
				b.WriteRune(r)
			case k < len(to):
				b.WriteRune(to[k])
			}
		}
		return dstr(b.String())
	})
	regRow("quote_ident", tt(T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dstr(QuoteIdent(a[0].S)) })
	regRow("quote_literal", tt(T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dstr(quoteLiteralE(a[0].S)) })
	regRow("quote_nullable", tt(T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[0].Null {
			return dstr("NULL")
		}
		return dstr(quoteLiteralE(a[0].S))
	}, nullCall)
	regRow("regexp_match", tt(T, T), types.TTextArray, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return regexpMatch(a[0].S, a[1].S, "")
	})
	regRow("regexp_match", tt(T, T, T), types.TTextArray, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return regexpMatch(a[0].S, a[1].S, a[2].S)
	})
	regRow("regexp_replace", tt(T, T, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return regexpReplace(a[0].S, a[1].S, a[2].S, "")
	})
	regRow("regexp_replace", tt(T, T, T, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return regexpReplace(a[0].S, a[1].S, a[2].S, a[3].S)
	})
	TA := types.TTextArray
	regRow("string_to_array", tt(T, T), TA, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return stringToArray(a[0].S, a[1], types.NullDatum)
	}, nullCall)
	regRow("string_to_array", tt(T, T, T), TA, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return stringToArray(a[0].S, a[1], a[2])
	}, nullCall)
	regRow("array_to_string", tt(TA, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		return arrayToString(a[0].S, a[1].S, nil)
	})
	regRow("array_to_string", tt(TA, T, T), T, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if a[2].Null {
			return arrayToString(a[0].S, a[1].S, nil)
		}
		return arrayToString(a[0].S, a[1].S, &a[2].S)
	}, nullCall)
	arrLen := func(s string) int64 {
		e, _, _ := types.DecodeTextArray(s)
		return int64(len(e))
	}
	regRow("array_length", tt(TA, I), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		n := arrLen(a[0].S)
		if n == 0 || a[1].I != 1 {
			return types.NullDatum, nil
		}
		return dint(n)
	})
	regRow("array_upper", tt(TA, I), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		n := arrLen(a[0].S)
		if n == 0 || a[1].I != 1 {
			return types.NullDatum, nil
		}
		return dint(n)
	})
	regRow("array_lower", tt(TA, I), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) {
		if arrLen(a[0].S) == 0 || a[1].I != 1 {
			return types.NullDatum, nil
		}
		return dint(1)
	})
	regRow("cardinality", tt(TA), I, func(_ *EvalCtx, a []types.Datum) (types.Datum, error) { return dint(arrLen(a[0].S)) })
}

func concatKernel(ws bool) VecFunc {
	return func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(types.TText, n)
		var buf []byte
		start := 0
		if ws {
			start = 1
		}
		for i := 0; i < n; i++ {
			if ws && args[0].Nulls.Get(i) {
				out.Nulls.Set(i)
				continue
			}
			buf = buf[:0]
			first := true
			for _, a := range args[start:] {
				if a.Nulls.Get(i) {
					continue
				}
				if ws && !first {
					buf = append(buf, args[0].S[i]...)
				}
				first = false
				buf = a.AppendText(buf, i, ctx.Location)
			}
			out.S[i] = string(buf)
		}
		return out, nil
	}
}

func initcap(s string) string {
	var b strings.Builder
	prevAlnum := false
	for _, r := range s {
		if prevAlnum {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
		prevAlnum = unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	return b.String()
}

// substring implements SQL substring(s FROM start [FOR count]) on
// characters: positions before 1 count toward the length.
func substring(s string, start, count int64, hasCount bool) (types.Datum, error) {
	r := []rune(s)
	if hasCount && count < 0 {
		return types.Datum{}, pgerror.New("22011", "negative substring length not allowed")
	}
	end := int64(len(r)) + 1
	if hasCount {
		end = start + count
		if count > 0 && end < start { // overflow
			end = int64(len(r)) + 1
		}
	}
	if start < 1 {
		start = 1
	}
	if end > int64(len(r))+1 {
		end = int64(len(r)) + 1
	}
	if end <= start {
		return dstr("")
	}
	return dstr(string(r[start-1 : end-1]))
}

// QuoteIdent quotes an identifier when PostgreSQL would: unless it is all
// lower-case letters, digits and underscores not starting with a digit
// (keywords are not detected).
func QuoteIdent(s string) string {
	safe := s != ""
	for i := 0; i < len(s) && safe; i++ {
		c := s[i]
		safe = c >= 'a' && c <= 'z' || c == '_' || (i > 0 && c >= '0' && c <= '9')
	}
	if safe {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func quoteLiteralE(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

func regexFlags(flags string) (ci, global bool, err error) {
	for _, f := range flags {
		switch f {
		case 'i':
			ci = true
		case 'c':
			ci = false
		case 'g':
			global = true
		case 'n', 'p', 'w', 's':
		default:
			return false, false, pgerror.New(pgerror.CodeInvalidParameterValue, "invalid regular expression option: %q", string(f))
		}
	}
	return ci, global, nil
}

func regexpMatch(s, pattern, flags string) (types.Datum, error) {
	ci, global, err := regexFlags(flags)
	if err != nil {
		return types.Datum{}, err
	}
	if global {
		return types.Datum{}, pgerror.New(pgerror.CodeInvalidParameterValue, "regexp_match() does not support the \"global\" option").
			WithHint("Use the regexp_matches function instead.")
	}
	re, err := compileRegex(pattern, ci)
	if err != nil {
		return types.Datum{}, err
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return types.NullDatum, nil
	}
	if len(m) == 2 {
		return types.TextArrayDatum(s[m[0]:m[1]]), nil
	}
	groups := len(m)/2 - 1
	elems := make([]string, groups)
	var nulls []bool
	for g := 0; g < groups; g++ {
		a, b := m[2+2*g], m[3+2*g]
		if a < 0 {
			if nulls == nil {
				nulls = make([]bool, groups)
			}
			nulls[g] = true
			continue
		}
		elems[g] = s[a:b]
	}
	return types.DString(types.EncodeTextArray(elems, nulls)), nil
}

// pgReplacement converts a PostgreSQL replacement string (\1..\9, \& and
// \\) to Go's Expand template.
func pgReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(r):
			n := r[i+1]
			switch {
			case n >= '1' && n <= '9':
				b.WriteString("${" + string(n) + "}")
				i++
			case n == '&':
				b.WriteString("${0}")
				i++
			case n == '\\':
				b.WriteByte('\\')
				i++
			default:
				b.WriteByte('\\')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func regexpReplace(s, pattern, repl, flags string) (types.Datum, error) {
	ci, global, err := regexFlags(flags)
	if err != nil {
		return types.Datum{}, err
	}
	re, err := compileRegex(pattern, ci)
	if err != nil {
		return types.Datum{}, err
	}
	tmpl := pgReplacement(repl)
	if global {
		return dstr(re.ReplaceAllString(s, tmpl))
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return dstr(s)
	}
	var out []byte
	out = append(out, s[:m[0]]...)
	out = re.ExpandString(out, tmpl, s, m)
	out = append(out, s[m[1]:]...)
	return dstr(string(out))
}

func stringToArray(s string, delim, nullStr types.Datum) (types.Datum, error) {
	var parts []string
	switch {
	case s == "":
		parts = nil
	case delim.Null:
		for _, r := range s {
			parts = append(parts, string(r))
		}
	case delim.S == "":
		parts = []string{s}
	default:
		parts = strings.Split(s, delim.S)
	}
	var nulls []bool
	if !nullStr.Null {
		for k, p := range parts {
			if p == nullStr.S {
				if nulls == nil {
					nulls = make([]bool, len(parts))
				}
				nulls[k] = true
			}
		}
	}
	return types.DString(types.EncodeTextArray(parts, nulls)), nil
}

func arrayToString(arr, delim string, nullStr *string) (types.Datum, error) {
	elems, nulls, err := types.DecodeTextArray(arr)
	if err != nil {
		return types.Datum{}, err
	}
	var out []string
	for k, e := range elems {
		if nulls != nil && nulls[k] {
			if nullStr == nil {
				continue
			}
			e = *nullStr
		}
		out = append(out, e)
	}
	return dstr(strings.Join(out, delim))
}
