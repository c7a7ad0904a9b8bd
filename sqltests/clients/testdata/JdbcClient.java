// pgjdbc against weir (or PostgreSQL), run as a single-file program:
//
//   java -cp /usr/share/java/postgresql.jar JdbcClient.java jdbc:postgresql://host:port/db
//
// It prints one line per step and exits non-zero at the first failed check.
// pgjdbc uses the extended protocol with unnamed statements, and switches a
// PreparedStatement to a named server-side statement after prepareThreshold
// (5) executions, so the prepared statements here run 10 times.
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

public class JdbcClient {
    static void check(boolean ok, String what, Object got) {
        if (!ok) {
            throw new AssertionError(what + ": got " + got);
        }
    }

    static void eq(Object want, Object got, String what) {
        check(Objects.equals(want, got), what + " (want " + want + ")", got);
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", "weir");
        props.setProperty("password", "");
        props.setProperty("sslmode", "disable");
        try (Connection c = DriverManager.getConnection(args[0], props)) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE j (id BIGINT, name TEXT, ts TIMESTAMP, amount NUMERIC(10,2))");
            }
            System.out.println("create");

            try (PreparedStatement ps = c.prepareStatement("INSERT INTO j (id, name, ts, amount) VALUES (?, ?, ?, ?)")) {
                for (int i = 1; i <= 10; i++) {
                    ps.setLong(1, i);
                    if (i == 10) {
                        ps.setNull(2, Types.VARCHAR);
                        ps.setNull(3, Types.TIMESTAMP);
                        ps.setNull(4, Types.NUMERIC);
                    } else {
                        ps.setString(2, "name " + i + " 'q'");
                        ps.setTimestamp(3, Timestamp.valueOf("2026-01-0" + i + " 10:20:30.125"));
                        ps.setBigDecimal(4, new BigDecimal(i + ".5"));
                    }
                    eq(1, ps.executeUpdate(), "insert count " + i);
                }
            }
            System.out.println("insert x10");

            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, ts, amount FROM j WHERE id = ?")) {
                for (int i = 1; i <= 10; i++) {
                    ps.setLong(1, i);
                    try (ResultSet rs = ps.executeQuery()) {
                        check(rs.next(), "row " + i, "no row");
                        eq((long) i, rs.getLong(1), "id");
                        eq((long) i, rs.getLong("id"), "id by name");
                        if (i == 10) {
                            eq(null, rs.getString(2), "null name");
                            eq(null, rs.getTimestamp(3), "null ts");
                            eq(null, rs.getBigDecimal(4), "null amount");
                        } else {
                            eq("name " + i + " 'q'", rs.getString(2), "name");
                            eq(Timestamp.valueOf("2026-01-0" + i + " 10:20:30.125"), rs.getTimestamp(3), "ts");
                            eq(new BigDecimal(i + ".50"), rs.getBigDecimal(4), "amount");
                        }
                        check(!rs.next(), "one row for id " + i, "more");
                    }
                }
            }
            System.out.println("select x10");

            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*), sum(amount), max(ts) FROM j")) {
                check(rs.next(), "aggregate row", "none");
                eq(10L, rs.getLong(1), "count");
                eq(new BigDecimal("49.50"), rs.getBigDecimal(2), "sum");
                eq(Timestamp.valueOf("2026-01-09 10:20:30.125"), rs.getTimestamp(3), "max");
            }
            System.out.println("aggregate");

            DatabaseMetaData md = c.getMetaData();
            try (ResultSet rs = md.getTables(null, null, "j", new String[] {"TABLE"})) {
                check(rs.next(), "getTables row", "none");
                eq("public", rs.getString("TABLE_SCHEM"), "TABLE_SCHEM");
                eq("j", rs.getString("TABLE_NAME"), "TABLE_NAME");
                eq("TABLE", rs.getString("TABLE_TYPE"), "TABLE_TYPE");
                check(!rs.next(), "one table", "more");
            }
            System.out.println("getTables");

            try (ResultSet rs = md.getColumns(null, "public", "j", null)) {
                List<String> cols = new ArrayList<>();
                while (rs.next()) {
                    cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME") + ":" + rs.getInt("DATA_TYPE"));
                }
                eq(List.of("id:int8:" + Types.BIGINT, "name:text:" + Types.VARCHAR,
                           "ts:timestamp:" + Types.TIMESTAMP, "amount:numeric:" + Types.NUMERIC), cols, "getColumns");
            }
            System.out.println("getColumns");

            try (Statement s = c.createStatement()) {
                s.executeQuery("SELEC 1");
                throw new AssertionError("no error for SELEC 1");
            } catch (SQLException e) {
                eq("42601", e.getSQLState(), "SQLSTATE");
                check(e.getMessage().contains("syntax error at or near \"SELEC\""), "message", e.getMessage());
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
                check(rs.next() && rs.getInt(1) == 1, "query after error", "wrong");
            }
            System.out.println("errors");

            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO j (id, name) VALUES (?, ?)")) {
                ps.setLong(1, 11);
                ps.setString(2, "in a block");
                eq(1, ps.executeUpdate(), "insert in block");
            }
            c.commit();
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement("SELECT name FROM j WHERE id = ?")) {
                ps.setLong(1, 11);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "committed row", "none");
                    eq("in a block", rs.getString(1), "committed name");
                }
            }
            System.out.println("transaction");
        }
        System.out.println("done");
    }
}
