package parser

// pgReserved holds PostgreSQL's reserved keywords and its "type or function
// name" keywords: words that cannot be a bare column name or alias.
var pgReserved = setOf(`all analyse analyze and any array as asc asymmetric both case cast
check collate column constraint create current_catalog current_date current_role
current_time current_timestamp current_user default deferrable desc distinct do else end
except false fetch for foreign from grant group having in initially intersect into lateral
leading limit localtime localtimestamp not null offset on only or order placing primary
references returning select session_user some symmetric table then to trailing true union
unique user using variadic when where window with
authorization binary collation concurrently cross current_schema freeze full ilike inner is
isnull join left like natural notnull outer overlaps right similar tablesample verbose`)

// tidbReserved holds TiDB's reserved words (parser/keywords.go of the
// pinned version). A PostgreSQL identifier that is one of them is emitted
// double-quoted (ANSI_QUOTES) so TiDB reads it as a name.
var tidbReserved = setOf(`add all alter analyze and array as asc between bigint binary blob
both by call cascade case change char character check collate column constraint continue
convert create cross cume_dist current_date current_role current_time current_timestamp
current_user cursor database databases day_hour day_microsecond day_minute day_second
decimal default delayed delete dense_rank desc describe distinct distinctrow div double
drop dual else elseif enclosed escaped except exists exit explain false fetch first_value
float float4 float8 for force foreign from fulltext generated grant group groups having
high_priority hour_microsecond hour_minute hour_second if ignore ilike in index infile inner
inout insert int int1 int2 int3 int4 int8 integer intersect interval into is iterate join key
keys kill lag last_value lateral lead leading leave left like limit linear lines load
localtime localtimestamp lock long longblob longtext low_priority match maxvalue mediumblob
mediumint mediumtext middleint minute_microsecond minute_second mod natural not
no_write_to_binlog nth_value ntile null numeric of on optimize option optionally or order
out outer outfile over partition percent_rank precision primary procedure range rank read
real recursive references regexp release rename repeat replace require restrict revoke
right rlike row rows row_number second_microsecond select set show smallint spatial sql
sqlexception sqlstate sqlwarning sql_big_result sql_calc_found_rows sql_small_result ssl
starting stored straight_join table tablesample terminated then tidb_current_tso tinyblob
tinyint tinytext to trailing trigger true union unique unlock unsigned until update usage
use using utc_date utc_time utc_timestamp values varbinary varchar varcharacter varying
virtual when where while window with write xor year_month zerofill
status value`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	w := ""
	for _, r := range words + " " {
		if r == ' ' || r == '\n' || r == '\t' {
			if w != "" {
				m[w] = true
			}
			w = ""
			continue
		}
		w += string(r)
	}
	return m
}
