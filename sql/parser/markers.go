package parser

// Marker functions. The normaliser rewrites PostgreSQL syntax that TiDB's
// grammar lacks (or reads differently) into calls of these reserved
// functions, which TiDB parses as ordinary *ast.FuncCallExpr nodes (FnName
// lower-case). The binder must recognise every one of them; no user
// function may start with "weir_". String arguments below are
// *test_driver.ValueExpr string constants.
const (
	// MarkerCast is weir_cast(x, 'type'): x::type, CAST(x AS type) and typed
	// literals (DATE '2026-01-01', TIMESTAMP '..', int4 '1'). The second
	// argument is the canonical type text: types.T.String() for types weir
	// knows ("integer", "character varying(10)", "numeric(10,2)",
	// "timestamp with time zone", "text[]", "\"char\"", "regclass"), else the
	// folded name as written with modifiers and any [] suffix, without a
	// pg_catalog. qualifier ("uuid", "time(3) without time zone").
	MarkerCast = "weir_cast"
	// MarkerInterval is weir_interval('text'[, 'fields']): INTERVAL '10
	// seconds' gives weir_interval('10 seconds'); INTERVAL '10' SECOND gives
	// weir_interval('10 second') when the text is a plain number, otherwise
	// weir_interval('1:30', 'hour to minute') keeps the field restriction.
	MarkerInterval = "weir_interval"
	// MarkerExtract is weir_extract('field', x) for EXTRACT(field FROM x);
	// field is lower-case.
	MarkerExtract = "weir_extract"
	// MarkerOp is weir_op('op', l, r) for a binary operator and
	// weir_op('op', x) for a prefix operator, used for every operator whose
	// PostgreSQL meaning TiDB does not share: ~ !~ ~* !~* (regex), ~~* and
	// !~~* (ILIKE / NOT ILIKE), "similar to" / "not similar to", -> ->> #>
	// #>> @> <@ ? ?| ?& (json), # (xor), ^ (power), @ (abs) and any other
	// PostgreSQL operator. OPERATOR(schema.op) gives the bare op.
	MarkerOp = "weir_op"
	// MarkerIsDistinct is weir_is_distinct(a, b): a IS DISTINCT FROM b.
	MarkerIsDistinct = "weir_is_distinct"
	// MarkerIsNotDistinct is weir_is_not_distinct(a, b): a IS NOT DISTINCT FROM b.
	MarkerIsNotDistinct = "weir_is_not_distinct"
	// MarkerAggFilter is weir_agg_filter(agg(...), cond): agg(...) FILTER (WHERE cond).
	MarkerAggFilter = "weir_agg_filter"
	// MarkerAggDistinct is weir_agg_distinct(agg(...)): agg(DISTINCT ...)
	// for an aggregate TiDB's grammar does not know (string_agg,
	// array_agg, bool_and, ...); count/sum/avg/min/max keep TiDB's own
	// DISTINCT.
	MarkerAggDistinct = "weir_agg_distinct"
	// MarkerAggOrder is weir_agg_order(agg(...), key1, 'dir1', key2,
	// 'dir2', ...): agg(args ORDER BY key1 dir1, ...). Each dir is "asc"
	// or "desc", optionally followed by " nulls first" or " nulls last".
	// It wraps weir_agg_distinct when both are written, and is itself
	// wrapped by weir_agg_filter:
	//   string_agg(DISTINCT g, '|' ORDER BY g) FILTER (WHERE c)
	//     → weir_agg_filter(weir_agg_order(weir_agg_distinct(string_agg(g, '|')), g, 'asc'), c)
	MarkerAggOrder = "weir_agg_order"
	// MarkerUsing is weir_using('a', 'b') and MarkerNatural weir_natural():
	// the join columns of l FULL JOIN r USING (a, b) and l NATURAL FULL
	// JOIN r, which become l LEFT JOIN r ON weir_full_join(weir_using('a',
	// 'b')) and ... ON weir_full_join(weir_natural()).
	MarkerUsing   = "weir_using"
	MarkerNatural = "weir_natural"
	// MarkerNullsFirst is weir_nulls_first(x) in ORDER BY: x NULLS FIRST.
	// The ASC/DESC of the item stays on the ORDER BY item.
	MarkerNullsFirst = "weir_nulls_first"
	// MarkerNullsLast is weir_nulls_last(x) in ORDER BY: x NULLS LAST.
	MarkerNullsLast = "weir_nulls_last"
	// MarkerArray is weir_array(a, b, ...): ARRAY[a, b, ...]; nested
	// brackets ARRAY[[1,2],[3,4]] nest the marker.
	MarkerArray = "weir_array"
	// MarkerArraySubquery is weir_array_subquery((subquery)): ARRAY(subquery).
	MarkerArraySubquery = "weir_array_subquery"
	// MarkerSubscript is weir_subscript(x, i): x[i]. A slice x[a:b] is
	// weir_subscript(x, a, b) with NULL for an omitted bound.
	MarkerSubscript = "weir_subscript"
	// MarkerAny is weir_any('op', x, arr): x op ANY(arr) or SOME(arr) where
	// arr is an array expression, not a subquery (a subquery stays TiDB's
	// x op ANY (subquery)).
	MarkerAny = "weir_any"
	// MarkerAll is weir_all('op', x, arr): x op ALL(arr).
	MarkerAll = "weir_all"
	// MarkerField is weir_field(x, 'field'): (x).field; (x).* is
	// weir_field(x, '*').
	MarkerField = "weir_field"
	// MarkerDistinctOn is weir_distinct_on(a, b): SELECT DISTINCT ON (a, b)
	// becomes SELECT weir_distinct_on(a, b), <select list>; the marker is
	// always the first field.
	MarkerDistinctOn = "weir_distinct_on"
	// MarkerFullJoin is weir_full_join(cond): l FULL [OUTER] JOIN r ON cond
	// becomes l LEFT JOIN r ON weir_full_join(cond).
	MarkerFullJoin = "weir_full_join"
	// MarkerTVF is weir_tvf('name', args...) in the WHERE clause of a
	// derived table that replaces a function in FROM:
	//   TUMBLE(bids, ts, INTERVAL '10' SECOND) [AS] w
	//     → (SELECT * FROM bids WHERE weir_tvf('tumble', ts, weir_interval('10 second'))) AS w
	// (also HOP(rel, col, slide, size) and SESSION(rel, col, gap): the first
	// argument, a relation name, becomes the FROM of the derived table);
	//   generate_series(1, 3) [AS] g(x)
	//     → (SELECT * FROM weir_tvf_dual WHERE weir_tvf('generate_series', 1, 3, weir_tvf_columns('x'))) AS g
	// The alias defaults to the function name, as in PostgreSQL. The name
	// is lower-case without a pg_catalog. qualifier.
	MarkerTVF = "weir_tvf"
	// MarkerTVFDual is the placeholder relation weir_tvf_dual in the FROM of
	// a non-window table function's derived table.
	MarkerTVFDual = "weir_tvf_dual"
	// MarkerTVFColumns is weir_tvf_columns('a', 'b'): a column alias list
	// g(a, b) after a table function or VALUES in FROM; it is always the
	// last argument of weir_tvf or weir_values_rows.
	MarkerTVFColumns = "weir_tvf_columns"
	// MarkerValues is the placeholder relation weir_values: a VALUES list
	// (standalone or in FROM) becomes
	//   SELECT * FROM weir_values WHERE weir_values_rows(weir_row(1, 'a'), weir_row(2, 'b'))
	// INSERT ... VALUES stays a TiDB InsertStmt.
	MarkerValues = "weir_values"
	// MarkerValuesRows is weir_values_rows(weir_row(...), ...[, weir_tvf_columns(...)]).
	MarkerValuesRows = "weir_values_rows"
	// MarkerRow is weir_row(v1, v2, ...): one row of a VALUES list.
	MarkerRow = "weir_row"
	// MarkerSubqueryAlias prefixes generated aliases of FROM subqueries that
	// have none (PostgreSQL 16 allows that): weir_subquery_1, _2, ...
	MarkerSubqueryAlias = "weir_subquery_"
	// MarkerAtTimeZone is weir_at_time_zone(x, zone): x AT TIME ZONE zone.
	MarkerAtTimeZone = "weir_at_time_zone"
	// MarkerProcTime is weir_proctime(): a lookup join
	//   JOIN t FOR SYSTEM_TIME AS OF PROCTIME() [AS] d ON ...
	// becomes TiDB's table AS OF clause
	//   JOIN t AS d AS OF TIMESTAMP weir_proctime() ON ...
	// (ast.TableSource.AsOf / TableName.AsOf). Any other FOR SYSTEM_TIME AS
	// OF expr keeps its (rewritten) expression in the AS OF clause.
	MarkerProcTime = "weir_proctime"
)

// Session-information keywords that PostgreSQL reads without parentheses
// are rewritten to function calls: user and current_role to current_user(),
// current_user(), session_user(), current_schema(), current_catalog().
