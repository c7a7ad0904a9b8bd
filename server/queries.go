package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// This file runs the continuous queries of materialized views
// (docs/streaming.md, "Engine integration"): one exec.Driver per MV,
// started at CREATE and at start-up (recovery, with the upgrade check),
// poked by table appends and upstream commits, waited for by FLUSH,
// paused, rebuilt and dropped by DDL, and observed through weir_catalog
// (catalog.Runtime) and Prometheus.

// Status of a query that has no driver.
const statusNeedsRebuild = "needs_rebuild"

// maxBatchHistory is how many recent batches weir_catalog.batches keeps
// per query.
const maxBatchHistory = 1000

// Option keys of a materialized view's WITH (...) clause.
const (
	optTriggerInterval = "trigger_interval"
	optMaxRows         = "max_rows_per_batch"
	// optPaused is set by ALTER ... PAUSE, so that a restart keeps the
	// query paused.
	optPaused = "paused"
	// optEmitOnClose records EMIT ON WINDOW CLOSE (the statement's suffix,
	// not a WITH option: users cannot set or change it).
	optEmitOnClose = "emit_on_window_close"
)

// checkUserQueryOptions refuses the options only weir sets.
func checkUserQueryOptions(opts map[string]string) error {
	if _, ok := opts[optEmitOnClose]; ok {
		return pgerror.New(pgerror.CodeInvalidParameterValue, "parameter %q cannot be set", optEmitOnClose).
			WithHint("Write EMIT ON WINDOW CLOSE after the query; it cannot change after CREATE.")
	}
	return nil
}

// queries is the engine's registry of continuous queries.
type queries struct {
	eng     *Engine
	log     *slog.Logger
	metrics *queryMetrics

	ctx    context.Context // cancelled by close: every driver stops
	cancel context.CancelFunc

	mu     sync.Mutex
	byID   map[uint64]*query // guarded by mu; by MV object id
	closed bool              // guarded by mu

	recovered atomic.Bool
}

// query is one continuous query (an MV's).
type query struct {
	id      uint64 // the MV's object id (also the query id of its state)
	name    string
	inputs  []uint64 // object ids of the relations it reads, in plan order
	srcName []string // their names
	sources []exec.LogSource
	driver  *exec.Driver // nil when needs_rebuild
	reason  string       // why it needs a rebuild
	stop    context.CancelFunc
	done    chan struct{} // closed when the driver's Run returned
	// sink is the delivery loop of a sink's query (nil for an MV);
	// sinkStop ends it.
	sink     *sinkRunner
	sinkStop context.CancelFunc

	mu      sync.Mutex
	batches []catalog.BatchInfo // guarded by mu; ring of recent batches
	late    []catalog.LateRow   // guarded by mu; the most recent late rows
	lastWM  int64               // guarded by mu; watermark of the last batch reported
}

// maxLateRows is how many recent late rows weir_catalog.late_rows keeps
// per query.
const maxLateRows = 1000

func newQueries(e *Engine) *queries {
	ctx, cancel := context.WithCancel(context.Background())
	return &queries{eng: e, log: e.log, metrics: newQueryMetrics(), ctx: ctx, cancel: cancel, byID: map[uint64]*query{}}
}

// topoOrder sorts MVs so that every MV comes after the MVs it reads.
func topoOrder(cat *catalog.Catalog, mvs []*catalog.Object) []*catalog.Object {
	byOID := map[uint32]*catalog.Object{}
	for _, o := range mvs {
		byOID[o.OID] = o
	}
	var out []*catalog.Object
	seen := map[uint64]bool{}
	var visit func(o *catalog.Object)
	visit = func(o *catalog.Object) {
		if seen[o.ID] {
			return
		}
		seen[o.ID] = true
		for _, dep := range o.DependsOn {
			if d, ok := byOID[dep]; ok {
				visit(d)
			}
		}
		out = append(out, o)
	}
	slices.SortFunc(mvs, func(a, b *catalog.Object) int { return int(a.OID) - int(b.OID) })
	for _, o := range mvs {
		visit(o)
	}
	return out
}

// recover starts the query of every MV and sink in dependency order. A
// query whose plan or state versions changed since its state was written
// is marked needs_rebuild with the reason, and its rows stay readable but
// frozen.
func (qs *queries) recover() error {
	objs := append(qs.eng.cat.List(catalog.KindMatView), qs.eng.cat.List(catalog.KindSink)...)
	for _, o := range topoOrder(qs.eng.cat, objs) {
		if err := qs.start(o, false); err != nil {
			return fmt.Errorf("recover %s %s: %w", catalog.KindName(o.Kind), o.Name, err)
		}
	}
	qs.recovered.Store(true)
	return nil
}

