package catalog

import (
	"strconv"
	"strings"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/types"
)

// pg_catalog relations. OIDs of catalog tables are PostgreSQL's; views and
// weir's own relations take OIDs from 12000 up.

const (
	ownerOID          uint32 = 10   // the superuser "weir"
	roleDatabaseOwner uint32 = 6171 // pg_database_owner, owner of public
	databaseOID       uint32 = 16383
	amHeap            uint32 = 2
	amBtree           uint32 = 403
	classPgClass      uint32 = 1259
	classPgConstraint uint32 = 2606
)

func namespaceOID(schema string) uint32 {
	switch schema {
	case SchemaPgCatalog:
		return NamespacePgCatalog
	case SchemaInfo:
		return NamespaceInfo
	case SchemaWeirCatalog:
		return NamespaceWeirCatalog
	}
	return NamespacePublic
}

// relEntry is one pg_class row: a user relation, its primary key index, or
// a system relation.
type relEntry struct {
	oid     uint32
	schema  string
	name    string
	relkind byte
	cols    []planner.Column
	obj     *Object // nil for system relations
	index   bool    // the primary key index of obj
}

func (s *sysSnapshot) relations() []relEntry {
	var out []relEntry
	for _, d := range sysList {
		out = append(out, relEntry{oid: d.oid, schema: d.schema, name: d.name, relkind: d.relkind, cols: d.cols})
	}
	for _, o := range s.objects {
		if !o.IsRelation() {
			continue
		}
		kind := byte(o.Kind)
		if o.Kind == KindSource {
			kind = 'r'
		}
		out = append(out, relEntry{oid: o.OID, schema: o.Schema, name: o.Name, relkind: kind, cols: o.Columns, obj: o})
		if len(o.PrimaryKey) > 0 {
			var kc []planner.Column
			for _, i := range o.PrimaryKey {
				kc = append(kc, o.Columns[i])
			}
			out = append(out, relEntry{oid: o.IndexOID, schema: o.Schema, name: o.PKName(), relkind: 'i', cols: kc, obj: o, index: true})
		}
	}
	return out
}

func (s *sysSnapshot) tableRows(o *Object) float64 {
	if o.Kind != KindTable {
		return -1
	}
	end, err := s.cat.store.TableLog().End(o.ID)
	if err != nil {
		return -1
	}
	return float64(end)
}

func int2vector(idx []int) string {
	parts := make([]string, len(idx))
	for i, v := range idx {
		parts[i] = strconv.Itoa(v + 1)
	}
	return strings.Join(parts, " ")
}

// int2Array is an int2[] of 1-based column numbers (pg_constraint.conkey).
func int2Array(idx []int) types.Datum {
	elems := make([]types.Datum, len(idx))
	for i, v := range idx {
		elems[i] = types.DInt(int64(v + 1))
	}
	return types.ArrayDatum(types.TInt2, elems...)
}

func repeatVector(v string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = v
	}
	return strings.Join(parts, " ")
}

