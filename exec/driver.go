package exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/state"
)

// LogSource is one input of a continuous query: a durable log with dense
// offsets from 0 (a table's log or an upstream MV's changelog).
type LogSource interface {
	// ID is the relation's object id (the <source> part of offset keys).
	ID() uint64
	// End returns the durable end now: offsets below it may be read.
	End() (uint64, error)
	// Read returns the rows at offsets [from, to), with Ops (nil Ops are
	// inserts).
	Read(from, to uint64) (planner.ChunkReader, error)
}

// DriverConfig configures a Driver.
type DriverConfig struct {
	// QueryID owns the query's state keys (q/<query>/...); MVID the MV's
	// rows and changelog. An MV's query uses the MV's object id for both.
	QueryID, MVID uint64
	// Name is the query's name, for logs and status.
	Name  string
	Plan  *planner.StreamPlan
	Store *state.Store
	// Sources are the inputs, in Plan.Inputs order.
	Sources []LogSource
	// TriggerInterval is the minimum spacing of batch starts.
	TriggerInterval time.Duration
	// MaxRowsPerBatch bounds each source's range per batch; 0 = unbounded.
	MaxRowsPerBatch uint64
	// Paused starts the driver paused.
	Paused bool
	// OnBatch is called after each commit (on the driver's goroutine; it
	// must not block for long).
	OnBatch func(BatchStats)
	// OnFailure is called when a batch fails, with the error.
	OnFailure func(error)
	Logger    *slog.Logger
}

// BatchStats describes one committed batch.
type BatchStats struct {
	BatchID   uint64
	StartedAt time.Time
	// Duration is the processing time: reading, operators and commit.
	Duration time.Duration
	// CommitDuration is the time of the synced commit alone.
	CommitDuration time.Duration
	// SchedulingDelay is the time between the batch becoming due (the
	// first poke after the previous batch, or the previous batch's end
	// when the query was catching up) and its start.
	SchedulingDelay time.Duration
	// TotalDelay is SchedulingDelay + Duration.
	TotalDelay time.Duration
	// Ranges are the offsets read per source: [From, To).
	Ranges []Range
	// InputRows per source, OutputRows the changelog records written.
	InputRows  []int64
	OutputRows int64
	// Replay marks a batch replayed from planned ranges after a crash.
	Replay bool
}

// Range is a planned range of one source.
type Range struct {
	Source   uint64
	From, To uint64
}

// Query states.
const (
	StatusRunning = "running"
	StatusPaused  = "paused"
	StatusFailed  = "failed"
)

// QueryStatus is a snapshot of a driver's state.
type QueryStatus struct {
	Status string
	Err    string // the last failure, while Status is failed
	// BatchID is the id of the last committed batch (0: none yet).
	BatchID      uint64
	Committed    []uint64 // per source, the committed offset
	ChangelogEnd uint64
	Last         *BatchStats // the last committed batch; nil before one
	Failures     int64       // batches failed since start
}

// ErrPaused is returned by WaitCommitted for a paused query.
var ErrPaused = errors.New("continuous query is paused")

// Driver runs one continuous query: a loop of batches, each read from
// planned ranges of its sources, pushed through the operators and
// committed in one synced Pebble batch (docs/streaming.md). All methods
// are safe for concurrent use; Run is called once.
type Driver struct {
	cfg DriverConfig
	log *slog.Logger

	poke   chan struct{} // buffered 1: an input may have grown
	flush  chan struct{} // buffered 1: a waiter wants the next batch now
	resume chan struct{} // buffered 1: Pause/Resume changed

	// Guarded by mu.
	mu           sync.Mutex
	paused       bool
	failed       error
	failures     int64
	batchID      uint64
	committed    []uint64
	changelogEnd uint64
	planned      []Range // ranges of an interrupted batch to replay
	last         *BatchStats
	changed      chan struct{} // closed and replaced on every commit or status change
	pokedAt      time.Time     // first poke since the last batch started

	// Owned by the Run goroutine.
	graph *StreamGraph
	sink  *MVSink
}

// NewDriver loads the query's committed meta, offsets and operator state.
func NewDriver(cfg DriverConfig) (*Driver, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.Sources) != len(cfg.Plan.Inputs) {
		return nil, pgerror.New(pgerror.CodeInternalError, "exec: %d sources for %d plan inputs", len(cfg.Sources), len(cfg.Plan.Inputs))
	}
	d := &Driver{cfg: cfg, log: cfg.Logger.With("query", cfg.Name), poke: make(chan struct{}, 1),
		resume: make(chan struct{}, 1), flush: make(chan struct{}, 1), changed: make(chan struct{}), paused: cfg.Paused}
	if err := d.load(); err != nil {
		return nil, err
	}
	return d, nil
}

// queryMeta is q/<query>/meta.
type queryMeta struct {
	batchID      uint64
	changelogEnd uint64
	plannedBatch uint64 // 0: none
	planned      []Range
}

// Meta value, after the state.KindQueryMeta header: uvarints batch id,
// changelog end, planned batch id (0: none), number of planned ranges,
// then per range source id, from, to.
func encodeMeta(m queryMeta) []byte {
	v := state.AppendHeader(nil, state.KindQueryMeta)
	v = binary.AppendUvarint(v, m.batchID)
	v = binary.AppendUvarint(v, m.changelogEnd)
	v = binary.AppendUvarint(v, m.plannedBatch)
	v = binary.AppendUvarint(v, uint64(len(m.planned)))
	for _, r := range m.planned {
		v = binary.AppendUvarint(v, r.Source)
		v = binary.AppendUvarint(v, r.From)
		v = binary.AppendUvarint(v, r.To)
	}
	return v
}

func decodeMeta(v []byte) (queryMeta, error) {
	var m queryMeta
	p, err := state.ParseHeader(v, state.KindQueryMeta)
	if err != nil {
		return m, err
	}
	next := func() (uint64, error) {
		x, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, pgerror.New(pgerror.CodeDataCorrupted, "continuous query meta is truncated")
		}
		p = p[n:]
		return x, nil
	}
	var f [4]uint64
	for i := range f {
		if f[i], err = next(); err != nil {
			return m, err
		}
	}
	m.batchID, m.changelogEnd, m.plannedBatch = f[0], f[1], f[2]
	for range f[3] {
		var r [3]uint64
		for i := range r {
			if r[i], err = next(); err != nil {
				return m, err
			}
		}
		m.planned = append(m.planned, Range{Source: r[0], From: r[1], To: r[2]})
	}
	return m, nil
}

func encodeOffset(off uint64) []byte {
	return binary.AppendUvarint(state.AppendHeader(nil, state.KindOffset), off)
}

func decodeOffset(v []byte) (uint64, error) {
	p, err := state.ParseHeader(v, state.KindOffset)
	if err != nil {
		return 0, err
	}
	x, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, pgerror.New(pgerror.CodeDataCorrupted, "committed offset is truncated")
	}
	return x, nil
}

// load reads the committed meta and offsets and rebuilds the operators on
// the committed state. Called by NewDriver and after a failed batch.
func (d *Driver) load() error {
	st := d.cfg.Store
	var m queryMeta
	v, ok, err := st.Get(state.QueryMetaKey(d.cfg.QueryID))
	if err != nil {
		return err
	}
	if ok {
		if m, err = decodeMeta(v); err != nil {
			return err
		}
	}
	committed := make([]uint64, len(d.cfg.Sources))
	for i, src := range d.cfg.Sources {
		v, ok, err := st.Get(state.QueryOffsetKey(d.cfg.QueryID, src.ID(), 0))
		if err != nil {
			return err
		}
		if ok {
			if committed[i], err = decodeOffset(v); err != nil {
				return err
			}
		}
	}
	var planned []Range
	if m.plannedBatch == m.batchID+1 && len(m.planned) == len(d.cfg.Sources) {
		planned = m.planned
		for i, r := range planned {
			if r.Source != d.cfg.Sources[i].ID() || r.From != committed[i] || r.To < r.From {
				planned = nil // not this plan's ranges: plan afresh
				break
			}
		}
	}
	sink := NewMVSink(d.cfg.MVID, planner.Types(d.cfg.Plan.Root.Schema()), d.cfg.Plan.Key, st, m.changelogEnd)
	g, err := BuildStream(d.cfg.Plan, d.cfg.QueryID, sink)
	if err != nil {
		return err
	}
	if err := g.LoadState(st); err != nil {
		return err
	}
	d.graph, d.sink = g, sink
	d.mu.Lock()
	d.batchID, d.committed, d.changelogEnd, d.planned = m.batchID, committed, m.changelogEnd, planned
	d.mu.Unlock()
	return nil
}

// Poke tells the driver an input may have grown. It never blocks.
func (d *Driver) Poke() {
	d.mu.Lock()
	if d.pokedAt.IsZero() {
		d.pokedAt = time.Now()
	}
	d.mu.Unlock()
	select {
	case d.poke <- struct{}{}:
	default:
	}
}

// Pause stops the driver before its next batch (a batch in flight
// finishes). Resume lets it continue.
func (d *Driver) Pause() { d.setPaused(true) }

// Resume undoes Pause.
func (d *Driver) Resume() { d.setPaused(false) }

func (d *Driver) setPaused(p bool) {
	d.mu.Lock()
	d.paused = p
	d.broadcastLocked()
	d.mu.Unlock()
	select {
	case d.resume <- struct{}{}:
	default:
	}
}

