package catalog

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/state"
)

// TestCatalogFunctionLookups checks what the catalog answers for the
// functions psql calls, against PostgreSQL 15's answers for the same
// objects (a table t with primary key t_pkey in public).
func TestCatalogFunctionLookups(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	def := bidsDef
	def.Name = "t"
	def.PrimaryKey = []string{"auction"}
	tbl, _, err := c.CreateTable(def)
	require.NoError(t, err)
	v, _, err := c.CreateView(ViewDef{Name: "v", Query: "SELECT 1", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)

	// pg_get_indexdef(oid, 0, true) drops the schema of a visible table;
	// pg_get_indexdef(oid) keeps it.
	got, ok := c.IndexDefPretty(tbl.IndexOID)
	require.True(t, ok)
	require.Equal(t, "CREATE UNIQUE INDEX t_pkey ON t USING btree (auction)", got)
	got, ok = c.IndexDef(tbl.IndexOID)
	require.True(t, ok)
	require.Equal(t, "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (auction)", got)

	// pg_table_is_visible: user relations in public and pg_catalog
	// relations are; weir_catalog and information_schema ones are not
	// (they are not on the search path), nor unknown OIDs.
	for _, tc := range []struct {
		schema, name string
		want         bool
	}{
		{"public", "t", true}, {"public", "v", true}, {"pg_catalog", "pg_class", true},
		{"weir_catalog", "queries", false}, {"information_schema", "tables", false},
	} {
		r, err := c.Resolve(tc.schema, tc.name)
		require.NoError(t, err)
		require.Equal(t, tc.want, c.RelationVisible(r.OID()), "%s.%s", tc.schema, tc.name)
	}
	require.False(t, c.RelationVisible(999999))

	// regnamespace.
	for _, n := range []struct {
		oid  uint32
		name string
	}{{11, "pg_catalog"}, {2200, "public"}, {NamespaceInfo, "information_schema"}, {NamespaceWeirCatalog, "weir_catalog"}} {
		name, ok := c.NamespaceName(n.oid)
		require.True(t, ok)
		require.Equal(t, n.name, name)
		oid, ok := c.NamespaceOID(n.name)
		require.True(t, ok)
		require.Equal(t, n.oid, oid)
	}
	_, ok = c.NamespaceName(1)
	require.False(t, ok)
	_, ok = c.NamespaceOID("nosuch")
	require.False(t, ok)

	// pg_get_userbyid.
	name, ok := c.RoleName(10)
	require.True(t, ok)
	require.Equal(t, "weir", name)
	name, ok = c.RoleName(6171)
	require.True(t, ok)
	require.Equal(t, "pg_database_owner", name)
	_, ok = c.RoleName(12345)
	require.False(t, ok)

	// Sizes: known relations have one (a view and an index take none),
	// unknown OIDs do not.
	for _, oid := range []uint32{tbl.OID, v.OID, tbl.IndexOID, 1259} {
		n, ok := c.RelationSize(oid)
		require.True(t, ok, "%d", oid)
		require.GreaterOrEqual(t, n, int64(0))
		total, ok := c.TotalRelationSize(oid)
		require.True(t, ok)
		require.GreaterOrEqual(t, total, n)
	}
	n, _ := c.RelationSize(v.OID)
	require.Zero(t, n)
	_, ok = c.RelationSize(999999)
	require.False(t, ok)
}
