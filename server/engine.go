package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Config configures a Server. Zero fields take the defaults of SPEC.md.
type Config struct {
	DataDir         string        // default ./weir-data
	Listen          string        // default 127.0.0.1:5433
	HTTP            string        // default 127.0.0.1:9433; "off" disables
	TriggerInterval time.Duration // default 1s
	Auth            string        // "trust" (default) or "scram"
	Logger          *slog.Logger  // default slog.Default()
	Version         string        // reported by version() and server_version
}

// Engine owns the store, the catalog and the continuous queries, and makes
// sessions. It outlives connections.
//
// TODO(engine): this is the placeholder the protocol layer builds against;
// session.go replaces it with the real thing.
type Engine struct {
	cfg Config
}

// OpenEngine opens the data directory, loads the catalog and recovers every
// continuous query.
func OpenEngine(cfg Config) (*Engine, error) { return &Engine{cfg: cfg}, nil }

// NewSession returns a session for a new connection.
func (e *Engine) NewSession() Session { return &stubSession{} }

// Close stops continuous queries (finishing the batch in flight) and closes
// the store.
func (e *Engine) Close(ctx context.Context) error { return nil }

type stubSession struct{}

func (s *stubSession) Prepare(ctx context.Context, text string, pt []types.T) (*Prepared, error) {
	return nil, pgerror.NotSupported("not implemented yet")
}

func (s *stubSession) Execute(ctx context.Context, p *Prepared, params []types.Datum) (*Result, error) {
	return nil, pgerror.NotSupported("not implemented yet")
}
func (s *stubSession) Split(text string) []Piece                                 { return []Piece{{Text: text}} }
func (s *stubSession) Setting(name string) string                                { return "" }
func (s *stubSession) InitialParams(startup map[string]string) map[string]string { return nil }
func (s *stubSession) Close()                                                    {}
