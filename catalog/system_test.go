package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// rowsWhere scans schema.name and returns the rows whose column col equals
// val (compared by its text: name/text columns by S, others by I).
func rowsWhere(t *testing.T, c *Catalog, schema, name, col string, val any) []map[string]types.Datum {
	t.Helper()
	rel, err := c.Resolve(schema, name)
	require.NoError(t, err)
	var out []map[string]types.Datum
	for _, row := range scanAll(t, rel) {
		m := map[string]types.Datum{}
		for i, cdef := range rel.Columns() {
			m[cdef.Name] = row[i]
		}
		if col != "" {
			d := m[col]
			switch v := val.(type) {
			case string:
				if d.Null || d.S != v {
					continue
				}
			case int:
				if d.Null || d.I != int64(v) {
					continue
				}
			}
		}
		out = append(out, m)
	}
	return out
}

type fakeRuntime struct{}

func (fakeRuntime) Queries() []QueryStatus {
	return []QueryStatus{{Name: "hot", Kind: "mv", Status: "running", BatchID: 7, LastBatchAt: time.Unix(10, 0)}}
}
func (fakeRuntime) Batches() []BatchInfo             { return nil }
func (fakeRuntime) SourceProgress() []SourceProgress { return nil }
func (fakeRuntime) LateRows() []LateRow              { return nil }
func (fakeRuntime) Errors() []ErrorRecord {
	return []ErrorRecord{{At: time.Unix(1, 0), Object: "clicks", Kind: "bad_record", Message: "bad json"}}
}

