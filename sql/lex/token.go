package lex

import "fmt"

// Kind is the lexical class of a Token.
type Kind uint8

const (
	// EOF ends every token stream returned by Lex.
	EOF Kind = iota
	// Ident is a bare identifier or keyword. Val is folded to lower case
	// (ASCII only, as PostgreSQL does for UTF-8) and truncated to 63 bytes.
	Ident
	// QIdent is a double-quoted identifier ("a""b", U&"d\0061t"). Val is
	// the identifier with quoting removed and case kept.
	QIdent
	// String is a character string constant: '..', E'..', N'..', U&'..'
	// or $tag$..$tag$. Val is the decoded value.
	String
	// BitString is B'0101'; Val holds the binary digits.
	BitString
	// HexString is X'1F'; Val holds the hexadecimal digits.
	HexString
	// Number is a numeric constant. Val is its decimal text (PostgreSQL 16
	// non-decimal integers 0x1F, 0o17, 0b101 and digit separators 1_000 are
	// converted to plain decimal digits). Integer reports whether it has
	// neither a fraction nor an exponent.
	Number
	// Param is a positional parameter $n; Param holds n (1-based).
	Param
	// Op is an operator (+, <>, ~*, ->>, @>, ...). "!=" is reported with
	// Val "<>" as PostgreSQL does; Text keeps what was written.
	Op
	LParen
	RParen
	LBracket
	RBracket
	Comma
	Semicolon
	Dot
	Colon
	// Typecast is "::".
	Typecast
	// Comment is a -- or /* */ comment. Lex drops comments; the scanner
	// used by Split and IsEmpty sees them.
	Comment
)

var kindNames = [...]string{
	EOF: "EOF", Ident: "Ident", QIdent: "QIdent", String: "String",
	BitString: "BitString", HexString: "HexString", Number: "Number",
	Param: "Param", Op: "Op", LParen: "LParen", RParen: "RParen",
	LBracket: "LBracket", RBracket: "RBracket", Comma: "Comma",
	Semicolon: "Semicolon", Dot: "Dot", Colon: "Colon",
	Typecast: "Typecast", Comment: "Comment",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Token is one lexical token of a statement.
type Token struct {
	Kind Kind
	// Text is the token exactly as written in the input (quotes, prefixes
	// and escapes included).
	Text string
	// Val is the token's value: the folded identifier, the decoded string,
	// the number's digits, the operator. For punctuation it equals Text.
	Val string
	// Offset is the byte offset of the token in the input.
	Offset int
	// Pos is the 1-based character (rune) position of the token in the
	// input, as PostgreSQL reports error positions.
	Pos int
	// Param is n for a Param token.
	Param int
	// Integer is true for a Number without fraction or exponent.
	Integer bool
	// Escape is true for an E'..' string (its Val is already decoded).
	Escape bool
	// SpaceBefore reports whether whitespace or a comment separates the
	// token from the previous one (always true for the first token).
	SpaceBefore bool
}

// End returns the byte offset just past the token.
func (t Token) End() int { return t.Offset + len(t.Text) }

// Is reports whether t is the bare identifier (keyword) word, which must be
// given in lower case.
func (t Token) Is(word string) bool { return t.Kind == Ident && t.Val == word }

// IsOp reports whether t is the operator op.
func (t Token) IsOp(op string) bool { return t.Kind == Op && t.Val == op }

func (t Token) String() string {
	return fmt.Sprintf("%s %q@%d", t.Kind, t.Text, t.Pos)
}
