package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

func openCatalog(t *testing.T, dir string) (*state.Store, *Catalog) {
	t.Helper()
	s, err := state.Open(dir, state.Options{})
	require.NoError(t, err)
	c, err := Open(s)
	require.NoError(t, err)
	return s, c
}

func requireCode(t *testing.T, err error, code, msg string) *pgerror.Error {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, pgerror.Code(err), "%v", err)
	require.Equal(t, msg, err.Error())
	return pgerror.Convert(err)
}

var bidsDef = TableDef{
	Name: "bids",
	Columns: []planner.Column{
		{Name: "auction", T: types.TInt8}, {Name: "price", T: types.WithNumericPrecScale(10, 2)},
		{Name: "note", T: types.WithVarcharLen(20)}, {Name: "date_time", T: types.TTimestamp},
	},
	PrimaryKey: []string{"auction"},
	Watermark:  &Watermark{Column: "date_time", Delay: 4 * time.Second, Expr: "date_time - INTERVAL '4' SECOND"},
	Options:    map[string]string{"retention": "1d"},
	SQL:        "CREATE TABLE bids (...)",
}

func TestCatalogPersistsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, c := openCatalog(t, dir)
	tbl, notices, err := c.CreateTable(bidsDef)
	require.NoError(t, err)
	require.Empty(t, notices)
	require.Equal(t, FirstUserOID, tbl.OID)
	require.Equal(t, uint64(1), tbl.Version)
	require.True(t, tbl.Columns[0].NotNull, "primary key columns are NOT NULL")
	require.NotZero(t, tbl.IndexOID)
	v, _, err := c.CreateView(ViewDef{Name: "v", Columns: []planner.Column{{Name: "auction", T: types.TInt8}},
		Query: "SELECT auction FROM bids", SQL: "CREATE VIEW v AS SELECT auction FROM bids", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)
	mv, _, err := c.CreateMatView(ViewDef{Name: "hot", Columns: []planner.Column{{Name: "n", T: types.TInt8}},
		Query: "SELECT count(*) AS n FROM v", DependsOn: []uint32{v.OID}})
	require.NoError(t, err)
	mv, err = c.SetPlanInfo(mv.ID, "fp1", map[string]uint32{"hash_agg": 1})
	require.NoError(t, err)
	require.Equal(t, uint64(2), mv.Version)
	require.NoError(t, s.Close())

	s, c = openCatalog(t, dir)
	defer s.Close()
	got := c.Lookup("", "bids")
	require.Equal(t, tbl, got)
	require.Equal(t, v, c.Lookup("public", "v"))
	require.Equal(t, mv, c.ByOID(mv.OID))
	require.Equal(t, "fp1", c.ByID(mv.ID).PlanFingerprint)

	// Counters persisted: new objects never reuse OIDs or ids, even after
	// drops.
	_, err = c.Drop(KindMatView, "", "hot", false, false)
	require.NoError(t, err)
	u, _, err := c.CreateTable(TableDef{Name: "u", Columns: []planner.Column{{Name: "a", T: types.TInt4}}})
	require.NoError(t, err)
	require.Greater(t, u.OID, mv.OID)
	require.Greater(t, u.ID, mv.ID)
}