func (d *Driver) broadcastLocked() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// ChangelogEnd returns the committed end of the MV's changelog: what
// downstream queries may read.
func (d *Driver) ChangelogEnd() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changelogEnd
}

// Committed returns the committed offset per source.
func (d *Driver) Committed() []uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]uint64(nil), d.committed...)
}

// Status returns a snapshot of the driver's state.
func (d *Driver) Status() QueryStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := QueryStatus{Status: StatusRunning, BatchID: d.batchID, Committed: append([]uint64(nil), d.committed...),
		ChangelogEnd: d.changelogEnd, Failures: d.failures}
	if d.last != nil {
		l := *d.last
		s.Last = &l
	}
	switch {
	case d.failed != nil:
		s.Status, s.Err = StatusFailed, d.failed.Error()
	case d.paused:
		s.Status = StatusPaused
	}
	return s
}

// WaitCommitted waits until the committed offset of every source i is at
// least targets[i] and the query's first batch has committed (it runs
// even without input, so that a global aggregate's row exists). It
// returns ErrPaused when the query is paused, the query's error when it is
// failed, and ctx's error when ctx ends first.
func (d *Driver) WaitCommitted(ctx context.Context, targets []uint64) error {
	for {
		d.mu.Lock()
		done := d.batchID > 0
		for i, t := range targets {
			if i < len(d.committed) && d.committed[i] < t {
				done = false
			}
		}
		failed, paused, ch := d.failed, d.paused, d.changed
		d.mu.Unlock()
		switch {
		case done:
			return nil
		case failed != nil:
			return fmt.Errorf("continuous query %s failed: %w", d.cfg.Name, failed)
		case paused:
			return ErrPaused
		}
		d.Poke()
		select {
		case d.flush <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Run runs batches until ctx is done. Batch starts are at least
// TriggerInterval apart, except that a WaitCommitted caller (FLUSH) gets
// the next batch at once. A batch in flight when ctx ends is
// finished and committed first. A failed batch marks the query failed (see
// Status), discards the in-memory state and is retried from the last
// commit with exponential backoff; Run never returns an error for it. Run
// returns nil once ctx is done.
//
// Run logs at Info when it returns ("continuous query stopped", with the
// last committed batch id) and when a stop arrived while a batch ran
// ("batch in flight at stop committed"), so that an operator can tell
// from a graceful shutdown's log which batch each query ends at; each
// batch's start and commit are logged at Debug.
func (d *Driver) Run(ctx context.Context) error {
	defer func() {
		st := d.Status()
		d.log.Info("continuous query stopped", "batch_id", st.BatchID, "committed", st.Committed)
	}()
	backoff := 100 * time.Millisecond
	var lastStart time.Time
	for ctx.Err() == nil {
		d.mu.Lock()
		paused := d.paused
		d.mu.Unlock()
		if paused {
			select {
			case <-d.resume:
			case <-ctx.Done():
			}
			continue
		}
		ranges, replay, err := d.plan()
		// The first batch of a new query always runs, so that a global
		// aggregate's row exists before any input.
		if err == nil && !replay && d.empty(ranges) && d.Status().BatchID > 0 {
			// Idle: no timer runs until a poke.
			select {
			case <-d.poke:
			case <-d.resume:
			case <-ctx.Done():
			}
			continue
		}
		if err == nil {
			if wait := time.Until(lastStart.Add(d.cfg.TriggerInterval)); wait > 0 {
				// FLUSH does not wait for the trigger interval.
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-d.flush:
					t.Stop()
				case <-ctx.Done():
					t.Stop()
					return nil
				}
				// More input may have arrived while waiting.
				if !replay {
					if ranges, _, err = d.plan(); err != nil {
						ranges = nil
					}
				}
			}
		}
		if err == nil {
			lastStart = time.Now()
			err = d.runBatch(ranges, replay)
			if err == nil && ctx.Err() != nil {
				d.log.Info("batch in flight at stop committed", "batch_id", d.Status().BatchID)
			}
		}
		if err == nil {
			backoff = 100 * time.Millisecond
			continue
		}
		d.fail(err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
		backoff = min(backoff*2, 30*time.Second)
		if lerr := d.load(); lerr != nil {
			d.fail(lerr)
		}
	}
	return nil
}

func (d *Driver) fail(err error) {
	d.log.Error("continuous query batch failed", "err", err)
	d.mu.Lock()
	d.failed = err
	d.failures++
	d.broadcastLocked()
	d.mu.Unlock()
	if d.cfg.OnFailure != nil {
		d.cfg.OnFailure(err)
	}
}

// plan returns the ranges of the next batch: the interrupted batch's
// ranges when one must be replayed, else [committed, min(end,
// committed+max)) per source.
func (d *Driver) plan() ([]Range, bool, error) {
	d.mu.Lock()
	planned, committed := d.planned, d.committed
	d.mu.Unlock()
	if planned != nil {
		return planned, true, nil
	}
	ranges := make([]Range, len(d.cfg.Sources))
	for i, src := range d.cfg.Sources {
		end, err := src.End()
		if err != nil {
			return nil, false, err
		}
		to := max(end, committed[i])
		if m := d.cfg.MaxRowsPerBatch; m > 0 && to-committed[i] > m {
			to = committed[i] + m
		}
		ranges[i] = Range{Source: src.ID(), From: committed[i], To: to}
	}
	return ranges, false, nil
}

func (d *Driver) empty(ranges []Range) bool {
	for _, r := range ranges {
		if r.To > r.From {
			return false
		}
	}
	return true
}

// runBatch runs one batch and commits it. A panic in an operator is turned
// into an error.
func (d *Driver) runBatch(ranges []Range, replay bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("continuous query panicked", "panic", r, "stack", string(debug.Stack()))
			err = pgerror.New(pgerror.CodeInternalError, "internal error in continuous query: %v", r)
		}
	}()
	start := time.Now()
	d.mu.Lock()
	batchID := d.batchID + 1
	due := d.pokedAt
	d.pokedAt = time.Time{}
	d.mu.Unlock()
	if due.IsZero() || due.After(start) {
		due = start
	}
	d.log.Debug("batch started", "batch_id", batchID, "ranges", ranges, "replay", replay)
	st := d.cfg.Store
	if !replay {
		// Record the ranges before reading them, so that a crash before
		// the commit replays exactly this batch. No sync: the commit's
		// sync makes it durable, and a batch lost with it was never seen.
		m := queryMeta{batchID: batchID - 1, changelogEnd: d.sink.ChangelogEnd(), plannedBatch: batchID, planned: ranges}
		if err := st.Set(state.QueryMetaKey(d.cfg.QueryID), encodeMeta(m), false); err != nil {
			return err
		}
	}
	ctx := &Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Now: start, Location: time.UTC}}
	inputRows := make([]int64, len(ranges))
	for i, r := range ranges {
		if r.To <= r.From {
			continue
		}
		rd, err := d.cfg.Sources[i].Read(r.From, r.To)
		if err != nil {
			return err
		}
		for {
			c, err := rd.Next(ctx.Context)
			if err != nil {
				_ = rd.Close()
				return err
			}
			if c == nil {
				break
			}
			inputRows[i] += int64(c.N)
			if err := d.graph.Push(ctx, i, c); err != nil {
				_ = rd.Close()
				return err
			}
		}
		if err := rd.Close(); err != nil {
			return err
		}
		if got := uint64(inputRows[i]); got != r.To-r.From {
			return pgerror.New(pgerror.CodeDataCorrupted, "source %d: read %d rows from offsets [%d, %d)", r.Source, got, r.From, r.To)
		}
	}
	b := st.NewBatch()
	defer b.Close()
	if err := d.graph.Barrier(ctx, &Barrier{BatchID: batchID, W: b}); err != nil {
		return err
	}
	committed := make([]uint64, len(ranges))
	for i, r := range ranges {
		committed[i] = r.To
		if err := b.Set(state.QueryOffsetKey(d.cfg.QueryID, r.Source, 0), encodeOffset(r.To)); err != nil {
			return err
		}
	}
	end := d.sink.ChangelogEnd()
	if err := b.Set(state.QueryMetaKey(d.cfg.QueryID), encodeMeta(queryMeta{batchID: batchID, changelogEnd: end})); err != nil {
		return err
	}
	commitStart := time.Now()
	if err := st.Apply(b, true); err != nil {
		return err
	}
	now := time.Now()
	stats := BatchStats{BatchID: batchID, StartedAt: start, Duration: now.Sub(start), CommitDuration: now.Sub(commitStart),
		SchedulingDelay: start.Sub(due), TotalDelay: now.Sub(due), Ranges: ranges, InputRows: inputRows,
		OutputRows: d.sink.LastOutputRows(), Replay: replay}
	d.log.Debug("batch committed", "batch_id", batchID, "duration", stats.Duration, "commit", stats.CommitDuration,
		"input_rows", inputRows, "output_rows", stats.OutputRows)
	d.mu.Lock()
	d.batchID, d.committed, d.changelogEnd, d.planned = batchID, committed, end, nil
	d.failed = nil
	d.last = &stats
	d.broadcastLocked()
	d.mu.Unlock()
	if d.cfg.OnBatch != nil {
		d.cfg.OnBatch(stats)
	}
	return nil
}
