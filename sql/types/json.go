package types

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/weirdb/weir/sql/pgerror"
)

// jsonb values are PhysString holding the normalised text PostgreSQL's
// jsonb output produces: object keys unique (the last duplicate wins) and
// sorted by length then bytes, one space after ':' and ',', numbers in
// numeric form. Equal jsonb values therefore have equal strings.

// NormalizeJSON validates JSON text and returns its jsonb normal form, or a
// 22P02 error.
func NormalizeJSON(s string) (string, error) {
	p := jsonParser{s: s}
	p.ws()
	v, err := p.value()
	if err == nil {
		p.ws()
		if p.i != len(p.s) {
			err = p.fail()
		}
	}
	if err != nil {
		return "", err
	}
	return string(v.appendTo(nil)), nil
}

// JSONValue is a parsed JSON value. Kind is one of "object", "array",
// "string", "number", "boolean", "null" (jsonb_typeof's names).
type JSONValue struct {
	Kind string
	Str  string // string contents, or number text, or "true"/"false"
	Keys []string
	Vals []*JSONValue // object values (parallel to Keys) or array elements
}

// ParseJSON parses JSON text (normally a stored jsonb value).
func ParseJSON(s string) (*JSONValue, error) {
	p := jsonParser{s: s}
	p.ws()
	v, err := p.value()
	if err == nil {
		p.ws()
		if p.i != len(p.s) {
			err = p.fail()
		}
	}
	return v, err
}

// Get returns the member of an object by key, or nil.
func (v *JSONValue) Get(key string) *JSONValue {
	if v.Kind != "object" {
		return nil
	}
	for i, k := range v.Keys {
		if k == key {
			return v.Vals[i]
		}
	}
	return nil
}

// Text returns the value as ->> shows it: strings unquoted, everything else
// as jsonb text; ok is false for JSON null.
func (v *JSONValue) Text() (string, bool) {
	switch v.Kind {
	case "null":
		return "", false
	case "string":
		return v.Str, true
	}
	return string(v.appendTo(nil)), true
}

// String returns the jsonb text of v.
func (v *JSONValue) String() string { return string(v.appendTo(nil)) }

func (v *JSONValue) appendTo(b []byte) []byte {
	switch v.Kind {
	case "object":
		b = append(b, '{')
		for i, k := range v.Keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = AppendJSONString(b, k)
			b = append(b, ": "...)
			b = v.Vals[i].appendTo(b)
		}
		return append(b, '}')
	case "array":
		b = append(b, '[')
		for i, e := range v.Vals {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = e.appendTo(b)
		}
		return append(b, ']')
	case "string":
		return AppendJSONString(b, v.Str)
	case "null":
		return append(b, "null"...)
	}
	return append(b, v.Str...)
}

// AppendJSONString appends s as a JSON string, escaped as PostgreSQL's
// escape_json does (quote, backslash and control characters only).
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			if c < 0x20 {
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) fail() error {
	return pgerror.New(pgerror.CodeInvalidTextRepresentation, "invalid input syntax for type json").WithDetail("Token near position %d is invalid.", p.i+1)
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *jsonParser) value() (*JSONValue, error) {
	if p.i >= len(p.s) {
		return nil, p.fail()
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		obj := &JSONValue{Kind: "object"}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return obj, nil
		}
		idx := map[string]int{}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, p.fail()
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, p.fail()
			}
			p.i++
			p.ws()
			val, err := p.value()
			if err != nil {
				return nil, err
			}
			if j, ok := idx[k]; ok {
				obj.Vals[j] = val
			} else {
				idx[k] = len(obj.Keys)
				obj.Keys = append(obj.Keys, k)
				obj.Vals = append(obj.Vals, val)
			}
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				break
			}
			return nil, p.fail()
		}
		order := make([]int, len(obj.Keys))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool {
			ka, kb := obj.Keys[order[a]], obj.Keys[order[b]]
			if len(ka) != len(kb) {
				return len(ka) < len(kb)
			}
			return ka < kb
		})
		keys, vals := make([]string, len(order)), make([]*JSONValue, len(order))
		for i, o := range order {
			keys[i], vals[i] = obj.Keys[o], obj.Vals[o]
		}
		obj.Keys, obj.Vals = keys, vals
		return obj, nil
	case c == '[':
		p.i++
		arr := &JSONValue{Kind: "array"}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			p.ws()
			val, err := p.value()
			if err != nil {
				return nil, err
			}
			arr.Vals = append(arr.Vals, val)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return arr, nil
			}
			return nil, p.fail()
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &JSONValue{Kind: "string", Str: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		j := p.i
		if p.s[j] == '-' {
			j++
		}
		k := j
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.' || p.s[j] == 'e' || p.s[j] == 'E' || p.s[j] == '+' || p.s[j] == '-') {
			j++
		}
		text := p.s[p.i:j]
		if k == j || (p.s[k] == '0' && j > k+1 && p.s[k+1] >= '0' && p.s[k+1] <= '9') {
			return nil, p.fail()
		}
		d, err := ParseNumeric(text)
		if err != nil {
			return nil, p.fail()
		}
		p.i = j
		return &JSONValue{Kind: "number", Str: string(AppendNumeric(nil, d))}, nil
	case strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return &JSONValue{Kind: "boolean", Str: "true"}, nil
	case strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return &JSONValue{Kind: "boolean", Str: "false"}, nil
	case strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return &JSONValue{Kind: "null"}, nil
	}
	return nil, p.fail()
}

func (p *jsonParser) str() (string, error) {
	p.i++ // opening quote
	var b []byte
	for {
		if p.i >= len(p.s) {
			return "", p.fail()
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), nil
		case c < 0x20:
			return "", p.fail()
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.fail()
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case 'r':
				b = append(b, '\r')
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'u':
				r, ok := p.hex4()
				if !ok || r == 0 {
					return "", p.fail()
				}
				if r >= 0xd800 && r < 0xdc00 && strings.HasPrefix(p.s[p.i:], `\u`) {
					p.i += 2
					r2, ok := p.hex4()
					if !ok || r2 < 0xdc00 || r2 >= 0xe000 {
						return "", p.fail()
					}
					r = (r-0xd800)<<10 + (r2 - 0xdc00) + 0x10000
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", p.fail()
			}
		default:
			b = append(b, c)
			p.i++
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}
