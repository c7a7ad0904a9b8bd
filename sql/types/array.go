package types

import (
	"errors"
	"strings"
)

// text[] values are PhysString. The string is not PostgreSQL's text form but
// an internal encoding whose byte order is PostgreSQL's array order, so that
// Compare, hashing and keys need no special case: each element is either
// 0x01, its bytes with 0x00 escaped as 0x00 0xff, and the terminator
// 0x00 0x01; or 0x02 for a NULL element (PostgreSQL sorts NULL elements
// after all others). The empty array is the empty string. Only
// one-dimensional arrays with lower bound 1 are represented.
//
// Build and take apart values with EncodeTextArray and DecodeTextArray; never
// write the bytes by hand.

const (
	arrElem = 0x01
	arrNull = 0x02
)

// EncodeTextArray returns the text[] value with the given elements; nulls,
// when non-nil, marks NULL elements (their elems entry is ignored).
func EncodeTextArray(elems []string, nulls []bool) string {
	var b []byte
	for i, e := range elems {
		if nulls != nil && nulls[i] {
			b = append(b, arrNull)
			continue
		}
		b = append(b, arrElem)
		b = appendEscaped(b, e)
	}
	return string(b)
}

// TextArrayDatum returns the text[] datum of non-NULL elements.
func TextArrayDatum(elems ...string) Datum { return DString(EncodeTextArray(elems, nil)) }

var errBadArray = errors.New("corrupt text[] value")

// DecodeTextArray returns the elements of a text[] value; nulls is nil when
// no element is NULL.
func DecodeTextArray(s string) (elems []string, nulls []bool, err error) {
	for len(s) > 0 {
		switch s[0] {
		case arrNull:
			if nulls == nil {
				nulls = make([]bool, len(elems), len(elems)+1)
			}
			elems = append(elems, "")
			nulls = append(nulls, true)
			s = s[1:]
		case arrElem:
			e, rest, ok := cutEscaped(s[1:])
			if !ok {
				return nil, nil, errBadArray
			}
			elems = append(elems, e)
			if nulls != nil {
				nulls = append(nulls, false)
			}
			s = rest
		default:
			return nil, nil, errBadArray
		}
	}
	return elems, nulls, nil
}

// appendEscaped appends s with 0x00 escaped as 0x00 0xff and the terminator
// 0x00 0x01; the result orders like s and is self-delimiting.
func appendEscaped(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			break
		}
		b = append(b, s[:i]...)
		b = append(b, 0x00, 0xff)
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, 0x00, 0x01)
}

// cutEscaped decodes an appendEscaped string at the start of s.
func cutEscaped(s string) (string, string, bool) {
	var out []byte
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 || i+1 >= len(s) {
			return "", "", false
		}
		switch s[i+1] {
		case 0x01:
			if out == nil {
				return s[:i], s[i+2:], true
			}
			out = append(out, s[:i]...)
			return string(out), s[i+2:], true
		case 0xff:
			out = append(out, s[:i]...)
			out = append(out, 0)
			s = s[i+2:]
		default:
			return "", "", false
		}
	}
}
