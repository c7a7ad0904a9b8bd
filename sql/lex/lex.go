package lex

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/weirdb/weir/sql/pgerror"
)

// maxIdentLen is PostgreSQL's NAMEDATALEN-1: longer identifiers are
// truncated (PostgreSQL also emits a NOTICE, which weir does not).
const maxIdentLen = 63

// Lex splits text into tokens, dropping whitespace and comments. The
// returned slice always ends with an EOF token whose Offset is len(text).
// A lexical error (unterminated string, comment, quoted identifier or
// dollar quote; a bad escape) is a *pgerror.Error with SQLSTATE 42601 and
// the 1-based character position where the offending token starts.
func Lex(text string) ([]Token, error) {
	s := scanner{src: text}
	var toks []Token
	space := true
	for {
		t, err := s.next()
		if err != nil {
			return nil, err
		}
		if t.Kind == Comment {
			space = true
			continue
		}
		t.SpaceBefore = space || (len(toks) > 0 && toks[len(toks)-1].End() != t.Offset)
		space = false
		toks = append(toks, t)
		if t.Kind == EOF {
			return toks, nil
		}
	}
}

// scanner reads tokens from src. It tracks the byte offset and the rune
// position together so every token knows both.
type scanner struct {
	src string
	off int // byte offset of the next unread byte
	pos int // number of runes before off
}

func (s *scanner) peek(n int) byte {
	if s.off+n < len(s.src) {
		return s.src[s.off+n]
	}
	return 0
}

