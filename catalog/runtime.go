package catalog

import "time"

// Runtime supplies the rows of the weir_catalog relations, which describe
// running continuous queries rather than definitions. The engine implements
// it and installs it with Catalog.SetRuntime; without one the relations are
// empty. Methods are called at scan time and must be safe for concurrent
// use; they return snapshots the catalog does not retain.
type Runtime interface {
	Queries() []QueryStatus
	Batches() []BatchInfo
	SourceProgress() []SourceProgress
	LateRows() []LateRow
	Errors() []ErrorRecord
}

// QueryStatus is one row of weir_catalog.queries.
type QueryStatus struct {
	Name              string
	Kind              string // "mv" or "sink"
	Status            string // running, paused, failed, needs_rebuild
	BatchID           int64
	LastBatchAt       time.Time // zero: NULL
	ProcessingMs      float64
	SchedulingDelayMs float64
	InputRowsPerSec   float64
	LagRows           int64
	Watermark         time.Time // zero: NULL
	StateBytes        int64
	Error             string // "": NULL
}

// BatchInfo is one row of weir_catalog.batches.
type BatchInfo struct {
	Query      string
	BatchID    int64
	StartedAt  time.Time
	DurationMs float64
	InputRows  int64
	OutputRows int64
	Watermark  time.Time // zero: NULL
	LateRows   int64
}

// SourceProgress is one row of weir_catalog.source_progress.
type SourceProgress struct {
	Query           string
	Source          string
	Partition       int32
	CommittedOffset int64
	EndOffset       int64
	Lag             int64
}

// LateRow is one row of weir_catalog.late_rows.
type LateRow struct {
	Query     string
	Source    string
	EventTime time.Time
	Watermark time.Time
	Row       string
	ArrivedAt time.Time
}

// ErrorRecord is one row of weir_catalog.errors.
type ErrorRecord struct {
	At      time.Time
	Object  string
	Kind    string // "bad_record", "query_error", ...
	Message string
	Raw     string // "": NULL
}