func TestSystemRelations(t *testing.T) {
	s, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	c, err := Open(s)
	require.NoError(t, err)
	tbl, _, err := c.CreateTable(bidsDef)
	require.NoError(t, err)
	_, _, err = c.CreateView(ViewDef{Name: "v", Columns: []planner.Column{{Name: "auction", T: types.TInt8}}, Query: "SELECT auction FROM bids", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)
	mv, _, err := c.CreateMatView(ViewDef{Name: "m", Columns: []planner.Column{{Name: "n", T: types.TInt8}}, Query: "SELECT count(*) AS n FROM bids", DependsOn: []uint32{tbl.OID}})
	require.NoError(t, err)
	c.SetRuntime(fakeRuntime{})

	type check struct {
		schema, rel, col string
		val              any
		count            int
		want             map[string]any // column -> int64 / string / bool / nil (NULL)
	}
	for _, tc := range []check{
		{"pg_catalog", "pg_namespace", "nspname", "public", 1, map[string]any{"oid": int64(2200)}},
		{"pg_catalog", "pg_namespace", "nspname", "pg_catalog", 1, map[string]any{"oid": int64(11)}},
		{"pg_catalog", "pg_class", "relname", "bids", 1, map[string]any{
			"oid": int64(tbl.OID), "relkind": "r", "relnamespace": int64(2200), "relowner": int64(10), "relhasindex": true,
			"relnatts": int64(4), "relpersistence": "p", "relreplident": "d", "reloptions": nil, "relam": int64(2)}},
		{"pg_catalog", "pg_class", "relname", "v", 1, map[string]any{"relkind": "v", "relam": int64(0), "relhasrules": true}},
		{"pg_catalog", "pg_class", "relname", "m", 1, map[string]any{"relkind": "m", "oid": int64(mv.OID)}},
		{"pg_catalog", "pg_class", "relname", "bids_pkey", 1, map[string]any{"relkind": "i", "oid": int64(tbl.IndexOID), "relam": int64(403)}},
		{"pg_catalog", "pg_class", "relname", "pg_attribute", 1, map[string]any{"oid": int64(1249), "relnamespace": int64(11)}},
		{"pg_catalog", "pg_attribute", "attrelid", int(tbl.OID), 4, nil},
		{"pg_catalog", "pg_attribute", "attname", "price", 1, map[string]any{
			"attrelid": int64(tbl.OID), "atttypid": int64(1700), "atttypmod": int64(types.WithNumericPrecScale(10, 2).Mod),
			"attnum": int64(2), "attnotnull": false, "attisdropped": false, "attidentity": "", "attgenerated": "", "attlen": int64(-1)}},
		{"pg_catalog", "pg_attribute", "attname", "note", 1, map[string]any{"atttypid": int64(1043), "atttypmod": int64(24), "attcollation": int64(100)}},
		{"pg_catalog", "pg_type", "typname", "int8", 1, map[string]any{"oid": int64(20), "typlen": int64(8), "typtype": "b", "typcategory": "N", "typarray": int64(1016), "typnamespace": int64(11)}},
		{"pg_catalog", "pg_type", "typname", "_text", 1, map[string]any{"oid": int64(1009), "typelem": int64(25), "typcategory": "A"}},
		{"pg_catalog", "pg_type", "", nil, len(types.All()), nil},
		{"pg_catalog", "pg_index", "indrelid", int(tbl.OID), 1, map[string]any{"indexrelid": int64(tbl.IndexOID), "indisprimary": true, "indisunique": true, "indkey": "1"}},
		{"pg_catalog", "pg_constraint", "conrelid", int(tbl.OID), 1, map[string]any{"conname": "bids_pkey", "contype": "p", "conindid": int64(tbl.IndexOID), "conkey": types.ArrayDatum(types.TInt2, types.DInt(1)).S}},
		{"pg_catalog", "pg_database", "", nil, 1, map[string]any{"datname": "weir", "encoding": int64(6)}},
		{"pg_catalog", "pg_roles", "rolname", "weir", 1, map[string]any{"rolsuper": true, "oid": int64(10)}},
		{"pg_catalog", "pg_roles", "rolname", "pg_database_owner", 1, map[string]any{"rolsuper": false, "rolcanlogin": false, "oid": int64(6171)}},
		{"pg_catalog", "pg_namespace", "nspname", "public", 1, map[string]any{"oid": int64(2200), "nspowner": int64(6171)}},
		{"pg_catalog", "pg_tables", "tablename", "bids", 1, map[string]any{"schemaname": "public", "hasindexes": true}},
		{"pg_catalog", "pg_views", "viewname", "v", 1, map[string]any{"definition": "SELECT auction FROM bids"}},
		{"pg_catalog", "pg_matviews", "", nil, 1, map[string]any{"matviewname": "m", "definition": "SELECT count(*) AS n FROM bids"}},
		{"pg_catalog", "pg_description", "", nil, 0, nil},
		{"pg_catalog", "pg_settings", "name", "TimeZone", 1, map[string]any{"setting": "UTC"}},
		{"information_schema", "tables", "table_name", "bids", 1, map[string]any{"table_type": "BASE TABLE", "table_schema": "public", "is_insertable_into": "YES"}},
		{"information_schema", "tables", "table_name", "v", 1, map[string]any{"table_type": "VIEW"}},
		{"information_schema", "tables", "table_name", "m", 0, nil}, // as in PostgreSQL
		{"information_schema", "columns", "table_name", "bids", 4, nil},
		{"information_schema", "columns", "column_name", "price", 1, map[string]any{"data_type": "numeric", "numeric_precision": int64(10), "numeric_scale": int64(2), "is_nullable": "YES", "udt_name": "numeric"}},
		{"information_schema", "columns", "column_name", "note", 1, map[string]any{"data_type": "character varying", "character_maximum_length": int64(20)}},
		{"information_schema", "columns", "column_name", "auction", 2, nil}, // bids and v
		{"information_schema", "table_constraints", "table_name", "bids", 1, map[string]any{"constraint_type": "PRIMARY KEY", "constraint_name": "bids_pkey"}},
		{"information_schema", "key_column_usage", "table_name", "bids", 1, map[string]any{"column_name": "auction", "ordinal_position": int64(1)}},
		{"information_schema", "schemata", "", nil, 4, nil},
		{"weir_catalog", "queries", "name", "hot", 1, map[string]any{"status": "running", "batch_id": int64(7), "last_batch_at": int64(10_000_000), "error": nil}},
		{"weir_catalog", "errors", "", nil, 1, map[string]any{"object": "clicks", "raw": nil}},
		{"weir_catalog", "batches", "", nil, 0, nil},
	} {
		t.Run(tc.schema+"."+tc.rel+"/"+tc.col, func(t *testing.T) {
			rows := rowsWhere(t, c, tc.schema, tc.rel, tc.col, tc.val)
			require.Len(t, rows, tc.count)
			for col, want := range tc.want {
				d, ok := rows[0][col]
				require.True(t, ok, "no column %s", col)
				switch w := want.(type) {
				case nil:
					require.True(t, d.Null, col)
				case int64:
					require.False(t, d.Null, col)
					require.Equal(t, w, d.I, col)
				case bool:
					require.False(t, d.Null, col)
					require.Equal(t, w, d.I == 1, col)
				case string:
					require.False(t, d.Null, col)
					require.Equal(t, w, d.S, col)
				}
			}
		})
	}
}

// TestPsqlQueriesReferenceExistingColumns checks the relations and
// columns that psql 15's describe queries (testdata/psql_*.sql, captured
// from real psql) read: every pg_catalog relation they name exists, and
// every alias.column reference names a column of the aliased relation.
// The queries' execution is covered end to end by sqltests/psql.slt.
func TestPsqlQueriesReferenceExistingColumns(t *testing.T) {
	files, err := filepath.Glob("testdata/psql_*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	relRE := regexp.MustCompile(`pg_catalog\.(pg_\w+)(?:\s+(?:AS\s+)?(\w+))?`)
	refRE := regexp.MustCompile(`\b([a-z]\w*)\.([a-z]\w*)\b`)
	notAlias := map[string]bool{"on": true, "where": true, "join": true, "left": true, "order": true, "union": true, "ct": true, "and": true}
	funcs := regexp.MustCompile(`pg_catalog\.(pg_\w+)\s*\(`)
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, q := range strings.Split(string(data), ";") {
			isFunc := map[string]bool{}
			for _, m := range funcs.FindAllStringSubmatch(q, -1) {
				isFunc[m[1]] = true
			}
			aliases := map[string]string{}
			for _, m := range relRE.FindAllStringSubmatch(q, -1) {
				if isFunc[m[1]] && !strings.Contains(q, "pg_catalog."+m[1]+" ") && !strings.Contains(q, "pg_catalog."+m[1]+"\n") {
					continue
				}
				_, ok := systemByName(SchemaPgCatalog, m[1])
				if !ok && isFunc[m[1]] {
					continue
				}
				require.True(t, ok, "%s: relation pg_catalog.%s is missing", f, m[1])
				if m[2] != "" && !notAlias[strings.ToLower(m[2])] {
					aliases[m[2]] = m[1]
				}
			}
			for _, m := range refRE.FindAllStringSubmatch(q, -1) {
				rel, ok := aliases[m[1]]
				if !ok {
					continue
				}
				d, _ := systemByName(SchemaPgCatalog, rel)
				found := false
				for _, col := range d.cols {
					found = found || col.Name == m[2]
				}
				require.True(t, found, "%s: column %s.%s (%s) is missing", f, rel, m[2], m[0])
				checked++
			}
		}
	}
	require.Greater(t, checked, 100, "the fixtures' column references were found")
}
