package exec_test

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// partLog is an in-memory multi-partition, non-dense LogSource of (k text,
// v int8) inserts, like a Kafka topic: every record occupies its offset,
// and every third offset of a partition is a "control record" that yields
// no row. failPart makes reads of that partition fail while set.
type partLog struct {
	mu       sync.Mutex
	parts    [][]partRec
	failPart int // -1: none
	reads    int
}

type partRec struct {
	row  []types.Datum
	skip bool // a control record: occupies an offset, yields no row
}

func newPartLog(n int) *partLog { return &partLog{parts: make([][]partRec, n), failPart: -1} }

func (l *partLog) ID() uint64               { return 9 }
func (l *partLog) Watermark() (int64, bool) { return 0, false }
func (l *partLog) Dense() bool              { return false }
func (l *partLog) Partitions() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.parts), nil
}
func (l *partLog) End(p int) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.parts[p])), nil
}

// add appends a row to partition p (creating partitions up to p), each
// row after a control record when the partition's length is a multiple
// of 3.
func (l *partLog) add(p int, r []types.Datum) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.parts) <= p {
		l.parts = append(l.parts, nil)
	}
	if len(l.parts[p])%3 == 2 {
		l.parts[p] = append(l.parts[p], partRec{skip: true})
	}
	l.parts[p] = append(l.parts[p], partRec{row: r})
}

func (l *partLog) rows() [][]types.Datum {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]types.Datum
	for _, p := range l.parts {
		for _, r := range p {
			if !r.skip {
				out = append(out, r.row)
			}
		}
	}
	return out
}

func (l *partLog) ends() []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]uint64, len(l.parts))
	for p := range l.parts {
		out[p] = uint64(len(l.parts[p]))
	}
	return out
}

func (l *partLog) Read(p int, from, to uint64) (planner.ChunkReader, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	if p == l.failPart {
		return nil, errors.New("broker down")
	}
	if to > uint64(len(l.parts[p])) {
		return nil, errors.New("read past end")
	}
	c := types.NewChunk([]types.T{types.TText, types.TInt8}, int(to-from))
	for _, r := range l.parts[p][from:to] {
		if !r.skip {
			c.AppendRow(r.row)
		}
	}
	return &oneChunk{c: c}, nil
}

func startPartDriver(t *testing.T, st *state.Store, p *planner.StreamPlan, src exec.LogSource, cfg exec.DriverConfig,
	stats *[]exec.BatchStats) *runningDriver {
	var mu sync.Mutex
	cfg.QueryID, cfg.MVID, cfg.Name, cfg.Plan, cfg.Store = 1, 1, "m", p, st
	cfg.Sources, cfg.Logger = []exec.LogSource{src}, slog.New(slog.DiscardHandler)
	cfg.OnBatch = func(s exec.BatchStats) {
		if stats != nil {
			mu.Lock()
			*stats = append(*stats, s)
			mu.Unlock()
		}
	}
	d, err := exec.NewDriver(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningDriver{d: d, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); require.NoError(t, d.Run(ctx)) }()
	return r
}

func flushParts(t *testing.T, d *exec.Driver, src *partLog) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, d.WaitCommitted(ctx, [][]uint64{src.ends()}))
}

// TestDriverPartitions: a non-dense source with several partitions is
// read completely (control records yield no rows and are not counted as
// missing), offsets are committed per partition, and a partition added
// mid-stream is picked up from offset 0.
func TestDriverPartitions(t *testing.T) {
	st, p := openMem(t), aggPlan(t)
	ts := planner.Types(p.Root.Schema())
	src := newPartLog(3)
	for i := range 20 {
		src.add(i%3, row(string(rune('a'+i%4)), int64(i)))
	}
	var stats []exec.BatchStats
	r := startPartDriver(t, st, p, src, exec.DriverConfig{}, &stats)
	flushParts(t, r.d, src)
	require.Equal(t, expectAgg(t, src.rows(), ts), mvRows(t, st, ts))
	require.Equal(t, [][]uint64{src.ends()}, r.d.Committed())

	// A fourth partition appears.
	for i := range 5 {
		src.add(3, row("new", int64(i)))
	}
	src.add(0, row("a", 100))
	r.d.Poke()
	flushParts(t, r.d, src)
	require.Equal(t, expectAgg(t, src.rows(), ts), mvRows(t, st, ts))
	require.Len(t, r.d.Committed()[0], 4)
	r.stop()
	last := stats[len(stats)-1]
	require.Equal(t, exec.Range{Source: 9, Partition: 3, From: 0, To: src.ends()[3]}, last.Ranges[3])

	// A restart loads every partition's committed offset and reads nothing
	// twice.
	r = startPartDriver(t, st, p, src, exec.DriverConfig{}, nil)
	require.Equal(t, [][]uint64{src.ends()}, r.d.Committed())
	src.add(1, row("b", 7))
	r.d.Poke()
	flushParts(t, r.d, src)
	r.stop()
	require.Equal(t, expectAgg(t, src.rows(), ts), mvRows(t, st, ts))
}

