package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/parser"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// This file runs sinks (docs/connectors.md, "Sinks in the engine"). A
// sink is a continuous query (its driver in queries.go) whose graph ends
// in exec.OutboxSink: each batch's change rows are staged under
// o/<sink>/<batch> in the batch's commit. A per-sink delivery loop
// (sinkRunner) hands the staged batches to the connector in id order after
// their commit and deletes each once delivered; a failed delivery is
// retried with backoff and shows in the sink's status. The deletes are not
// synced: after a crash the last batches are delivered again, which the
// connectors make harmless (docs/connectors.md).

// Option keys of a sink's WITH (...) clause read by the engine; the others
// go to the connector (with connector and type).
const (
	optSinkType = "type"
	// optSinkFrom marks a sink made by CREATE SINK ... FROM mv (internal):
	// its key is the MV's stream key.
	optSinkFrom = "sink_from_mv"
)

// testingKeepOutbox makes delivery leave delivered batches in the outbox,
// as a crash between delivery and delete does (tests only).
var testingKeepOutbox atomic.Bool

// sinkEngineOptions are the keys of a sink's options the engine owns and
// does not pass to the connector.
var sinkEngineOptions = []string{optTriggerInterval, optMaxRows, optPaused, optEmitOnClose, optSinkFrom}

// sinkQueryOptions returns the options of a sink that its continuous query
// reads (parseQueryOptions).
func sinkQueryOptions(opts map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range sinkEngineOptions {
		if v, ok := opts[k]; ok && k != optSinkFrom {
			out[k] = v
		}
	}
	return out
}

// sinkConnectorOptions returns the options passed to a sink's connector.
func sinkConnectorOptions(opts map[string]string) map[string]string {
	out := maps.Clone(opts)
	for _, k := range sinkEngineOptions {
		delete(out, k)
	}
	return out
}

// sinkTypeOf reads type = 'upsert' | 'append'; without it a query with a
// stream key is an upsert sink and one without an append sink.
func sinkTypeOf(opts map[string]string, key []int) (exec.SinkType, error) {
	switch v, ok := opts[optSinkType]; {
	case !ok && len(key) > 0, v == "upsert":
		if len(key) == 0 {
			return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "an upsert sink needs a query with a key").
				WithHint("Sink a materialized view with a key (a GROUP BY), or use type = 'append' for an append-only query.")
		}
		return exec.SinkUpsert, nil
	case !ok, v == "append":
		return exec.SinkAppend, nil
	default:
		return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "invalid value for parameter %q: %q", optSinkType, v).
			WithHint("Use 'upsert' or 'append'.")
	}
}

// sinkPlan plans a sink's query: its streaming plan with the outbox's
// state version instead of the MV sink's, and its stream key (an MV's
// key for FROM mv).
func (qs *queries) sinkPlan(o *catalog.Object, p *planner.StreamPlan) ([]int, error) {
	delete(p.StateVersions, "sink:mv")
	p.StateVersions["sink:outbox"] = exec.OutboxFormatVersion
	key := p.Key
	if o.Options[optSinkFrom] == "true" && len(o.DependsOn) == 1 {
		mv := qs.eng.cat.ByOID(o.DependsOn[0])
		if mv != nil && mv.Kind == catalog.KindMatView {
			mp, err := qs.streamPlanOf(mv)
			if err != nil {
				return nil, err
			}
			key = mp.Key
		}
	}
	return key, nil
}

