package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/types"
)

// System relations are virtual: their rows are computed from the catalog
// model (and, for weir_catalog, the engine's Runtime) each time they are
// scanned. They are registered in systemDefs (system_defs.go) with the
// column names and types PostgreSQL 15 uses, so clients' catalog queries
// bind and return what they expect.

type sysDef struct {
	oid    uint32
	schema string
	name   string
	// relkind shown in pg_class: 'r' for catalog tables, 'v' for views.
	relkind byte
	cols    []planner.Column
	rows    func(s *sysSnapshot) [][]types.Datum
}

// sysSnapshot is the consistent view a scan of a system relation reads.
type sysSnapshot struct {
	cat     *Catalog
	objects []*Object // user objects, sorted by schema, name
	runtime Runtime   // may be nil
}

func (c *Catalog) sysSnapshot() *sysSnapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return &sysSnapshot{cat: c, objects: c.listLocked(0), runtime: c.runtime}
}

var (
	sysByName = map[string]*sysDef{}
	sysByOID  = map[uint32]*sysDef{}
	sysList   []*sysDef
)

func registerSystem(d *sysDef) {
	key := nameKey(d.schema, d.name)
	if _, dup := sysByName[key]; dup {
		panic("catalog: duplicate system relation " + key)
	}
	if _, dup := sysByOID[d.oid]; dup || d.oid >= FirstUserOID {
		panic(fmt.Sprintf("catalog: bad OID %d for system relation %s", d.oid, key))
	}
	sysByName[key] = d
	sysByOID[d.oid] = d
	sysList = append(sysList, d)
}

func systemByName(schema, name string) (*sysDef, bool) {
	d, ok := sysByName[nameKey(schema, name)]
	return d, ok
}

func systemByOID(oid uint32) (*sysDef, bool) {
	d, ok := sysByOID[oid]
	return d, ok
}

// cols parses "name:type name:type ..." with the short type names below.
func cols(spec string) []planner.Column {
	var out []planner.Column
	for _, f := range strings.Fields(spec) {
		name, typ, ok := strings.Cut(f, ":")
		if !ok {
			panic("catalog: bad column spec " + f)
		}
		t, ok := shortTypes[typ]
		if !ok {
			panic("catalog: unknown type in column spec " + f)
		}
		out = append(out, planner.Column{Name: name, T: t})
	}
	return out
}

var shortTypes = map[string]types.T{
	"oid": types.TOid, "name": types.TName, "char": types.TChar, "bool": types.TBool,
	"int2": types.TInt2, "int4": types.TInt4, "int8": types.TInt8, "float4": types.TFloat4,
	"float8": types.TFloat8, "text": types.TText, "text[]": types.TTextArray,
	"int2vector": types.TInt2Vector, "oidvector": types.TOidVector, "regproc": types.TRegProc,
	"regclass": types.TRegClass, "regtype": types.TRegType, "timestamptz": types.TTimestampTZ,
	"bytea": types.TBytea, "int2[]": types.TInt2Array, "oid[]": types.TOidArray, "char[]": types.TCharArray,
	"name[]": types.TNameArray, "regnamespace": types.TRegNamespace,
}

// systemRelation is the planner view of a system relation.
type systemRelation struct {
	cat *Catalog
	def *sysDef
}

var _ planner.ScanRelation = (*systemRelation)(nil)

func (r *systemRelation) OID() uint32               { return r.def.oid }
func (r *systemRelation) Schema() string            { return r.def.schema }
func (r *systemRelation) Name() string              { return r.def.name }
func (r *systemRelation) Kind() planner.RelKind     { return planner.KindSystem }
func (r *systemRelation) Columns() []planner.Column { return r.def.cols }

// Scan computes the relation's rows as of now.
func (r *systemRelation) Scan(ctx context.Context) (planner.ChunkReader, error) {
	rows := r.def.rows(r.cat.sysSnapshot())
	ts := make([]types.T, len(r.def.cols))
	for i, c := range r.def.cols {
		ts[i] = c.T
	}
	c := types.NewChunk(ts, len(rows))
	for _, row := range rows {
		if len(row) != len(ts) {
			panic(fmt.Sprintf("catalog: %s.%s row has %d values, want %d", r.def.schema, r.def.name, len(row), len(ts)))
		}
		c.AppendRow(row)
	}
	return &oneChunkReader{c: c}, nil
}

type oneChunkReader struct{ c *types.Chunk }

func (r *oneChunkReader) Next(ctx context.Context) (*types.Chunk, error) {
	c := r.c
	r.c = nil
	if c != nil && c.N == 0 {
		return nil, nil
	}
	return c, nil
}

func (r *oneChunkReader) Close() error { r.c = nil; return nil }

// Datum helpers for row builders.
func dOID(v uint32) types.Datum { return types.DInt(int64(v)) }
func dInt(v int64) types.Datum  { return types.DInt(v) }
func dStr(s string) types.Datum { return types.DString(s) }
func dBool(b bool) types.Datum  { return types.DBool(b) }
func dF(f float64) types.Datum  { return types.DFloat(f) }

var null = types.NullDatum

func dStrOrNull(s string) types.Datum {
	if s == "" {
		return null
	}
	return dStr(s)
}

func dTime(t time.Time) types.Datum {
	if t.IsZero() {
		return null
	}
	return types.DInt(t.UnixMicro())
}

// Type facts pg_type and pg_attribute report, beyond sql/types.
type typeFacts struct {
	array     uint32 // OID of the array type, 0 if none
	elem      uint32 // element type OID for array types
	align     byte
	storage   byte
	collation uint32
}

const (
	collationDefault uint32 = 100
	collationC       uint32 = 950
	collationPOSIX   uint32 = 951
)

var arrayOIDs = map[uint32]uint32{
	16: 1000, 21: 1005, 23: 1007, 20: 1016, 700: 1021, 701: 1022, 1700: 1231, 25: 1009,
	1043: 1015, 1114: 1115, 1184: 1185, 1082: 1182, 1186: 1187, 17: 1001, 3802: 3807,
	26: 1028, 19: 1003, 18: 1002, 2205: 2210, 2206: 2211, 24: 1008, 22: 1006, 30: 1013,
}

func factsOf(t types.T) typeFacts {
	f := typeFacts{array: arrayOIDs[t.OID()], storage: 'p'}
	if e, ok := t.ArrayElem(); ok {
		f.elem = e.OID()
	}
	switch t.Len() {
	case 1:
		f.align = 'c'
	case 2:
		f.align = 's'
	case 8:
		f.align = 'd'
	case 16:
		f.align = 'd'
	default:
		f.align = 'i'
	}
	if t.ID == types.Name {
		f.align = 'c'
	}
	if t.Len() == -1 {
		f.storage = 'x'
		if t.ID == types.Numeric {
			f.storage = 'm'
		}
		if t.IsArray() {
			f.align = 'i'
			if e, _ := t.ArrayElem(); e.Len() == 8 {
				f.align = 'd'
			}
		}
	}
	switch t.ID {
	case types.Text, types.Varchar, types.TextArray:
		f.collation = collationDefault
	case types.Name, types.NameArray:
		f.collation = collationC
	}
	return f
}

func byVal(t types.T) bool {
	switch t.Len() {
	case 1, 2, 4, 8:
		return t.ID != types.Name
	}
	return false
}