// streamPlanOf binds an MV's query and makes its streaming plan.
func (qs *queries) streamPlanOf(o *catalog.Object) (*planner.StreamPlan, error) {
	src, err := parseView(o.Query)
	if err != nil {
		return nil, err
	}
	b, err := binder.Bind(&resolver{cat: qs.eng.cat, eng: qs.eng}, src, nil, binder.Options{Parse: parseView})
	if err != nil {
		return nil, err
	}
	return planner.StreamifyWith(b.Plan, streamOptions(o.Options))
}

// streamOptions reads the streaming options of a stored definition.
func streamOptions(opts map[string]string) planner.StreamOptions {
	return planner.StreamOptions{EmitOnClose: opts[optEmitOnClose] == "true"}
}

// start creates and runs o's query. fresh means the query was just created
// (or rebuilt) and its plan info is to be recorded; otherwise the recorded
// fingerprint and state versions must match the current plan.
func (qs *queries) start(o *catalog.Object, fresh bool) error {
	q := &query{id: o.ID, name: o.Name, done: make(chan struct{})}
	close(q.done) // no driver yet
	p, err := qs.streamPlanOf(o)
	var sinkKey []int
	if err == nil && o.Kind == catalog.KindSink {
		sinkKey, err = qs.sinkPlan(o, p)
	}
	if err == nil && o.Kind == catalog.KindMatView {
		// Lookup joins read the MV by its stream key (catalog.MatViewRelation.Lookup).
		qs.eng.cat.SetStreamKey(o.ID, p.Key)
	}
	switch {
	case err != nil && fresh:
		return err
	case err != nil:
		q.reason = "its query no longer plans: " + err.Error()
	case fresh || o.PlanFingerprint == "":
		// A definition recorded without plan info (a crash between
		// CREATE's two catalog writes) has never committed a batch.
		if o, err = qs.eng.cat.SetPlanInfo(o.ID, p.Fingerprint, p.StateVersions); err != nil {
			return err
		}
	case !maps.Equal(o.StateVersions, p.StateVersions):
		q.reason = "operator state format changed: " + planner.StateVersionsDiff(o.StateVersions, p.StateVersions)
	case o.PlanFingerprint != p.Fingerprint:
		q.reason = "the query's plan changed since its state was written (this weir plans it differently)"
	}
	if q.reason != "" {
		qs.log.Warn("materialized view needs a rebuild", "mv", o.Name, "reason", q.reason)
		qs.put(q)
		return nil
	}
	var wms []*exec.WatermarkSpec
	var srcMax []uint64
	var atEnd []bool
	for _, rel := range p.Inputs {
		src, err := qs.sourceFor(rel)
		if err != nil {
			return err
		}
		q.inputs = append(q.inputs, src.ID())
		q.srcName = append(q.srcName, rel.Name())
		q.sources = append(q.sources, src)
		wm, err := watermarkSpec(qs.eng.cat.ByOID(rel.OID()), rel)
		if err != nil {
			return err
		}
		wms = append(wms, wm)
		var so sourceOptions
		if so2 := qs.eng.cat.ByOID(rel.OID()); so2 != nil && so2.Kind == catalog.KindSource {
			if so, err = parseSourceOptions(so2.Options); err != nil {
				return err
			}
		}
		srcMax, atEnd = append(srcMax, so.maxRows), append(atEnd, so.latest)
	}
	qopts := o.Options
	if o.Kind == catalog.KindSink {
		qopts = sinkQueryOptions(o.Options)
	}
	interval, maxRows, err := parseQueryOptions(qopts, qs.eng.cfg.TriggerInterval)
	if err != nil {
		return err
	}
	cfg := exec.DriverConfig{
		QueryID: o.ID, MVID: o.ID, Name: o.Name, Plan: p, Store: qs.eng.store, Sources: q.sources, Watermarks: wms,
		TriggerInterval: interval, MaxRowsPerBatch: maxRows, SourceMaxRows: srcMax, StartAtEnd: atEnd, Paused: o.Options[optPaused] == "true",
		OnBatch: func(s exec.BatchStats) { qs.onBatch(q, s) },
		Logger:  qs.log,
	}
	if o.Kind == catalog.KindSink {
		typ, err := sinkTypeOf(o.Options, sinkKey)
		if err != nil {
			return err
		}
		ts := planner.Types(p.Root.Schema())
		cfg.Output = func(uint64) (exec.Output, error) { return exec.NewOutboxSink(o.ID, ts, sinkKey, typ) }
	}
	d, err := exec.NewDriver(cfg)
	if err != nil {
		if fresh {
			return err
		}
		// State that does not load (damaged, or written in a form this
		// weir rejects) is never guessed at, and it must not keep the
		// server from starting: the query waits for a rebuild.
		q.reason = "its state cannot be loaded: " + err.Error()
		q.inputs, q.srcName, q.sources = nil, nil, nil
		qs.log.Warn("materialized view needs a rebuild", "mv", o.Name, "reason", q.reason)
		qs.put(q)
		return nil
	}
	q.driver = d
	if o.Kind == catalog.KindSink {
		if err := qs.startSink(q, o, sinkKey); err != nil {
			if fresh {
				return err
			}
			// An external system that refuses the connection now must not
			// keep the server from starting: the sink shows the error.
			q.reason = "its connector does not open: " + err.Error()
			q.driver, q.inputs, q.srcName, q.sources = nil, nil, nil, nil
			qs.log.Warn("sink cannot start", "sink", o.Name, "reason", q.reason)
			qs.put(q)
			return nil
		}
	}
	ctx, cancel := context.WithCancel(qs.ctx)
	q.stop = cancel
	q.done = make(chan struct{})
	qs.put(q)
	go func() {
		defer close(q.done)
		_ = d.Run(ctx)
	}()
	if readsConnector(q.sources) {
		go pollSources(ctx, q.sources, d, interval)
	}
	d.Poke()
	return nil
}

// readsConnector reports whether a query reads a source connector.
func readsConnector(srcs []exec.LogSource) bool {
	for _, s := range srcs {
		if _, ok := s.(*connectorLog); ok {
			return true
		}
	}
	return false
}

// pollSources looks at the connector sources of d's query every interval
// until ctx ends, and pokes d when one has rows d has not committed, or
// cannot tell (a broker down: the batch then fails and shows why). An idle
// driver plans again only when poked; tables poke on append, but an
// external source (a Kafka topic, a rate-limited generator) grows without
// telling weir. Poking only when there is input keeps the scheduling delay
// of a batch measured from when its input was seen.
func pollSources(ctx context.Context, srcs []exec.LogSource, d *exec.Driver, interval time.Duration) {
	t := time.NewTicker(max(interval, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if connectorsBehind(srcs, d.Status()) {
				d.Poke()
			}
		case <-ctx.Done():
			return
		}
	}
}

// connectorsBehind reports whether a connector source has a partition
// whose end is past st's committed offset, or fails to say.
func connectorsBehind(srcs []exec.LogSource, st exec.QueryStatus) bool {
	for i, src := range srcs {
		if _, ok := src.(*connectorLog); !ok {
			continue
		}
		ends, err := sourceEnds(src)
		if err != nil {
			return true
		}
		for p, end := range ends {
			var c uint64
			if i < len(st.Committed) && p < len(st.Committed[i]) {
				c = st.Committed[i][p]
			}
			if end > c {
				return true
			}
		}
	}
	return false
}

func (qs *queries) put(q *query) {
	qs.mu.Lock()
	qs.byID[q.id] = q
	qs.mu.Unlock()
}

func (qs *queries) get(id uint64) *query {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	return qs.byID[id]
}

// list returns the queries in dependency order.
func (qs *queries) list() []*query {
	qs.mu.Lock()
	byID := maps.Clone(qs.byID)
	qs.mu.Unlock()
	var objs []*catalog.Object
	for id := range byID {
		if o := qs.eng.cat.ByID(id); o != nil {
			objs = append(objs, o)
		}
	}
	var out []*query
	for _, o := range topoOrder(qs.eng.cat, objs) {
		out = append(out, byID[o.ID])
	}
	return out
}

// sourceFor returns the log a plan input reads.
func (qs *queries) sourceFor(rel planner.Relation) (exec.LogSource, error) {
	o := qs.eng.cat.ByOID(rel.OID())
	if o == nil {
		return nil, pgerror.New(pgerror.CodeUndefinedTable, "relation %q does not exist", rel.Name())
	}
	switch r := qs.eng.cat.Relation(o).(type) {
	case *catalog.TableRelation:
		return &tableSource{id: o.ID, rel: r, log: qs.eng.store.TableLog()}, nil
	case *catalog.MatViewRelation:
		return &changelogSource{id: o.ID, obj: o, qs: qs}, nil
	}
	if o.Kind == catalog.KindSource {
		src, err := qs.eng.sources.get(o)
		if err != nil {
			return nil, err
		}
		return &connectorLog{id: o.ID, src: src}, nil
	}
	return nil, pgerror.NotSupported("reading %s %q in a continuous query", catalog.KindName(o.Kind), o.Name)
}

// watermarkSpec resolves a table's WATERMARK FOR declaration to the
// column index of the rows its log yields; nil when it declares none.
func watermarkSpec(o *catalog.Object, rel planner.Relation) (*exec.WatermarkSpec, error) {
	if o == nil || o.Watermark == nil || o.Kind == catalog.KindMatView {
		return nil, nil
	}
	for i, c := range rel.Columns() {
		if c.Name != o.Watermark.Column {
			continue
		}
		if c.T.ID != types.Timestamp && c.T.ID != types.TimestampTZ {
			return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "watermark column %q of %q must be timestamp or timestamptz, not %s",
				c.Name, o.Name, c.T)
		}
		return &exec.WatermarkSpec{Column: i, Delay: o.Watermark.Delay.Microseconds()}, nil
	}
	return nil, pgerror.New(pgerror.CodeUndefinedColumn, "watermark column %q of %q does not exist", o.Watermark.Column, o.Name)
}