// createSink runs CREATE SINK name FROM rel | AS query WITH (...): the
// query is planned, the type checked against its key, and the connector
// opened (checking its options) before the definition is created; then
// the sink's continuous query starts from offset 0 of its inputs.
func (s *session) createSink(st *parser.CreateSink) (*Result, error) {
	opts := maps.Clone(st.With)
	if opts == nil {
		opts = map[string]string{}
	}
	if err := checkUserQueryOptions(opts); err != nil {
		return nil, err
	}
	if _, ok := opts[optSinkFrom]; ok {
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "parameter %q cannot be set", optSinkFrom)
	}
	if opts[optConnector] == "" {
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "a sink needs the %q option", optConnector).
			WithHint("Known sink connectors: %s.", strings.Join(connectors.SinkNames(), ", "))
	}
	if _, _, err := parseQueryOptions(sinkQueryOptions(opts), s.eng.cfg.TriggerInterval); err != nil {
		return nil, err
	}
	if st.EmitOnWindowClose {
		opts[optEmitOnClose] = "true"
	}
	queryText := st.QueryText
	if st.From != nil {
		queryText = "SELECT * FROM " + quoteIdent(st.From.Name)
		if st.From.Schema != "" {
			queryText = "SELECT * FROM " + quoteIdent(st.From.Schema) + "." + quoteIdent(st.From.Name)
		}
	}
	return s.ddl(func() (*Result, error) {
		cat := s.eng.cat
		if o := cat.Lookup(st.Name.Schema, st.Name.Name); o != nil && st.IfNotExists && o.Kind == catalog.KindSink {
			s.notice(fmt.Sprintf("sink %q already exists, skipping", st.Name.Name), "")
			return &Result{Tag: "CREATE SINK"}, nil
		}
		if st.From != nil {
			o := cat.Lookup(st.From.Schema, st.From.Name)
			if o == nil {
				return nil, pgerror.New(pgerror.CodeUndefinedTable, "relation %q does not exist", st.From.String())
			}
			if o.Kind == catalog.KindMatView {
				opts[optSinkFrom] = "true"
			}
		}
		src, err := parseView(queryText)
		if err != nil {
			return nil, err
		}
		res := &resolver{cat: cat, eng: s.eng, seen: map[uint32]bool{}}
		b, err := binder.Bind(res, src, nil, binder.Options{Parse: parseView})
		if err != nil {
			return nil, err
		}
		if len(b.ParamTypes) > 0 {
			return nil, pgerror.New("42P02", "there is no parameter $1")
		}
		if b.Insert != nil || b.Columns == nil {
			return nil, pgerror.Syntax(0, "a sink must be defined by a SELECT")
		}
		p, err := planner.StreamifyWith(b.Plan, streamOptions(opts))
		if err != nil {
			return nil, err
		}
		cols := make([]planner.Column, len(b.Columns))
		for i, c := range b.Columns {
			cols[i] = planner.Column{Name: c.Name, T: c.T}
		}
		deps := slices.Sorted(maps.Keys(res.seen))
		def := catalog.ViewDef{Schema: st.Name.Schema, Name: st.Name.Name, Columns: cols, Query: queryText, SQL: st.Text,
			DependsOn: deps, Options: opts}
		probe := &catalog.Object{Kind: catalog.KindSink, Options: opts, DependsOn: deps, Columns: cols}
		key, err := s.eng.queries.sinkPlan(probe, p)
		if err != nil {
			return nil, err
		}
		if _, err := sinkTypeOf(opts, key); err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), sourceCallTimeout)
		defer cancel()
		conn, err := connectors.OpenSink(ctx, sinkSpec(st.Name.Name, cols, key, opts))
		if err != nil {
			return nil, asOptionError(fmt.Sprintf("sink %q", st.Name.Name), err)
		}
		_ = conn.Close() // the delivery loop opens its own
		obj, notices, err := cat.CreateSink(def)
		if err != nil {
			return nil, err
		}
		if err := s.eng.queries.start(obj, true); err != nil {
			if r, derr := cat.Drop(catalog.KindSink, obj.Schema, obj.Name, true, false); derr == nil {
				_ = s.eng.queries.dropped(r.Dropped)
			}
			return nil, err
		}
		s.takeCatalogNotices(notices)
		return &Result{Tag: "CREATE SINK"}, nil
	})
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sinkSpec(name string, cols []planner.Column, key []int, opts map[string]string) connectors.SinkSpec {
	return connectors.SinkSpec{Name: name, Columns: connectorColumns(cols), Key: slices.Clone(key),
		Options: sinkConnectorOptions(opts)}
}

// sinkRunner is a sink's delivery loop. Its methods are safe for
// concurrent use; run is called once.
type sinkRunner struct {
	qs   *queries
	id   uint64
	name string
	ts   []types.T
	conn connectors.Sink

	poke   chan struct{} // buffered 1: a batch was committed
	resume chan struct{} // buffered 1: Pause/Resume changed
	done   chan struct{} // closed when run returned

	mu        sync.Mutex
	paused    bool   // guarded by mu
	err       error  // guarded by mu; the last delivery error, nil after a success
	delivered uint64 // guarded by mu; id of the last batch delivered by this process
	batches   int64  // guarded by mu
	rows      int64  // guarded by mu
}

func newSinkRunner(qs *queries, o *catalog.Object, conn connectors.Sink) *sinkRunner {
	return &sinkRunner{qs: qs, id: o.ID, name: o.Name, ts: o.ColumnTypes(), conn: conn, poke: make(chan struct{}, 1),
		resume: make(chan struct{}, 1), done: make(chan struct{}), paused: o.Options[optPaused] == "true"}
}

// Poke tells the loop a batch was committed. It never blocks.
func (r *sinkRunner) Poke() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

func (r *sinkRunner) setPaused(p bool) {
	r.mu.Lock()
	r.paused = p
	r.mu.Unlock()
	select {
	case r.resume <- struct{}{}:
	default:
	}
}

func (r *sinkRunner) isPaused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.paused
}

// run delivers committed batches until ctx ends.
func (r *sinkRunner) run(ctx context.Context) {
	defer close(r.done)
	for ctx.Err() == nil {
		if !r.isPaused() {
			r.deliverPending(ctx)
		}
		select {
		case <-r.poke:
		case <-r.resume:
		case <-ctx.Done():
		}
	}
}

