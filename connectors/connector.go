package connectors

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/weirdb/weir/sql/types"
)

// Column is one column a source produces, in the order of its CREATE SOURCE
// column list. Metadata columns (`_key`, `_partition`, `_offset`,
// `_timestamp` for Kafka) are ordinary columns the connector fills in
// instead of reading them from the record.
type Column struct {
	Name    string
	T       types.T
	NotNull bool
}

// SourceSpec is what a source connector is opened with.
type SourceSpec struct {
	// Name is the source's name (for errors and metrics).
	Name    string
	Columns []Column
	// Options are the WITH (...) options, keys lower-case, the connector
	// key included.
	Options map[string]string
	// BadRecord is called for every record the connector skips because it
	// does not decode into Columns (bad_records = 'skip'). With
	// bad_records = 'fail' the connector returns an error from Next
	// instead. Never nil.
	BadRecord func(BadRecord)
}

// BadRecord is a record that did not decode.
type BadRecord struct {
	Partition int
	Offset    uint64
	Raw       []byte
	Err       error
}

// Source is an external, replayable log: partitions of records addressed by
// offsets. A continuous query keeps its own committed offset per partition
// in weir's state (the offsets are the truth, never a consumer group), and a
// batch reads exactly the planned range [from, to) of each partition, so a
// replay after a crash reads the same records.
//
// Offsets need not be dense (Kafka control records and aborted
// transactional records occupy offsets but yield no rows): a range may
// yield fewer rows than to-from. Dense reports whether they are.
//
// Implementations are safe for concurrent use.
type Source interface {
	// Partitions returns the current number of partitions (0..n-1). It may
	// grow; it never shrinks.
	Partitions(ctx context.Context) (int, error)
	// End returns the offset just past the last record of partition p that
	// may be read now (Kafka: the last stable offset, so that records of
	// open transactions are not read yet; a generator: how many events
	// exist by now at its rate).
	End(ctx context.Context, p int) (uint64, error)
	// Read returns the rows of partition p at offsets [from, to), to <=
	// End(p), in offset order, as chunks of the source's columns (nil Ops:
	// inserts). The same range always yields the same rows.
	Read(ctx context.Context, p int, from, to uint64) (RowReader, error)
	// Dense reports whether every offset in a range yields exactly one row
	// (or one bad record).
	Dense() bool
	// Close releases connections.
	Close() error
}

// ColumnSource is implemented by a source that defines its own columns
// (the Nexmark generator). A CREATE SOURCE without a column list opens
// the connector with no Columns and takes Columns() as the source's
// columns; with a list, the connector fills the declared columns by name.
type ColumnSource interface {
	Source
	// Columns returns the columns the source produces, in order.
	Columns() []Column
}

// RowReader yields chunks until (nil, nil).
type RowReader interface {
	Next(ctx context.Context) (*types.Chunk, error)
	Close() error
}

// SinkSpec is what a sink connector is opened with.
type SinkSpec struct {
	Name string
	// ID identifies the sink object (its catalog id): a sink dropped and
	// created again under the same name gets a new ID. Sinks that record
	// progress outside weir (the PostgreSQL sink's progress table) use it
	// to tell a re-created sink, whose batch ids start again, from the old
	// one. Zero when the engine does not know it.
	ID      uint64
	Columns []Column
	// Key lists the key columns of the sink's input (an MV's stream key);
	// nil when the input has none (append-only or multiset).
	Key     []int
	Options map[string]string
}

// Batch is the output of one committed batch of a sink's query: its
// change rows, in the order the query produced them, with Ops.
type Batch struct {
	// ID is the query's batch id; it identifies the batch across replays.
	ID      uint64
	Changes *types.Chunk
	// CommittedAt is when the batch was committed in weir.
	CommittedAt time.Time
}

// Sink delivers the batches of a sink's query to an external system.
// Batches arrive in increasing ID order, each after weir committed it
// (staged in the outbox inside the batch's commit). After a crash, batches
// not yet marked delivered are delivered again: a sink must make a repeat
// harmless — apply it exactly once (PostgreSQL: a progress table in the
// same transaction) or produce identical records (Kafka: same key, value
// and weir-batch header).
type Sink interface {
	Deliver(ctx context.Context, b Batch) error
	Close() error
}

// SourceFactory opens a source connector.
type SourceFactory func(ctx context.Context, spec SourceSpec) (Source, error)

// SinkFactory opens a sink connector.
type SinkFactory func(ctx context.Context, spec SinkSpec) (Sink, error)

var (
	mu      sync.RWMutex
	sources = map[string]SourceFactory{}
	sinks   = map[string]SinkFactory{}
)

// RegisterSource makes a source connector available under name (the
// `connector = '...'` option). Connector packages call it from init.
func RegisterSource(name string, f SourceFactory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := sources[name]; dup {
		panic("connectors: duplicate source connector " + name)
	}
	sources[name] = f
}

// RegisterSink makes a sink connector available under name.
func RegisterSink(name string, f SinkFactory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := sinks[name]; dup {
		panic("connectors: duplicate sink connector " + name)
	}
	sinks[name] = f
}

// OpenSource opens the source connector named by spec.Options["connector"].
func OpenSource(ctx context.Context, spec SourceSpec) (Source, error) {
	name := spec.Options["connector"]
	mu.RLock()
	f, ok := sources[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown source connector %q (known: %v)", name, SourceNames())
	}
	return f(ctx, spec)
}

// OpenSink opens the sink connector named by spec.Options["connector"].
func OpenSink(ctx context.Context, spec SinkSpec) (Sink, error) {
	name := spec.Options["connector"]
	mu.RLock()
	f, ok := sinks[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown sink connector %q (known: %v)", name, SinkNames())
	}
	return f(ctx, spec)
}

// SourceNames lists the registered source connectors.
func SourceNames() []string { return names(sources) }

// SinkNames lists the registered sink connectors.
func SinkNames() []string { return names(sinks) }

func names[V any](m map[string]V) []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
