package exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// LogSource is one input of a continuous query: a durable, replayable log
// split into partitions (docs/connectors.md). A table's log and an
// upstream MV's changelog have one partition with dense offsets from 0; a
// source connector (Kafka, Nexmark, files) has one or more, and its
// offsets need not be dense.
//
// Implementations are safe for concurrent use.
type LogSource interface {
	// ID is the relation's object id (the <source> part of offset keys).
	ID() uint64
	// Partitions returns the current number of partitions (0..n-1). It
	// may grow between calls; it never shrinks.
	Partitions() (int, error)
	// End returns the end of partition p now: offsets below it may be
	// read.
	End(p int) (uint64, error)
	// Read returns the rows of partition p at offsets [from, to), to <=
	// End(p), with Ops (nil Ops are inserts). The same range always
	// yields the same rows.
	Read(p int, from, to uint64) (planner.ChunkReader, error)
	// Dense reports whether every offset of a range yields exactly one
	// row; the driver checks the count of a dense source's range and
	// fails the batch on a mismatch.
	Dense() bool
	// Watermark returns the input's own watermark (µs), for an input
	// whose event time is decided upstream: an upstream MV's committed
	// watermark. ok is false for inputs that report none (tables,
	// sources); the driver tracks those from their rows when
	// DriverConfig.Watermarks declares an event-time column for them.
	Watermark() (wm int64, ok bool)
}

// WatermarkSpec declares event time for one input of a query: the
// table's WATERMARK FOR Column AS Column - Delay (catalog.Object.Watermark,
// resolved to a column index of the input's rows).
type WatermarkSpec struct {
	Column int   // index of the event-time column (timestamp or timestamptz) in the input's rows
	Delay  int64 // µs, >= 0
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
	// Watermarks declares, per source (same order; a shorter or nil slice
	// means none for the rest), the event-time column whose rows the
	// driver tracks; nil for a source without one. A source whose
	// LogSource.Watermark reports one uses that instead.
	Watermarks []*WatermarkSpec
	// TriggerInterval is the minimum spacing of batch starts.
	TriggerInterval time.Duration
	// MaxRowsPerBatch bounds the rows each source reads per batch (over
	// all its partitions); 0 = unbounded.
	MaxRowsPerBatch uint64
	// SourceMaxRows overrides MaxRowsPerBatch per source (same order as
	// Sources; 0 or a missing entry: MaxRowsPerBatch).
	SourceMaxRows []uint64
	// StartAtEnd marks, per source, a source read with startup = 'latest':
	// the partitions the query sees before its first commit start at their
	// End at that time instead of 0 (the start offsets are planned and
	// committed with the first batch). Partitions that appear later start
	// at 0 either way: all of their records are new.
	StartAtEnd []bool
	// Output makes the root of the query's operator graph, given the
	// committed changelog end of the query's meta; nil: the MV sink of
	// MVID. It is called at start and again after every failed batch (the
	// graph is rebuilt from the last commit).
	Output func(changelogEnd uint64) (Output, error)
	// Paused starts the driver paused.
	Paused bool
	// OnBatch is called after each commit (on the driver's goroutine; it
	// must not block for long).
	OnBatch func(BatchStats)
	// OnFailure is called when a batch fails, with the error.
	OnFailure func(error)
	Logger    *slog.Logger
}

// Output is the root of a continuous query's operator graph: the MV sink
// (MVSink) or a sink's outbox (OutboxSink). It receives the query's change
// rows and stages what it keeps at the barrier.
type Output interface {
	WatermarkConsumer
	// ChangelogEnd returns the end of the MV's changelog after the last
	// barrier (0 for outputs without a changelog).
	ChangelogEnd() uint64
	// LastOutputRows returns the number of rows the last barrier staged.
	LastOutputRows() int64
}

var _ Output = (*MVSink)(nil)

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
	// Ranges are the offsets read: per source, per partition, [From,
	// To), in source order.
	Ranges []Range
	// InputRows per source, OutputRows the changelog records written.
	InputRows  []int64
	OutputRows int64
	// Replay marks a batch replayed from planned ranges after a crash.
	Replay bool
	// Watermark is the query's watermark committed with the batch, W(N)
	// (µs); NoWatermark when the query has none yet.
	Watermark int64
	// LateRows counts, per source, the rows operators dropped as late.
	LateRows []int64
	// Late holds the late rows themselves, at most maxLateRowsPerBatch of
	// them (the most recent), in arrival order.
	Late []LateRow
}

// maxLateRowsPerBatch bounds BatchStats.Late: weir_catalog.late_rows keeps
// the 1000 most recent of a query, so a batch never needs more.
const maxLateRowsPerBatch = 1000

// Range is a planned range of one source partition.
type Range struct {
	Source    uint64
	Partition int
	From, To  uint64
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
	BatchID uint64
	// Committed holds per source the committed offset of each partition
	// (partitions the query has not committed yet are absent).
	Committed    [][]uint64
	ChangelogEnd uint64
	// Watermark is the committed watermark (µs); NoWatermark when the
	// query has none (yet).
	Watermark int64
	Last      *BatchStats // the last committed batch; nil before one
	Failures  int64       // batches failed since start
}

// ErrPaused is returned by WaitCommitted for a paused query.
var ErrPaused = errors.New("continuous query is paused")

// Driver runs one continuous query: a loop of batches, each read from
// planned ranges of its sources' partitions, pushed through the operators
// and committed in one synced Pebble batch (docs/streaming.md,
// docs/connectors.md). All methods are safe for concurrent use; Run is
// called once.
type Driver struct {
	cfg DriverConfig
	log *slog.Logger

	poke   chan struct{} // buffered 1: an input may have grown
	flush  chan struct{} // buffered 1: a waiter wants the next batch now
	resume chan struct{} // buffered 1: Pause/Resume changed

	// Guarded by mu.
	mu       sync.Mutex
	paused   bool
	failed   error
	failures int64
	batchID  uint64
	// committed holds per source the committed offset of each partition
	// the query has committed (a prefix 0..n-1 of its partitions).
	committed    [][]uint64
	changelogEnd uint64
	planned      [][]Range // per source, ranges of an interrupted batch to replay
	// plannedUp are the upstream watermarks of the interrupted batch, to
	// replay with its ranges.
	plannedUp []sourceWM
	// wm is the committed query watermark; seen the committed event-time
	// progress per source and partition (see queryMeta).
	wm      int64
	seen    [][]sourceWM
	last    *BatchStats
	changed chan struct{} // closed and replaced on every commit or status change
	// hasWatermark: some input declares event time or reported a
	// watermark for the last batch planned.
	hasWatermark bool
	pokedAt      time.Time // first poke since the last batch started

	// Owned by the Run goroutine.
	graph *StreamGraph
	out   Output
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
	// planned holds, per source, the ranges of the batch in flight (one per
	// partition read).
	planned [][]Range
	// Since meta version 2 (absent in version 1 metas, which load as "no
	// watermark yet"):
	//
	// wm is the query watermark committed with batchID (NoWatermark:
	// none); seen, per source and partition, the event-time progress
	// committed with it: for a source tracked from its rows the largest
	// event time read from the partition, for a source reporting its own
	// watermark (an upstream MV, one partition) the watermark it reported
	// for the batch. plannedUp are the upstream watermarks observed when
	// the batch in flight was planned, so that its replay sees the same.
	wm        int64
	seen      [][]sourceWM
	plannedUp []sourceWM
}

// sourceWM is one source's event-time progress; ok false: none.
type sourceWM struct {
	ok bool
	v  int64
}

// metaVersion is the layout of the query meta's trailer.
//
// The meta value, after the state.KindQueryMeta header, starts with
// uvarints batch id, changelog end, planned batch id (0: none), and a
// count of planned ranges followed by per range source id, from, to. That
// is all of a version 1 meta (one partition per source, no watermark).
//
// Version 2 appends uvarint 2, varint wm, then the seen list and the
// plannedUp list (each a uvarint count, then per source a flag byte 0/1
// and a varint): still one partition per source.
//
// Version 3 (partitions) writes a planned range count of 0 in the fixed
// part and appends uvarint 3, varint wm, seen as a uvarint source count
// and per source a uvarint partition count and per partition the flag and
// varint, plannedUp as in version 2, then the planned ranges as a uvarint
// source count and per source a uvarint range count and per range
// uvarints source id, partition, from, to. Older metas load as one
// partition (0) per source.
const metaVersion = 3

func appendWM(v []byte, s sourceWM) []byte {
	f := byte(0)
	if s.ok {
		f = 1
	}
	return binary.AppendVarint(append(v, f), s.v)
}

