package clients

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// jdbcJar is where Debian's libpostgresql-jdbc-java puts pgjdbc.
const jdbcJar = "/usr/share/java/postgresql.jar"

// TestJDBC runs testdata/JdbcClient.java with pgjdbc: PreparedStatement
// INSERT and SELECT executed 10 times each (past pgjdbc's
// prepareThreshold, so both unnamed and named server-side statements),
// setLong/setString/setTimestamp/setBigDecimal/setNull and the matching
// getters, DatabaseMetaData.getTables and getColumns, an error's SQLSTATE,
// and a transaction with autocommit off.
func TestJDBC(t *testing.T) {
	java, err := exec.LookPath("java")
	needTool(t, "java (default-jdk-headless)", err == nil)
	_, err = os.Stat(jdbcJar)
	needTool(t, "pgjdbc (libpostgresql-jdbc-java)", err == nil)
	eachTarget(t, func(t *testing.T, fresh func(*testing.T) target) {
		tg := fresh(t)
		url := fmt.Sprintf("jdbc:postgresql://%s:%d/%s", tg.Host, tg.Port, tg.DB)
		res := run(t, "", java, "-Duser.timezone=UTC", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
			"-cp", jdbcJar, "testdata/JdbcClient.java", url)
		require.Equal(t, 0, res.ExitCode, "stdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
		require.Equal(t, "create\ninsert x10\nselect x10\naggregate\ngetTables\ngetColumns\nerrors\ntransaction\ndone\n", res.Stdout)
	})
}
