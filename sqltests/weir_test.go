package sqltests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/server"
)

// weirTarget is an in-process weir server on a loopback port over a
// temporary data directory.
type weirTarget struct {
	t    *testing.T
	dir  string
	srv  *server.Server
	addr string
	done chan error
}

func newWeirTarget(t *testing.T) *weirTarget {
	w := &weirTarget{t: t, dir: t.TempDir()}
	require.NoError(t, w.start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.stop(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return w
}

func (w *weirTarget) start() error {
	var out io.Writer = io.Discard
	if *flagLog {
		out = testWriter{w.t}
	}
	srv, err := server.New(server.Config{
		DataDir:         w.dir,
		Listen:          "127.0.0.1:0",
		HTTP:            "off",
		TriggerInterval: 100 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version:         "sqltests",
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return err
	}
	w.srv, w.addr, w.done = srv, ln.Addr().String(), make(chan error, 1)
	go func() { w.done <- srv.Serve(ln) }()
	return nil
}

func (w *weirTarget) stop(ctx context.Context) error {
	if w.srv == nil {
		return nil
	}
	err := w.srv.Shutdown(ctx)
	if serveErr := <-w.done; !errors.Is(serveErr, server.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("Serve returned %v, want ErrServerClosed", serveErr))
	}
	w.srv = nil
	return err
}

func (w *weirTarget) ConnString() string {
	return fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable", w.addr)
}

func (w *weirTarget) Restart(ctx context.Context) error {
	if err := w.stop(ctx); err != nil {
		return err
	}
	return w.start()
}

type testWriter struct{ t *testing.T }

func (tw testWriter) Write(p []byte) (int, error) {
	tw.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
