package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// buildWeir compiles the command into a temporary directory with a version
// stamped the way the Makefile does.
func buildWeir(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "weir")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version=e2e-test", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

func TestBinaryVersion(t *testing.T) {
	bin := buildWeir(t)
	out, err := exec.Command(bin, "version").Output()
	require.NoError(t, err)
	require.Regexp(t, `^weir e2e-test \(go1\.\S+ \S+/\S+\)\n$`, string(out))

	cmd := exec.Command(bin, "serve", "--no-such-flag")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "%v", err)
	require.Equal(t, 2, exitErr.ExitCode())
	require.Contains(t, stderr.String(), "flag provided but not defined")
}

var listeningRe = regexp.MustCompile(`listening.*?addr=(\S+)|listening.*?(127\.0\.0\.1:\d+)`)

// startServe runs `weir serve` on a free port and returns the command and
// the pgwire address from its "listening" log line.
func startServe(t *testing.T, bin, dataDir string, extraEnv ...string) (*exec.Cmd, string, *logTail) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), extraEnv...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	tail := &logTail{lines: make(chan string, 1000)}
	go tail.read(stderr)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-tail.lines:
			require.True(t, ok, "weir exited before listening; log:\n%s", tail.String())
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				addr := m[1]
				if addr == "" {
					addr = m[2]
				}
				return cmd, strings.Trim(addr, `"`), tail
			}
		case <-deadline:
			t.Fatalf("no listening line within 30s; log:\n%s", tail.String())
		}
	}
}

// logTail keeps the process's log for failure messages.
type logTail struct {
	lines chan string
	all   strings.Builder
}

func (l *logTail) read(r io.Reader) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		l.all.WriteString(s.Text() + "\n")
		select {
		case l.lines <- s.Text():
		default:
		}
	}
	close(l.lines)
}

func (l *logTail) String() string { return l.all.String() }

func TestServeEndToEnd(t *testing.T) {
	bin := buildWeir(t)
	dataDir := t.TempDir()
	cmd, addr, tail := startServe(t, bin, dataDir)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://weir@"+addr+"/weir?sslmode=disable")
	require.NoError(t, err, "log:\n%s", tail)
	// The CLI's concern is that the server it starts answers; queries are
	// the sqltests' business.
	require.NoError(t, conn.Ping(ctx), "log:\n%s", tail)
	require.NoError(t, conn.Close(ctx))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		require.NoError(t, err, "weir must exit 0 after SIGTERM; log:\n%s", tail)
	case <-time.After(30 * time.Second):
		t.Fatalf("weir did not exit within 30s of SIGTERM; log:\n%s", tail)
	}
}

func TestServeEnvironmentAndBadFlags(t *testing.T) {
	bin := buildWeir(t)
	// A trigger interval from the environment that is invalid is a usage
	// error: exit 2 before anything opens.
	cmd := exec.Command(bin, "serve", "--data-dir", t.TempDir(), "--http", "off")
	cmd.Env = append(os.Environ(), "WEIR_TRIGGER_INTERVAL=often")
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "%v: %s", err, out)
	require.Equal(t, 2, exitErr.ExitCode())
	require.Contains(t, string(out), `invalid --trigger-interval "often"`)
}
