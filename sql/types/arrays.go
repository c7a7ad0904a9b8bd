package types

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/weirdb/weir/sql/pgerror"
)

// Arrays of any element type share text[]'s representation (see array.go):
// a PhysString value framing each element as 0x01 + escaped bytes +
// 0x00 0x01, or 0x02 for a NULL element. The element bytes depend on the
// element's Phys:
//
//	PhysString  the value's bytes (so text[], name[] and "char"[] values
//	            are interchangeable byte for byte)
//	PhysInt     8 bytes big-endian with the sign bit flipped
//
// so that comparing two arrays' bytes compares them as PostgreSQL does:
// element by element, NULL elements after all others, a proper prefix
// first. Only one-dimensional arrays with lower bound 1 exist; other
// element Phys are not supported (ArrayOf reports false for them).

// arrayElems maps each array type to its element type.
var arrayElems = map[ID]ID{
	TextArray: Text,
	Int2Array: Int2,
	Int4Array: Int4,
	Int8Array: Int8,
	OidArray:  Oid,
	CharArray: Char,
	NameArray: Name,
}

// IsArray reports whether t is an array type (int2vector and oidvector,
// which PostgreSQL also treats as arrays for subscripts and ANY, count:
// their elements are int2 and oid).
func (t T) IsArray() bool {
	_, ok := arrayElems[t.ID]
	return ok || t.ID == Int2Vector || t.ID == OidVector
}

// ArrayElem returns the element type of an array type, and false for any
// other type.
func (t T) ArrayElem() (T, bool) {
	switch t.ID {
	case Int2Vector:
		return TInt2, true
	case OidVector:
		return TOid, true
	}
	e, ok := arrayElems[t.ID]
	return T{e, -1}, ok
}

// ArrayOf returns the array type whose elements have type elem (varchar
// elements give text[], as weir keeps no varchar[]).
func ArrayOf(elem T) (T, bool) {
	if elem.ID == Varchar || elem.ID == Unknown {
		return TTextArray, true
	}
	for a, e := range arrayElems {
		if e == elem.ID {
			return T{a, -1}, true
		}
	}
	return T{}, false
}

// EncodeArray returns the value of an array of elem with the given
// elements (Datum.Null marks a NULL element). int2vector and oidvector
// are not built with it (see DecodeArray).
func EncodeArray(elem T, elems []Datum) string {
	var b []byte
	var num [8]byte
	for _, e := range elems {
		if e.Null {
			b = append(b, arrNull)
			continue
		}
		b = append(b, arrElem)
		if elem.Phys() == PhysInt {
			binary.BigEndian.PutUint64(num[:], uint64(e.I)^(1<<63))
			b = appendEscaped(b, string(num[:]))
		} else {
			b = appendEscaped(b, e.S)
		}
	}
	return string(b)
}

// ArrayDatum returns the datum of an array of elem holding elems.
func ArrayDatum(elem T, elems ...Datum) Datum { return DString(EncodeArray(elem, elems)) }

// DecodeArray returns the elements of a value of array type t (any type
// for which IsArray holds, int2vector and oidvector included).
func DecodeArray(t T, s string) ([]Datum, error) {
	elem, ok := t.ArrayElem()
	if !ok {
		return nil, pgerror.New(pgerror.CodeInternalError, "%s is not an array type", t)
	}
	if t.ID == Int2Vector || t.ID == OidVector {
		fields := strings.Fields(s)
		out := make([]Datum, len(fields))
		for i, f := range fields {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return nil, errBadArray
			}
			out[i] = DInt(n)
		}
		return out, nil
	}
	strs, nulls, err := DecodeTextArray(s)
	if err != nil {
		return nil, err
	}
	out := make([]Datum, len(strs))
	for i, e := range strs {
		switch {
		case nulls != nil && nulls[i]:
			out[i] = NullDatum
		case elem.Phys() == PhysInt:
			if len(e) != 8 {
				return nil, errBadArray
			}
			out[i] = DInt(int64(binary.BigEndian.Uint64([]byte(e)) ^ (1 << 63)))
		default:
			out[i] = DString(e)
		}
	}
	return out, nil
}

// ArrayLen returns the number of elements of an array value of type t,
// or -1 when the value is corrupt.
func ArrayLen(t T, s string) int {
	elems, err := DecodeArray(t, s)
	if err != nil {
		return -1
	}
	return len(elems)
}

// parseArray is the text input of array types other than text[]: the
// literal is split as text[]'s is, then each element parsed with its
// type's input function ("{1,2}" for int2[], "{0}" for oid[]).
func parseArray(t T, s string, loc *time.Location) (Datum, error) {
	d, err := parseTextArray(s)
	if err != nil {
		return Datum{}, err
	}
	elem, _ := t.ArrayElem()
	strs, nulls, err := DecodeTextArray(d.S)
	if err != nil {
		return Datum{}, err
	}
	elems := make([]Datum, len(strs))
	for i, e := range strs {
		if nulls != nil && nulls[i] {
			elems[i] = NullDatum
			continue
		}
		if elems[i], err = ParseText(elem, e, loc); err != nil {
			return Datum{}, err
		}
	}
	return DString(EncodeArray(elem, elems)), nil
}

// appendArray is the text output of array types other than text[].
func appendArray(buf []byte, t T, s string, loc *time.Location) []byte {
	elems, err := DecodeArray(t, s)
	if err != nil {
		return append(buf, "{?}"...)
	}
	elem, _ := t.ArrayElem()
	buf = append(buf, '{')
	var scratch []byte
	for i, e := range elems {
		if i > 0 {
			buf = append(buf, ',')
		}
		if e.Null {
			buf = append(buf, "NULL"...)
			continue
		}
		scratch = AppendText(scratch[:0], elem, e, loc)
		buf = AppendArrayElem(buf, string(scratch))
	}
	return append(buf, '}')
}

// appendArrayBinaryOf is array_send for array types other than text[].
func appendArrayBinaryOf(buf []byte, t T, s string) ([]byte, error) {
	elems, err := DecodeArray(t, s)
	if err != nil {
		return nil, err
	}
	elem, _ := t.ArrayElem()
	strs := make([]string, len(elems))
	nulls := make([]bool, len(elems))
	for i, e := range elems {
		if e.Null {
			nulls[i] = true
			continue
		}
		b, err := AppendBinary(nil, elem, e)
		if err != nil {
			return nil, err
		}
		strs[i] = string(b)
	}
	return appendArrayBinary(buf, elem.OID(), strs, nulls, func(b []byte, e string) []byte { return append(b, e...) }), nil
}

// parseArrayBinaryOf is array_recv for array types other than text[].
func parseArrayBinaryOf(t T, b []byte) (Datum, error) {
	elem, _ := t.ArrayElem()
	strs, nulls, err := parseArrayBinary(t, b, func(e []byte) (string, error) { return string(e), nil })
	if err != nil {
		return Datum{}, err
	}
	elems := make([]Datum, len(strs))
	for i, e := range strs {
		if nulls != nil && nulls[i] {
			elems[i] = NullDatum
			continue
		}
		if elems[i], err = ParseBinary(elem, []byte(e)); err != nil {
			return Datum{}, err
		}
	}
	return DString(EncodeArray(elem, elems)), nil
}