// TestDriverPartitionsReplay: a batch that failed after planning ranges
// over several partitions is replayed by the next driver with exactly
// those ranges, although partitions grew and a new one appeared since.
func TestDriverPartitionsReplay(t *testing.T) {
	st, p := openMem(t), aggPlan(t)
	ts := planner.Types(p.Root.Schema())
	src := newPartLog(2)
	for i := range 8 {
		src.add(i%2, row("k", int64(i)))
	}
	src.failPart = 1
	r := startPartDriver(t, st, p, src, exec.DriverConfig{}, nil)
	require.Eventually(t, func() bool { return r.d.Status().Status == exec.StatusFailed }, 5*time.Second, 5*time.Millisecond)
	r.stop()
	planned := src.ends()
	src.mu.Lock()
	src.failPart = -1
	src.mu.Unlock()
	src.add(0, row("k", 50))
	src.add(2, row("z", 1))
	var stats []exec.BatchStats
	r = startPartDriver(t, st, p, src, exec.DriverConfig{}, &stats)
	flushParts(t, r.d, src)
	r.stop()
	require.True(t, stats[0].Replay)
	require.Equal(t, uint64(1), stats[0].BatchID)
	require.Equal(t, []exec.Range{{Source: 9, Partition: 0, From: 0, To: planned[0]}, {Source: 9, Partition: 1, From: 0, To: planned[1]}},
		stats[0].Ranges)
	require.Equal(t, expectAgg(t, src.rows(), ts), mvRows(t, st, ts))
}

// TestDriverPartitionBudget: MaxRowsPerBatch (and a per-source override)
// bounds the offsets a batch reads over all partitions of a source, and
// every partition makes progress.
func TestDriverPartitionBudget(t *testing.T) {
	for _, cfg := range []exec.DriverConfig{{MaxRowsPerBatch: 5}, {MaxRowsPerBatch: 1000, SourceMaxRows: []uint64{5}}} {
		st, p := openMem(t), aggPlan(t)
		ts := planner.Types(p.Root.Schema())
		src := newPartLog(3)
		for i := range 30 {
			src.add(i%3, row(string(rune('a'+i%5)), int64(i)))
		}
		var stats []exec.BatchStats
		r := startPartDriver(t, st, p, src, cfg, &stats)
		flushParts(t, r.d, src)
		r.stop()
		require.Equal(t, expectAgg(t, src.rows(), ts), mvRows(t, st, ts))
		for _, s := range stats {
			var n uint64
			for _, rg := range s.Ranges {
				n += rg.To - rg.From
			}
			require.LessOrEqual(t, n, uint64(5), "batch %d", s.BatchID)
		}
		// The first batch shares the budget: no partition is starved.
		for _, rg := range stats[0].Ranges {
			require.Positive(t, rg.To-rg.From, "partition %d", rg.Partition)
		}
	}
}

// TestDriverStartAtEnd: with startup = 'latest' the partitions a new query
// sees start at their end (the start offsets are committed with the first
// batch, so a restart keeps them); a partition added later starts at 0.
func TestDriverStartAtEnd(t *testing.T) {
	st, p := openMem(t), aggPlan(t)
	ts := planner.Types(p.Root.Schema())
	src := newPartLog(2)
	for i := range 6 {
		src.add(i%2, row("old", int64(i)))
	}
	cfg := exec.DriverConfig{StartAtEnd: []bool{true}}
	r := startPartDriver(t, st, p, src, cfg, nil)
	flushParts(t, r.d, src)
	require.Empty(t, mvRows(t, st, ts))
	r.stop()
	r = startPartDriver(t, st, p, src, cfg, nil)
	src.add(0, row("new", 1))
	src.add(2, row("later", 2))
	r.d.Poke()
	flushParts(t, r.d, src)
	r.stop()
	require.Equal(t, expectAgg(t, [][]types.Datum{row("new", 1), row("later", 2)}, ts), mvRows(t, st, ts))
}

