package server

import (
	"context"

	"github.com/weirdb/weir/sql/types"
)

// This file is the contract between the protocol layer (conn.go and the
// files it uses) and statement execution (session.go). The protocol layer
// knows nothing of SQL beyond splitting a simple Query; execution knows
// nothing of the wire.

// ResultColumn describes one column of a result for RowDescription.
type ResultColumn struct {
	Name     string
	T        types.T
	TableOID uint32 // 0 when not a plain column of a relation
	AttNum   int16
}

// Prepared is a parsed and bound statement (the product of Parse). It is
// immutable and may be executed many times.
type Prepared struct {
	// Text is the statement's text as the client sent it.
	Text string
	// Empty marks an empty or comment-only statement (EmptyQueryResponse).
	Empty bool
	// ParamTypes are the inferred (or client-given) parameter types, one per
	// $n, for ParameterDescription.
	ParamTypes []types.T
	// Columns is the row shape; nil for statements that return no rows
	// (NoData).
	Columns []ResultColumn
	// Kind is a short statement kind for metrics and logs ("select",
	// "insert", "create_table", "set", ...).
	Kind string
	// impl is the session's own bound form.
	impl any
}

// RowIter yields the rows of a result as chunks, until (nil, nil).
type RowIter interface {
	Next(ctx context.Context) (*types.Chunk, error)
	Close()
}

// CopyIn is the execution side of COPY ... FROM STDIN: the protocol layer
// sends CopyInResponse, feeds every CopyData payload to Write, and calls
// Finish on CopyDone (Abort on CopyFail or a broken connection). Nothing is
// visible or durable before Finish returns successfully.
type CopyIn struct {
	Columns int
	Binary  bool
	Write   func(ctx context.Context, data []byte) error
	Finish  func(ctx context.Context) (tag string, err error)
	Abort   func()
}

// Result is the outcome of executing a statement.
type Result struct {
	// Rows, when non-nil, are sent as DataRow messages; the protocol layer
	// closes it.
	Rows RowIter
	// Tag is the CommandComplete tag. For row-returning statements whose Tag
	// is "SELECT" the protocol layer appends the row count ("SELECT 3").
	Tag string
	// CopyIn, when non-nil, starts the copy-in sub-protocol; Tag is unused.
	CopyIn *CopyIn
	// ParamStatus lists run-time parameters changed by the statement (SET
	// TimeZone ...) to report with ParameterStatus.
	ParamStatus map[string]string
}

// Session executes statements for one connection. It is used by one
// goroutine at a time.
type Session interface {
	// Prepare parses and binds one statement. paramTypes are the types the
	// client declared in Parse (OID 0 = infer); the result's ParamTypes has
	// one entry per parameter the statement uses.
	Prepare(ctx context.Context, text string, paramTypes []types.T) (*Prepared, error)
	// Execute runs a prepared statement with parameter values already
	// decoded to the types in p.ParamTypes.
	Execute(ctx context.Context, p *Prepared, params []types.Datum) (*Result, error)
	// Split divides the text of a simple Query message into statements.
	// An error in a piece reports its position relative to the piece; the
	// protocol layer adds Piece.Offset so the client sees the position in
	// the whole message, as PostgreSQL reports it.
	Split(text string) []Piece
	// Setting returns a session setting (for formatting: DateStyle,
	// TimeZone, IntervalStyle...).
	Setting(name string) string
	// InitialParams is the ParameterStatus set sent at startup, given the
	// startup packet's parameters (which may set options).
	InitialParams(startup map[string]string) map[string]string
	// Close releases the session.
	Close()
}

// Piece is one statement of a simple Query message.
type Piece struct {
	Text string
	// Offset is the number of characters (not bytes) before Text in the
	// message.
	Offset int
}
