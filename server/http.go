package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// startHTTP listens on cfg.HTTP and serves the operational endpoints:
//
//	GET /metrics  Prometheus exposition of the server's registry
//	GET /healthz  200 "ok" while the process runs
//	GET /readyz   200 "ok" once the engine is open; 503 before that and
//	              from the moment shutdown starts
//
// Every other path goes to the engine's handler when it provides one
// (HTTPHandlerProvider), else 404.
func (s *Server) startHTTP() error {
	ln, err := net.Listen("tcp", s.cfg.HTTP)
	if err != nil {
		return fmt.Errorf("server: http listen: %w", err)
	}
	s.httpLn = ln
	s.httpSrv = &http.Server{
		Handler:           s.httpHandler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	// The word "listening" is reserved for the pgwire line, which tools
	// and tests grep for.
	s.log.Info("http endpoints started", "http_addr", ln.Addr().String())
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// httpHandler returns the mux of the operational endpoints.
func (s *Server) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		ErrorLog: slogPrinter{s},
		Registry: s.reg,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		switch {
		case s.ready.Load():
			_, _ = w.Write([]byte("ok\n"))
		case s.shutting.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down\n"))
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("starting\n"))
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if h := s.httpApp.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
	return mux
}

// stopHTTP stops the HTTP endpoints, waiting for in-flight requests until
// ctx is done.
func (s *Server) stopHTTP(ctx context.Context) {
	if s.httpSrv == nil {
		return
	}
	if err := s.httpSrv.Shutdown(ctx); err != nil {
		_ = s.httpSrv.Close()
	}
}

// slogPrinter adapts the server's logger to promhttp's error log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) { p.s.log.Error("metrics: " + fmt.Sprint(v...)) }
