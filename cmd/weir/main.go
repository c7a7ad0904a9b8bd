package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/weirdb/weir/server"
)

// version is set at build time: -ldflags "-X main.version=$(git describe --always --dirty)".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
	// exitInterrupted is the conventional 128+SIGINT, used when a second
	// signal cuts the graceful shutdown short.
	exitInterrupted = 130
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		cfg, err := parseServe(args[1:], getenv, stderr)
		if errors.Is(err, errHelp) {
			return exitOK
		}
		if err != nil {
			return exitUsage
		}
		return serve(cfg, stderr)
	case "bench":
		bc, err := parseBench(args[1:], stderr)
		if errors.Is(err, errHelp) {
			return exitOK
		}
		if err != nil {
			return exitUsage
		}
		return runBench(bc, stdout, stderr)
	case "version":
		fs := newFlagSet("version", stderr)
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			if errors.Is(err, errHelp) {
				return exitOK
			}
			if err == nil {
				fmt.Fprintf(stderr, "weir version: unexpected argument %q\n\n", fs.Arg(0))
				usage(stderr)
			}
			return exitUsage
		}
		fmt.Fprintf(stdout, "weir %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	default:
		fmt.Fprintf(stderr, "weir: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  weir serve [--data-dir DIR] [--listen ADDR] [--http ADDR] [--trigger-interval DUR]
             [--auth trust|scram] [--users FILE] [--tls-cert F --tls-key F] [--log-level L]
  weir version
  weir bench [--runs N] [--select-rows N] [--only REGEXP] [--pg auto|off|URL] [--out FILE]

Run "weir serve -h" for the serve flags. Each serve flag can also be set with
an environment variable WEIR_<FLAG> (e.g. WEIR_DATA_DIR); the flag wins.
`)
}

// serve runs the server until a signal. The first SIGINT/SIGTERM starts a
// graceful shutdown (the batch in flight commits, sinks drain, the store
// closes) and exits 0; a second one exits at once with 130. Signals are
// handled from before the engine opens: one that arrives while it recovers
// lets the opening finish (queries commit their batch in flight) and then
// shuts down gracefully without serving.
func serve(sc serveConfig, stderr io.Writer) int {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: sc.logLevel}))
	slog.SetDefault(logger)
	if sc.users != "" || sc.tlsCert != "" {
		// The server does not take users files or certificates yet; refuse
		// rather than run with weaker security than asked for.
		logger.Error("--users, --tls-cert and --tls-key are not supported by this build")
		return exitError
	}
	cfg := sc.server
	cfg.Logger = logger
	cfg.Version = version

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	type opened struct {
		srv *server.Server
		err error
	}
	openc := make(chan opened, 1)
	go func() {
		srv, err := server.New(cfg)
		openc <- opened{srv, err}
	}()
	var o opened
	stopping := false
	select {
	case o = <-openc:
	case sig := <-sigs:
		stopping = true
		logger.Info("shutting down once the engine is open; send the signal again to exit immediately", "signal", sig.String())
		select {
		case o = <-openc:
		case sig := <-sigs:
			logger.Warn("second signal; exiting immediately", "signal", sig.String())
			return exitInterrupted
		}
	}
	if o.err != nil {
		logger.Error("cannot start", "err", o.err)
		return exitError
	}
	srv := o.srv

	serveErr := make(chan error, 1)
	if stopping {
		serveErr <- server.ErrServerClosed
	} else {
		go func() { serveErr <- srv.ListenAndServe() }()
		select {
		case err := <-serveErr:
			// The listener failed (address in use...): nothing was served.
			logger.Error("serve failed", "err", err)
			_ = srv.Close()
			return exitError
		case sig := <-sigs:
			logger.Info("shutting down; send the signal again to exit immediately", "signal", sig.String())
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			logger.Error("shutdown", "err", err)
			return exitError
		}
		if err := <-serveErr; err != nil && !errors.Is(err, server.ErrServerClosed) {
			logger.Error("serve", "err", err)
			return exitError
		}
		logger.Info("stopped")
		return exitOK
	case sig := <-sigs:
		logger.Warn("second signal; exiting immediately", "signal", sig.String())
		return exitInterrupted
	}
}
