package server

import (
	"slices"
	"strings"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/sql/parser"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// alter runs ALTER MATERIALIZED VIEW name PAUSE | RESUME | REBUILD |
// SET (...) and ALTER SINK name PAUSE | RESUME.
func (s *session) alter(st *parser.Alter) (*Result, error) {
	if st.Kind == parser.KindSink {
		return s.alterSink(st)
	}
	if st.Kind != parser.KindMaterializedView {
		return nil, pgerror.NotSupported("ALTER %s ... %s is not supported yet", strings.ToUpper(string(st.Kind)), strings.ToUpper(st.Action))
	}
	return s.ddl(func() (*Result, error) {
		o := s.eng.cat.Lookup(st.Name.Schema, st.Name.Name)
		if o == nil {
			return nil, pgerror.New(pgerror.CodeUndefinedTable, "materialized view %q does not exist", st.Name.String())
		}
		if o.Kind != catalog.KindMatView {
			return nil, pgerror.New(pgerror.CodeWrongObjectType, "%q is not a materialized view", st.Name.String())
		}
		qs := s.eng.queries
		var err error
		switch st.Action {
		case "pause":
			err = qs.setPaused(o, true)
		case "resume":
			err = qs.setPaused(o, false)
		case "rebuild":
			err = qs.rebuild(o)
		case "set":
			opts := map[string]string{}
			for k, v := range o.Options {
				opts[k] = v
			}
			if err := checkUserQueryOptions(st.Set); err != nil {
				return nil, err
			}
			for k, v := range st.Set {
				opts[k] = v
			}
			if _, _, err = parseQueryOptions(opts, s.eng.cfg.TriggerInterval); err != nil {
				return nil, err
			}
			if o, err = s.eng.cat.SetOptions(o.ID, opts); err != nil {
				return nil, err
			}
			err = qs.restart(o)
		default:
			return nil, pgerror.NotSupported("ALTER MATERIALIZED VIEW ... %s", strings.ToUpper(st.Action))
		}
		if err != nil {
			return nil, err
		}
		return &Result{Tag: "ALTER MATERIALIZED VIEW"}, nil
	})
}

// alterSink runs ALTER SINK name PAUSE | RESUME: the sink's query and its
// delivery stop (committed batches stay in the outbox) or continue; the
// choice survives a restart.
func (s *session) alterSink(st *parser.Alter) (*Result, error) {
	if st.Action != "pause" && st.Action != "resume" {
		return nil, pgerror.NotSupported("ALTER SINK ... %s", strings.ToUpper(st.Action)).WithHint("Sinks take PAUSE and RESUME.")
	}
	return s.ddl(func() (*Result, error) {
		o := s.eng.cat.Lookup(st.Name.Schema, st.Name.Name)
		if o == nil || o.Kind != catalog.KindSink {
			return nil, pgerror.New(pgerror.CodeUndefinedObject, "sink %q does not exist", st.Name.String())
		}
		if err := s.eng.queries.setPaused(o, st.Action == "pause"); err != nil {
			return nil, err
		}
		return &Result{Tag: "ALTER SINK"}, nil
	})
}

// showQueriesColumns is the row shape of SHOW QUERIES.
var showQueriesColumns = []ResultColumn{
	{Name: "name", T: types.TText}, {Name: "kind", T: types.TText}, {Name: "status", T: types.TText},
	{Name: "batch_id", T: types.TInt8}, {Name: "last_batch_ms", T: types.TFloat8},
	{Name: "input_rows", T: types.TInt8}, {Name: "output_rows", T: types.TInt8},
	{Name: "lag_rows", T: types.TInt8}, {Name: "error", T: types.TText},
}

// showQueries lists the continuous queries: status, last batch id, the
// last batch's duration and input/output rows, and the lag.
func (s *session) showQueries() *Result {
	ts := make([]types.T, len(showQueriesColumns))
	for i, c := range showQueriesColumns {
		ts[i] = c.T
	}
	qs := s.eng.queries
	c := types.NewChunk(ts, 8)
	list := qs.list()
	slices.SortFunc(list, func(a, b *query) int { return strings.Compare(a.name, b.name) })
	for _, q := range list {
		st := qs.status(q)
		row := []types.Datum{types.DString(st.Name), types.DString(st.Kind), types.DString(st.Status),
			types.DInt(st.BatchID), types.NullDatum, types.NullDatum, types.NullDatum, types.DInt(st.LagRows), types.NullDatum}
		if st.Error != "" {
			row[8] = types.DString(st.Error)
		}
		if q.driver != nil {
			if l := q.driver.Status().Last; l != nil {
				var in int64
				for _, n := range l.InputRows {
					in += n
				}
				row[4] = types.DFloat(ms(l.Duration))
				row[5] = types.DInt(in)
				row[6] = types.DInt(l.OutputRows)
			}
		}
		c.AppendRow(row)
	}
	return &Result{Rows: &chunkRows{c: c}, Tag: "SHOW"}
}
