package catalog

import (
	"strconv"

	"github.com/weirdb/weir/sql/types"
)

// information_schema and weir_catalog relations. information_schema
// follows PostgreSQL's views: its sql_identifier columns are name,
// character_data and yes_or_no are text, cardinal_number is int4; like
// PostgreSQL it lists tables and views but not materialized views.

func infoTableType(relkind byte) string {
	if relkind == 'v' {
		return "VIEW"
	}
	return "BASE TABLE"
}

// infoDataType is information_schema.columns.data_type: the SQL name of
// the type without modifiers, "ARRAY" for arrays.
func infoDataType(t types.T) string {
	if t.IsArray() {
		return "ARRAY"
	}
	switch t.ID {
	case types.Char:
		return `"char"`
	}
	return types.T{ID: t.ID, Mod: -1}.String()
}

func yesNo(b bool) types.Datum {
	if b {
		return dStr("YES")
	}
	return dStr("NO")
}

func init() {
	registerSystem(&sysDef{oid: 13001, schema: SchemaInfo, name: "schemata", relkind: 'v',
		cols: cols(`catalog_name:name schema_name:name schema_owner:name default_character_set_catalog:name
			default_character_set_schema:name default_character_set_name:name sql_path:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, n := range []string{SchemaInfo, SchemaPgCatalog, SchemaPublic, SchemaWeirCatalog} {
				rows = append(rows, []types.Datum{dStr("weir"), dStr(n), dStr("weir"), null, null, null, null})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 13002, schema: SchemaInfo, name: "tables", relkind: 'v',
		cols: cols(`table_catalog:name table_schema:name table_name:name table_type:text
			self_referencing_column_name:name reference_generation:text user_defined_type_catalog:name
			user_defined_type_schema:name user_defined_type_name:name is_insertable_into:text is_typed:text
			commit_action:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range s.relations() {
				if r.relkind != 'r' && r.relkind != 'v' {
					continue
				}
				insertable := r.obj != nil && r.obj.Kind == KindTable
				rows = append(rows, []types.Datum{dStr("weir"), dStr(r.schema), dStr(r.name), dStr(infoTableType(r.relkind)),
					null, null, null, null, null, yesNo(insertable), dStr("NO"), null})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 13003, schema: SchemaInfo, name: "columns", relkind: 'v',
		cols: cols(`table_catalog:name table_schema:name table_name:name column_name:name ordinal_position:int4
			column_default:text is_nullable:text data_type:text character_maximum_length:int4
			character_octet_length:int4 numeric_precision:int4 numeric_precision_radix:int4 numeric_scale:int4
			datetime_precision:int4 interval_type:text interval_precision:int4 character_set_catalog:name
			character_set_schema:name character_set_name:name collation_catalog:name collation_schema:name
			collation_name:name domain_catalog:name domain_schema:name domain_name:name udt_catalog:name
			udt_schema:name udt_name:name scope_catalog:name scope_schema:name scope_name:name
			maximum_cardinality:int4 dtd_identifier:name is_self_referencing:text is_identity:text
			identity_generation:text identity_start:text identity_increment:text identity_maximum:text
			identity_minimum:text identity_cycle:text is_generated:text generation_expression:text
			is_updatable:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, r := range s.relations() {
				if r.relkind != 'r' && r.relkind != 'v' {
					continue
				}
				for i, c := range r.cols {
					t := c.T
					var charMax, octet, prec, radix, scale, dtPrec types.Datum = null, null, null, null, null, null
					switch t.ID {
					case types.Varchar:
						if t.Mod >= 4 {
							charMax = dInt(int64(t.Mod - 4))
							octet = dInt(int64(t.Mod-4) * 4)
						} else {
							octet = dInt(1073741824)
						}
					case types.Text:
						octet = dInt(1073741824)
					case types.Int2:
						prec, radix, scale = dInt(16), dInt(2), dInt(0)
					case types.Int4:
						prec, radix, scale = dInt(32), dInt(2), dInt(0)
					case types.Int8:
						prec, radix, scale = dInt(64), dInt(2), dInt(0)
					case types.Float4:
						prec, radix = dInt(24), dInt(2)
					case types.Float8:
						prec, radix = dInt(53), dInt(2)
					case types.Numeric:
						radix = dInt(10)
						if t.Mod >= 4 {
							p, sc := t.NumericPrecScale()
							prec, scale = dInt(int64(p)), dInt(int64(sc))
						}
					case types.Timestamp, types.TimestampTZ, types.Interval:
						dtPrec = dInt(6)
					case types.Date:
						dtPrec = dInt(0)
					}
					rows = append(rows, []types.Datum{
						dStr("weir"), dStr(r.schema), dStr(r.name), dStr(c.Name), dInt(int64(i + 1)),
						null, yesNo(!c.NotNull), dStr(infoDataType(t)), charMax,
						octet, prec, radix, scale,
						dtPrec, null, null, null,
						null, null, null, null,
						null, null, null, null, dStr("weir"),
						dStr(SchemaPgCatalog), dStr(t.TypName()), null, null, null,
						null, dStr(strconv.Itoa(i + 1)), dStr("NO"), dStr("NO"),
						null, null, null, null,
						null, dStr("NO"), dStr("NEVER"), null,
						yesNo(r.obj != nil && r.obj.Kind == KindTable),
					})
				}
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 13004, schema: SchemaInfo, name: "views", relkind: 'v',
		cols: cols(`table_catalog:name table_schema:name table_name:name view_definition:text check_option:text
			is_updatable:text is_insertable_into:text is_trigger_updatable:text is_trigger_deletable:text
			is_trigger_insertable_into:text`),
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
				rows = append(rows, []types.Datum{dStr("weir"), dStr(r.schema), dStr(r.name), def, dStr("NONE"),
					dStr("NO"), dStr("NO"), dStr("NO"), dStr("NO"), dStr("NO")})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 13005, schema: SchemaInfo, name: "table_constraints", relkind: 'v',
		cols: cols(`constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name
			table_schema:name table_name:name constraint_type:text is_deferrable:text initially_deferred:text
			enforced:text nulls_distinct:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, o := range s.objects {
				if len(o.PrimaryKey) == 0 {
					continue
				}
				rows = append(rows, []types.Datum{dStr("weir"), dStr(o.Schema), dStr(o.PKName()), dStr("weir"),
					dStr(o.Schema), dStr(o.Name), dStr("PRIMARY KEY"), dStr("NO"), dStr("NO"), dStr("YES"), null})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 13006, schema: SchemaInfo, name: "key_column_usage", relkind: 'v',
		cols: cols(`constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name
			table_schema:name table_name:name column_name:name ordinal_position:int4
			position_in_unique_constraint:int4`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			var rows [][]types.Datum
			for _, o := range s.objects {
				for k, i := range o.PrimaryKey {
					rows = append(rows, []types.Datum{dStr("weir"), dStr(o.Schema), dStr(o.PKName()), dStr("weir"),
						dStr(o.Schema), dStr(o.Name), dStr(o.Columns[i].Name), dInt(int64(k + 1)), null})
				}
			}
			return rows
		}})

	// weir_catalog: runtime state of continuous queries (SPEC.md).
	registerSystem(&sysDef{oid: 14001, schema: SchemaWeirCatalog, name: "queries", relkind: 'v',
		cols: cols(`name:text kind:text status:text batch_id:int8 last_batch_at:timestamptz processing_ms:float8
			scheduling_delay_ms:float8 input_rows_per_sec:float8 lag_rows:int8 watermark:timestamptz
			state_bytes:int8 error:text`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			if s.runtime == nil {
				return nil
			}
			var rows [][]types.Datum
			for _, q := range s.runtime.Queries() {
				rows = append(rows, []types.Datum{dStr(q.Name), dStr(q.Kind), dStr(q.Status), dInt(q.BatchID),
					dTime(q.LastBatchAt), dF(q.ProcessingMs), dF(q.SchedulingDelayMs), dF(q.InputRowsPerSec),
					dInt(q.LagRows), dTime(q.Watermark), dInt(q.StateBytes), dStrOrNull(q.Error)})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 14002, schema: SchemaWeirCatalog, name: "batches", relkind: 'v',
		cols: cols(`query:text batch_id:int8 started_at:timestamptz duration_ms:float8 input_rows:int8
			output_rows:int8 watermark:timestamptz late_rows:int8`),
		rows: func(s *sysSnapshot) [][]types.Datum {
			if s.runtime == nil {
				return nil
			}
			var rows [][]types.Datum
			for _, b := range s.runtime.Batches() {
				rows = append(rows, []types.Datum{dStr(b.Query), dInt(b.BatchID), dTime(b.StartedAt), dF(b.DurationMs),
					dInt(b.InputRows), dInt(b.OutputRows), dTime(b.Watermark), dInt(b.LateRows)})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 14003, schema: SchemaWeirCatalog, name: "source_progress", relkind: 'v',
		cols: cols("query:text source:text partition:int4 committed_offset:int8 end_offset:int8 lag:int8"),
		rows: func(s *sysSnapshot) [][]types.Datum {
			if s.runtime == nil {
				return nil
			}
			var rows [][]types.Datum
			for _, p := range s.runtime.SourceProgress() {
				rows = append(rows, []types.Datum{dStr(p.Query), dStr(p.Source), dInt(int64(p.Partition)),
					dInt(p.CommittedOffset), dInt(p.EndOffset), dInt(p.Lag)})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 14004, schema: SchemaWeirCatalog, name: "late_rows", relkind: 'v',
		cols: cols("query:text source:text event_time:timestamptz watermark:timestamptz row:text arrived_at:timestamptz"),
		rows: func(s *sysSnapshot) [][]types.Datum {
			if s.runtime == nil {
				return nil
			}
			var rows [][]types.Datum
			for _, l := range s.runtime.LateRows() {
				rows = append(rows, []types.Datum{dStr(l.Query), dStr(l.Source), dTime(l.EventTime), dTime(l.Watermark),
					dStr(l.Row), dTime(l.ArrivedAt)})
			}
			return rows
		}})

	registerSystem(&sysDef{oid: 14005, schema: SchemaWeirCatalog, name: "errors", relkind: 'v',
		cols: cols("at:timestamptz object:text kind:text message:text raw:text"),
		rows: func(s *sysSnapshot) [][]types.Datum {
			if s.runtime == nil {
				return nil
			}
			var rows [][]types.Datum
			for _, e := range s.runtime.Errors() {
				rows = append(rows, []types.Datum{dTime(e.At), dStr(e.Object), dStr(e.Kind), dStr(e.Message), dStrOrNull(e.Raw)})
			}
			return rows
		}})
}
