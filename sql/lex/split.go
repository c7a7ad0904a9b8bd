package lex

import (
	"strings"
	"unicode/utf8"
)

// Piece is one statement of a multi-statement message.
type Piece struct {
	// Text is the statement with its terminating ';' (if any) and without
	// surrounding whitespace. It may be empty, a lone ';', or hold only
	// comments: IsEmptyStatement tells.
	Text string
	// Offset is the number of characters (runes, not bytes) in the message
	// before Text, so a position p within Text is p+Offset in the message.
	Offset int
}

// Split divides the text of a simple Query message into statements at
// top-level semicolons: those outside strings, quoted identifiers, dollar
// quotes, comments and parentheses. The semicolons are dropped.
//
// Empty and comment-only statements follow PostgreSQL: when the message
// holds at least one hasTok statement they are skipped ("SELECT 1;;" and
// "SELECT 1; -- done" are one statement); when it holds none, Split returns
// exactly one such piece so the caller answers one EmptyQueryResponse (";"
// gives one empty piece, "-- ping" one comment-only piece). An empty
// message gives no pieces.
//
// Split never fails: when the text does not lex (an unterminated string,
// say), the rest of the message from the current statement's start is
// one piece, and parsing it reports the error with its position.
func Split(text string) []Piece {
	if text == "" {
		return nil
	}
	var pieces []Piece
	s := scanner{src: text}
	startOff, startPos := 0, 0
	depth := 0
	hasTok := false // the current piece has a non-comment token
	anyReal := false
	flush := func(end int) {
		if hasTok {
			if !anyReal {
				pieces = pieces[:0] // drop the empty pieces kept so far
			}
			anyReal = true
		}
		if hasTok || !anyReal && len(pieces) == 0 {
			pieces = append(pieces, trimPiece(text[startOff:end], startPos))
		}
	}
	for {
		t, err := s.next()
		if err != nil {
			hasTok = true
			flush(len(text))
			return pieces
		}
		switch t.Kind {
		case EOF:
			// A trailing empty statement after the last ';' is no statement.
			if hasTok || len(pieces) == 0 {
				flush(len(text))
			}
			return pieces
		case Comment:
			continue
		case LParen, LBracket:
			depth++
		case RParen, RBracket:
			if depth > 0 {
				depth--
			}
		case Semicolon:
			if depth == 0 {
				// The ';' stays in the piece so that an error at the end
				// of the statement reads `at or near ";"`, as in
				// PostgreSQL; the parser accepts one trailing ';'.
				flush(t.Offset + 1)
				startOff, startPos = s.off, s.pos
				hasTok = false
				continue
			}
		}
		hasTok = true
	}
}

// trimPiece removes surrounding whitespace and adjusts the offset.
func trimPiece(txt string, pos int) Piece {
	trimmed := strings.TrimLeft(txt, " \t\n\r\f\v")
	pos += utf8.RuneCountInString(txt[:len(txt)-len(trimmed)])
	return Piece{Text: strings.TrimRight(trimmed, " \t\n\r\f\v"), Offset: pos}
}

// IsEmptyStatement reports whether text is an empty statement: only
// whitespace, comments and at most one terminating ';'.
func IsEmptyStatement(text string) bool {
	return IsEmpty(strings.TrimSuffix(strings.TrimRight(text, " \t\n\r\f\v"), ";"))
}

// IsEmpty reports whether text holds no tokens: only whitespace and
// comments (a lexically invalid text is not empty).
func IsEmpty(text string) bool {
	s := scanner{src: text}
	for {
		t, err := s.next()
		if err != nil {
			return false
		}
		switch t.Kind {
		case EOF:
			return true
		case Comment:
		default:
			return false
		}
	}
}
