package parser

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/weirdb/weir/sql/lex"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// TypeName is a parsed PostgreSQL type name.
type TypeName struct {
	// T is the weir type; valid only when Known.
	T     types.T
	Known bool
	// Text is the canonical text: T.String() when Known, else the folded
	// name as written (pg_catalog. stripped) with modifiers and [] suffix.
	Text string
	// Pos is the 1-based character position of the name.
	Pos int
}

// simpleTypes maps one-word PostgreSQL type names (and pg_type.typname
// aliases) to weir types. char/character/bpchar map to varchar: weir does
// not implement blank-padded character(n) semantics.
var simpleTypes = map[string]types.T{
	"bool": types.TBool, "boolean": types.TBool,
	"int2": types.TInt2, "smallint": types.TInt2,
	"int": types.TInt4, "integer": types.TInt4, "int4": types.TInt4,
	"int8": types.TInt8, "bigint": types.TInt8,
	"real": types.TFloat4, "float4": types.TFloat4,
	"float8":  types.TFloat8,
	"numeric": types.TNumeric, "decimal": types.TNumeric,
	"text":    types.TText,
	"varchar": types.TVarchar, "char": types.TVarchar, "character": types.TVarchar, "bpchar": types.TVarchar,
	"timestamp": types.TTimestamp, "timestamptz": types.TTimestampTZ,
	"date": types.TDate, "interval": types.TInterval,
	"bytea": types.TBytea, "jsonb": types.TJSONB, "json": types.TJSONB,
	"oid": types.TOid, "name": types.TName,
	"regclass": types.TRegClass, "regtype": types.TRegType, "regproc": types.TRegProc,
	"int2vector": types.TInt2Vector, "oidvector": types.TOidVector,
	"_text": types.TTextArray,
}

