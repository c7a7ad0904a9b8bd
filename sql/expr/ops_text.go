package expr

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Text operators: || (text, bytea, and any non-array type with text), LIKE
// and ILIKE (~~ !~~ ~~* !~~*) with % _ and the default escape \, and POSIX
// regular expressions (~ !~ ~* !~*) run by Go's regexp (RE2): PostgreSQL
// ARE features RE2 lacks (back-references, lookahead) are rejected with
// 2201B; \m \M \y word boundaries are not translated.

func init() {
	t := types.TText
	reg2("||", t, t, t, bin(t, gS, gS, gS, func(a, b string) (string, error) { return a + b, nil }))
	reg2("||", types.TBytea, types.TBytea, types.TBytea, bin(types.TBytea, gS, gS, gS, func(a, b string) (string, error) { return a + b, nil }))
	for _, like := range []struct {
		op         string
		ci, negate bool
	}{{"~~", false, false}, {"!~~", false, true}, {"~~*", true, false}, {"!~~*", true, true}} {
		reg2(like.op, t, t, types.TBool, likeKernel(like.ci, like.negate))
	}
	reg2("like", t, t, types.TBool, likeKernel(false, false))
	reg2("ilike", t, t, types.TBool, likeKernel(true, false))
	for _, re := range []struct {
		op         string
		ci, negate bool
	}{{"~", false, false}, {"!~", false, true}, {"~*", true, false}, {"!~*", true, true}} {
		reg2(re.op, t, t, types.TBool, regexKernel(re.ci, re.negate))
	}
}

// concatAnyOperator returns the anynonarray || text (or text ||
// anynonarray) overload for the operand types, or nil.
func concatAnyOperator(left, right types.T) *Func {
	textish := func(t types.T) bool { return isStringish(t.ID) }
	if !textish(left) && !textish(right) {
		return nil
	}
	if left.ID == types.TextArray || right.ID == types.TextArray {
		return nil
	}
	l, r := left, right
	if l.ID == types.Unknown {
		l = types.TText
	}
	if r.ID == types.Unknown {
		r = types.TText
	}
	return &Func{Name: "||", Args: []types.T{l, r}, Ret: types.TText, Stable: true,
		Eval: func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
			out := newOut(types.TText, n)
			var buf []byte
			for i := 0; i < n; i++ {
				if args[0].Nulls.Get(i) {
					continue
				}
				buf = args[0].AppendText(buf[:0], i, ctx.Location)
				buf = args[1].AppendText(buf, i, ctx.Location)
				out.S[i] = string(buf)
			}
			return out, nil
		}}
}

// likeMatcher is a compiled LIKE pattern.
type likeMatcher struct {
	parts []likePart
}

type likePart struct {
	kind byte // 'l' literal, '_' one char, '%' any run
	lit  string
}

func compileLike(pattern string, ci bool) (*likeMatcher, error) {
	if ci {
		pattern = strings.ToLower(pattern)
	}
	m := &likeMatcher{}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			m.parts = append(m.parts, likePart{kind: 'l', lit: string(lit)})
			lit = nil
		}
	}
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '\\':
			if i+1 >= len(pattern) {
				return nil, pgerror.New("22025", "LIKE pattern must not end with escape character")
			}
			i++
			lit = append(lit, pattern[i])
		case '%':
			flush()
			if len(m.parts) == 0 || m.parts[len(m.parts)-1].kind != '%' {
				m.parts = append(m.parts, likePart{kind: '%'})
			}
		case '_':
			flush()
			m.parts = append(m.parts, likePart{kind: '_'})
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return m, nil
}

func (m *likeMatcher) match(s string) bool { return likeMatch(m.parts, s) }

func likeMatch(parts []likePart, s string) bool {
	for k, p := range parts {
		switch p.kind {
		case 'l':
			if !strings.HasPrefix(s, p.lit) {
				return false
			}
			s = s[len(p.lit):]
		case '_':
			if s == "" {
				return false
			}
			_, size := decodeRune(s)
			s = s[size:]
		case '%':
			rest := parts[k+1:]
			if len(rest) == 0 {
				return true
			}
			for i := 0; i <= len(s); {
				if likeMatch(rest, s[i:]) {
					return true
				}
				if i == len(s) {
					break
				}
				_, size := decodeRune(s[i:])
				i += size
			}
			return false
		}
	}
	return s == ""
}

func likeKernel(ci, negate bool) VecFunc {
	return func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(types.TBool, n)
		var m *likeMatcher
		last := ""
		nulls := args[0].Nulls
		for i := 0; i < n; i++ {
			if nulls.Get(i) {
				continue
			}
			p := args[1].S[i]
			if m == nil || p != last {
				var err error
				if m, err = compileLike(p, ci); err != nil {
					return nil, err
				}
				last = p
			}
			s := args[0].S[i]
			if ci {
				s = strings.ToLower(s)
			}
			if m.match(s) != negate {
				out.I[i] = 1
			}
		}
		return out, nil
	}
}

var regexCache = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

// compileRegex compiles a POSIX-style pattern with flags ("i" for case
// insensitive), caching compiled patterns process-wide (bounded).
func compileRegex(pattern string, ci bool) (*regexp.Regexp, error) {
	key := pattern
	if ci {
		key = "(?i)" + pattern
	}
	regexCache.Lock()
	re, ok := regexCache.m[key]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(key)
	if err != nil {
		return nil, pgerror.New(pgerror.CodeInvalidRegularExpression, "invalid regular expression: %v", err)
	}
	regexCache.Lock()
	if len(regexCache.m) > 1000 {
		regexCache.m = map[string]*regexp.Regexp{}
	}
	regexCache.m[key] = re
	regexCache.Unlock()
	return re, nil
}

func regexKernel(ci, negate bool) VecFunc {
	return func(_ *EvalCtx, args []*types.Vec, n int) (*types.Vec, error) {
		out := newOut(types.TBool, n)
		nulls := args[0].Nulls
		for i := 0; i < n; i++ {
			if nulls.Get(i) {
				continue
			}
			re, err := compileRegex(args[1].S[i], ci)
			if err != nil {
				return nil, err
			}
			if re.MatchString(args[0].S[i]) != negate {
				out.I[i] = 1
			}
		}
		return out, nil
	}
}

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }
