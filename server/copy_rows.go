package server

import (
	"fmt"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// copyBatchRows is how many COPY rows are gathered as text before their
// columns are cast to the table's types.
const copyBatchRows = 1024

// copyRows turns the text fields of COPY ... FROM STDIN into table rows.
// Fields are gathered as text columns and each column is cast to its table
// type with one vectorised cast per batch of copyBatchRows rows (the same
// assignment cast, text → column type, that a per-value expr.CastDatum
// performs, without a vector allocated per value).
//
// Errors are those of casting and checking row by row: when a batch fails,
// it is replayed value by value to report the first bad value in line
// order, with the COPY context PostgreSQL gives (table, line, column). A
// wrong field count is reported only after the rows before it have been
// checked, so the first error in the data is the one reported.
//
// Not safe for concurrent use.
type copyRows struct {
	table   string
	names   []string // every table column, for messages
	notNull []bool   // every table column
	ts      []types.T
	target  []int            // table column of each field
	casts   []expr.Evaluator // per field: text → ts[target[j]]
	ec      *expr.EvalCtx

	pending *types.Chunk // text columns, one per field
	lines   []int        // input line of each pending row

	// rows holds the accepted rows, one column per table column.
	rows *types.Chunk
}

func newCopyRows(table string, names []string, notNull []bool, ts []types.T, target []int, ec *expr.EvalCtx) (*copyRows, error) {
	r := &copyRows{table: table, names: names, notNull: notNull, ts: ts, target: target, ec: ec}
	textTypes := make([]types.T, len(target))
	for j, ci := range target {
		textTypes[j] = types.TText
		ev, err := expr.Compile(&expr.Cast{E: &expr.ColRef{Idx: j, T: types.TText, Name: names[ci]}, To: ts[ci], Assign: true})
		if err != nil {
			return nil, err
		}
		r.casts = append(r.casts, ev)
	}
	r.pending = types.NewChunk(textTypes, copyBatchRows)
	r.rows = types.NewChunk(ts, copyBatchRows)
	return r, nil
}

// add takes the fields of one input row (nil is NULL).
func (r *copyRows) add(fields []*string, line int) error {
	if len(fields) != len(r.target) {
		if err := r.flush(); err != nil {
			return err
		}
		if len(fields) > len(r.target) {
			return pgerror.New(pgerror.CodeBadCopyFileFormat, "extra data after last expected column").WithDetail("COPY %s, line %d", r.table, line)
		}
		return pgerror.New(pgerror.CodeBadCopyFileFormat, "missing data for column %q", r.names[r.target[len(fields)]]).WithDetail("COPY %s, line %d", r.table, line)
	}
	for j, p := range fields {
		v := r.pending.Cols[j]
		if p == nil {
			v.AppendNull()
		} else {
			v.S = append(v.S, *p)
		}
	}
	r.pending.N++
	r.lines = append(r.lines, line)
	if r.pending.N >= copyBatchRows {
		return r.flush()
	}
	return nil
}

// flush casts the pending rows and appends them to r.rows.
func (r *copyRows) flush() error {
	n := r.pending.N
	if n == 0 {
		return nil
	}
	outs := make([]*types.Vec, len(r.casts))
	for j, ev := range r.casts {
		v, err := ev.Eval(r.ec, r.pending)
		if err != nil {
			return r.firstError(err)
		}
		outs[j] = v
	}
	// fieldOf[ci] is the field feeding table column ci, or -1 (NULL).
	fieldOf := make([]int, len(r.ts))
	for i := range fieldOf {
		fieldOf[i] = -1
	}
	for j, ci := range r.target {
		fieldOf[ci] = j
	}
	for row := range n {
		for ci, nn := range r.notNull {
			if nn && (fieldOf[ci] < 0 || outs[fieldOf[ci]].IsNull(row)) {
				return r.notNullError(ci, r.lines[row])
			}
		}
	}
	for ci, v := range r.rows.Cols {
		j := fieldOf[ci]
		for row := range n {
			if j < 0 {
				v.AppendNull()
			} else {
				v.AppendFrom(outs[j], row)
			}
		}
	}
	r.rows.N += n
	for _, v := range r.pending.Cols {
		v.S, v.Nulls = v.S[:0], nil
	}
	r.pending.N = 0
	r.lines = r.lines[:0]
	return nil
}

// firstError replays the pending rows value by value and returns the first
// error in line order (a cast error, or a NULL in a NOT NULL column), with
// its COPY context. batchErr is returned if the replay finds none.
func (r *copyRows) firstError(batchErr error) error {
	for row := range r.pending.N {
		isNull := make([]bool, len(r.ts))
		for i := range isNull {
			isNull[i] = true
		}
		for j, ci := range r.target {
			v := r.pending.Cols[j]
			if v.IsNull(row) {
				continue
			}
			d, err := expr.CastDatum(r.ec, types.DString(v.S[row]), types.TText, r.ts[ci], false)
			if err != nil {
				pe := pgerror.Convert(err)
				if pe.Detail == "" {
					pe.Detail = fmt.Sprintf("COPY %s, line %d, column %s: %q", r.table, r.lines[row], r.names[ci], v.S[row])
				}
				return pe
			}
			isNull[ci] = d.Null
		}
		for ci, nn := range r.notNull {
			if nn && isNull[ci] {
				return r.notNullError(ci, r.lines[row])
			}
		}
	}
	return batchErr
}

func (r *copyRows) notNullError(ci, line int) error {
	return pgerror.New(pgerror.CodeNotNullViolation, "null value in column %q of relation %q violates not-null constraint", r.names[ci], r.table).
		WithDetail("COPY %s, line %d", r.table, line)
}

// finish casts what is pending and returns every accepted row.
func (r *copyRows) finish() (*types.Chunk, error) {
	if err := r.flush(); err != nil {
		return nil, err
	}
	return r.rows, nil
}
