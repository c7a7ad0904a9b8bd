package binder

// Marker functions and relations the front end (sql/parser) writes into
// the TiDB text for PostgreSQL syntax TiDB cannot parse. Their meaning is
// documented with the front end's markers.go; the binder gives them
// PostgreSQL semantics.
const (
	markerCast          = "weir_cast"        // weir_cast(x, 'type')
	markerInterval      = "weir_interval"    // weir_interval('10 second')
	markerExtract       = "weir_extract"     // weir_extract('field', x)
	markerOp            = "weir_op"          // weir_op('~', l, r) / weir_op('-', x)
	markerIsDistinct    = "weir_is_distinct" // a IS DISTINCT FROM b
	markerIsNotDistinct = "weir_is_not_distinct"
	markerAggFilter     = "weir_agg_filter" // weir_agg_filter(agg(...), cond)
	markerAggOrder      = "weir_agg_order"  // weir_agg_order(agg(...), key, 'asc', ...)
	markerAggDistinct   = "weir_agg_distinct"
	markerUsing         = "weir_using"   // weir_full_join(weir_using('a', ...))
	markerNatural       = "weir_natural" // weir_full_join(weir_natural())
	markerNullsFirst    = "weir_nulls_first"
	markerNullsLast     = "weir_nulls_last"
	markerArray         = "weir_array"
	markerSubscript     = "weir_subscript"
	markerAny           = "weir_any" // weir_any('op', x, arr)
	markerAll           = "weir_all"
	markerDistinctOn    = "weir_distinct_on"
	markerFullJoin      = "weir_full_join"
	markerTVF           = "weir_tvf"
	markerTVFDual       = "weir_tvf_dual"
	markerTVFColumns    = "weir_tvf_columns"
	markerValuesTable   = "weir_values"
	markerValuesRows    = "weir_values_rows"
	markerRow           = "weir_row"
	markerField         = "weir_field"        // weir_field(x, 'f'): (x).f
	markerAtTimeZone    = "weir_at_time_zone" // weir_at_time_zone(x, zone)
)