// tableSource is a table's log. For a table with a primary key the reader
// (catalog.TableRelation.ScanRange) yields the log's ops, so upserts,
// UPDATE and DELETE reach the query as retractions.
type tableSource struct {
	id  uint64
	rel *catalog.TableRelation
	log *state.TableLog
}

func (s *tableSource) ID() uint64 { return s.id }

// Watermark implements exec.LogSource: a table's event time is tracked
// from its rows (DriverConfig.Watermarks).
func (s *tableSource) Watermark() (int64, bool) { return 0, false }
func (s *tableSource) Partitions() (int, error) { return 1, nil }
func (s *tableSource) Dense() bool              { return true }
func (s *tableSource) End(int) (uint64, error)  { return s.log.End(s.id) }
func (s *tableSource) Read(_ int, from, to uint64) (planner.ChunkReader, error) {
	return s.rel.ScanRange(from, to)
}

// changelogSource is an upstream MV's changelog, readable up to what its
// driver has committed.
type changelogSource struct {
	id  uint64
	obj *catalog.Object
	qs  *queries
}

func (s *changelogSource) ID() uint64 { return s.id }

// Watermark implements exec.LogSource: the upstream MV's committed
// watermark, when its query has event time and is running.
func (s *changelogSource) Watermark() (int64, bool) {
	if q := s.qs.get(s.id); q != nil && q.driver != nil {
		return q.driver.Watermark()
	}
	return 0, false
}
func (s *changelogSource) Partitions() (int, error) { return 1, nil }
func (s *changelogSource) Dense() bool              { return true }
func (s *changelogSource) End(int) (uint64, error) {
	if q := s.qs.get(s.id); q != nil && q.driver != nil {
		return q.driver.ChangelogEnd(), nil
	}
	// No driver (needs_rebuild): the stored changelog is all there is.
	return state.ChangelogEnd(s.qs.eng.store, s.id)
}
func (s *changelogSource) Read(_ int, from, to uint64) (planner.ChunkReader, error) {
	return state.NewChangelogReader(s.qs.eng.store, s.id, s.obj.ColumnTypes(), from, to)
}

// onBatch records a committed batch and pokes the queries that read the
// MV.
func (qs *queries) onBatch(q *query, s exec.BatchStats) {
	if q.sink != nil && s.OutputRows > 0 {
		q.sink.Poke()
	}
	var in int64
	for i, n := range s.InputRows {
		in += n
		qs.metrics.inputRows.WithLabelValues(q.name, q.srcName[i]).Add(float64(n))
	}
	qs.metrics.outputRows.WithLabelValues(q.name).Add(float64(s.OutputRows))
	qs.metrics.duration.WithLabelValues(q.name).Observe(s.Duration.Seconds())
	qs.metrics.schedDelay.WithLabelValues(q.name).Observe(s.SchedulingDelay.Seconds())
	qs.metrics.totalDelay.WithLabelValues(q.name).Observe(s.TotalDelay.Seconds())
	var lateN int64
	for i, n := range s.LateRows {
		lateN += n
		if n > 0 {
			qs.metrics.lateRows.WithLabelValues(q.name, q.srcName[i]).Add(float64(n))
		}
	}
	arrived := s.StartedAt.Add(s.Duration)
	q.mu.Lock()
	if len(q.batches) >= maxBatchHistory {
		q.batches = slices.Delete(q.batches, 0, len(q.batches)-maxBatchHistory+1)
	}
	q.batches = append(q.batches, catalog.BatchInfo{Query: q.name, BatchID: int64(s.BatchID), StartedAt: s.StartedAt,
		DurationMs: ms(s.Duration), InputRows: in, OutputRows: s.OutputRows, Watermark: wmTime(s.Watermark), LateRows: lateN})
	late := s.Late
	if len(late) > maxLateRows {
		late = late[len(late)-maxLateRows:]
	}
	if over := len(q.late) + len(late) - maxLateRows; over > 0 {
		q.late = slices.Delete(q.late, 0, over)
	}
	for _, l := range late {
		q.late = append(q.late, catalog.LateRow{Query: q.name, Source: q.srcName[l.Input], EventTime: wmTime(l.EventTime),
			Watermark: wmTime(l.Watermark), Row: l.Row, ArrivedAt: arrived})
	}
	q.mu.Unlock()
	if s.OutputRows == 0 && !qs.watermarkMoved(q, s) {
		return
	}
	qs.mu.Lock()
	var down []*query
	for _, d := range qs.byID {
		if slices.Contains(d.inputs, q.id) {
			down = append(down, d)
		}
	}
	qs.mu.Unlock()
	for _, d := range down {
		if d.driver != nil {
			d.driver.Poke()
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// watermarkMoved reports whether batch s advanced q's watermark, which
// downstream queries take as their input's watermark even when no row
// changed (so their windows close).
func (qs *queries) watermarkMoved(q *query, s exec.BatchStats) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s.Watermark == exec.NoWatermark || s.Watermark == q.lastWM {
		return false
	}
	q.lastWM = s.Watermark
	return true
}

// wmTime converts event-time microseconds to a time (zero, shown as NULL,
// for NoWatermark).
func wmTime(us int64) time.Time {
	if us == exec.NoWatermark {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// poke tells the queries reading relation id (an object id) that it grew.
func (qs *queries) poke(id uint64) {
	qs.mu.Lock()
	var hit []*query
	for _, q := range qs.byID {
		if slices.Contains(q.inputs, id) {
			hit = append(hit, q)
		}
	}
	qs.mu.Unlock()
	for _, q := range hit {
		if q.driver != nil {
			q.driver.Poke()
		}
	}
}

// flush waits, query by query in dependency order, until each has
// committed its inputs up to their ends as of that moment (after the
// queries it reads have flushed). Paused queries and queries needing a
// rebuild are skipped; a failed one is an error.
func (qs *queries) flush(ctx context.Context) error {
	for _, q := range qs.list() {
		if q.driver == nil {
			continue
		}
		targets := make([][]uint64, len(q.sources))
		for i, src := range q.sources {
			ends, err := sourceEnds(src)
			if err != nil {
				return err
			}
			targets[i] = ends
		}
		err := q.driver.WaitCommitted(ctx, targets)
		switch {
		case errors.Is(err, exec.ErrPaused):
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return pgerror.New(pgerror.CodeQueryCanceled, "canceling statement due to user request")
		case err != nil:
			return pgerror.New(pgerror.CodeObjectNotInPrerequisiteState, "%v", err)
		}
	}
	return nil
}

// stopQuery stops id's driver (its batch in flight is committed) and
// forgets the query.
func (qs *queries) stopQuery(id uint64) *query {
	qs.mu.Lock()
	q := qs.byID[id]
	delete(qs.byID, id)
	qs.mu.Unlock()
	if q == nil {
		return nil
	}
	if q.stop != nil {
		q.stop()
	}
	<-q.done
	if q.sink != nil {
		q.sink.stop(q.sinkStop, nil)
	}
	qs.metrics.forget(q)
	return q
}

// dropped stops the queries of dropped MVs and deletes their state (again:
// the catalog deleted it with the definition, but a batch committed
// before the driver stopped may have recreated keys).
func (qs *queries) dropped(objs []*catalog.Object) error {
	for _, o := range objs {
		if o.Kind != catalog.KindMatView && o.Kind != catalog.KindSink {
			continue
		}
		qs.stopQuery(o.ID)
		if err := state.DropQueryState(qs.eng.store, o.ID, o.ID); err != nil {
			return err
		}
		if o.Kind == catalog.KindSink {
			if err := qs.eng.store.DeletePrefix(state.OutboxPrefix(o.ID), true); err != nil {
				return err
			}
		}
	}
	// Sources are closed once no query reads them any more.
	for _, o := range objs {
		if o.Kind == catalog.KindSource {
			qs.eng.sources.closeSource(o.ID)
		}
	}
	return nil
}

// setPaused pauses or resumes an MV's query and persists the choice.
func (qs *queries) setPaused(o *catalog.Object, paused bool) error {
	opts := maps.Clone(o.Options)
	if opts == nil {
		opts = map[string]string{}
	}
	if paused {
		opts[optPaused] = "true"
	} else {
		delete(opts, optPaused)
	}
	if _, err := qs.eng.cat.SetOptions(o.ID, opts); err != nil {
		return err
	}
	if q := qs.get(o.ID); q != nil && q.driver != nil {
		if paused {
			q.driver.Pause()
		} else {
			q.driver.Resume()
		}
		if q.sink != nil {
			q.sink.setPaused(paused)
		}
	}
	return nil
}

// rebuild recomputes an MV from its inputs with a fresh plan, and with it
// every MV that reads it (their offsets into its changelog are void).
func (qs *queries) rebuild(o *catalog.Object) error {
	var all []*catalog.Object
	seen := map[uint64]bool{}
	var collect func(o *catalog.Object)
	collect = func(o *catalog.Object) {
		if seen[o.ID] {
			return
		}
		seen[o.ID] = true
		all = append(all, o)
		for _, d := range qs.eng.cat.Dependents(o) {
			if d.Kind == catalog.KindMatView {
				collect(d)
			}
		}
	}
	collect(o)
	order := topoOrder(qs.eng.cat, all)
	for i := len(order) - 1; i >= 0; i-- {
		qs.stopQuery(order[i].ID)
		if err := state.DropQueryState(qs.eng.store, order[i].ID, order[i].ID); err != nil {
			return err
		}
	}
	for _, m := range order {
		if err := qs.start(qs.eng.cat.ByID(m.ID), true); err != nil {
			return err
		}
	}
	return nil
}

// restart restarts an MV's driver on its state (after a change of
// options).
func (qs *queries) restart(o *catalog.Object) error {
	q := qs.stopQuery(o.ID)
	if q != nil && q.driver == nil {
		qs.put(q) // still needs a rebuild
		return nil
	}
	return qs.start(qs.eng.cat.ByID(o.ID), false)
}

// close stops every driver (each commits its batch in flight), then
// drains the sinks: each delivers what is committed until ctx ends, and
// closes its connector.
func (qs *queries) close(ctx context.Context) {
	qs.mu.Lock()
	qs.closed = true
	all := slices.Collect(maps.Values(qs.byID))
	qs.mu.Unlock()
	qs.cancel()
	for _, q := range all {
		<-q.done
	}
	var wg sync.WaitGroup
	for _, q := range all {
		if q.sink != nil {
			wg.Go(func() { q.sink.stop(q.sinkStop, ctx) })
		}
	}
	wg.Wait()
}

// parseQueryOptions checks an MV's WITH options and returns the trigger
// interval and batch row bound.
func parseQueryOptions(opts map[string]string, defInterval time.Duration) (time.Duration, uint64, error) {
	interval, maxRows := defInterval, uint64(0)
	for k, v := range opts {
		switch k {
		case optTriggerInterval:
			d, err := parseDuration(v)
			if err != nil {
				return 0, 0, err
			}
			interval = d
		case optMaxRows:
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil || n == 0 {
				return 0, 0, pgerror.New(pgerror.CodeInvalidParameterValue,
					"invalid value for parameter %q: %q", k, v).WithHint("Use a positive integer.")
			}
			maxRows = n
		case optPaused, optEmitOnClose:
		default:
			return 0, 0, pgerror.New(pgerror.CodeInvalidParameterValue, "unrecognized parameter %q", k).
				WithHint("Materialized views take trigger_interval and max_rows_per_batch.")
		}
	}
	return interval, maxRows, nil
}

// parseDuration reads '500ms', '2s', '1m' or '2 seconds'.
func parseDuration(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	if f := strings.Fields(s); len(f) == 2 {
		n, err := strconv.ParseFloat(f[0], 64)
		unit := map[string]time.Duration{"ms": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
			"s": time.Second, "second": time.Second, "seconds": time.Second, "min": time.Minute, "minute": time.Minute,
			"minutes": time.Minute, "h": time.Hour, "hour": time.Hour, "hours": time.Hour}[strings.ToLower(f[1])]
		if err == nil && unit > 0 && n >= 0 {
			return time.Duration(n * float64(unit)), nil
		}
	}
	return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "invalid value for parameter %q: %q", optTriggerInterval, v).
		WithHint("Use a duration such as '500ms' or '2s'.")
}

// Runtime rows (catalog.Runtime).

var _ catalog.Runtime = (*queries)(nil)

func (qs *queries) lag(q *query, st exec.QueryStatus) (ends [][]uint64, lag int64) {
	ends = make([][]uint64, len(q.sources))
	for i, src := range q.sources {
		e, err := sourceEnds(src)
		if err != nil {
			continue
		}
		ends[i] = e
		for p, end := range e {
			var c uint64
			if i < len(st.Committed) && p < len(st.Committed[i]) {
				c = st.Committed[i][p]
			}
			if end > c {
				lag += int64(end - c)
			}
		}
	}
	return ends, lag
}

// sourceEnds returns the end of every partition of src now.
func sourceEnds(src exec.LogSource) ([]uint64, error) {
	n, err := src.Partitions()
	if err != nil {
		return nil, err
	}
	ends := make([]uint64, n)
	for p := range ends {
		if ends[p], err = src.End(p); err != nil {
			return nil, err
		}
	}
	return ends, nil
}

// partitionProgress is one partition's committed offset, end and lag.
type partitionProgress struct {
	partition      int
	committed, end uint64
	lag            int64
}

// progress lists source i's partitions: those committed and those the
// source has now.
func progress(st exec.QueryStatus, ends [][]uint64, i int) []partitionProgress {
	var committed, end []uint64
	if i < len(st.Committed) {
		committed = st.Committed[i]
	}
	if i < len(ends) {
		end = ends[i]
	}
	out := make([]partitionProgress, max(len(committed), len(end)))
	for p := range out {
		out[p].partition = p
		if p < len(committed) {
			out[p].committed = committed[p]
		}
		if p < len(end) {
			out[p].end = end[p]
		}
		out[p].lag = max(int64(out[p].end)-int64(out[p].committed), 0)
	}
	return out
}

// stateSizeBudget bounds the keys counted exactly per prefix when sizing a
// query's state (weir_state_bytes, weir_catalog.queries.state_bytes).
const stateSizeBudget = 100_000

// stateBytes sizes a query's state: operator state, MV rows and changelog.
func (qs *queries) stateBytes(id uint64) int64 {
	var n uint64
	for _, p := range [][]byte{state.QueryPrefix(id), state.MVPrefix(id), state.ChangelogPrefix(id)} {
		if s, err := qs.eng.store.LogicalSize(p, stateSizeBudget); err == nil {
			n += s
		}
	}
	return int64(n)
}

// outboxBytes sizes a sink's undelivered outbox.
func (qs *queries) outboxBytes(id uint64) int64 {
	n, err := qs.eng.store.LogicalSize(state.OutboxPrefix(id), stateSizeBudget)
	if err != nil {
		return 0
	}
	return int64(n)
}

// Queries implements catalog.Runtime.
func (qs *queries) Queries() []catalog.QueryStatus {
	var out []catalog.QueryStatus
	for _, q := range qs.list() {
		out = append(out, qs.status(q))
	}
	slices.SortFunc(out, func(a, b catalog.QueryStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (qs *queries) status(q *query) catalog.QueryStatus {
	s := catalog.QueryStatus{Name: q.name, Kind: "mv", StateBytes: qs.stateBytes(q.id)}
	if o := qs.eng.cat.ByID(q.id); o != nil && o.Kind == catalog.KindSink {
		s.Kind = "sink"
		s.StateBytes += qs.outboxBytes(q.id)
	}
	if q.driver == nil {
		s.Status, s.Error = statusNeedsRebuild, q.reason
		return s
	}
	st := q.driver.Status()
	s.Status, s.Error, s.BatchID = st.Status, st.Err, int64(st.BatchID)
	if q.sink != nil && st.Status == exec.StatusRunning {
		// A sink whose delivery fails is failed too (its query keeps
		// committing into the outbox meanwhile).
		if e, _ := q.sink.status(); e != "" {
			s.Status, s.Error = exec.StatusFailed, e
		}
	}
	s.Watermark = wmTime(st.Watermark)
	_, s.LagRows = qs.lag(q, st)
	if l := st.Last; l != nil {
		s.LastBatchAt = l.StartedAt.Add(l.Duration)
		s.ProcessingMs = ms(l.Duration)
		s.SchedulingDelayMs = ms(l.SchedulingDelay)
		var in int64
		for _, n := range l.InputRows {
			in += n
		}
		if l.Duration > 0 {
			s.InputRowsPerSec = float64(in) / l.Duration.Seconds()
		}
	}
	return s
}

// Batches implements catalog.Runtime.
func (qs *queries) Batches() []catalog.BatchInfo {
	var out []catalog.BatchInfo
	for _, q := range qs.list() {
		q.mu.Lock()
		out = append(out, q.batches...)
		q.mu.Unlock()
	}
	return out
}

// SourceProgress implements catalog.Runtime.
func (qs *queries) SourceProgress() []catalog.SourceProgress {
	var out []catalog.SourceProgress
	for _, q := range qs.list() {
		if q.driver == nil {
			continue
		}
		st := q.driver.Status()
		ends, _ := qs.lag(q, st)
		for i := range q.sources {
			for _, pp := range progress(st, ends, i) {
				out = append(out, catalog.SourceProgress{Query: q.name, Source: q.srcName[i], Partition: int32(pp.partition),
					CommittedOffset: int64(pp.committed), EndOffset: int64(pp.end), Lag: pp.lag})
			}
		}
	}
	return out
}

// LateRows implements catalog.Runtime: per query, the most recent late
// rows (at most maxLateRows), oldest first.
func (qs *queries) LateRows() []catalog.LateRow {
	var out []catalog.LateRow
	for _, q := range qs.list() {
		q.mu.Lock()
		out = append(out, q.late...)
		q.mu.Unlock()
	}
	return out
}

// Errors implements catalog.Runtime: the sources' recent bad records and
// the failed queries' errors.
func (qs *queries) Errors() []catalog.ErrorRecord {
	out := qs.eng.sources.badRecords()
	for _, q := range qs.list() {
		if q.driver == nil {
			continue
		}
		if st := q.driver.Status(); st.Err != "" {
			out = append(out, catalog.ErrorRecord{At: time.Now(), Object: q.name, Kind: "query_error", Message: st.Err})
		}
	}
	return out
}

// queryMetrics are the per-query series of SPEC.md.
type queryMetrics struct {
	duration   *prometheus.HistogramVec
	schedDelay *prometheus.HistogramVec
	totalDelay *prometheus.HistogramVec
	inputRows  *prometheus.CounterVec
	outputRows *prometheus.CounterVec
	lateRows   *prometheus.CounterVec
	// Sinks' delivery (sinks.go).
	sinkBatches, sinkRows, sinkErrors *prometheus.CounterVec
}

func newQueryMetrics() *queryMetrics {
	buckets := prometheus.ExponentialBuckets(0.0005, 2, 16)
	sb, sr, se := newSinkMetrics()
	return &queryMetrics{sinkBatches: sb, sinkRows: sr, sinkErrors: se,
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weir_batch_duration_seconds",
			Help: "Processing time of a continuous query's batches (read, operators, synced commit).", Buckets: buckets}, []string{"query"}),
		schedDelay: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weir_batch_scheduling_delay_seconds",
			Help: "Time a batch waited between becoming due and starting.", Buckets: buckets}, []string{"query"}),
		totalDelay: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "weir_batch_total_delay_seconds",
			Help: "Scheduling delay plus processing time of a batch.", Buckets: buckets}, []string{"query"}),
		inputRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weir_input_rows_total",
			Help: "Rows a continuous query read, by source."}, []string{"query", "source"}),
		outputRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weir_output_rows_total",
			Help: "Changes a continuous query wrote to its materialized view."}, []string{"query"}),
		lateRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weir_late_rows_total",
			Help: "Rows a continuous query dropped as late (event time below its watermark), by source."}, []string{"query", "source"}),
	}
}