func init() {
	registerSystem(&sysDef{oid: 2615, schema: SchemaPgCatalog, name: "pg_namespace", relkind: 'r',
		cols: cols("oid:oid nspname:name nspowner:oid nspacl:text[]"),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, n := range []struct {
				oid  uint32
				name string
			}{{NamespacePgCatalog, SchemaPgCatalog}, {NamespacePublic, SchemaPublic}, {NamespaceInfo, SchemaInfo}, {NamespaceWeirCatalog, SchemaWeirCatalog}} {
				owner := ownerOID
				if n.oid == NamespacePublic {
					owner = roleDatabaseOwner // as in PostgreSQL 15
				}
				rows = append(rows, []types.Datum{dOID(n.oid), dStr(n.name), dOID(owner), null})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: classPgClass, schema: SchemaPgCatalog, name: "pg_class", relkind: 'r',
		cols: cols(`oid:oid relname:name relnamespace:oid reltype:oid reloftype:oid relowner:oid relam:oid
			relfilenode:oid reltablespace:oid relpages:int4 reltuples:float4 relallvisible:int4 reltoastrelid:oid
			relhasindex:bool relisshared:bool relpersistence:char relkind:char relnatts:int2 relchecks:int2
			relhasrules:bool relhastriggers:bool relhassubclass:bool relrowsecurity:bool relforcerowsecurity:bool
			relispopulated:bool relreplident:char relispartition:bool relrewrite:oid relacl:text[]
			reloptions:text[] relpartbound:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range s.relations() {
				am, filenode, tuples, replident := uint32(0), uint32(0), float64(-1), "n"
				hasIndex := false
				switch r.relkind {
				case 'r', 'm':
					am, filenode, replident = amHeap, r.oid, "d"
				case 'i':
					am, filenode = amBtree, r.oid
				}
				if r.obj != nil && !r.index {
					tuples = s.tableRows(r.obj)
					hasIndex = len(r.obj.PrimaryKey) > 0
				}
				rows = append(rows, []types.Datum{
					dOID(r.oid), dStr(r.name), dOID(namespaceOID(r.schema)), dOID(0), dOID(0), dOID(ownerOID), dOID(am),
					dOID(filenode), dOID(0), dInt(0), dF(tuples), dInt(0), dOID(0),
					dBool(hasIndex), dBool(false), dStr("p"), dStr(string(r.relkind)), dInt(int64(len(r.cols))), dInt(0),
					dBool(r.relkind == 'v'), dBool(false), dBool(false), dBool(false), dBool(false),
					dBool(true), dStr(replident), dBool(false), dOID(0), null,
					null, null,
				})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 1249, schema: SchemaPgCatalog, name: "pg_attribute", relkind: 'r',
		cols: cols(`attrelid:oid attname:name atttypid:oid attstattarget:int4 attlen:int2 attnum:int2
			attndims:int4 attcacheoff:int4 atttypmod:int4 attbyval:bool attalign:char attstorage:char
			attcompression:char attnotnull:bool atthasdef:bool atthasmissing:bool attidentity:char
			attgenerated:char attisdropped:bool attislocal:bool attinhcount:int4 attcollation:oid
			attacl:text[] attoptions:text[] attfdwoptions:text[] attmissingval:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range s.relations() {
				for i, c := range r.cols {
					f := factsOf(c.T)
					ndims := 0
					if c.T.IsArray() && c.T.ID != types.Int2Vector && c.T.ID != types.OidVector {
						ndims = 1
					}
					rows = append(rows, []types.Datum{
						dOID(r.oid), dStr(c.Name), dOID(c.T.OID()), dInt(-1), dInt(int64(c.T.Len())), dInt(int64(i + 1)),
						dInt(int64(ndims)), dInt(-1), dInt(int64(c.T.Mod)), dBool(byVal(c.T)), dStr(string(f.align)), dStr(string(f.storage)),
						dStr(""), dBool(c.NotNull), dBool(false), dBool(false), dStr(""),
						dStr(""), dBool(false), dBool(true), dInt(0), dOID(f.collation),
						null, null, null, null,
					})
				}
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 1247, schema: SchemaPgCatalog, name: "pg_type", relkind: 'r',
		cols: cols(`oid:oid typname:name typnamespace:oid typowner:oid typlen:int2 typbyval:bool typtype:char
			typcategory:char typispreferred:bool typisdefined:bool typdelim:char typrelid:oid typsubscript:regproc
			typelem:oid typarray:oid typinput:regproc typoutput:regproc typreceive:regproc typsend:regproc
			typmodin:regproc typmodout:regproc typanalyze:regproc typalign:char typstorage:char typnotnull:bool
			typbasetype:oid typtypmod:int4 typndims:int4 typcollation:oid typdefaultbin:text typdefault:text
			typacl:text[]`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, t := range types.All() {
				f := factsOf(t)
				typtype := "b"
				if t.ID == types.Unknown {
					typtype = "p"
				}
				preferred := t.ID == types.Text || t.ID == types.Float8 || t.ID == types.TimestampTZ ||
					t.ID == types.Bool || t.ID == types.Interval || t.ID == types.Oid
				rows = append(rows, []types.Datum{
					dOID(t.OID()), dStr(t.TypName()), dOID(NamespacePgCatalog), dOID(ownerOID), dInt(int64(t.Len())), dBool(byVal(t)), dStr(typtype),
					dStr(string(t.Category())), dBool(preferred), dBool(true), dStr(","), dOID(0), dOID(0),
					dOID(f.elem), dOID(f.array), dOID(0), dOID(0), dOID(0), dOID(0),
					dOID(0), dOID(0), dOID(0), dStr(string(f.align)), dStr(string(f.storage)), dBool(false),
					dOID(0), dInt(-1), dInt(0), dOID(f.collation), null, null,
					null,
				})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 2610, schema: SchemaPgCatalog, name: "pg_index", relkind: 'r',
		cols: cols(`indexrelid:oid indrelid:oid indnatts:int2 indnkeyatts:int2 indisunique:bool
			indnullsnotdistinct:bool indisprimary:bool indisexclusion:bool indimmediate:bool indisclustered:bool
			indisvalid:bool indcheckxmin:bool indisready:bool indislive:bool indisreplident:bool
			indkey:int2vector indcollation:oidvector indclass:oidvector indoption:int2vector indexprs:text indpred:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, o := range s.objects {
				if len(o.PrimaryKey) == 0 {
					continue
				}
				n := int64(len(o.PrimaryKey))
				var colls []string
				for _, i := range o.PrimaryKey {
					colls = append(colls, strconv.Itoa(int(factsOf(o.Columns[i].T).collation)))
				}
				rows = append(rows, []types.Datum{
					dOID(o.IndexOID), dOID(o.OID), dInt(n), dInt(n), dBool(true),
					dBool(false), dBool(true), dBool(false), dBool(true), dBool(false),
					dBool(true), dBool(false), dBool(true), dBool(true), dBool(false),
					dStr(int2vector(o.PrimaryKey)), dStr(strings.Join(colls, " ")), dStr(repeatVector("0", len(o.PrimaryKey))),
					dStr(repeatVector("0", len(o.PrimaryKey))), null, null,
				})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: classPgConstraint, schema: SchemaPgCatalog, name: "pg_constraint", relkind: 'r',
		cols: cols(`oid:oid conname:name connamespace:oid contype:char condeferrable:bool condeferred:bool
			convalidated:bool conrelid:oid contypid:oid conindid:oid conparentid:oid confrelid:oid
			confupdtype:char confdeltype:char confmatchtype:char conislocal:bool coninhcount:int4
			connoinherit:bool conkey:int2[] confkey:int2[] conpfeqop:oid[] conppeqop:oid[]
			conffeqop:oid[] confdelsetcols:int2[] conexclop:oid[] conbin:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, o := range s.objects {
				if len(o.PrimaryKey) == 0 {
					continue
				}
				rows = append(rows, []types.Datum{
					dOID(o.ConstraintOID), dStr(o.PKName()), dOID(namespaceOID(o.Schema)), dStr("p"), dBool(false), dBool(false),
					dBool(true), dOID(o.OID), dOID(0), dOID(o.IndexOID), dOID(0), dOID(0),
					dStr(" "), dStr(" "), dStr(" "), dBool(true), dInt(0),
					dBool(true), int2Array(o.PrimaryKey), null, null, null,
					null, null, null, null,
				})
			}
			return rows
		}})

	empty := func(*sysSnapshot) [][]types.Datum { return nil }
	for _, d := range []struct {
		oid  uint32
		name string
		cols string
	}{
		{2609, "pg_description", "objoid:oid classoid:oid objsubid:int4 description:text"},
		{2604, "pg_attrdef", "oid:oid adrelid:oid adnum:int2 adbin:text"},
		{2611, "pg_inherits", "inhrelid:oid inhparent:oid inhseqno:int4 inhdetachpending:bool"},
		{2620, "pg_trigger", `oid:oid tgrelid:oid tgparentid:oid tgname:name tgfoid:oid tgtype:int2 tgenabled:char
			tgisinternal:bool tgconstrrelid:oid tgconstrindid:oid tgconstraint:oid tgdeferrable:bool
			tginitdeferred:bool tgnargs:int2 tgattr:int2vector tgargs:bytea tgqual:text tgoldtable:name tgnewtable:name`},
		{2618, "pg_rewrite", "oid:oid rulename:name ev_class:oid ev_type:char ev_enabled:char is_instead:bool ev_qual:text ev_action:text"},
		{3256, "pg_policy", "oid:oid polname:name polrelid:oid polcmd:char polpermissive:bool polroles:oid[] polqual:text polwithcheck:text"},
		{3381, "pg_statistic_ext", `oid:oid stxrelid:oid stxname:name stxnamespace:oid stxowner:oid stxstattarget:int4
			stxkeys:int2vector stxkind:char[] stxexprs:text`},
		{6104, "pg_publication", `oid:oid pubname:name pubowner:oid puballtables:bool pubinsert:bool pubupdate:bool
			pubdelete:bool pubtruncate:bool pubviaroot:bool`},
		{6106, "pg_publication_rel", "oid:oid prpubid:oid prrelid:oid prqual:text prattrs:int2vector"},
		{6237, "pg_publication_namespace", "oid:oid pnpubid:oid pnnspid:oid"},
		{3118, "pg_foreign_table", "ftrelid:oid ftserver:oid ftoptions:text[]"},
		{3602, "pg_ts_config", "oid:oid cfgname:name cfgnamespace:oid cfgowner:oid cfgparser:oid"},
		{2224, "pg_sequence", "seqrelid:oid seqtypid:oid seqstart:int8 seqincrement:int8 seqmax:int8 seqmin:int8 seqcache:int8 seqcycle:bool"},
		{3079, "pg_extension", "oid:oid extname:name extowner:oid extnamespace:oid extrelocatable:bool extversion:text extconfig:oid[] extcondition:text[]"},
		{2608, "pg_depend", "classid:oid objid:oid objsubid:int4 refclassid:oid refobjid:oid refobjsubid:int4 deptype:char"},
		{2328, "pg_foreign_data_wrapper", "oid:oid fdwname:name fdwowner:oid fdwhandler:oid fdwvalidator:oid fdwacl:text[] fdwoptions:text[]"},
		{1417, "pg_foreign_server", "oid:oid srvname:name srvowner:oid srvfdw:oid srvtype:text srvversion:text srvacl:text[] srvoptions:text[]"},
	} {
		registerSystem(&sysDef{oid: d.oid, schema: SchemaPgCatalog, name: d.name, relkind: 'r', cols: cols(d.cols), rows: empty})
	}

	registerSystem(&sysDef{oid: 1262, schema: SchemaPgCatalog, name: "pg_database", relkind: 'r',
		cols: cols(`oid:oid datname:name datdba:oid encoding:int4 datlocprovider:char datistemplate:bool
			datallowconn:bool datconnlimit:int4 dattablespace:oid datcollate:text datctype:text
			daticulocale:text datcollversion:text datacl:text[]`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			return [][]types.Datum{{
				dOID(databaseOID), dStr("weir"), dOID(ownerOID), dInt(6), dStr("c"), dBool(false),
				dBool(true), dInt(-1), dOID(1663), dStr("C.UTF-8"), dStr("C.UTF-8"),
				null, null, null,
			}}
		}})

	registerSystem(&sysDef{oid: 1260, schema: SchemaPgCatalog, name: "pg_authid", relkind: 'r',
		cols: cols(`oid:oid rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool
			rolcanlogin:bool rolreplication:bool rolbypassrls:bool rolconnlimit:int4 rolpassword:text rolvaliduntil:timestamptz`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range roles {
				rows = append(rows, []types.Datum{dOID(r.oid), dStr(r.name), dBool(r.super), dBool(true), dBool(r.super), dBool(r.super),
					dBool(r.login), dBool(r.super), dBool(r.super), dInt(-1), null, null})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 12001, schema: SchemaPgCatalog, name: "pg_roles", relkind: 'v',
		cols: cols(`rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool rolcanlogin:bool
			rolreplication:bool rolconnlimit:int4 rolpassword:text rolvaliduntil:timestamptz rolbypassrls:bool
			rolconfig:text[] oid:oid`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range roles {
				rows = append(rows, []types.Datum{dStr(r.name), dBool(r.super), dBool(true), dBool(r.super), dBool(r.super), dBool(r.login),
					dBool(r.super), dInt(-1), dStr("********"), null, dBool(r.super), null, dOID(r.oid)})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 12002, schema: SchemaPgCatalog, name: "pg_user", relkind: 'v',
		cols: cols(`usename:name usesysid:oid usecreatedb:bool usesuper:bool userepl:bool usebypassrls:bool
			passwd:text valuntil:timestamptz useconfig:text[]`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			return [][]types.Datum{{dStr("weir"), dOID(ownerOID), dBool(true), dBool(true), dBool(true), dBool(true),
				dStr("********"), null, null}}
		}})

	registerSystem(&sysDef{oid: 2601, schema: SchemaPgCatalog, name: "pg_am", relkind: 'r',
		cols: cols("oid:oid amname:name amhandler:regproc amtype:char"),
		rows: func(s *sysSnapshot) [][]types.Datum {
			return [][]types.Datum{
				{dOID(amHeap), dStr("heap"), dOID(0), dStr("t")},
				{dOID(amBtree), dStr("btree"), dOID(0), dStr("i")},
			}
		}})

	registerSystem(&sysDef{oid: 3456, schema: SchemaPgCatalog, name: "pg_collation", relkind: 'r',
		cols: cols(`oid:oid collname:name collnamespace:oid collowner:oid collprovider:char collisdeterministic:bool
			collencoding:int4 collcollate:text collctype:text colliculocale:text collversion:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			return [][]types.Datum{
				{dOID(collationDefault), dStr("default"), dOID(NamespacePgCatalog), dOID(ownerOID), dStr("d"), dBool(true), dInt(-1), null, null, null, null},
				{dOID(collationC), dStr("C"), dOID(NamespacePgCatalog), dOID(ownerOID), dStr("c"), dBool(true), dInt(-1), dStr("C"), dStr("C"), null, null},
				{dOID(collationPOSIX), dStr("POSIX"), dOID(NamespacePgCatalog), dOID(ownerOID), dStr("c"), dBool(true), dInt(-1), dStr("POSIX"), dStr("POSIX"), null, null},
			}
		}})

	registerSystem(&sysDef{oid: 1255, schema: SchemaPgCatalog, name: "pg_proc", relkind: 'r',
		cols: cols(`oid:oid proname:name pronamespace:oid proowner:oid prolang:oid procost:float4 prorows:float4
			provariadic:oid prosupport:regproc prokind:char prosecdef:bool proleakproof:bool proisstrict:bool
			proretset:bool provolatile:char proparallel:char pronargs:int2 pronargdefaults:int2 prorettype:oid
			proargtypes:oidvector proallargtypes:oid[] proargmodes:char[] proargnames:text[] proargdefaults:text
			protrftypes:oid[] prosrc:text probin:text prosqlbody:text proconfig:text[] proacl:text[]`),
		rows: empty})

	registerSystem(&sysDef{oid: 1213, schema: SchemaPgCatalog, name: "pg_tablespace", relkind: 'r',
		cols: cols("oid:oid spcname:name spcowner:oid spcacl:text[] spcoptions:text[]"),
		rows: func(s *sysSnapshot) [][]types.Datum {
			return [][]types.Datum{
				{dOID(1663), dStr("pg_default"), dOID(ownerOID), null, null},
				{dOID(1664), dStr("pg_global"), dOID(ownerOID), null, null},
			}
		}})

	registerSystem(&sysDef{oid: 12003, schema: SchemaPgCatalog, name: "pg_settings", relkind: 'v',
		cols: cols(`name:text setting:text unit:text category:text short_desc:text extra_desc:text context:text
			vartype:text source:text min_val:text max_val:text enumvals:text[] boot_val:text reset_val:text
			sourcefile:text sourceline:int4 pending_restart:bool`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, st := range defaultSettings {
				rows = append(rows, []types.Datum{
					dStr(st.name), dStr(st.value), dStrOrNull(st.unit), dStr(st.category), dStr(st.desc), null, dStr(st.context),
					dStr(st.vartype), dStr("default"), null, null, null, dStr(st.value), dStr(st.value),
					null, null, dBool(false),
				})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 12004, schema: SchemaPgCatalog, name: "pg_tables", relkind: 'v',
		cols: cols(`schemaname:name tablename:name tableowner:name tablespace:name hasindexes:bool hasrules:bool
			hastriggers:bool rowsecurity:bool`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range s.relations() {
				if r.relkind != 'r' {
					continue
				}
				hasIndex := r.obj != nil && len(r.obj.PrimaryKey) > 0
				rows = append(rows, []types.Datum{dStr(r.schema), dStr(r.name), dStr("weir"), null, dBool(hasIndex), dBool(false), dBool(false), dBool(false)})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 12005, schema: SchemaPgCatalog, name: "pg_views", relkind: 'v',
		cols: cols("schemaname:name viewname:name viewowner:name definition:text"),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range s.relations() {
				if r.relkind != 'v' {
					continue
				}
				def := null
				if r.obj != nil {
					def = dStr(r.obj.Query)
				}
				rows = append(rows, []types.Datum{dStr(r.schema), dStr(r.name), dStr("weir"), def})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 12006, schema: SchemaPgCatalog, name: "pg_matviews", relkind: 'v',
		cols: cols(`schemaname:name matviewname:name matviewowner:name tablespace:name hasindexes:bool
			ispopulated:bool definition:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, o := range s.objects {
				if o.Kind == KindMatView {
					rows = append(rows, []types.Datum{dStr(o.Schema), dStr(o.Name), dStr("weir"), null, dBool(false), dBool(true), dStr(o.Query)})
				}
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 12007, schema: SchemaPgCatalog, name: "pg_stat_user_tables", relkind: 'v',
		cols: cols(`relid:oid schemaname:name relname:name seq_scan:int8 seq_tup_read:int8 idx_scan:int8
			idx_tup_fetch:int8 n_tup_ins:int8 n_tup_upd:int8 n_tup_del:int8 n_tup_hot_upd:int8 n_live_tup:int8
			n_dead_tup:int8 n_mod_since_analyze:int8 n_ins_since_vacuum:int8`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, o := range s.objects {
				if o.Kind != KindTable {
					continue
				}
				n := int64(max(s.tableRows(o), 0))
				rows = append(rows, []types.Datum{dOID(o.OID), dStr(o.Schema), dStr(o.Name), dInt(0), dInt(0), null,
					null, dInt(n), dInt(0), dInt(0), dInt(0), dInt(n),
					dInt(0), dInt(n), dInt(n)})
			}
			return rows
		}})
}

type setting struct {
	name, value, unit, category, desc, context, vartype string
}

// defaultSettings is what pg_settings lists: the session defaults weir
// reports. Per-session values are read with SHOW / current_setting.
var defaultSettings = []setting{
	{"application_name", "", "", "Reporting and Logging / What to Log", "Sets the application name to be reported in statistics and logs.", "user", "string"},
	{"client_encoding", "UTF8", "", "Client Connection Defaults / Locale and Formatting", "Sets the client's character set encoding.", "user", "string"},
	{"DateStyle", "ISO, MDY", "", "Client Connection Defaults / Locale and Formatting", "Sets the display format for date and time values.", "user", "string"},
	{"default_transaction_isolation", "read committed", "", "Client Connection Defaults / Statement Behavior", "Sets the transaction isolation level of each new transaction.", "user", "enum"},
	{"extra_float_digits", "1", "", "Client Connection Defaults / Locale and Formatting", "Sets the number of digits displayed for floating-point values.", "user", "integer"},
	{"integer_datetimes", "on", "", "Preset Options", "Shows whether datetimes are integer based.", "internal", "bool"},
	{"IntervalStyle", "postgres", "", "Client Connection Defaults / Locale and Formatting", "Sets the display format for interval values.", "user", "enum"},
	{"max_identifier_length", "63", "", "Preset Options", "Shows the maximum identifier length.", "internal", "integer"},
	{"search_path", "\"$user\", public", "", "Client Connection Defaults / Statement Behavior", "Sets the schema search order for names that are not schema-qualified.", "user", "string"},
	{"server_encoding", "UTF8", "", "Preset Options", "Shows the server (database) character set encoding.", "internal", "string"},
	{"server_version", "15.0", "", "Preset Options", "Shows the server version.", "internal", "string"},
	{"server_version_num", "150000", "", "Preset Options", "Shows the server version as an integer.", "internal", "integer"},
	{"standard_conforming_strings", "on", "", "Version and Platform Compatibility / Previous PostgreSQL Versions", "Causes '...' strings to treat backslashes literally.", "user", "bool"},
	{"statement_timeout", "0", "ms", "Client Connection Defaults / Statement Behavior", "Sets the maximum allowed duration of any statement.", "user", "integer"},
	{"TimeZone", "UTC", "", "Client Connection Defaults / Locale and Formatting", "Sets the time zone for displaying and interpreting time stamps.", "user", "string"},
	{"transaction_isolation", "read committed", "", "Client Connection Defaults / Statement Behavior", "Sets the current transaction's isolation level.", "user", "enum"},
}
