"""psycopg2 against weir (or PostgreSQL): argv[1] is a libpq DSN.

Every check is an assert; the script prints one line per step, and exits
non-zero with a traceback at the first failure.
"""
import datetime
import decimal
import io
import sys

import psycopg2
import psycopg2.errors

conn = psycopg2.connect(sys.argv[1])
# The default mode: psycopg2 sends BEGIN before the first statement and
# the script ends blocks with commit()/rollback().
cur = conn.cursor()
cur.execute("""CREATE TABLE p (id BIGINT, name TEXT, ts TIMESTAMP, amount NUMERIC(10,2),
                               ok BOOLEAN, score DOUBLE PRECISION, d DATE)""")
conn.commit()
print("create")

rows = [
    (1, "o'neil", datetime.datetime(2026, 1, 1, 0, 0, 1), decimal.Decimal("12.34"), True, 1.5, datetime.date(2026, 1, 1)),
    (2, 'back\\slash "q"', datetime.datetime(2026, 1, 2, 3, 4, 5, 123456), decimal.Decimal("-0.10"), False, -2.25, datetime.date(2025, 12, 31)),
    (3, None, None, None, None, None, None),
]
cur.execute("INSERT INTO p VALUES (%s, %s, %s, %s, %s, %s, %s)", rows[0])
assert cur.rowcount == 1, cur.rowcount
cur.executemany("INSERT INTO p VALUES (%s, %s, %s, %s, %s, %s, %s)", rows[1:])
conn.commit()
print("insert")

cur.execute("SELECT id, name, ts, amount, ok, score, d FROM p ORDER BY id")
got = cur.fetchall()
assert got == rows, got
types = [type(v) for v in got[0]]
assert types == [int, str, datetime.datetime, decimal.Decimal, bool, float, datetime.date], types
assert str(got[1][3]) == "-0.10", got[1][3]  # numeric scale survives
names = [d.name for d in cur.description]
assert names == ["id", "name", "ts", "amount", "ok", "score", "d"], names
print("select types")

cur.execute("SELECT id FROM p WHERE id >= %s AND name = %s", (1, "o'neil"))
assert cur.fetchall() == [(1,)]
cur.execute("SELECT id FROM p WHERE ts > %s AND ok = %s ORDER BY id", (datetime.datetime(2026, 1, 1), False))
assert cur.fetchall() == [(2,)]
cur.execute("SELECT id FROM p WHERE name IS NULL AND %s IS NULL", (None,))
assert cur.fetchall() == [(3,)]
cur.execute("SELECT sum(amount), count(*), max(ts) FROM p WHERE amount > %s", (decimal.Decimal("-1"),))
assert cur.fetchone() == (decimal.Decimal("12.24"), 2, datetime.datetime(2026, 1, 2, 3, 4, 5, 123456))
conn.commit()
print("select params")

data = io.StringIO('10,ten,2026-02-01 10:00:00,1.5,t,0.5,2026-02-01\n'
                   '11,"with, comma",,,f,,\n'
                   '12,"",2026-02-01 12:00:00,99999999.99,true,1e3,2026-02-03\n')
cur.copy_expert("COPY p FROM STDIN CSV", data)
assert cur.rowcount == 3, cur.rowcount
conn.commit()
cur.execute("SELECT id, name, ts, amount, ok FROM p WHERE id >= 10 ORDER BY id")
got = cur.fetchall()
assert got == [
    (10, "ten", datetime.datetime(2026, 2, 1, 10), decimal.Decimal("1.50"), True),
    (11, "with, comma", None, None, False),
    (12, "", datetime.datetime(2026, 2, 1, 12), decimal.Decimal("99999999.99"), True),
], got
conn.commit()
print("copy")

try:
    cur.execute("SELEC 1")
    raise AssertionError("no error")
except psycopg2.errors.SyntaxError as e:
    assert e.pgcode == "42601", e.pgcode
    assert 'syntax error at or near "SELEC"' in str(e), str(e)
conn.rollback()
try:
    cur.execute("SELECT * FROM missing")
    raise AssertionError("no error")
except psycopg2.errors.UndefinedTable as e:
    assert e.pgcode == "42P01", e.pgcode
conn.rollback()
cur.execute("SELECT count(*) FROM p")
assert cur.fetchone() == (6,)
conn.commit()
print("errors")

conn.autocommit = True
cur.execute("SELECT %s::text, %s, %s", ("x", 42, 2.5))
assert cur.fetchone() == ("x", 42, 2.5)
conn.close()
print("done")
