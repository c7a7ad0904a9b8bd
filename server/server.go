package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("server: closed")

// engine is what the protocol layer needs from the Engine. It exists so
// tests can run the protocol against a fake execution layer; *Engine is the
// only production implementation.
type engine interface {
	NewSession() Session
	Close(ctx context.Context) error
}

var _ engine = (*Engine)(nil)

// MetricsRegistrar is implemented by an engine that exports its own
// Prometheus metrics. New calls it once, after OpenEngine, with the
// server's registry.
type MetricsRegistrar interface {
	RegisterMetrics(reg prometheus.Registerer) error
}

// HTTPHandlerProvider is implemented by an engine that serves its own HTTP
// pages (the dashboard, /api/...). Requests for paths the server does not
// own (/metrics, /healthz, /readyz) go to the handler it returns.
type HTTPHandlerProvider interface {
	HTTPHandler() http.Handler
}

// Server is weir's process: the pgwire listener, one protocol state machine
// per connection, the HTTP endpoints and the Engine behind them.
//
// The lifecycle follows net/http: New opens the engine; Serve or
// ListenAndServe accept connections until Shutdown (graceful) or Close
// (immediate), after which they return ErrServerClosed. A Server cannot be
// restarted.
type Server struct {
	cfg     Config
	log     *slog.Logger
	eng     engine
	reg     *prometheus.Registry
	metrics *metrics

	httpSrv *http.Server
	httpLn  net.Listener
	httpApp atomic.Pointer[http.Handler] // the engine's pages, once open

	ready    atomic.Bool // engine open and not shutting down (/readyz)
	shutting atomic.Bool // set once by Shutdown or Close; never cleared

	mu        sync.Mutex
	listeners map[net.Listener]struct{} // guarded by mu
	conns     map[*conn]struct{}        // guarded by mu
	byPID     map[uint32]*conn          // guarded by mu; for CancelRequest
	addr      net.Addr                  // guarded by mu; first listener's address
	connWG    sync.WaitGroup            // Add guarded by mu (with shutting)

	closeOnce sync.Once
	closeErr  error
}

// New fills the defaults of cfg, starts the HTTP endpoints (so /healthz
// answers and /readyz reports 503 while the engine recovers), opens the
// Engine and returns a Server ready to Serve.
func New(cfg Config) (*Server, error) {
	return newServer(cfg, func(cfg Config) (engine, error) {
		e, err := OpenEngine(cfg)
		if err != nil {
			return nil, err
		}
		return e, nil
	})
}

// newServer is New with the engine constructor as a parameter (tests pass a
// fake).
func newServer(cfg Config, open func(Config) (engine, error)) (*Server, error) {
	cfg.ensureDefaults()
	if cfg.Auth != "trust" && cfg.Auth != "scram" {
		return nil, fmt.Errorf("server: unknown auth method %q (want trust or scram)", cfg.Auth)
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		reg:       prometheus.NewRegistry(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		byPID:     make(map[uint32]*conn),
	}
	m, err := newMetrics(s.reg)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	if cfg.HTTP != "off" {
		if err := s.startHTTP(); err != nil {
			return nil, err
		}
	}
	eng, err := open(cfg)
	if err != nil {
		s.stopHTTP(context.Background())
		return nil, fmt.Errorf("server: open engine: %w", err)
	}
	s.eng = eng
	if r, ok := eng.(MetricsRegistrar); ok {
		if err := r.RegisterMetrics(s.reg); err != nil {
			_ = eng.Close(context.Background())
			s.stopHTTP(context.Background())
			return nil, fmt.Errorf("server: engine metrics: %w", err)
		}
	}
	if p, ok := eng.(HTTPHandlerProvider); ok {
		if h := p.HTTPHandler(); h != nil {
			s.httpApp.Store(&h)
		}
	}
	s.ready.Store(true)
	return s, nil
}

// ensureDefaults fills zero fields with the defaults of SPEC.md.
func (c *Config) ensureDefaults() {
	if c.DataDir == "" {
		c.DataDir = "./weir-data"
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:5433"
	}
	if c.HTTP == "" {
		c.HTTP = "127.0.0.1:9433"
	}
	if c.TriggerInterval == 0 {
		c.TriggerInterval = time.Second
	}
	if c.Auth == "" {
		c.Auth = "trust"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Version == "" {
		c.Version = "dev"
	}
}

// Registry returns the Prometheus registry served on /metrics. The engine
// and connectors may register their collectors on it.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Addr returns the address of the first listener Serve was given (the one
// ListenAndServe opened), or nil before that.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// HTTPAddr returns the address of the HTTP endpoints, or nil when HTTP is
// off.
func (s *Server) HTTPAddr() net.Addr {
	if s.httpLn == nil {
		return nil
	}
	return s.httpLn.Addr()
}

// ListenAndServe listens on cfg.Listen and serves pgwire connections. It
// always returns a non-nil error: ErrServerClosed after Shutdown or Close.
func (s *Server) ListenAndServe() error {
	if s.shutting.Load() {
		return ErrServerClosed
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	return s.Serve(ln)
}

// Serve accepts pgwire connections on ln, one goroutine each, until Shutdown
// or Close; then it returns ErrServerClosed. Serve takes ownership of ln and
// closes it. It logs "listening" with ln's address once it accepts.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		if ln != nil {
			_ = ln.Close()
		}
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	if s.addr == nil {
		s.addr = ln.Addr()
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		_ = ln.Close()
	}()

	s.log.Info("listening", "addr", ln.Addr().String(), "version", s.cfg.Version)
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutting.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and similar: back off as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "delay", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		backoff = 0
		s.mu.Lock()
		if s.shutting.Load() {
			s.mu.Unlock()
			_ = nc.Close()
			return ErrServerClosed
		}
		c := newConn(s, nc)
		s.conns[c] = struct{}{}
		s.connWG.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// serveConn runs one connection to its end. A panic that escapes the
// protocol state machine closes only this connection.
func (s *Server) serveConn(c *conn) {
	s.metrics.connections.Inc()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("connection panic; closing it", "remote", c.remote, "panic", r, "stack", stack())
		}
		c.close()
		s.mu.Lock()
		delete(s.conns, c)
		if c.pid != 0 && s.byPID[c.pid] == c {
			delete(s.byPID, c.pid)
		}
		s.mu.Unlock()
		s.metrics.connections.Dec()
		s.connWG.Done()
	}()
	c.serve()
}

