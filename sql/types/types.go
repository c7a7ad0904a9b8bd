package types

import "fmt"

// ID identifies a SQL type. The zero value is Unknown: the type of an untyped
// literal or parameter before the binder resolves it.
type ID uint8

const (
	Unknown ID = iota
	Bool
	Int2
	Int4
	Int8
	Float4
	Float8
	Numeric
	Text
	Varchar
	Timestamp
	TimestampTZ
	Date
	Interval
	Bytea
	JSONB
	// Catalog types: needed by pg_catalog relations and the queries clients
	// send against them.
	Oid
	Name
	Char // PostgreSQL's single-byte "char"
	RegClass
	RegType
	RegProc
	TextArray
	Int2Vector
	OidVector
	// Array types beyond text[] (see arrays.go) and regnamespace, added for
	// the pg_catalog columns psql reads (pg_constraint.conkey int2[],
	// pg_policy.polroles oid[], pg_statistic_ext.stxkind "char"[]).
	Int2Array
	Int4Array
	Int8Array
	OidArray
	CharArray
	NameArray
	RegNamespace
	numIDs
)

// Phys is the physical representation of a type's values in a Vec or Datum.
type Phys uint8

const (
	PhysInt Phys = iota
	PhysFloat
	PhysDecimal
	PhysString
	PhysInterval
)

// T is a SQL type with its modifier. Mod follows PostgreSQL's atttypmod:
// -1 when absent; for varchar(n) n+4; for numeric(p,s) ((p<<16)|s)+4.
type T struct {
	ID  ID
	Mod int32
}

// Common types without modifiers.
var (
	TUnknown     = T{Unknown, -1}
	TBool        = T{Bool, -1}
	TInt2        = T{Int2, -1}
	TInt4        = T{Int4, -1}
	TInt8        = T{Int8, -1}
	TFloat4      = T{Float4, -1}
	TFloat8      = T{Float8, -1}
	TNumeric     = T{Numeric, -1}
	TText        = T{Text, -1}
	TVarchar     = T{Varchar, -1}
	TTimestamp   = T{Timestamp, -1}
	TTimestampTZ = T{TimestampTZ, -1}
	TDate        = T{Date, -1}
	TInterval    = T{Interval, -1}
	TBytea       = T{Bytea, -1}
	TJSONB       = T{JSONB, -1}
	TOid         = T{Oid, -1}
	TName        = T{Name, -1}
	TChar        = T{Char, -1}
	TRegClass    = T{RegClass, -1}
	TRegType     = T{RegType, -1}
	TRegProc     = T{RegProc, -1}
	TTextArray   = T{TextArray, -1}
	TInt2Vector  = T{Int2Vector, -1}
	TOidVector   = T{OidVector, -1}

	TInt2Array    = T{Int2Array, -1}
	TInt4Array    = T{Int4Array, -1}
	TInt8Array    = T{Int8Array, -1}
	TOidArray     = T{OidArray, -1}
	TCharArray    = T{CharArray, -1}
	TNameArray    = T{NameArray, -1}
	TRegNamespace = T{RegNamespace, -1}
)

type info struct {
	oid     uint32
	name    string // PostgreSQL's format_type name
	typname string // pg_type.typname
	phys    Phys
	size    int16 // typlen: -1 varlena
	cat     byte  // pg_type.typcategory
}

