package sqltests

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	const text = `# a comment

statement ok
CREATE TABLE t (a INT)

statement count 2
INSERT INTO t
VALUES (1), (2)

skipif postgres
onlyif protocol-simple
statement error SQLSTATE 42601 syntax error at or near "FROM"
SELECT FROM FROM

query error relation "nope" does not exist
SELECT * FROM nope

query IT rowsort mylabel
SELECT a, 'x' FROM t
----
1 x
2 x

query I
SELECT 1 WHERE false

copy t csv
3
4

include other.slt

connection second

mode simple

restart

halt
`
	f, err := parse("x.slt", text)
	require.NoError(t, err)
	recs := f.records
	require.Len(t, recs, 12)

	require.Equal(t, recStatement, recs[0].kind)
	require.Equal(t, "CREATE TABLE t (a INT)", recs[0].sql)
	require.Equal(t, 3, recs[0].line)
	require.EqualValues(t, -1, recs[0].count)

	require.EqualValues(t, 2, recs[1].count)
	require.Equal(t, "INSERT INTO t\nVALUES (1), (2)", recs[1].sql)

	require.True(t, recs[2].expectErr)
	require.Equal(t, "42601", recs[2].errCode)
	require.Equal(t, `syntax error at or near "FROM"`, recs[2].errRe.String())
	require.Equal(t, []condition{{skip: true, label: "postgres"}, {label: "protocol-simple"}}, recs[2].conds)

	require.Equal(t, recQuery, recs[3].kind)
	require.True(t, recs[3].expectErr)
	require.Empty(t, recs[3].errCode)

	q := recs[4]
	require.Equal(t, "IT", q.colTypes)
	require.Equal(t, rowSort, q.sort)
	require.Equal(t, "mylabel", q.label)
	require.Equal(t, []string{"1 x", "2 x"}, q.expected)
	require.True(t, q.hasResult)
	require.Equal(t, []string{"1 x", "2 x"}, f.lines[q.resultFrom:q.resultTo])

	empty := recs[5]
	require.False(t, empty.hasResult)
	require.Equal(t, empty.resultFrom, empty.resultTo)
	require.Empty(t, f.lines[empty.resultFrom])

	require.Equal(t, recCopy, recs[6].kind)
	require.Equal(t, "t", recs[6].arg)
	require.True(t, recs[6].copyCSV)
	require.Equal(t, []string{"3", "4"}, recs[6].copyData)

	require.Equal(t, recInclude, recs[7].kind)
	require.Equal(t, "other.slt", recs[7].arg)
	require.Equal(t, recConnection, recs[8].kind)
	require.Equal(t, recMode, recs[9].kind)
	require.Equal(t, recRestart, recs[10].kind)
	require.Equal(t, recHalt, recs[11].kind)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		text, err string
	}{
		{"statement maybe\nSELECT 1\n", "x.slt:1: statement must be ok, count or error"},
		{"statement ok\n\n", "x.slt:1: statement without SQL"},
		{"query\nSELECT 1\n", "x.slt:1: missing ok/error/count or column types"},
		{"frobnicate\n", `x.slt:1: unknown directive "frobnicate"`},
		{"skipif weir\n\nstatement ok\nSELECT 1\n", "x.slt:2: skipif/onlyif must be followed by a record"},
		{"statement error (\nSELECT 1\n", "x.slt:1: bad error regex"},
		{"query error x\nSELECT 1\n----\n1\n", "x.slt:3: query error takes no results"},
		{"mode fast\n", "x.slt:1: mode must be simple, extended or both"},
		{"copy\n", "x.slt:1: usage: copy <table> [csv]"},
		{"statement count many\nDELETE FROM t\n", `x.slt:1: bad count "many"`},
	} {
		_, err := parse("x.slt", tc.text)
		require.Error(t, err, tc.text)
		require.Contains(t, err.Error(), tc.err)
	}
}