func TestCreateErrors(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	_, _, err = c.CreateTable(bidsDef)
	require.NoError(t, err)

	_, _, err = c.CreateTable(bidsDef)
	requireCode(t, err, pgerror.CodeDuplicateTable, `relation "bids" already exists`)
	_, _, err = c.CreateView(ViewDef{Name: "bids", Query: "SELECT 1"})
	requireCode(t, err, pgerror.CodeDuplicateTable, `relation "bids" already exists`)
	def := bidsDef
	def.IfNotExists = true
	o, notices, err := c.CreateTable(def)
	require.NoError(t, err)
	require.Equal(t, c.Lookup("", "bids"), o)
	require.Equal(t, []Notice{{Message: `relation "bids" already exists, skipping`}}, notices)

	for _, tc := range []struct {
		def       TableDef
		code, msg string
	}{
		{TableDef{Name: "x", Columns: []planner.Column{{Name: "a", T: types.TInt4}, {Name: "a", T: types.TText}}},
			pgerror.CodeDuplicateColumn, `column "a" specified more than once`},
		{TableDef{Name: "x", Columns: []planner.Column{{Name: "a", T: types.TInt4}}, PrimaryKey: []string{"b"}},
			pgerror.CodeUndefinedColumn, `column "b" named in key does not exist`},
		{TableDef{Name: "x", Columns: []planner.Column{{Name: "a", T: types.TInt4}}, Watermark: &Watermark{Column: "a"}},
			pgerror.CodeDatatypeMismatch, `WATERMARK column "a" must be timestamp or timestamp with time zone, not integer`},
		{TableDef{Schema: "nope", Name: "x"}, "3F000", `schema "nope" does not exist`},
		{TableDef{Schema: "pg_catalog", Name: "x"}, pgerror.CodeInsufficientPrivilege, `permission denied to create objects in schema "pg_catalog"`},
	} {
		_, _, err := c.CreateTable(tc.def)
		requireCode(t, err, tc.code, tc.msg)
	}
}

