package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// errNoPostgres reports that no PostgreSQL server binaries are installed.
var errNoPostgres = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found")

// startPostgres starts a private PostgreSQL cluster for `weir bench` in a
// temporary directory, on a free port of 127.0.0.1, and returns it with a
// stop function that stops it and removes the directory.
//
// Unlike the test oracle (sqltests/pgoracle, which turns fsync off for
// speed), this cluster keeps PostgreSQL's durable defaults — fsync on,
// synchronous_commit on, full_page_writes on — because the ingest figures
// compare acknowledged, synced commits on both sides. shared_buffers is
// raised so the SELECT table is served from memory, as weir serves it from
// its block cache and the OS page cache.
func startPostgres() (target, error) {
	bin := postgresBinDir()
	if bin == "" {
		return target{}, errNoPostgres
	}
	dir, err := os.MkdirTemp("", "weir-bench-pg-")
	if err != nil {
		return target{}, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			cleanup()
			return target{}, fmt.Errorf("running as root and no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			cleanup()
			return target{}, err
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
		"--locale=C", "--no-instructions"); err != nil {
		cleanup()
		return target{}, err
	}
	port, err := freeTCPPort()
	if err != nil {
		cleanup()
		return target{}, err
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "+
		"-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=512MB "+
		"-c max_wal_size=4GB -c TimeZone=UTC", port)
	log := filepath.Join(dir, "log")
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", log, "-w", "start"); err != nil {
		out, _ := os.ReadFile(log)
		cleanup()
		return target{}, fmt.Errorf("%w\nserver log:\n%s", err, out)
	}
	stop := func() {
		_ = run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
		cleanup()
	}
	url := fmt.Sprintf("postgres://weir@127.0.0.1:%d/postgres?sslmode=disable", port)
	return target{name: "postgres", url: url, stop: stop}, nil
}

// postgresBinDir finds the directory holding initdb and pg_ctl: the newest
// Debian /usr/lib/postgresql/<major>/bin, else initdb on PATH.
func postgresBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		// Compare majors numerically: 9.6 < 10 < 16.
		ma, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(a)), 64)
		mb, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(b)), 64)
		switch {
		case ma > mb:
			return -1
		case ma < mb:
			return 1
		}
		return 0
	})
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) && fileExists(filepath.Join(d, "pg_ctl")) {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func freeTCPPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
