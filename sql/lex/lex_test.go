package lex

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/weirdb/weir/sql/pgerror"
)

// render prints tokens as "Kind:Val" (Text when it differs) for compact
// expectations.
func render(toks []Token) string {
	var parts []string
	for _, t := range toks {
		if t.Kind == EOF {
			break
		}
		s := fmt.Sprintf("%s:%s", t.Kind, t.Val)
		if t.Kind == Param {
			s = fmt.Sprintf("Param:%d", t.Param)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestLex(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"SELECT a FROM T", "Ident:select Ident:a Ident:from Ident:t"},
		{`"Quoted""Id" "x"`, `QIdent:Quoted"Id QIdent:x`},
		{"'it''s'", "String:it's"},
		// standard_conforming_strings: backslash is literal.
		{`'a\nb'`, `String:a\nb`},
		{`E'a\nb\'c\\'`, "String:a\nb'c\\"},
		{`e'\x41\101\u0042'`, "String:AAB"},
		{"B'0101' X'1F'", "BitString:0101 HexString:1F"},
		{"$$it's$$ $tag$a$$b$tag$", "String:it's String:a$$b"},
		{`U&"d\0061t\+000061"`, "QIdent:data"},
		{`U&'\0041'`, "String:A"},
		{"'a'\n'b'", "String:ab"},
		{"'a' 'b'", "String:a String:b"},
		{"1 1.5 .5 1e10 1.5E-3 1.", "Number:1 Number:1.5 Number:.5 Number:1e10 Number:1.5E-3 Number:1."},
		{"0x1F 0o17 0b101 1_000", "Number:31 Number:15 Number:5 Number:1000"},
		{"$1 + $12", "Param:1 Op:+ Param:12"},
		{"a::int", "Ident:a Typecast::: Ident:int"},
		{"a<>b a!=b a<=b a>=b a||b", "Ident:a Op:<> Ident:b Ident:a Op:<> Ident:b Ident:a Op:<= Ident:b Ident:a Op:>= Ident:b Ident:a Op:|| Ident:b"},
		{"a~b a!~b a~*b a!~*b", "Ident:a Op:~ Ident:b Ident:a Op:!~ Ident:b Ident:a Op:~* Ident:b Ident:a Op:!~* Ident:b"},
		{"j->'a' j->>'a' j@>k k<@j j#>p", "Ident:j Op:-> String:a Ident:j Op:->> String:a Ident:j Op:@> Ident:k Ident:k Op:<@ Ident:j Ident:j Op:#> Ident:p"},
		// '#' is an operator in PostgreSQL, not a comment.
		{"5 # 3", "Number:5 Op:# Number:3"},
		// "5--1" is 5 followed by a comment.
		{"5--1", "Number:5"},
		{"a=-1", "Ident:a Op:= Op:- Number:1"},
		{"a@-1", "Ident:a Op:@- Number:1"},
		{"1/* x /* nested */ y */+2", "Number:1 Op:+ Number:2"},
		{"a[1] (b).c, d;", "Ident:a LBracket:[ Number:1 RBracket:] LParen:( Ident:b RParen:) Dot:. Ident:c Comma:, Ident:d Semicolon:;"},
		{"x$y", "Ident:x$y"},
		{"ÄÖ Üb", "Ident:ÄÖ Ident:Üb"},
		{"FULL", "Ident:full"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			toks, err := Lex(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, render(toks))
		})
	}
}

func TestLexPositions(t *testing.T) {
	toks, err := Lex("SELECT 'é', x\n  FROM \"ü\"")
	require.NoError(t, err)
	var pos []int
	var offs []int
	for _, t := range toks {
		pos = append(pos, t.Pos)
		offs = append(offs, t.Offset)
	}
	// 'é' is 2 bytes: character positions fall behind byte offsets after it.
	require.Equal(t, []int{1, 8, 11, 13, 17, 22, 25}, pos)
	require.Equal(t, []int{0, 7, 11, 13, 17, 22, 26}, offs)
	require.True(t, toks[0].SpaceBefore)
	require.False(t, toks[2].SpaceBefore)
	require.True(t, toks[3].SpaceBefore)
}

func TestLexIdentTruncation(t *testing.T) {
	long := strings.Repeat("A", 70)
	toks, err := Lex(long)
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("a", 63), toks[0].Val)
}

func TestLexErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"SELECT 'abc", 8, `unterminated quoted string at or near "'abc"`},
		{"SELECT é, 'abc", 11, `unterminated quoted string`},
		{"SELECT /* a /* b */", 8, "unterminated /* comment"},
		{`SELECT "abc`, 8, "unterminated quoted identifier"},
		{"SELECT $x$abc", 8, "unterminated dollar-quoted string"},
		{`SELECT ""`, 8, "zero-length delimited identifier"},
		{"SELECT 123abc", 8, "trailing junk after numeric literal"},
		{"SELECT B'012'", 8, `"2" is not a valid binary digit`},
		{`SELECT E'\u12'`, 8, "invalid Unicode escape"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Lex(tc.in)
			require.Error(t, err)
			pe := pgerror.Convert(err)
			require.Equal(t, pgerror.CodeSyntaxError, pe.Code)
			require.Equal(t, tc.pos, pe.Position)
			require.Contains(t, pe.Message, tc.msg)
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []Piece
	}{
		{"", nil},
		{";", []Piece{{";", 0}}},
		{" ; ;", []Piece{{";", 1}}},
		{"-- ping", []Piece{{"-- ping", 0}}},
		{"SELECT 1", []Piece{{"SELECT 1", 0}}},
		{"SELECT 1;", []Piece{{"SELECT 1;", 0}}},
		{"SELECT 1; SELECT 2", []Piece{{"SELECT 1;", 0}, {"SELECT 2", 10}}},
		{"SELECT 1;; -- done", []Piece{{"SELECT 1;", 0}}},
		{";SELECT 1", []Piece{{"SELECT 1", 1}}},
		{"SELECT 'a;b'; SELECT $$;$$", []Piece{{"SELECT 'a;b';", 0}, {"SELECT $$;$$", 14}}},
		{"SELECT \"a;\" -- c;\n; /* ; */ SELECT (1;2)", []Piece{{"SELECT \"a;\" -- c;\n;", 0}, {"/* ; */ SELECT (1;2)", 20}}},
		{"SELECT 'é';SELECT 2", []Piece{{"SELECT 'é';", 0}, {"SELECT 2", 11}}},
		{"SELECT 1; SELECT 'oops", []Piece{{"SELECT 1;", 0}, {"SELECT 'oops", 10}}},
		{"CREATE FUNCTION f() AS $x$ a; b $x$; SELECT 1", []Piece{{"CREATE FUNCTION f() AS $x$ a; b $x$;", 0}, {"SELECT 1", 37}}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.want, Split(tc.in))
		})
	}
}

func TestIsEmpty(t *testing.T) {
	for in, want := range map[string]bool{
		"":                 true,
		"  \n":             true,
		"-- ping":          true,
		"/* a */ -- b\n  ": true,
		"/* unterminated":  false,
		"SELECT 1":         false,
		";":                false,
	} {
		require.Equal(t, want, IsEmpty(in), in)
	}
}