func encodeMeta(m queryMeta) []byte {
	v := state.AppendHeader(nil, state.KindQueryMeta)
	v = binary.AppendUvarint(v, m.batchID)
	v = binary.AppendUvarint(v, m.changelogEnd)
	v = binary.AppendUvarint(v, m.plannedBatch)
	v = binary.AppendUvarint(v, 0)
	v = binary.AppendUvarint(v, metaVersion)
	v = binary.AppendVarint(v, m.wm)
	v = binary.AppendUvarint(v, uint64(len(m.seen)))
	for _, parts := range m.seen {
		v = binary.AppendUvarint(v, uint64(len(parts)))
		for _, s := range parts {
			v = appendWM(v, s)
		}
	}
	v = binary.AppendUvarint(v, uint64(len(m.plannedUp)))
	for _, s := range m.plannedUp {
		v = appendWM(v, s)
	}
	v = binary.AppendUvarint(v, uint64(len(m.planned)))
	for _, rs := range m.planned {
		v = binary.AppendUvarint(v, uint64(len(rs)))
		for _, r := range rs {
			v = binary.AppendUvarint(v, r.Source)
			v = binary.AppendUvarint(v, uint64(r.Partition))
			v = binary.AppendUvarint(v, r.From)
			v = binary.AppendUvarint(v, r.To)
		}
	}
	return v
}

// metaDecoder reads the fields of a meta value.
type metaDecoder struct {
	p   []byte
	err error
}

func (m *metaDecoder) truncated() {
	if m.err == nil {
		m.err = pgerror.New(pgerror.CodeDataCorrupted, "continuous query meta is truncated")
	}
}

func (m *metaDecoder) uvarint() uint64 {
	if m.err != nil {
		return 0
	}
	x, n := binary.Uvarint(m.p)
	if n <= 0 {
		m.truncated()
		return 0
	}
	m.p = m.p[n:]
	return x
}

// count reads a list length, refusing one longer than the bytes left.
func (m *metaDecoder) count() int {
	n := m.uvarint()
	if n > uint64(len(m.p)) {
		m.truncated()
		return 0
	}
	return int(n)
}

func (m *metaDecoder) varint() int64 {
	if m.err != nil {
		return 0
	}
	x, n := binary.Varint(m.p)
	if n <= 0 {
		m.truncated()
		return 0
	}
	m.p = m.p[n:]
	return x
}

func (m *metaDecoder) wm() sourceWM {
	if m.err != nil {
		return sourceWM{}
	}
	if len(m.p) == 0 || m.p[0] > 1 {
		m.err = pgerror.New(pgerror.CodeDataCorrupted, "continuous query meta is corrupt")
		return sourceWM{}
	}
	ok := m.p[0] == 1
	m.p = m.p[1:]
	return sourceWM{ok: ok, v: m.varint()}
}

