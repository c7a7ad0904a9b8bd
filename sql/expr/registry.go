package expr

import (
	"time"

	"github.com/weirdb/weir/sql/types"
)

// EvalCtx carries what evaluation needs beyond the input chunk. One EvalCtx
// serves one statement execution (or one batch of a continuous query); it is
// not safe for concurrent use.
type EvalCtx struct {
	// Params holds the values of $1..$n.
	Params []types.Datum
	// Now is the statement's transaction timestamp (now(),
	// current_timestamp); fixed for the whole statement.
	Now time.Time
	// Location is the session TimeZone, used by timestamptz functions and
	// casts.
	Location *time.Location
	// Outer is the stack of enclosing rows for correlated subqueries:
	// Outer[len-Depth] is the row an OuterRef with Depth reads.
	Outer [][]types.Datum
	// Subquery evaluates a subquery expression for the current outer rows.
	// Set by the executor; nil when the plan has no subqueries.
	Subquery func(ctx *EvalCtx, sq *Subquery) (types.Datum, error)
	// SubqueryValues returns the first column of every row of an IN
	// subquery (SubqueryIn) for the current outer rows; the compiler applies
	// IN's NULL semantics with Subquery.Eq. Set by the executor.
	SubqueryValues func(ctx *EvalCtx, sq *Subquery) (*types.Vec, error)
	// Session settings functions may consult (current_setting,
	// current_database, ...).
	Settings func(name string) (string, bool)
	// Catalog answers the catalog lookups a few functions need
	// (pg_table_is_visible, format_type, regclass casts, ...). May be nil.
	Catalog CatalogFuncs
}

// CatalogFuncs is the narrow view of the catalog that built-in functions and
// reg* casts need; the server implements it over catalog.Catalog.
type CatalogFuncs interface {
	// RelationOID resolves a possibly qualified relation name.
	RelationOID(name string) (uint32, bool)
	// RelationName returns the (possibly qualified) name of a relation OID.
	RelationName(oid uint32) (string, bool)
}

// VecFunc is the vectorised kernel of a scalar function: args hold one
// vector per argument, each of length n; it returns a vector of length n.
// For a strict function (Func.NullCall false) the framework has already
// produced NULL for rows where any argument is NULL; the kernel may compute
// garbage for those rows but must not fail on them.
type VecFunc func(ctx *EvalCtx, args []*types.Vec, n int) (*types.Vec, error)

// Func is one overload of a scalar function or operator.
type Func struct {
	Name     string    // "length", "+", "=", "~~" (LIKE) ...
	Args     []types.T // declared argument types
	Variadic bool      // last Args entry repeats
	Ret      types.T
	Eval     VecFunc
	// NullCall: the kernel handles NULL arguments itself (coalesce-like,
	// concat); otherwise any NULL argument yields NULL.
	NullCall bool
	// Volatile: not constant-foldable (random, now is Stable; see below).
	Volatile bool
	// Stable: constant within a statement (now()); foldable at execution,
	// not at plan time.
	Stable bool
}

// AggState is the running state of one aggregate over many groups, which
// are numbered densely from 0. The hash aggregate owns one AggState per
// aggregate call. Implementations must support Delete ops (retraction) so
// the same code serves continuous queries; an aggregate that cannot retract
// cheaply (min/max) keeps what it needs to stay correct.
type AggState interface {
	// Grow makes groups [0, n) addressable; new groups start empty.
	Grow(n int)
	// Update folds rows of args into the groups given per row. ops may be
	// nil (all inserts). sel, when non-nil, restricts to those row indexes
	// (FILTER (WHERE ...) and DISTINCT produce it).
	Update(ctx *EvalCtx, groups []int32, args []*types.Vec, ops []types.Op, sel []int) error
	// Result appends the aggregate's current value for group g to out.
	Result(g int32, out *types.Vec)
	// Count returns how many rows currently contribute to group g (for
	// deciding that a group has become empty under retraction).
	Count(g int32) int64

	// AppendState appends a self-describing encoding of group g's state to
	// buf: an implementation tag, the implementation's StateVersion, then
	// the state. The encoding is deterministic (equal states give equal
	// bytes) and holds everything Result, Count and later Updates need, so
	// a continuous query can persist a group at a barrier and resume it
	// after a restart.
	AppendState(buf []byte, g int32) []byte
	// LoadState replaces group g's state (g already made addressable by
	// Grow) with data written by AppendState of the same aggregate. Data
	// of another implementation, an unknown version, or a malformed
	// encoding is an XX001 error, never guessed at; group g is then
	// unspecified and the state should be discarded.
	LoadState(g int32, data []byte) error
	// StateVersion is the format version of this implementation's
	// AppendState encoding. It is bumped whenever the encoding changes;
	// continuous queries record it so that state written by another
	// version is never reused silently (DESIGN.md, upgrade rule).
	StateVersion() uint32

	// Merge folds group sg of src, a state of the same aggregate over the
	// same argument types (possibly the receiver itself, sg != dst), into
	// group dst, as if sg's rows had been folded into dst after dst's own
	// rows; group sg is unchanged. Later Updates, retractions included,
	// behave as on a state that saw both groups' rows (agg_merge.go). The
	// window aggregate merges per-pane partial states and bridged
	// sessions with it. An error is XX000 for mismatched states or a
	// numeric overflow (22003).
	Merge(dst int32, src AggState, sg int32) error
}

// AggFunc is one overload of an aggregate function.
type AggFunc struct {
	Name string
	Args []types.T
	Ret  types.T
	New  func(argTypes []types.T, ret types.T) AggState
}