func TestMatViewAsView(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"CREATE MATERIALIZED VIEW m AS SELECT 1", "CREATE VIEW m AS SELECT 1"},
		{"create materialized view m\n  as select 1", "create view m\n  as select 1"},
		{"CREATE MATERIALIZED VIEW m WITH (trigger_interval = '100ms') AS SELECT k FROM t",
			"CREATE VIEW m AS SELECT k FROM t"},
		{"CREATE MATERIALIZED VIEW m (a, b) WITH (trigger_interval = '1s', x = '(') AS SELECT 1, 2",
			"CREATE VIEW m (a, b) AS SELECT 1, 2"},
		{`CREATE MATERIALIZED VIEW "My MV" AS SELECT 1`, `CREATE VIEW "My MV" AS SELECT 1`},
		{"CREATE MATERIALIZED VIEW s.m AS SELECT 1", "CREATE VIEW s.m AS SELECT 1"},
		{"DROP MATERIALIZED VIEW m CASCADE", "DROP VIEW m CASCADE"},
		{"drop materialized view if exists m", "drop view if exists m"},
		{"ALTER MATERIALIZED VIEW m PAUSE", "ALTER MATERIALIZED VIEW m PAUSE"},
		{"SELECT 'CREATE MATERIALIZED VIEW m AS'", "SELECT 'CREATE MATERIALIZED VIEW m AS'"},
		{"CREATE VIEW v AS SELECT 1", "CREATE VIEW v AS SELECT 1"},
	} {
		require.Equal(t, tc.want, matViewAsView(tc.in), "%s", tc.in)
	}
}

func TestParseAlternatives(t *testing.T) {
	const text = `query TI rowsort
SELECT k, count(*) FROM TUMBLE(t, ts, INTERVAL '10' SECOND)
GROUP BY k
==== postgres
SELECT k, count(*) FROM t
GROUP BY k
==== other
SELECT 'other', 1
----
a 2

statement ok
CREATE MATERIALIZED VIEW m AS SELECT 1
====  postgresql
CREATE VIEW m AS SELECT 1
`
	f, err := parse("x.slt", text)
	require.NoError(t, err)
	require.Len(t, f.records, 2)
	q := f.records[0]
	require.Equal(t, "SELECT k, count(*) FROM TUMBLE(t, ts, INTERVAL '10' SECOND)\nGROUP BY k", q.sql)
	require.Equal(t, []altSQL{{"postgres", "SELECT k, count(*) FROM t\nGROUP BY k"}, {"other", "SELECT 'other', 1"}}, q.alts)
	require.Equal(t, []string{"a 2"}, q.expected)

	labels := func(ls ...string) func(string) bool {
		return func(l string) bool { return slices.Contains(ls, l) }
	}
	require.Equal(t, q.sql, q.sqlFor(labels("weir")))
	require.Equal(t, q.alts[0].sql, q.sqlFor(labels("postgres")))
	require.Equal(t, q.alts[0].sql, q.sqlFor(labels("other", "postgres")), "the first matching alternative wins")
	require.Equal(t, q.alts[1].sql, q.sqlFor(labels("other")))

	s := f.records[1]
	require.Equal(t, "CREATE MATERIALIZED VIEW m AS SELECT 1", s.sql)
	require.Equal(t, []altSQL{{"postgresql", "CREATE VIEW m AS SELECT 1"}}, s.alts)

	for _, tc := range []struct{ text, err string }{
		{"statement ok\n==== postgres\nSELECT 1\n", "x.slt:1: statement without SQL"},
		{"query I\nSELECT 1\n==== postgres\n----\n1\n", "x.slt:1: query without SQL"},
		{"query I\nSELECT 1\n==== postgres\n==== weir\nSELECT 2\n", "x.slt:1: query without SQL"},
	} {
		_, err := parse("x.slt", tc.text)
		require.Error(t, err, tc.text)
		require.Contains(t, err.Error(), tc.err)
	}
}