// registerKey assigns c a process id unique among live connections, for
// BackendKeyData and CancelRequest.
func (s *Server) registerKey(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		pid := randomPID()
		if _, taken := s.byPID[pid]; !taken {
			c.pid = pid
			s.byPID[pid] = c
			return
		}
	}
}

// cancel handles a CancelRequest: if pid and secret name a live connection,
// its running statement (if any) is canceled. Mismatches are ignored
// silently, as PostgreSQL does, so the request reveals nothing.
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil || !c.secretMatches(secret) {
		return
	}
	c.cancelStatement(errCanceledByUser)
}

// Shutdown stops the server gracefully, in this order:
//
//  1. stop accepting: listeners close and /readyz turns 503;
//  2. idle connections (waiting for a new command) are told FATAL 57P01
//     and closed; busy ones finish the statement they run and are closed
//     when they next go idle;
//  3. if ctx is done before every connection is gone, the running
//     statements are canceled and the remaining connections are closed;
//  4. the Engine is closed with ctx (it finishes and commits the batch in
//     flight);
//  5. the HTTP endpoints stop.
//
// It returns ctx.Err() when the connections did not drain in time, else
// the engine's close error. Later calls return the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.beginShutdown()
		drained := make(chan struct{})
		go func() { s.connWG.Wait(); close(drained) }()
		var err error
		select {
		case <-drained:
		case <-ctx.Done():
			err = ctx.Err()
			s.killConns()
			// Give the connection goroutines a moment to notice; a session
			// that ignores its context must not hold the shutdown hostage.
			select {
			case <-drained:
			case <-time.After(time.Second):
				s.log.Warn("shutdown: connections still running after close")
			}
		}
		if cerr := s.eng.Close(ctx); cerr != nil && err == nil {
			err = fmt.Errorf("server: close engine: %w", cerr)
		}
		s.stopHTTP(ctx)
		s.closeErr = err
	})
	return s.closeErr
}

// Close stops the server at once: listeners and connections close, running
// statements are canceled, and the engine is closed with a canceled context
// (it abandons the batch in flight, which recovery replays).
//
// Close may be called while Shutdown waits: the connections close at once
// and Close returns when Shutdown's engine close has finished.
func (s *Server) Close() error {
	s.beginShutdown()
	s.killConns()
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.eng.Close(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			s.closeErr = fmt.Errorf("server: close engine: %w", err)
		}
		s.stopHTTP(ctx)
	})
	return s.closeErr
}

// beginShutdown stops accepting and asks idle connections to end.
func (s *Server) beginShutdown() {
	s.ready.Store(false)
	s.mu.Lock()
	s.shutting.Store(true)
	for ln := range s.listeners {
		_ = ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.interruptIfIdle()
	}
}

// killConns cancels every running statement and closes every connection.
func (s *Server) killConns() {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.cancelStatement(errAdminShutdown)
		_ = c.nc.Close()
	}
}
