package blackhole

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
)

func init() {
	connectors.RegisterSink("blackhole", Open)
}

// Sink counts the batches and change rows delivered to it and drops them.
// Its counters are also kept per sink name (Counts), for tests and
// benchmarks that reach the connector only through the engine.
type Sink struct {
	name    string
	batches atomic.Int64
	rows    atomic.Int64
	last    atomic.Uint64
}

var (
	mu     sync.Mutex
	byName = map[string]*Sink{} // the most recently opened sink of each name
)

// Open is the connector's factory. It takes no options besides the
// engine's (connector, type).
func Open(ctx context.Context, spec connectors.SinkSpec) (connectors.Sink, error) {
	for k := range spec.Options {
		switch k {
		case "connector", "type":
		default:
			return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "blackhole: unrecognized parameter %q", k).
				WithHint("The blackhole sink takes no options.")
		}
	}
	s := &Sink{name: spec.Name}
	mu.Lock()
	byName[spec.Name] = s
	mu.Unlock()
	return s, nil
}

// Deliver implements connectors.Sink: it counts b and forgets it.
func (s *Sink) Deliver(ctx context.Context, b connectors.Batch) error {
	s.batches.Add(1)
	if b.Changes != nil {
		s.rows.Add(int64(b.Changes.N))
	}
	s.last.Store(b.ID)
	return nil
}

// Close implements connectors.Sink.
func (s *Sink) Close() error { return nil }

// Stats are a sink's counters.
type Stats struct {
	Batches, Rows int64
	LastBatch     uint64
}

// Stats returns the counters.
func (s *Sink) Stats() Stats {
	return Stats{Batches: s.batches.Load(), Rows: s.rows.Load(), LastBatch: s.last.Load()}
}

// Counts returns the counters of the most recently opened blackhole sink
// named name (ok false when none was opened).
func Counts(name string) (Stats, bool) {
	mu.Lock()
	s := byName[name]
	mu.Unlock()
	if s == nil {
		return Stats{}, false
	}
	return s.Stats(), true
}
