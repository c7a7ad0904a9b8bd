package pgoracle

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
)

// EnvURL names a variable holding the URL of an existing PostgreSQL server
// to use instead of starting one.
const EnvURL = "WEIR_PG_URL"

// EnvRequire, when set to a non-empty value, turns a missing PostgreSQL
// installation into a test failure instead of a skip (CI sets it).
const EnvRequire = "WEIR_REQUIRE_POSTGRES"

// Start returns the URL of a PostgreSQL server for t: the one named by
// WEIR_PG_URL, or a private server started for t and stopped by t.Cleanup.
// Without PostgreSQL binaries it skips t, or fails it when
// WEIR_REQUIRE_POSTGRES is set.
func Start(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	bin := binDir()
	if bin == "" {
		if os.Getenv(EnvRequire) != "" {
			t.Fatalf("PostgreSQL server binaries (initdb, pg_ctl) not found and %s is set", EnvRequire)
		}
		t.Skipf("PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql or set %s", EnvURL)
	}
	url, stop, err := start(bin)
	if err != nil {
		t.Fatalf("pgoracle: %v", err)
	}
	t.Cleanup(stop)
	return url
}

// binDir finds the directory holding initdb and pg_ctl.
func binDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs))) // newest major first (same digit count)
	for _, d := range dirs {
		if exists(filepath.Join(d, "initdb")) && exists(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// start runs initdb and pg_ctl start; stop stops the server and removes
// its directory.
func start(bin string) (url string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "weir-pgoracle-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			cleanup()
			return "", nil, fmt.Errorf("running as root and no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "weir", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		cleanup()
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		cleanup()
		return "", nil, err
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c full_page_writes=off -c TimeZone=UTC", port)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		cleanup()
		return "", nil, fmt.Errorf("%w\nserver log:\n%s", err, log)
	}
	stop = func() {
		_ = run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		cleanup()
	}
	return fmt.Sprintf("postgres://weir@127.0.0.1:%d/postgres?sslmode=disable", port), stop, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