func decodeMeta(v []byte) (queryMeta, error) {
	var m queryMeta
	p, err := state.ParseHeader(v, state.KindQueryMeta)
	if err != nil {
		return m, err
	}
	d := &metaDecoder{p: p}
	m.batchID, m.changelogEnd, m.plannedBatch = d.uvarint(), d.uvarint(), d.uvarint()
	for range d.count() {
		m.planned = append(m.planned, []Range{{Source: d.uvarint(), From: d.uvarint(), To: d.uvarint()}})
	}
	m.wm = NoWatermark
	if d.err != nil || len(d.p) == 0 {
		return m, d.err // version 1: no watermark yet
	}
	ver := d.uvarint()
	switch {
	case d.err != nil:
		return m, d.err
	case ver == 2:
		m.wm = d.varint()
		for range d.count() {
			m.seen = append(m.seen, []sourceWM{d.wm()})
		}
		for range d.count() {
			m.plannedUp = append(m.plannedUp, d.wm())
		}
	case ver == 3:
		m.wm = d.varint()
		for range d.count() {
			parts := make([]sourceWM, d.count())
			for j := range parts {
				parts[j] = d.wm()
			}
			m.seen = append(m.seen, parts)
		}
		for range d.count() {
			m.plannedUp = append(m.plannedUp, d.wm())
		}
		m.planned = nil
		for range d.count() {
			rs := make([]Range, d.count())
			for j := range rs {
				rs[j] = Range{Source: d.uvarint(), Partition: int(d.uvarint()), From: d.uvarint(), To: d.uvarint()}
			}
			m.planned = append(m.planned, rs)
		}
	default:
		return m, pgerror.New(pgerror.CodeDataCorrupted, "continuous query meta has version %d; this weir reads up to %d", ver, metaVersion)
	}
	if d.err != nil {
		return m, d.err
	}
	if len(d.p) != 0 {
		return m, pgerror.New(pgerror.CodeDataCorrupted, "continuous query meta has %d trailing bytes", len(d.p))
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

// loadOffsets reads the committed offsets of every partition of source.
// Partitions are committed together, so they form a prefix 0..n-1; a gap
// is corruption.
func (d *Driver) loadOffsets(source uint64) ([]uint64, error) {
	prefix := state.QueryOffsetSourcePrefix(d.cfg.QueryID, source)
	var offs []uint64
	err := state.ScanPrefix(d.cfg.Store, prefix, func(k, v []byte) error {
		p, ok := state.ParseQueryOffsetPartition(prefix, k)
		if !ok || p != uint64(len(offs)) {
			return pgerror.New(pgerror.CodeDataCorrupted, "committed offsets of source %d: unexpected key %x", source, k)
		}
		off, err := decodeOffset(v)
		if err != nil {
			return err
		}
		offs = append(offs, off)
		return nil
	})
	return offs, err
}

// load reads the committed meta and offsets and rebuilds the operators on
// the committed state. Called by NewDriver and after a failed batch.
func (d *Driver) load() error {
	st := d.cfg.Store
	m := queryMeta{wm: NoWatermark}
	v, ok, err := st.Get(state.QueryMetaKey(d.cfg.QueryID))
	if err != nil {
		return err
	}
	if ok {
		if m, err = decodeMeta(v); err != nil {
			return err
		}
	}
	committed := make([][]uint64, len(d.cfg.Sources))
	for i, src := range d.cfg.Sources {
		if committed[i], err = d.loadOffsets(src.ID()); err != nil {
			return err
		}
	}
	var planned [][]Range
	var plannedUp []sourceWM
	if m.plannedBatch == m.batchID+1 && len(m.planned) == len(d.cfg.Sources) {
		planned = m.planned
	check:
		for i, rs := range planned {
			for j, r := range rs {
				// A replay reads the planned ranges: every committed
				// partition in order, then new ones from their planned
				// start.
				if r.Source != d.cfg.Sources[i].ID() || r.Partition != j || r.To < r.From ||
					(j < len(committed[i]) && r.From != committed[i][j]) || len(rs) < len(committed[i]) {
					planned = nil // not this plan's ranges: plan afresh
					break check
				}
			}
		}
		if planned != nil && len(m.plannedUp) == len(d.cfg.Sources) {
			plannedUp = m.plannedUp
		}
	}
	seen := m.seen
	if len(seen) != len(d.cfg.Sources) {
		seen = make([][]sourceWM, len(d.cfg.Sources))
	}
	var out Output
	if d.cfg.Output != nil {
		if out, err = d.cfg.Output(m.changelogEnd); err != nil {
			return err
		}
	} else {
		out = NewMVSink(d.cfg.MVID, planner.Types(d.cfg.Plan.Root.Schema()), d.cfg.Plan.Key, st, m.changelogEnd)
	}
	g, err := BuildStream(d.cfg.Plan, d.cfg.QueryID, out)
	if err != nil {
		return err
	}
	if err := g.LoadState(st); err != nil {
		return err
	}
	d.graph, d.out = g, out
	d.mu.Lock()
	d.batchID, d.committed, d.changelogEnd, d.planned = m.batchID, committed, m.changelogEnd, planned
	d.plannedUp, d.wm, d.seen = plannedUp, m.wm, seen
	for i := range d.cfg.Sources {
		if d.spec(i) != nil {
			d.hasWatermark = true
		}
	}
	d.mu.Unlock()
	return nil
}

func (d *Driver) spec(i int) *WatermarkSpec {
	if i < len(d.cfg.Watermarks) {
		return d.cfg.Watermarks[i]
	}
	return nil
}

// Watermark returns the query's committed watermark (µs) and whether it
// has one: what a downstream query reading this MV takes as that input's
// watermark (LogSource.Watermark). ok is false for a query none of whose
// inputs declares event time; a query that declares it but has not read
// enough yet reports (NoWatermark, true), which holds downstream back.
func (d *Driver) Watermark() (int64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.wm, d.hasWatermark
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

// Committed returns per source the committed offset of each partition.
func (d *Driver) Committed() [][]uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return cloneOffsets(d.committed)
}

func cloneOffsets(c [][]uint64) [][]uint64 {
	out := make([][]uint64, len(c))
	for i, o := range c {
		out[i] = slices.Clone(o)
	}
	return out
}

// Status returns a snapshot of the driver's state.
func (d *Driver) Status() QueryStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := QueryStatus{Status: StatusRunning, BatchID: d.batchID, Committed: cloneOffsets(d.committed),
		ChangelogEnd: d.changelogEnd, Failures: d.failures, Watermark: d.wm}
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

// WaitCommitted waits until, for every source i and partition p of
// targets[i], the committed offset is at least targets[i][p] (a partition
// not committed yet counts as offset 0), and the query's first batch has
// committed (it runs even without input, so that a global aggregate's row
// exists). It returns ErrPaused when the query is paused, the query's
// error when it is failed, and ctx's error when ctx ends first.
func (d *Driver) WaitCommitted(ctx context.Context, targets [][]uint64) error {
	for {
		d.mu.Lock()
		done := d.batchID > 0
		for i, ts := range targets {
			for p, t := range ts {
				var c uint64
				if i < len(d.committed) && p < len(d.committed[i]) {
					c = d.committed[i][p]
				}
				if c < t {
					done = false
				}
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
		bp, replay, err := d.plan()
		// The first batch of a new query always runs, so that a global
		// aggregate's row exists before any input.
		if err == nil && !replay && d.empty(bp) && d.Status().BatchID > 0 {
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
					bp, _, err = d.plan()
				}
			}
		}
		if err == nil {
			lastStart = time.Now()
			err = d.runBatch(bp, replay)
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

// batchPlan is what a batch reads: per source its ranges (one per
// partition) and, for sources that report their own watermark, that
// watermark.
type batchPlan struct {
	ranges [][]Range
	up     []sourceWM
}

// plan returns the next batch: the interrupted batch's ranges (and
// upstream watermarks) when one must be replayed, else per source and
// partition [committed, end) bounded by the source's row budget. A
// source's watermark is read before its end, so that it never covers rows
// beyond the range.
func (d *Driver) plan() (batchPlan, bool, error) {
	d.mu.Lock()
	planned, plannedUp, committed, first := d.planned, d.plannedUp, d.committed, d.batchID == 0
	d.mu.Unlock()
	if planned != nil {
		if plannedUp == nil {
			plannedUp = make([]sourceWM, len(planned))
		}
		return batchPlan{ranges: planned, up: plannedUp}, true, nil
	}
	ranges := make([][]Range, len(d.cfg.Sources))
	up := make([]sourceWM, len(d.cfg.Sources))
	for i, src := range d.cfg.Sources {
		if d.spec(i) == nil {
			up[i].v, up[i].ok = src.Watermark()
		}
		n, err := src.Partitions()
		if err != nil {
			return batchPlan{}, false, err
		}
		n = max(n, len(committed[i])) // partitions never go away
		rs := make([]Range, n)
		lag := make([]uint64, n)
		for p := range n {
			end, err := src.End(p)
			if err != nil {
				return batchPlan{}, false, err
			}
			var from uint64
			switch {
			case p < len(committed[i]):
				from = committed[i][p]
			case first && i < len(d.cfg.StartAtEnd) && d.cfg.StartAtEnd[i]:
				from = end
			}
			rs[p] = Range{Source: src.ID(), Partition: p, From: from, To: from}
			if end > from {
				lag[p] = end - from
			}
		}
		budget := d.cfg.MaxRowsPerBatch
		if i < len(d.cfg.SourceMaxRows) && d.cfg.SourceMaxRows[i] > 0 {
			budget = d.cfg.SourceMaxRows[i]
		}
		for p, take := range shareBudget(lag, budget) {
			rs[p].To = rs[p].From + take
		}
		ranges[i] = rs
	}
	return batchPlan{ranges: ranges, up: up}, false, nil
}

// shareBudget splits budget rows (0: unbounded) over partitions with the
// given lags: each gets an equal share, and what a partition does not use
// goes to the following ones in order. The result never exceeds a
// partition's lag, and its sum never exceeds budget.
func shareBudget(lag []uint64, budget uint64) []uint64 {
	take := slices.Clone(lag)
	if budget == 0 {
		return take
	}
	var total uint64
	for _, l := range lag {
		total += l
	}
	if total <= budget {
		return take
	}
	left := budget
	for p := range take {
		share := left / uint64(len(take)-p)
		if p < len(take)-1 && share == 0 && left > 0 {
			share = 1
		}
		take[p] = min(lag[p], share)
		left -= take[p]
	}
	// Hand the rounding remainder and unused shares out in order.
	for p := range take {
		if left == 0 {
			break
		}
		more := min(lag[p]-take[p], left)
		take[p] += more
		left -= more
	}
	return take
}

// empty reports whether bp has nothing to do: no rows to read, no
// partition the query has not committed yet, and no upstream watermark
// that moved since the last commit.
func (d *Driver) empty(bp batchPlan) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, rs := range bp.ranges {
		if len(rs) > len(d.committed[i]) {
			return false
		}
		for _, r := range rs {
			if r.To > r.From {
				return false
			}
		}
	}
	for i, u := range bp.up {
		if u.ok && (len(d.seen[i]) == 0 || !d.seen[i][0].ok || u.v > d.seen[i][0].v) {
			return false
		}
	}
	return true
}

// runBatch runs one batch and commits it. A panic in an operator is turned
// into an error.
func (d *Driver) runBatch(bp batchPlan, replay bool) (err error) {
	ranges := bp.ranges
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
	if due.IsZero() || due.After(start) {
		due = start
	}
	prevWM, prevSeen := d.wm, d.seen
	d.mu.Unlock()
	d.log.Debug("batch started", "batch_id", batchID, "ranges", ranges, "replay", replay)
	st := d.cfg.Store
	if !replay {
		// Record the ranges before reading them, so that a crash before
		// the commit replays exactly this batch. No sync: the commit's
		// sync makes it durable, and a batch lost with it was never seen.
		m := queryMeta{batchID: batchID - 1, changelogEnd: d.out.ChangelogEnd(), plannedBatch: batchID, planned: ranges,
			wm: prevWM, seen: prevSeen, plannedUp: bp.up}
		if err := st.Set(state.QueryMetaKey(d.cfg.QueryID), encodeMeta(m), false); err != nil {
			return err
		}
	}
	// Event time: rows are pushed under W(N-1); the sources' progress is
	// tracked per partition from the rows read (or taken from an
	// upstream's watermark) into seen, from which W(N) is computed after
	// the rows.
	seen := make([][]sourceWM, len(ranges))
	for i := range ranges {
		seen[i] = make([]sourceWM, len(ranges[i]))
		if i < len(prevSeen) {
			copy(seen[i], prevSeen[i])
		}
	}
	lateRows := make([]int64, len(ranges))
	var late []LateRow
	ctx := &Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Now: start, Location: time.UTC}, Watermark: prevWM,
		Late: func(r LateRow) {
			i := r.Input
			if i < 0 || i >= len(lateRows) {
				i = d.lateInput()
			}
			r.Input = i
			lateRows[i]++
			if len(late) == maxLateRowsPerBatch {
				late = slices.Delete(late, 0, 1)
			}
			late = append(late, r)
		}}
	inputRows := make([]int64, len(ranges))
	for i, rs := range ranges {
		src := d.cfg.Sources[i]
		for _, r := range rs {
			if r.To <= r.From {
				continue
			}
			n, err := d.readRange(ctx, i, r, &seen[i][r.Partition])
			if err != nil {
				return err
			}
			inputRows[i] += n
			if src.Dense() && uint64(n) != r.To-r.From {
				return pgerror.New(pgerror.CodeDataCorrupted, "source %d partition %d: read %d rows from offsets [%d, %d)",
					r.Source, r.Partition, n, r.From, r.To)
			}
		}
	}
	for i, u := range bp.up {
		if d.spec(i) == nil {
			seen[i] = []sourceWM{u}
		}
	}
	wm, hasWM := d.queryWatermark(prevWM, seen, bp.up)
	if wm != NoWatermark {
		if err := d.graph.Watermark(ctx, wm); err != nil {
			return err
		}
	}
	b := st.NewBatch()
	defer b.Close()
	if err := d.graph.Barrier(ctx, &Barrier{BatchID: batchID, W: b}); err != nil {
		return err
	}
	committed := make([][]uint64, len(ranges))
	var flat []Range
	for i, rs := range ranges {
		committed[i] = make([]uint64, len(rs))
		for p, r := range rs {
			committed[i][p] = r.To
			flat = append(flat, r)
			if err := b.Set(state.QueryOffsetKey(d.cfg.QueryID, r.Source, uint64(p)), encodeOffset(r.To)); err != nil {
				return err
			}
		}
	}
	end := d.out.ChangelogEnd()
	if err := b.Set(state.QueryMetaKey(d.cfg.QueryID), encodeMeta(queryMeta{batchID: batchID, changelogEnd: end, wm: wm, seen: seen})); err != nil {
		return err
	}
	commitStart := time.Now()
	if err := st.Apply(b, true); err != nil {
		return err
	}
	now := time.Now()
	stats := BatchStats{BatchID: batchID, StartedAt: start, Duration: now.Sub(start), CommitDuration: now.Sub(commitStart),
		SchedulingDelay: start.Sub(due), TotalDelay: now.Sub(due), Ranges: flat, InputRows: inputRows,
		OutputRows: d.out.LastOutputRows(), Replay: replay, Watermark: wm, LateRows: lateRows, Late: late}
	d.log.Debug("batch committed", "batch_id", batchID, "duration", stats.Duration, "commit", stats.CommitDuration,
		"input_rows", inputRows, "output_rows", stats.OutputRows)
	d.mu.Lock()
	d.batchID, d.committed, d.changelogEnd, d.planned, d.plannedUp = batchID, committed, end, nil, nil
	d.wm, d.seen, d.hasWatermark = wm, seen, hasWM
	d.failed = nil
	d.last = &stats
	d.broadcastLocked()
	d.mu.Unlock()
	if d.cfg.OnBatch != nil {
		d.cfg.OnBatch(stats)
	}
	return nil
}

// readRange pushes the rows of range r of source i through the graph,
// advancing seen (the partition's event-time progress) when the source
// declares event time, and returns the number of rows read.
func (d *Driver) readRange(ctx *Ctx, i int, r Range, seen *sourceWM) (int64, error) {
	rd, err := d.cfg.Sources[i].Read(r.Partition, r.From, r.To)
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		c, err := rd.Next(ctx.Context)
		if err != nil {
			_ = rd.Close()
			return n, err
		}
		if c == nil {
			break
		}
		n += int64(c.N)
		if sp := d.spec(i); sp != nil {
			*seen = maxEventTime(*seen, c, sp.Column)
		}
		if err := d.graph.Push(ctx, i, c); err != nil {
			_ = rd.Close()
			return n, err
		}
	}
	return n, rd.Close()
}

// maxEventTime returns s advanced to the largest non-NULL value of column
// col of c (timestamp or timestamptz microseconds).
func maxEventTime(s sourceWM, c *types.Chunk, col int) sourceWM {
	v := c.Cols[col]
	for r := 0; r < c.N; r++ {
		if v.IsNull(r) {
			continue
		}
		if t := v.I[r]; !s.ok || t > s.v {
			s = sourceWM{ok: true, v: t}
		}
	}
	return s
}

// queryWatermark computes W(N) from the sources' progress: the minimum over
// the sources with event time (a declared column: the smallest over its
// partitions of the largest event time read minus the delay; an upstream
// reporting one: its watermark) of their watermarks, never below prev. A
// partition of a declared source that has read no event time yet holds the
// watermark back (as a Kafka partition does in Flink). hasWM reports
// whether any source has event time.
func (d *Driver) queryWatermark(prev int64, seen [][]sourceWM, up []sourceWM) (wm int64, hasWM bool) {
	cand := int64(math.MaxInt64)
	for i := range seen {
		switch sp := d.spec(i); {
		case sp != nil:
			hasWM = true
			if len(seen[i]) == 0 {
				return prev, true
			}
			for _, s := range seen[i] {
				if !s.ok {
					return prev, true
				}
				w := s.v - sp.Delay
				if w > s.v { // overflow near MinInt64
					w = NoWatermark
				}
				cand = min(cand, w)
			}
		case i < len(up) && up[i].ok:
			hasWM = true
			cand = min(cand, up[i].v)
		}
	}
	if !hasWM {
		return NoWatermark, false
	}
	return max(prev, cand), true
}

// lateInput is the source a late row is attributed to when the operator
// could not tell: the first with event time.
func (d *Driver) lateInput() int {
	for i := range d.cfg.Sources {
		if d.spec(i) != nil {
			return i
		}
	}
	return 0
}
