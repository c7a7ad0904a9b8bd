package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/parser"
	"github.com/weirdb/weir/state"
)

// Config configures a Server. Zero fields take the defaults of SPEC.md.
type Config struct {
	DataDir         string        // default ./weir-data
	Listen          string        // default 127.0.0.1:5433
	HTTP            string        // default 127.0.0.1:9433; "off" disables
	TriggerInterval time.Duration // default 1s
	Auth            string        // "trust" (default) or "scram"
	Logger          *slog.Logger  // default slog.Default()
	Version         string        // reported by version() and weir_version
}

// Engine owns the store and the catalog, and makes sessions. It outlives
// connections; it is safe for concurrent use by every session.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	store *state.Store
	cat   *catalog.Catalog

	// ddlGen counts catalog changes. A statement prepared under an older
	// generation is bound again before it executes, so a cached statement
	// never reads a dropped or replaced relation.
	ddlGen atomic.Uint64

	// ddlMu serializes DDL so that the check-then-create steps of one
	// statement (bind the view, then create it) see no concurrent change.
	ddlMu sync.Mutex

	// queries runs the continuous queries of materialized views and sinks.
	queries *queries
	// sources holds the open source connectors.
	sources *sources

	closeOnce sync.Once
	closeErr  error

	// storeMu orders readers that may run after the sessions drained (the
	// metrics collector, called by /metrics scrapes during shutdown)
	// against closing the store: they hold it shared and check
	// storeClosed; Close holds it exclusively to close the store.
	storeMu     sync.RWMutex
	storeClosed bool // guarded by storeMu
}

// OpenEngine opens the data directory (creating it), loads the catalog and
// recovers every continuous query.
func OpenEngine(cfg Config) (*Engine, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "./weir-data"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("weir: data dir: %w", err)
	}
	store, err := state.Open(cfg.DataDir, state.Options{Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("weir: open store in %s: %w", cfg.DataDir, err)
	}
	cat, err := catalog.Open(store)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("weir: load catalog: %w", err)
	}
	if cfg.TriggerInterval == 0 {
		cfg.TriggerInterval = time.Second
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, store: store, cat: cat}
	e.sources = newSources(e)
	e.queries = newQueries(e)
	cat.SetRuntime(e.queries)
	if err := e.queries.recover(); err != nil {
		e.queries.close(context.Background())
		e.sources.close()
		_ = store.Close()
		return nil, fmt.Errorf("weir: %w", err)
	}
	e.log.Info("engine open", "data_dir", cfg.DataDir, "objects", len(cat.List(0)),
		"continuous_queries", len(e.queries.list()))
	return e, nil
}

// RegisterMetrics implements MetricsRegistrar: the per-query series of
// SPEC.md.
func (e *Engine) RegisterMetrics(reg prometheus.Registerer) error {
	if err := reg.Register(e.sources.badTotal); err != nil {
		return err
	}
	return e.queries.metrics.register(reg, e.queries)
}

var _ MetricsRegistrar = (*Engine)(nil)

// Ready reports whether every continuous query has been recovered.
func (e *Engine) Ready() bool { return e.queries.recovered.Load() }

// NewSession returns a session for a new connection.
func (e *Engine) NewSession() Session { return newSession(e) }

// Close stops every continuous query (each finishes and commits its batch
// in flight), drains the sinks (each delivers its committed batches until
// ctx ends; what is left is delivered after the next start), then closes
// the store. Statements still running on other goroutines see errors from
// the closed store; the server calls Close only after its connections
// have drained. ctx does not bound the batch in flight: it is always
// committed, so that a restart replays nothing.
func (e *Engine) Close(ctx context.Context) error {
	e.closeOnce.Do(func() {
		e.queries.close(ctx)
		e.sources.close()
		e.storeMu.Lock()
		e.storeClosed = true
		e.closeErr = e.store.Close()
		e.storeMu.Unlock()
	})
	return e.closeErr
}

// resolver is the planner.Catalog sessions bind against. A materialized
// view resolves to its maintained rows (catalog.MatViewRelation), read at
// a batch boundary.
type resolver struct {
	cat *catalog.Catalog
	// eng, when set, makes sources scannable (an ad-hoc SELECT reads them
	// through their connectors, which the catalog cannot import).
	eng *Engine
	// seen records the user relations a bind resolved (views before their
	// expansion), for dependency tracking.
	seen map[uint32]bool
}

func (r *resolver) Resolve(schema, name string) (planner.Relation, error) {
	rel, err := r.cat.Resolve(schema, name)
	if err != nil {
		return nil, err
	}
	if r.seen != nil && rel.OID() >= catalog.FirstUserOID {
		r.seen[rel.OID()] = true
	}
	if rel.Kind() == catalog.KindSource && r.eng != nil {
		if o := r.cat.ByOID(rel.OID()); o != nil {
			return &sourceRelation{Relation: rel, ss: r.eng.sources, obj: o}, nil
		}
	}
	return rel, nil
}

// sourceOf adapts the front end's parse result for the binder.
func sourceOf(q *parser.Query) *binder.Source {
	return &binder.Source{Node: q.Node, Text: q.Text, NumParams: q.NumParams, ParamIndex: q.ParamIndex, OrigPos: q.OrigPos}
}

// parseView parses the SQL of a view for the binder.
func parseView(sql string) (*binder.Source, error) {
	st, err := parser.New().Parse(sql)
	if err != nil {
		return nil, err
	}
	q, ok := st.(*parser.Query)
	if !ok {
		return nil, fmt.Errorf("view definition is not a query: %s", sql)
	}
	return sourceOf(q), nil
}