// advance moves past n bytes, counting runes.
func (s *scanner) advance(n int) {
	end := s.off + n
	if end > len(s.src) {
		end = len(s.src)
	}
	for ; s.off < end; s.off++ {
		if utf8.RuneStart(s.src[s.off]) {
			s.pos++
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentCont(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isOpChar reports whether c may appear in a PostgreSQL operator.
func isOpChar(c byte) bool { return strings.IndexByte("+-*/<>=~!@#%^&|`?", c) >= 0 }

// lexErr returns a 42601 error at the token starting at byte start.
func (s *scanner) lexErr(start, startPos int, format string, args ...any) error {
	near := s.src[start:]
	if len(near) > 40 {
		near = near[:40]
	}
	msg := fmt.Sprintf(format, args...)
	return pgerror.Syntax(startPos+1, "%s at or near \"%s\"", msg, near)
}

// next returns the next token (comments included), or EOF.
func (s *scanner) next() (Token, error) {
	for s.off < len(s.src) && isSpace(s.src[s.off]) {
		s.advance(1)
	}
	start, startPos := s.off, s.pos
	tok := func(k Kind) Token {
		txt := s.src[start:s.off]
		return Token{Kind: k, Text: txt, Val: txt, Offset: start, Pos: startPos + 1}
	}
	if s.off >= len(s.src) {
		return tok(EOF), nil
	}
	c := s.src[s.off]
	switch {
	case c == '-' && s.peek(1) == '-':
		for s.off < len(s.src) && s.src[s.off] != '\n' && s.src[s.off] != '\r' {
			s.advance(1)
		}
		return tok(Comment), nil
	case c == '/' && s.peek(1) == '*':
		depth := 0
		for {
			if s.off >= len(s.src) {
				return Token{}, s.lexErr(start, startPos, "unterminated /* comment")
			}
			if s.src[s.off] == '/' && s.peek(1) == '*' {
				depth++
				s.advance(2)
			} else if s.src[s.off] == '*' && s.peek(1) == '/' {
				depth--
				s.advance(2)
				if depth == 0 {
					return tok(Comment), nil
				}
			} else {
				s.advance(1)
			}
		}
	case c == '\'':
		val, err := s.quoted(start, startPos, false)
		if err != nil {
			return Token{}, err
		}
		t := tok(String)
		t.Val = val
		return t, nil
	case (c == 'e' || c == 'E') && s.peek(1) == '\'':
		s.advance(1)
		val, err := s.quoted(start, startPos, true)
		if err != nil {
			return Token{}, err
		}
		t := tok(String)
		t.Val, t.Escape = val, true
		return t, nil
	case (c == 'n' || c == 'N') && s.peek(1) == '\'':
		s.advance(1)
		val, err := s.quoted(start, startPos, false)
		if err != nil {
			return Token{}, err
		}
		t := tok(String)
		t.Val = val
		return t, nil
	case (c == 'b' || c == 'B' || c == 'x' || c == 'X') && s.peek(1) == '\'':
		s.advance(1)
		val, err := s.quoted(start, startPos, false)
		if err != nil {
			return Token{}, err
		}
		k, valid := BitString, "01"
		if c == 'x' || c == 'X' {
			k, valid = HexString, "0123456789abcdefABCDEF"
		}
		for i := 0; i < len(val); i++ {
			if strings.IndexByte(valid, val[i]) < 0 {
				if k == BitString {
					return Token{}, pgerror.Syntax(startPos+1, "\"%c\" is not a valid binary digit", val[i])
				}
				return Token{}, pgerror.Syntax(startPos+1, "\"%c\" is not a valid hexadecimal digit", val[i])
			}
		}
		t := tok(k)
		t.Val = val
		return t, nil
	case (c == 'u' || c == 'U') && s.peek(1) == '&' && (s.peek(2) == '\'' || s.peek(2) == '"'):
		q := s.peek(2)
		s.advance(2)
		var raw string
		var err error
		if q == '\'' {
			raw, err = s.quoted(start, startPos, false)
		} else {
			raw, err = s.quotedIdent(start, startPos)
		}
		if err != nil {
			return Token{}, err
		}
		val, err := decodeUnicode(raw, '\\')
		if err != nil {
			return Token{}, pgerror.Syntax(startPos+1, "%s", err.Error())
		}
		if q == '\'' {
			t := tok(String)
			t.Val = val
			return t, nil
		}
		t := tok(QIdent)
		t.Val = val
		return t, nil
	case c == '"':
		val, err := s.quotedIdent(start, startPos)
		if err != nil {
			return Token{}, err
		}
		t := tok(QIdent)
		t.Val = val
		return t, nil
	case c == '$' && isDigit(s.peek(1)):
		s.advance(1)
		for s.off < len(s.src) && isDigit(s.src[s.off]) {
			s.advance(1)
		}
		t := tok(Param)
		n, err := strconv.Atoi(t.Text[1:])
		if err != nil || n == 0 {
			return Token{}, pgerror.Syntax(startPos+1, "there is no parameter %s", t.Text)
		}
		t.Param = n
		return t, nil
	case c == '$':
		// Dollar quote: $tag$ ... $tag$ where tag is empty or an identifier
		// without '$'.
		j := s.off + 1
		for j < len(s.src) && s.src[j] != '$' && isIdentCont(s.src[j]) && !(j == s.off+1 && isDigit(s.src[j])) {
			j++
		}
		if j >= len(s.src) || s.src[j] != '$' {
			s.advance(1)
			return Token{}, s.lexErr(start, startPos, "syntax error")
		}
		delim := s.src[s.off : j+1]
		body := j + 1
		end := strings.Index(s.src[body:], delim)
		if end < 0 {
			return Token{}, s.lexErr(start, startPos, "unterminated dollar-quoted string")
		}
		s.advance(body + end + len(delim) - s.off)
		t := tok(String)
		t.Val = s.src[body : body+end]
		return t, nil
	case isIdentStart(c):
		for s.off < len(s.src) && isIdentCont(s.src[s.off]) {
			s.advance(1)
		}
		t := tok(Ident)
		t.Val = foldIdent(t.Text)
		return t, nil
	case isDigit(c) || c == '.' && isDigit(s.peek(1)):
		return s.number(start, startPos)
	case c == ':' && s.peek(1) == ':':
		s.advance(2)
		return tok(Typecast), nil
	}
	switch c {
	case '(':
		s.advance(1)
		return tok(LParen), nil
	case ')':
		s.advance(1)
		return tok(RParen), nil
	case '[':
		s.advance(1)
		return tok(LBracket), nil
	case ']':
		s.advance(1)
		return tok(RBracket), nil
	case ',':
		s.advance(1)
		return tok(Comma), nil
	case ';':
		s.advance(1)
		return tok(Semicolon), nil
	case '.':
		s.advance(1)
		return tok(Dot), nil
	case ':':
		s.advance(1)
		return tok(Colon), nil
	}
	if isOpChar(c) {
		return s.operator(start, startPos), nil
	}
	_, size := utf8.DecodeRuneInString(s.src[s.off:])
	s.advance(size)
	return Token{}, s.lexErr(start, startPos, "syntax error")
}

// operator scans a PostgreSQL operator following scan.l's rules: the
// longest run of operator characters, cut before any "--" or "/*", and a
// multi-character operator may end in + or - only if it contains one of
// ~ ! @ # % ^ & | ` ?.
func (s *scanner) operator(start, startPos int) Token {
	j := s.off
	for j < len(s.src) && isOpChar(s.src[j]) {
		if rest := s.src[j:]; strings.HasPrefix(rest, "--") || strings.HasPrefix(rest, "/*") {
			break // next() consumed comments, so j > s.off here
		}
		j++
	}
	op := s.src[s.off:j]
	if len(op) > 1 && !strings.ContainsAny(op, "~!@#%^&|`?") {
		for len(op) > 1 && (op[len(op)-1] == '+' || op[len(op)-1] == '-') {
			op = op[:len(op)-1]
		}
	}
	s.advance(len(op))
	t := Token{Kind: Op, Text: op, Val: op, Offset: start, Pos: startPos + 1}
	if op == "!=" {
		t.Val = "<>"
	}
	return t
}

// number scans a numeric constant.
func (s *scanner) number(start, startPos int) (Token, error) {
	c1 := s.peek(1)
	if s.src[s.off] == '0' && (c1 == 'x' || c1 == 'X' || c1 == 'o' || c1 == 'O' || c1 == 'b' || c1 == 'B') {
		base := map[byte]int{'x': 16, 'o': 8, 'b': 2}[c1|0x20]
		j := s.off + 2
		for j < len(s.src) && (isIdentCont(s.src[j])) {
			j++
		}
		digits := strings.ReplaceAll(s.src[s.off+2:j], "_", "")
		if n, ok := new(big.Int).SetString(digits, base); ok && digits != "" {
			s.advance(j - s.off)
			t := Token{Kind: Number, Text: s.src[start:s.off], Val: n.String(), Offset: start, Pos: startPos + 1, Integer: true}
			return t, nil
		}
		s.advance(j - s.off)
		return Token{}, pgerror.Syntax(startPos+1, "trailing junk after numeric literal at or near \"%s\"", s.src[start:s.off])
	}
	integer := true
	digits := func() {
		for s.off < len(s.src) && (isDigit(s.src[s.off]) || s.src[s.off] == '_' && isDigit(s.peek(1)) && s.off > start && isDigit(s.src[s.off-1])) {
			s.advance(1)
		}
	}
	digits()
	if s.off < len(s.src) && s.src[s.off] == '.' && s.peek(1) != '.' {
		integer = false
		s.advance(1)
		digits()
	}
	if s.off < len(s.src) && (s.src[s.off] == 'e' || s.src[s.off] == 'E') {
		j := s.off + 1
		if j < len(s.src) && (s.src[j] == '+' || s.src[j] == '-') {
			j++
		}
		if j < len(s.src) && isDigit(s.src[j]) {
			integer = false
			s.advance(j - s.off)
			digits()
		}
	}
	if s.off < len(s.src) && isIdentStart(s.src[s.off]) {
		// PostgreSQL 15+ rejects "123abc" instead of reading it as 123 AS abc.
		for s.off < len(s.src) && isIdentCont(s.src[s.off]) {
			s.advance(1)
		}
		return Token{}, pgerror.Syntax(startPos+1, "trailing junk after numeric literal at or near \"%s\"", s.src[start:s.off])
	}
	txt := s.src[start:s.off]
	return Token{Kind: Number, Text: txt, Val: strings.ReplaceAll(txt, "_", ""), Offset: start, Pos: startPos + 1, Integer: integer}, nil
}

// quoted scans a '...' string starting at the quote at s.off and returns
// its decoded value. With escapes, backslash sequences are decoded as in
// E'..' strings. A string continues across a following quote that is
// separated from it by whitespace containing a newline (SQL standard).
func (s *scanner) quoted(start, startPos int, escapes bool) (string, error) {
	var b strings.Builder
	for {
		s.advance(1) // opening quote
		for {
			if s.off >= len(s.src) {
				return "", s.lexErr(start, startPos, "unterminated quoted string")
			}
			c := s.src[s.off]
			if c == '\'' {
				if s.peek(1) == '\'' {
					b.WriteByte('\'')
					s.advance(2)
					continue
				}
				s.advance(1)
				break
			}
			if c == '\\' && escapes {
				if err := s.escape(&b, start, startPos); err != nil {
					return "", err
				}
				continue
			}
			b.WriteByte(c)
			s.advance(1)
		}
		// Continuation: whitespace with a newline, then another quote.
		j, nl := s.off, false
		for j < len(s.src) && isSpace(s.src[j]) {
			nl = nl || s.src[j] == '\n' || s.src[j] == '\r'
			j++
		}
		if !nl || j >= len(s.src) || s.src[j] != '\'' {
			break
		}
		s.advance(j - s.off)
	}
	if !utf8.ValidString(b.String()) {
		return "", pgerror.New("22021", "invalid byte sequence for encoding \"UTF8\"").WithPosition(startPos + 1)
	}
	return b.String(), nil
}

// escape decodes one backslash escape of an E'..' string at s.off.
func (s *scanner) escape(b *strings.Builder, start, startPos int) error {
	c := s.peek(1)
	switch c {
	case 0:
		s.advance(1)
		return s.lexErr(start, startPos, "unterminated quoted string")
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'v':
		b.WriteByte('\v')
	case 'x':
		j := s.off + 2
		for j < len(s.src) && j < s.off+4 && isHex(s.src[j]) {
			j++
		}
		if j == s.off+2 {
			b.WriteByte('x')
			break
		}
		n, _ := strconv.ParseUint(s.src[s.off+2:j], 16, 8)
		b.WriteByte(byte(n))
		s.advance(j - s.off)
		return nil
	case 'u', 'U':
		width := 4
		if c == 'U' {
			width = 8
		}
		j := s.off + 2
		for j < len(s.src) && j < s.off+2+width && isHex(s.src[j]) {
			j++
		}
		if j != s.off+2+width {
			return pgerror.Syntax(startPos+1, "invalid Unicode escape").WithHint("Unicode escapes must be \\uXXXX or \\UXXXXXXXX.")
		}
		n, _ := strconv.ParseUint(s.src[s.off+2:j], 16, 32)
		if n == 0 || n > utf8.MaxRune || n >= 0xD800 && n <= 0xDFFF {
			return pgerror.Syntax(startPos+1, "invalid Unicode escape value")
		}
		b.WriteRune(rune(n))
		s.advance(j - s.off)
		return nil
	default:
		if c >= '0' && c <= '7' {
			j := s.off + 1
			for j < len(s.src) && j < s.off+4 && s.src[j] >= '0' && s.src[j] <= '7' {
				j++
			}
			n, _ := strconv.ParseUint(s.src[s.off+1:j], 8, 16)
			b.WriteByte(byte(n))
			s.advance(j - s.off)
			return nil
		}
		// Any other character stands for itself (\\, \', \").
		_, size := utf8.DecodeRuneInString(s.src[s.off+1:])
		b.WriteString(s.src[s.off+1 : s.off+1+size])
		s.advance(1 + size)
		return nil
	}
	s.advance(2)
	return nil
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// quotedIdent scans a "..." identifier at s.off and returns its value.
func (s *scanner) quotedIdent(start, startPos int) (string, error) {
	var b strings.Builder
	s.advance(1)
	for {
		if s.off >= len(s.src) {
			return "", s.lexErr(start, startPos, "unterminated quoted identifier")
		}
		c := s.src[s.off]
		if c == '"' {
			if s.peek(1) == '"' {
				b.WriteByte('"')
				s.advance(2)
				continue
			}
			s.advance(1)
			break
		}
		b.WriteByte(c)
		s.advance(1)
	}
	if b.Len() == 0 {
		return "", pgerror.Syntax(startPos+1, "zero-length delimited identifier at or near \"\"\"\"")
	}
	return truncateIdent(b.String()), nil
}

// decodeUnicode decodes the escapes of a U&'..' string or U&".." identifier:
// \XXXX, \+XXXXXX and a doubled escape character.
func decodeUnicode(raw string, esc byte) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] != esc {
			b.WriteByte(raw[i])
			continue
		}
		if i+1 < len(raw) && raw[i+1] == esc {
			b.WriteByte(esc)
			i++
			continue
		}
		width, from := 4, i+1
		if i+1 < len(raw) && raw[i+1] == '+' {
			width, from = 6, i+2
		}
		if from+width > len(raw) {
			return "", fmt.Errorf("invalid Unicode escape")
		}
		n, err := strconv.ParseUint(raw[from:from+width], 16, 32)
		if err != nil || n == 0 || n > utf8.MaxRune {
			return "", fmt.Errorf("invalid Unicode escape")
		}
		b.WriteRune(rune(n))
		i = from + width - 1
	}
	return b.String(), nil
}

// foldIdent lower-cases ASCII letters and truncates to 63 bytes, as
// PostgreSQL does for unquoted identifiers in a UTF-8 database.
func foldIdent(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return truncateIdent(string(b))
}

func truncateIdent(s string) string {
	if len(s) <= maxIdentLen {
		return s
	}
	n := maxIdentLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// FoldIdent returns the name a bare identifier denotes: ASCII lower case,
// at most 63 bytes.
func FoldIdent(s string) string { return foldIdent(s) }
