package clients

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// python finds a python3 that can import psycopg2: the one on PATH, or
// the system one (python3-psycopg2 installs there; a pyenv or venv python
// earlier on PATH may not see it).
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import psycopg2").Run() == nil {
			return path
		}
	}
	needTool(t, "python3 with psycopg2 (python3-psycopg2)", false)
	return ""
}

// TestPsycopg2 runs testdata/psycopg2_client.py: parameterised INSERT
// and SELECT (client-side %s interpolation of ints, text, timestamps,
// NULL, Decimal, bool, float and dates), the Python types of results,
// copy_expert, errors with their SQLSTATE classes, and psycopg2's implicit
// transaction blocks.
func TestPsycopg2(t *testing.T) {
	py := python(t)
	eachTarget(t, func(t *testing.T, fresh func(*testing.T) target) {
		tg := fresh(t)
		res := run(t, "", py, "testdata/psycopg2_client.py", tg.URL())
		require.Equal(t, 0, res.ExitCode, "stdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
		require.Equal(t, "create\ninsert\nselect types\nselect params\ncopy\nerrors\ndone\n", res.Stdout)
	})
}