func (m *queryMetrics) forget(q *query) {
	m.duration.DeleteLabelValues(q.name)
	m.schedDelay.DeleteLabelValues(q.name)
	m.totalDelay.DeleteLabelValues(q.name)
	m.outputRows.DeleteLabelValues(q.name)
	m.inputRows.DeletePartialMatch(prometheus.Labels{"query": q.name})
	m.lateRows.DeletePartialMatch(prometheus.Labels{"query": q.name})
	m.sinkBatches.DeleteLabelValues(q.name)
	m.sinkRows.DeleteLabelValues(q.name)
	m.sinkErrors.DeleteLabelValues(q.name)
}

var (
	descLag = prometheus.NewDesc("weir_source_lag_rows", "Rows of a source partition a continuous query has not committed yet.",
		[]string{"query", "source", "partition"}, nil)
	descStateBytes = prometheus.NewDesc("weir_state_bytes", "Bytes on disk of a continuous query's state, MV rows and changelog.",
		[]string{"query"}, nil)
	descStatus = prometheus.NewDesc("weir_query_status", "1 for a continuous query's current status, 0 for the others.",
		[]string{"query", "status"}, nil)
	descWatermarkLag = prometheus.NewDesc("weir_watermark_lag_seconds",
		"Wall-clock time minus a continuous query's watermark, for queries with one.", []string{"query"}, nil)
)