// TestDriverPartitionWatermark: the watermark of a partitioned source is
// the minimum over its partitions; a partition without rows holds it back.
func TestDriverPartitionWatermark(t *testing.T) {
	st, p := openMem(t), tumblePlan(t)
	src := &evParts{parts: make([][][]types.Datum, 2)}
	src.parts[0] = [][]types.Datum{sec("a", 30)}
	var stats []exec.BatchStats
	d, err := exec.NewDriver(exec.DriverConfig{QueryID: 1, MVID: 1, Name: "m", Plan: p, Store: st,
		Sources: []exec.LogSource{src}, Watermarks: []*exec.WatermarkSpec{{Column: 1, Delay: 1_000_000}},
		Logger: slog.New(slog.DiscardHandler), OnBatch: func(s exec.BatchStats) { stats = append(stats, s) }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	wait := func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, d.WaitCommitted(c, [][]uint64{src.ends()}))
	}
	wait()
	require.Equal(t, exec.NoWatermark, d.Status().Watermark, "partition 1 has no rows yet")
	src.add(1, sec("b", 20))
	d.Poke()
	wait()
	require.Equal(t, base+19_000_000, d.Status().Watermark)
	src.add(1, sec("b", 40))
	d.Poke()
	wait()
	require.Equal(t, base+29_000_000, d.Status().Watermark, "partition 0 is now the slowest")
	cancel()
	<-done
}

// evParts is a multi-partition LogSource of (k text, ts timestamp).
type evParts struct {
	mu    sync.Mutex
	parts [][][]types.Datum
}

func (l *evParts) ID() uint64               { return 7 }
func (l *evParts) Watermark() (int64, bool) { return 0, false }
func (l *evParts) Dense() bool              { return true }
func (l *evParts) Partitions() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.parts), nil
}
func (l *evParts) End(p int) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.parts[p])), nil
}
func (l *evParts) add(p int, r []types.Datum) {
	l.mu.Lock()
	l.parts[p] = append(l.parts[p], r)
	l.mu.Unlock()
}
func (l *evParts) ends() []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]uint64, len(l.parts))
	for p := range l.parts {
		out[p] = uint64(len(l.parts[p]))
	}
	return out
}
func (l *evParts) Read(p int, from, to uint64) (planner.ChunkReader, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := types.NewChunk([]types.T{types.TText, types.TTimestamp}, int(to-from))
	for _, r := range l.parts[p][from:to] {
		c.AppendRow(r)
	}
	return &oneChunk{c: c}, nil
}

// TestDriverMetaV2: a version 2 meta (one partition per source, before
// partitions) loads as partition 0 with its watermark progress.
func TestDriverMetaV2(t *testing.T) {
	st, p := openMem(t), tumblePlan(t)
	v := state.AppendHeader(nil, state.KindQueryMeta)
	for _, x := range []uint64{3, 0, 0, 0, 2} { // batch 3, changelog end 0, nothing planned, version 2
		v = binary.AppendUvarint(v, x)
	}
	v = binary.AppendVarint(v, base+4_000_000)      // wm
	v = binary.AppendUvarint(v, 1)                  // seen: one source
	v = binary.AppendVarint(append(v, 1), base+5e6) // seen[0] = 5 s
	v = binary.AppendUvarint(v, 0)                  // plannedUp: none
	require.NoError(t, st.Set(state.QueryMetaKey(1), v, true))
	off := binary.AppendUvarint(state.AppendHeader(nil, state.KindOffset), 1)
	require.NoError(t, st.Set(state.QueryOffsetKey(1, 7, 0), off, true))
	src := &evLog{id: 7}
	src.append(sec("a", 5), sec("a", 12))
	var stats []exec.BatchStats
	r := startEvDriver(t, st, p, []*evLog{src}, []*exec.WatermarkSpec{{Column: 1, Delay: 1_000_000}}, &stats)
	require.Equal(t, [][]uint64{{1}}, r.d.Committed())
	require.Equal(t, base+4_000_000, r.d.Status().Watermark)
	flushAll(t, r.d, []*evLog{src})
	r.stop()
	require.Equal(t, []exec.Range{{Source: 7, From: 1, To: 2}}, stats[0].Ranges)
	require.Equal(t, base+11_000_000, stats[0].Watermark)
}