// deliverPending delivers the staged batches in id order until none is
// left, the sink is paused, or ctx ends. A failed delivery is retried
// with exponential backoff (100 ms to 30 s); the error shows in the
// sink's status meanwhile.
func (r *sinkRunner) deliverPending(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil && !r.isPaused() {
		r.mu.Lock()
		after := r.delivered
		r.mu.Unlock()
		bs, err := r.qs.eng.readOutbox(r.id, r.ts, after)
		if err == nil && len(bs) == 0 {
			return
		}
		for _, b := range bs {
			if err != nil || ctx.Err() != nil {
				break
			}
			err = r.conn.Deliver(ctx, connectors.Batch{ID: b.ID, Changes: b.Changes, CommittedAt: b.CommittedAt})
			if err == nil {
				err = r.delivered1(b)
			}
		}
		if err == nil {
			backoff = 100 * time.Millisecond
			continue
		}
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
		r.qs.log.Warn("sink delivery failed", "sink", r.name, "err", err, "retry_in", backoff)
		r.qs.metrics.sinkErrors.WithLabelValues(r.name).Inc()
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// delivered1 records the delivery of b and deletes its outbox entries
// (not synced: a crash re-delivers it).
func (r *sinkRunner) delivered1(b exec.OutboxBatch) error {
	if !testingKeepOutbox.Load() {
		if err := r.qs.eng.deleteOutbox(r.id, b.ID); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.delivered, r.err = b.ID, nil
	r.batches++
	r.rows += int64(b.Changes.N)
	r.mu.Unlock()
	r.qs.metrics.sinkBatches.WithLabelValues(r.name).Inc()
	r.qs.metrics.sinkRows.WithLabelValues(r.name).Add(float64(b.Changes.N))
	return nil
}

// stop ends the loop, then (graceful stop) delivers what is committed
// until ctx ends, and closes the connector.
func (r *sinkRunner) stop(cancel context.CancelFunc, drain context.Context) {
	cancel()
	<-r.done
	if drain != nil && !r.isPaused() {
		r.deliverPending(drain)
	}
	if err := r.conn.Close(); err != nil {
		r.qs.log.Warn("closing sink", "sink", r.name, "err", err)
	}
}

// status returns the delivery error ("" when none) and the pending
// (committed, undelivered) batch count.
func (r *sinkRunner) status() (errText string, delivered uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		errText = "delivery: " + r.err.Error()
	}
	return errText, r.delivered
}

// outboxReadBatches bounds the batches one outbox read returns.
const outboxReadBatches = 16

// readOutbox reads the staged batches of sink after batch id after,
// unless the store is closed.
func (e *Engine) readOutbox(sink uint64, ts []types.T, after uint64) ([]exec.OutboxBatch, error) {
	e.storeMu.RLock()
	defer e.storeMu.RUnlock()
	if e.storeClosed {
		return nil, pgerror.New(pgerror.CodeAdminShutdown, "the store is closed")
	}
	return exec.ReadOutbox(e.store, sink, ts, after, outboxReadBatches)
}

func (e *Engine) deleteOutbox(sink, batch uint64) error {
	e.storeMu.RLock()
	defer e.storeMu.RUnlock()
	if e.storeClosed {
		return pgerror.New(pgerror.CodeAdminShutdown, "the store is closed")
	}
	return e.store.DeletePrefix(state.OutboxBatchPrefix(sink, batch), false)
}

// startSink opens a sink's connector and starts its delivery loop.
func (qs *queries) startSink(q *query, o *catalog.Object, key []int) error {
	ctx, cancel := context.WithTimeout(context.Background(), sourceCallTimeout)
	defer cancel()
	conn, err := connectors.OpenSink(ctx, sinkSpec(o.Name, o.Columns, key, o.Options))
	if err != nil {
		return asOptionError(fmt.Sprintf("sink %q", o.Name), err)
	}
	r := newSinkRunner(qs, o, conn)
	rctx, rcancel := context.WithCancel(qs.ctx)
	q.sink, q.sinkStop = r, rcancel
	go r.run(rctx)
	r.Poke() // deliver what an earlier run left in the outbox
	return nil
}

// sinkMetrics are the delivery series of sinks.
func newSinkMetrics() (batches, rows, errs *prometheus.CounterVec) {
	batches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weir_sink_delivered_batches_total",
		Help: "Batches a sink delivered to its connector."}, []string{"sink"})
	rows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weir_sink_delivered_rows_total",
		Help: "Change rows a sink delivered to its connector."}, []string{"sink"})
	errs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weir_sink_delivery_errors_total",
		Help: "Failed delivery attempts of a sink (each is retried)."}, []string{"sink"})
	return
}