// parseTypeName reads a PostgreSQL type name at c: one- or two-word names
// (double precision, character varying), optional pg_catalog. qualifier,
// modifiers in parentheses, timestamp/time WITH[OUT] TIME ZONE, interval
// field restrictions, "char", and [] / ARRAY suffixes. Unknown names are
// returned with Known false; callers that need a storable type report
// 42704 with TypeName.Pos.
func parseTypeName(c *cursor) TypeName {
	start := c.peek()
	tn := TypeName{Pos: start.Pos}
	var name string
	if start.Kind == lex.QIdent {
		c.next()
		name = start.Val
		if name == "char" {
			name = "\"char\""
		}
	} else if start.Kind == lex.Ident {
		c.next()
		name = start.Val
	} else {
		c.syntaxError()
	}
	if c.peek().Kind == lex.Dot {
		c.next()
		t := c.peek()
		if t.Kind != lex.Ident && t.Kind != lex.QIdent {
			c.syntaxError()
		}
		c.next()
		if name == "pg_catalog" {
			name = t.Val
			if t.Kind == lex.QIdent && name == "char" {
				name = "\"char\""
			}
		} else {
			name = name + "." + t.Val
		}
	}
	switch name {
	case "double":
		c.expect("precision")
		name = "float8"
	case "character", "char", "national":
		if name == "national" {
			if !c.accept("character") {
				c.expect("char")
			}
		}
		if c.accept("varying") {
			name = "varchar"
		}
	case "bit":
		if c.accept("varying") {
			name = "varbit"
		}
	}
	var mods []int
	modText := ""
	if c.peek().Kind == lex.LParen {
		lp := c.next()
		for {
			t := c.peek()
			if t.Kind != lex.Number || !t.Integer {
				c.syntaxError()
			}
			c.next()
			n, err := strconv.Atoi(t.Val)
			if err != nil {
				fail(pgerror.Syntax(t.Pos, "type modifier is out of range"))
			}
			mods = append(mods, n)
			if !c.acceptKind(lex.Comma) {
				break
			}
		}
		c.expectKind(lex.RParen)
		parts := make([]string, len(mods))
		for i, m := range mods {
			parts[i] = strconv.Itoa(m)
		}
		modText = "(" + strings.Join(parts, ",") + ")"
		_ = lp
	}
	tz := ""
	if name == "timestamp" || name == "time" {
		if c.acceptSeq("with", "time", "zone") {
			tz = "with"
		} else if c.acceptSeq("without", "time", "zone") {
			tz = "without"
		}
	}
	fields := ""
	if name == "interval" {
		fields = intervalFields(c)
	}
	arr := false
	for c.peek().Kind == lex.LBracket {
		c.next()
		c.acceptKind(lex.Number)
		c.expectKind(lex.RBracket)
		arr = true
	}
	if c.accept("array") {
		arr = true
		if c.peek().Kind == lex.LBracket {
			c.next()
			c.acceptKind(lex.Number)
			c.expectKind(lex.RBracket)
		}
	}

	t, ok := simpleTypes[name]
	switch {
	case name == "float":
		ok = true
		t = types.TFloat8
		if len(mods) == 1 {
			if mods[0] < 1 || mods[0] > 53 {
				fail(pgerror.New(pgerror.CodeInvalidParameterValue, "precision for type float must be between 1 and 53 bits").WithPosition(tn.Pos))
			}
			if mods[0] <= 24 {
				t = types.TFloat4
			}
		}
		mods = nil
	case name == "timestamp" && tz == "with":
		t = types.TTimestampTZ
	case name == "\"char\"":
		t, ok = types.TChar, true
	}
	if ok {
		switch {
		case t.ID == types.Varchar && len(mods) == 1:
			if mods[0] < 1 {
				fail(pgerror.New(pgerror.CodeInvalidParameterValue, "length for type %s must be at least 1", name).WithPosition(tn.Pos))
			}
			t = types.WithVarcharLen(int32(mods[0]))
		case t.ID == types.Varchar && len(mods) == 0 && name != "varchar":
			t = types.WithVarcharLen(1) // char without length is char(1)
		case t.ID == types.Numeric && len(mods) >= 1:
			p, s := mods[0], 0
			if len(mods) == 2 {
				s = mods[1]
			}
			if p < 1 || p > 1000 {
				fail(pgerror.New(pgerror.CodeInvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", p).WithPosition(tn.Pos))
			}
			t = types.WithNumericPrecScale(int32(p), int32(s))
		case len(mods) > 0 && (t.ID == types.Timestamp || t.ID == types.TimestampTZ || t.ID == types.Interval):
			// Fractional-second precision is accepted and ignored:
			// weir keeps microseconds.
		case len(mods) > 0:
			ok = false // e.g. int4(3): not a valid type; let the caller complain
		}
	}
	if fields != "" {
		ok = ok && !arr
	}
	if arr {
		if ok && t.ID == types.Text || ok && t.ID == types.Varchar {
			t, ok = types.TTextArray, true
		} else {
			ok = false
		}
	}
	tn.T, tn.Known = t, ok
	if ok {
		tn.Text = t.String()
		return tn
	}
	txt := name + modText
	if tz != "" {
		txt += " " + tz + " time zone"
	}
	if fields != "" {
		txt += " " + fields
	}
	if arr {
		if known, isKnown := simpleTypes[name]; isKnown && len(mods) == 0 {
			txt = known.String()
		}
		txt += "[]"
	}
	tn.Text = txt
	return tn
}

// intervalFields reads an optional interval field restriction (YEAR, DAY
// TO SECOND, ...) and returns it lower-case, or "".
func intervalFields(c *cursor) string {
	isField := func(t lex.Token) bool {
		switch t.Val {
		case "year", "month", "day", "hour", "minute", "second":
			return t.Kind == lex.Ident
		}
		return false
	}
	if !isField(c.peek()) {
		return ""
	}
	f := c.next().Val
	if f == "second" && c.peek().Kind == lex.LParen {
		c.next()
		c.expectKind(lex.Number)
		c.expectKind(lex.RParen)
	}
	if c.accept("to") {
		if !isField(c.peek()) {
			c.syntaxError()
		}
		to := c.next().Val
		if to == "second" && c.peek().Kind == lex.LParen {
			c.next()
			c.expectKind(lex.Number)
			c.expectKind(lex.RParen)
		}
		f += " to " + to
	}
	return f
}

// storableType parses a column type for DDL: it must be one of the types
// weir stores (SPEC.md), else 42704 (unknown) or 0A000 (known to
// PostgreSQL but not storable by weir).
func storableType(c *cursor) types.T {
	first := c.peek()
	tn := parseTypeName(c)
	if !tn.Known {
		switch tn.Text {
		case "serial", "bigserial", "smallserial", "serial4", "serial8", "serial2":
			fail(pgerror.NotSupported("type %s is not supported", tn.Text).WithPosition(tn.Pos).
				WithHint("Use bigint and generate keys in the application."))
		case "time", "timetz", "uuid", "inet", "cidr", "money", "xml", "bit", "varbit",
			"point", "box", "tsvector", "time without time zone", "time with time zone":
			fail(pgerror.NotSupported("type %s is not supported", tn.Text).WithPosition(tn.Pos))
		}
		name := tn.Text
		if first.Kind == lex.Ident || first.Kind == lex.QIdent {
			name = strings.TrimSuffix(name, "[]")
		}
		fail(pgerror.New(pgerror.CodeUndefinedObject, "type \"%s\" does not exist", name).WithPosition(tn.Pos))
	}
	switch tn.T.ID {
	case types.Oid, types.Name, types.Char, types.RegClass, types.RegType, types.RegProc,
		types.TextArray, types.Int2Vector, types.OidVector:
		fail(pgerror.NotSupported("type %s is not supported in tables", tn.Text).WithPosition(tn.Pos))
	}
	return tn.T
}

// typeError is used by tests to describe a TypeName.
func (tn TypeName) String() string { return fmt.Sprintf("%s known=%v", tn.Text, tn.Known) }