func TestDropWithDependencies(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	tbl, _, err := c.CreateTable(TableDef{Name: "t", Columns: []planner.Column{{Name: "a", T: types.TInt8}}})
	require.NoError(t, err)
	v, _, err := c.CreateView(ViewDef{Name: "v", Query: "SELECT a FROM t", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)
	_, _, err = c.CreateMatView(ViewDef{Name: "m", Query: "SELECT a FROM v", DependsOn: []uint32{v.OID}})
	require.NoError(t, err)
	_, _, err = c.CreateView(ViewDef{Name: "w", Query: "SELECT a FROM t", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)

	c1 := types.NewChunk([]types.T{types.TInt8}, 1)
	c1.AppendRow([]types.Datum{types.DInt(1)})
	_, _, err = s.TableLog().Append(tbl.ID, c1)
	require.NoError(t, err)

	_, err = c.Drop(KindTable, "", "t", false, false)
	pe := requireCode(t, err, pgerror.CodeDependentObjectsStillExist, "cannot drop table t because other objects depend on it")
	require.Equal(t, "view v depends on table t\nview w depends on table t\nmaterialized view m depends on view v", pe.Detail)
	require.Equal(t, "Use DROP ... CASCADE to drop the dependent objects too.", pe.Hint)

	_, err = c.Drop(KindView, "", "t", false, false)
	pe = requireCode(t, err, pgerror.CodeWrongObjectType, `"t" is not a view`)
	require.Equal(t, "Use DROP TABLE to remove a table.", pe.Hint)

	_, err = c.Drop(KindTable, "", "nope", false, false)
	requireCode(t, err, pgerror.CodeUndefinedTable, `table "nope" does not exist`)
	res, err := c.Drop(KindMatView, "", "nope", true, false)
	require.NoError(t, err)
	require.Empty(t, res.Dropped)
	require.Equal(t, []Notice{{Message: `materialized view "nope" does not exist, skipping`}}, res.Notices)
	_, err = c.Drop(KindTable, "pg_catalog", "pg_class", false, false)
	require.Equal(t, pgerror.CodeInsufficientPrivilege, pgerror.Code(err))

	res, err = c.Drop(KindView, "", "w", false, false)
	require.NoError(t, err)
	require.Len(t, res.Dropped, 1)
	require.Empty(t, res.Notices)

	res, err = c.Drop(KindTable, "", "t", false, true)
	require.NoError(t, err)
	var names []string
	for _, o := range res.Dropped {
		names = append(names, o.Name)
	}
	require.Equal(t, []string{"t", "v", "m"}, names)
	require.Equal(t, []Notice{{Message: "drop cascades to 2 other objects",
		Detail: "drop cascades to view v\ndrop cascades to materialized view m"}}, res.Notices)
	require.Empty(t, c.List(0))
	end, err := s.TableLog().End(tbl.ID)
	require.NoError(t, err)
	require.Zero(t, end, "the table's log is deleted")
	_, err = c.Resolve("", "t")
	requireCode(t, err, pgerror.CodeUndefinedTable, `relation "t" does not exist`)
}

func TestResolveAndScan(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	tbl, _, err := c.CreateTable(TableDef{Name: "t", Columns: []planner.Column{{Name: "k", T: types.TText}, {Name: "v", T: types.TInt8}}})
	require.NoError(t, err)
	_, _, err = c.CreateView(ViewDef{Name: "v", Query: "SELECT k FROM t", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)

	rel, err := c.Resolve("", "t")
	require.NoError(t, err)
	require.Equal(t, tbl.OID, rel.OID())
	tr := rel.(*TableRelation)
	rows := types.NewChunk([]types.T{types.TText, types.TInt8}, 3)
	rows.AppendRow([]types.Datum{types.DString("a"), types.DInt(1)})
	rows.AppendRow([]types.Datum{types.DString("b"), types.NullDatum})
	first, end, err := tr.Append(rows)
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 2}, []uint64{first, end})
	require.Equal(t, [][]types.Datum{{types.DString("a"), types.DInt(1)}, {types.DString("b"), types.NullDatum}}, scanAll(t, tr))

	vr, err := c.Resolve("public", "v")
	require.NoError(t, err)
	require.Equal(t, "SELECT k FROM t", vr.(planner.ViewRelation).Query())

	pc, err := c.Resolve("", "pg_class")
	require.NoError(t, err)
	require.Equal(t, uint32(1259), pc.OID())
	require.Equal(t, planner.KindSystem, pc.Kind())
	_, err = c.Resolve("information_schema", "tables")
	require.NoError(t, err)
	_, err = c.Resolve("pg_catalog", "t")
	requireCode(t, err, pgerror.CodeUndefinedTable, `relation "pg_catalog.t" does not exist`)

	oid, ok := c.RelationOID(`public."t"`)
	require.True(t, ok)
	require.Equal(t, tbl.OID, oid)
	name, ok := c.RelationName(tbl.OID)
	require.True(t, ok)
	require.Equal(t, "t", name)
	name, ok = c.RelationName(13002)
	require.True(t, ok)
	require.Equal(t, "information_schema.tables", name)
	require.True(t, c.RelationVisible(tbl.OID))
	require.True(t, c.RelationVisible(1259))
	require.False(t, c.RelationVisible(13002))
}

func scanAll(t *testing.T, r planner.Relation) [][]types.Datum {
	t.Helper()
	rd, err := r.(planner.ScanRelation).Scan(context.Background())
	require.NoError(t, err)
	defer rd.Close()
	var rows [][]types.Datum
	for {
		ch, err := rd.Next(context.Background())
		require.NoError(t, err)
		if ch == nil {
			return rows
		}
		require.Len(t, ch.Cols, len(r.Columns()))
		for i := range ch.N {
			rows = append(rows, ch.Row(i))
		}
	}
}

func TestDefinitionRendering(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	def := bidsDef
	def.Name = "Bids"
	def.PrimaryKey = []string{"auction", "note"}
	tbl, _, err := c.CreateTable(def)
	require.NoError(t, err)
	v, _, err := c.CreateView(ViewDef{Name: "v", Query: "SELECT 1", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)

	got, ok := c.IndexDef(tbl.IndexOID)
	require.True(t, ok)
	require.Equal(t, `CREATE UNIQUE INDEX "Bids_pkey" ON public."Bids" USING btree (auction, note)`, got)
	got, ok = c.ConstraintDef(tbl.ConstraintOID)
	require.True(t, ok)
	require.Equal(t, "PRIMARY KEY (auction, note)", got)
	got, ok = c.ViewDef(v.OID)
	require.True(t, ok)
	require.Equal(t, "SELECT 1", got)
	_, ok = c.IndexDef(tbl.OID)
	require.False(t, ok)
	_, ok = c.ViewDef(tbl.OID)
	require.False(t, ok)
}

// The server hands the catalog to expression evaluation as EvalCtx.Catalog.
var (
	_ expr.CatalogFuncs = (*Catalog)(nil)
	_ expr.CatalogDefs  = (*Catalog)(nil)
)