// collector computes the gauges at scrape time.
type collector struct{ qs *queries }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLag
	ch <- descStateBytes
	ch <- descStatus
	ch <- descWatermarkLag
}

// A scrape after the engine closed its store (during shutdown: HTTP stops
// last) reports no query series rather than reading a closed store.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	e := c.qs.eng
	e.storeMu.RLock()
	defer e.storeMu.RUnlock()
	if e.storeClosed {
		return
	}
	for _, q := range c.qs.list() {
		s := c.qs.status(q)
		for _, st := range []string{exec.StatusRunning, exec.StatusPaused, exec.StatusFailed, statusNeedsRebuild} {
			v := 0.0
			if st == s.Status {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descStatus, prometheus.GaugeValue, v, q.name, st)
		}
		ch <- prometheus.MustNewConstMetric(descStateBytes, prometheus.GaugeValue, float64(s.StateBytes), q.name)
		if q.driver == nil {
			continue
		}
		st := q.driver.Status()
		if st.Watermark != exec.NoWatermark {
			lag := time.Since(time.UnixMicro(st.Watermark)).Seconds()
			ch <- prometheus.MustNewConstMetric(descWatermarkLag, prometheus.GaugeValue, lag, q.name)
		}
		ends, _ := c.qs.lag(q, st)
		for i := range q.sources {
			for _, pp := range progress(st, ends, i) {
				ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(pp.lag), q.name, q.srcName[i],
					strconv.Itoa(pp.partition))
			}
		}
	}
}

// register adds the query metrics to reg.
func (m *queryMetrics) register(reg prometheus.Registerer, qs *queries) error {
	for _, c := range []prometheus.Collector{m.duration, m.schedDelay, m.totalDelay, m.inputRows, m.outputRows, m.lateRows,
		m.sinkBatches, m.sinkRows, m.sinkErrors, collector{qs}} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