var infos = [numIDs]info{
	Unknown:     {705, "unknown", "unknown", PhysString, -2, 'X'},
	Bool:        {16, "boolean", "bool", PhysInt, 1, 'B'},
	Int2:        {21, "smallint", "int2", PhysInt, 2, 'N'},
	Int4:        {23, "integer", "int4", PhysInt, 4, 'N'},
	Int8:        {20, "bigint", "int8", PhysInt, 8, 'N'},
	Float4:      {700, "real", "float4", PhysFloat, 4, 'N'},
	Float8:      {701, "double precision", "float8", PhysFloat, 8, 'N'},
	Numeric:     {1700, "numeric", "numeric", PhysDecimal, -1, 'N'},
	Text:        {25, "text", "text", PhysString, -1, 'S'},
	Varchar:     {1043, "character varying", "varchar", PhysString, -1, 'S'},
	Timestamp:   {1114, "timestamp without time zone", "timestamp", PhysInt, 8, 'D'},
	TimestampTZ: {1184, "timestamp with time zone", "timestamptz", PhysInt, 8, 'D'},
	Date:        {1082, "date", "date", PhysInt, 4, 'D'},
	Interval:    {1186, "interval", "interval", PhysInterval, 16, 'T'},
	Bytea:       {17, "bytea", "bytea", PhysString, -1, 'U'},
	JSONB:       {3802, "jsonb", "jsonb", PhysString, -1, 'U'},
	Oid:         {26, "oid", "oid", PhysInt, 4, 'N'},
	Name:        {19, "name", "name", PhysString, 64, 'S'},
	Char:        {18, "\"char\"", "char", PhysString, 1, 'Z'},
	RegClass:    {2205, "regclass", "regclass", PhysInt, 4, 'N'},
	RegType:     {2206, "regtype", "regtype", PhysInt, 4, 'N'},
	RegProc:     {24, "regproc", "regproc", PhysInt, 4, 'N'},
	TextArray:   {1009, "text[]", "_text", PhysString, -1, 'A'},
	Int2Vector:  {22, "int2vector", "int2vector", PhysString, -1, 'A'},
	OidVector:   {30, "oidvector", "oidvector", PhysString, -1, 'A'},

	Int2Array:    {1005, "smallint[]", "_int2", PhysString, -1, 'A'},
	Int4Array:    {1007, "integer[]", "_int4", PhysString, -1, 'A'},
	Int8Array:    {1016, "bigint[]", "_int8", PhysString, -1, 'A'},
	OidArray:     {1028, "oid[]", "_oid", PhysString, -1, 'A'},
	CharArray:    {1002, "\"char\"[]", "_char", PhysString, -1, 'A'},
	NameArray:    {1003, "name[]", "_name", PhysString, -1, 'A'},
	RegNamespace: {4089, "regnamespace", "regnamespace", PhysInt, 4, 'N'},
}

// OID returns the PostgreSQL type OID reported in RowDescription and pg_type.
func (t T) OID() uint32 { return infos[t.ID].oid }

// Phys returns the physical representation of the type's values.
func (t T) Phys() Phys { return infos[t.ID].phys }

// Len returns pg_type.typlen: the fixed size in bytes, or -1 for varlena.
func (t T) Len() int16 { return infos[t.ID].size }

// Category returns pg_type.typcategory.
func (t T) Category() byte { return infos[t.ID].cat }

// TypName returns pg_type.typname ("int8", "varchar", ...).
func (t T) TypName() string { return infos[t.ID].typname }

// String returns the type as PostgreSQL's format_type prints it, modifier
// included: "bigint", "character varying(10)", "numeric(10,2)".
func (t T) String() string {
	name := infos[t.ID].name
	if t.Mod >= 4 {
		switch t.ID {
		case Varchar:
			return fmt.Sprintf("%s(%d)", name, t.Mod-4)
		case Numeric:
			p, s := t.NumericPrecScale()
			return fmt.Sprintf("%s(%d,%d)", name, p, s)
		}
	}
	return name
}

// NumericPrecScale returns the precision and scale of numeric(p,s); ok is
// false when the type carries no modifier.
func (t T) NumericPrecScale() (prec, scale int32) {
	m := t.Mod - 4
	return (m >> 16) & 0xffff, m & 0xffff
}

// WithVarcharLen returns varchar(n).
func WithVarcharLen(n int32) T { return T{Varchar, n + 4} }

// WithNumericPrecScale returns numeric(p,s).
func WithNumericPrecScale(p, s int32) T { return T{Numeric, (p<<16 | s) + 4} }

// IsNumeric reports whether the type is one of the number types.
func (t T) IsNumeric() bool {
	switch t.ID {
	case Int2, Int4, Int8, Float4, Float8, Numeric:
		return true
	}
	return false
}

// IsInteger reports whether the type is int2, int4 or int8.
func (t T) IsInteger() bool { return t.ID == Int2 || t.ID == Int4 || t.ID == Int8 }

// IsString reports whether the type is text-like (text, varchar, name, "char").
func (t T) IsString() bool {
	switch t.ID {
	case Text, Varchar, Name, Char, Unknown:
		return true
	}
	return false
}

// ByOID returns the type with the given OID.
func ByOID(oid uint32) (T, bool) {
	for id := ID(0); id < numIDs; id++ {
		if infos[id].oid == oid {
			return T{id, -1}, true
		}
	}
	return T{}, false
}

// All returns every type without modifier, in ID order; pg_type lists them.
func All() []T {
	out := make([]T, 0, numIDs)
	for id := ID(1); id < numIDs; id++ {
		out = append(out, T{id, -1})
	}
	return out
}
