package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/binder"
	"github.com/weirdb/weir/sql/parser"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// ddl runs fn with DDL serialized and bumps the catalog generation after
// it, so cached statements rebind.
func (s *session) ddl(fn func() (*Result, error)) (*Result, error) {
	s.eng.ddlMu.Lock()
	defer s.eng.ddlMu.Unlock()
	defer s.eng.ddlGen.Add(1)
	return fn()
}

func (s *session) takeCatalogNotices(ns []catalog.Notice) {
	for _, n := range ns {
		s.notice(n.Message, n.Detail)
	}
}

func (s *session) createTable(name parser.ObjName, defs []parser.ColumnDef, pk []string, wm *parser.Watermark,
	with map[string]string, text string, ifNotExists, source bool) (*Result, error) {
	cols := make([]planner.Column, len(defs))
	for i, d := range defs {
		if d.Default != "" {
			return nil, pgerror.NotSupported("DEFAULT values are not supported yet (column %q)", d.Name)
		}
		cols[i] = planner.Column{Name: d.Name, T: d.Type, NotNull: d.NotNull}
	}
	def := catalog.TableDef{Schema: name.Schema, Name: name.Name, Columns: cols, PrimaryKey: pk,
		Options: with, SQL: text, IfNotExists: ifNotExists}
	if wm != nil {
		w, err := watermarkOf(wm, defs)
		if err != nil {
			return nil, err
		}
		def.Watermark = w
	}
	return s.ddl(func() (*Result, error) {
		var notices []catalog.Notice
		var err error
		if source {
			_, notices, err = s.eng.cat.CreateSource(def)
		} else {
			_, notices, err = s.eng.cat.CreateTable(def)
		}
		if err != nil {
			return nil, err
		}
		s.takeCatalogNotices(notices)
		if source {
			return &Result{Tag: "CREATE SOURCE"}, nil
		}
		return &Result{Tag: "CREATE TABLE"}, nil
	})
}

// watermarkOf checks a WATERMARK clause: the column must exist and hold
// event time, and the delay must be a fixed length.
func watermarkOf(wm *parser.Watermark, defs []parser.ColumnDef) (*catalog.Watermark, error) {
	i := slices.IndexFunc(defs, func(d parser.ColumnDef) bool { return d.Name == wm.Column })
	if i < 0 {
		return nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q does not exist", wm.Column).WithHint("WATERMARK FOR must name a column of the table.")
	}
	switch defs[i].Type.ID {
	case types.Timestamp, types.TimestampTZ:
	default:
		return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "WATERMARK column %q must be timestamp or timestamptz, not %s", wm.Column, defs[i].Type)
	}
	if wm.Delay.Months != 0 {
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "WATERMARK delay must not use months or years")
	}
	d := time.Duration(wm.Delay.Days)*24*time.Hour + time.Duration(wm.Delay.Micros)*time.Microsecond
	if d < 0 {
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "WATERMARK delay must not be negative")
	}
	return &catalog.Watermark{Column: wm.Column, Delay: d, Expr: fmt.Sprintf("%s - INTERVAL '%s'", wm.Column, wm.DelayText)}, nil
}

func (s *session) createView(st *parser.CreateView) (*Result, error) {
	if st.Query == nil {
		return nil, pgerror.Syntax(0, "CREATE VIEW needs AS followed by a query")
	}
	if st.EmitOnWindowClose && !st.Materialized {
		return nil, pgerror.Syntax(0, "EMIT ON WINDOW CLOSE applies to materialized views and sinks only")
	}
	opts := st.With
	if st.Materialized {
		if err := checkUserQueryOptions(st.With); err != nil {
			return nil, err
		}
		if _, _, err := parseQueryOptions(st.With, s.eng.cfg.TriggerInterval); err != nil {
			return nil, err
		}
		if st.EmitOnWindowClose {
			opts = maps.Clone(st.With)
			if opts == nil {
				opts = map[string]string{}
			}
			opts[optEmitOnClose] = "true"
		}
	} else if len(st.With) > 0 {
		return nil, pgerror.NotSupported("WITH options on a view")
	}
	return s.ddl(func() (*Result, error) {
		res := &resolver{cat: s.eng.cat, eng: s.eng, seen: map[uint32]bool{}}
		b, err := binder.Bind(res, sourceOf(st.Query), nil, binder.Options{Parse: parseView})
		if err != nil {
			return nil, err
		}
		if len(b.ParamTypes) > 0 {
			return nil, pgerror.New("42P02", "there is no parameter $1")
		}
		if b.Insert != nil || b.Columns == nil {
			return nil, pgerror.Syntax(0, "a view must be defined by a SELECT")
		}
		if len(st.Columns) > len(b.Columns) {
			return nil, pgerror.Syntax(0, "CREATE VIEW specifies more column names than columns")
		}
		if st.Materialized {
			// Refuse what cannot run continuously before creating anything.
			if _, err := planner.StreamifyWith(b.Plan, streamOptions(opts)); err != nil {
				return nil, err
			}
		}
		cols := make([]planner.Column, len(b.Columns))
		for i, c := range b.Columns {
			cols[i] = planner.Column{Name: c.Name, T: c.T}
			if i < len(st.Columns) {
				cols[i].Name = st.Columns[i]
			}
		}
		deps := make([]uint32, 0, len(res.seen))
		for oid := range res.seen {
			deps = append(deps, oid)
		}
		slices.Sort(deps)
		def := catalog.ViewDef{Schema: st.Name.Schema, Name: st.Name.Name, Columns: cols, Query: st.QueryText,
			SQL: st.Text, DependsOn: deps, Options: opts, IfNotExists: st.IfNotExists}
		kind, tag := catalog.KindView, "CREATE VIEW"
		if st.Materialized {
			kind, tag = catalog.KindMatView, "CREATE MATERIALIZED VIEW"
		}
		if st.OrReplace {
			if o := s.eng.cat.Lookup(st.Name.Schema, st.Name.Name); o != nil && o.Kind == kind {
				r, err := s.eng.cat.Drop(kind, st.Name.Schema, st.Name.Name, false, false)
				if err != nil {
					return nil, err
				}
				if err := s.eng.queries.dropped(r.Dropped); err != nil {
					return nil, err
				}
			}
		}
		var notices []catalog.Notice
		var obj *catalog.Object
		if st.Materialized {
			obj, notices, err = s.eng.cat.CreateMatView(def)
		} else {
			_, notices, err = s.eng.cat.CreateView(def)
		}
		if err != nil {
			return nil, err
		}
		if st.Materialized && obj != nil && s.eng.queries.get(obj.ID) == nil {
			// Start the continuous query: it backfills from offset 0 of
			// every input. A query that fails to start leaves no MV.
			if err := s.eng.queries.start(obj, true); err != nil {
				if r, derr := s.eng.cat.Drop(catalog.KindMatView, obj.Schema, obj.Name, true, false); derr == nil {
					_ = s.eng.queries.dropped(r.Dropped)
				}
				return nil, err
			}
		}
		s.takeCatalogNotices(notices)
		return &Result{Tag: tag}, nil
	})
}

var dropKinds = map[parser.ObjKind]catalog.Kind{
	parser.KindTable:            catalog.KindTable,
	parser.KindSource:           catalog.KindSource,
	parser.KindView:             catalog.KindView,
	parser.KindMaterializedView: catalog.KindMatView,
	parser.KindSink:             catalog.KindSink,
}

func (s *session) drop(st *parser.Drop) (*Result, error) {
	kind, ok := dropKinds[st.Kind]
	if !ok {
		return nil, pgerror.NotSupported("DROP %s is not supported", strings.ToUpper(string(st.Kind)))
	}
	return s.ddl(func() (*Result, error) {
		for _, n := range st.Names {
			r, err := s.eng.cat.Drop(kind, n.Schema, n.Name, st.IfExists, st.Cascade)
			if err != nil {
				return nil, err
			}
			if err := s.eng.queries.dropped(r.Dropped); err != nil {
				return nil, err
			}
			s.takeCatalogNotices(r.Notices)
		}
		return &Result{Tag: "DROP " + strings.ToUpper(string(st.Kind))}, nil
	})
}

// showObjectKinds maps SHOW TABLES etc. to catalog kinds.
var showObjectKinds = map[string]catalog.Kind{
	"tables":             catalog.KindTable,
	"sources":            catalog.KindSource,
	"views":              catalog.KindView,
	"materialized views": catalog.KindMatView,
	"sinks":              catalog.KindSink,
}

func (s *session) showColumns(st *parser.Show) []ResultColumn {
	switch {
	case st.What == "queries":
		return showQueriesColumns
	case st.Objects:
		return []ResultColumn{{Name: "name", T: types.TText}}
	case st.What == "all":
		return []ResultColumn{{Name: "name", T: types.TText}, {Name: "setting", T: types.TText}, {Name: "description", T: types.TText}}
	}
	name := st.What
	if set, err := lookupSetting(name); err == nil {
		name = set.name
	}
	return []ResultColumn{{Name: name, T: types.TText}}
}

func (s *session) show(st *parser.Show) (*Result, error) {
	switch {
	case st.What == "queries":
		return s.showQueries(), nil
	case st.Objects:
		kind, ok := showObjectKinds[st.What]
		if !ok {
			return nil, pgerror.NotSupported("SHOW %s is not supported", strings.ToUpper(st.What))
		}
		var names []string
		for _, o := range s.eng.cat.List(kind) {
			names = append(names, o.Name)
		}
		slices.Sort(names)
		return &Result{Rows: textRows(names), Tag: "SHOW"}, nil
	case st.What == "all":
		all := s.settings.all()
		c := types.NewChunk([]types.T{types.TText, types.TText, types.TText}, len(all))
		for _, kv := range all {
			c.AppendRow([]types.Datum{types.DString(kv[0]), types.DString(kv[1]), types.DString(kv[2])})
		}
		return &Result{Rows: &chunkRows{c: c}, Tag: "SHOW"}, nil
	}
	v, ok := s.lookupSetting(st.What)
	if !ok {
		return nil, pgerror.New(pgerror.CodeUndefinedObject, "unrecognized configuration parameter %q", st.What)
	}
	return &Result{Rows: textRows([]string{v}), Tag: "SHOW"}, nil
}

func (s *session) showCreate(st *parser.ShowCreate) (*Result, error) {
	o := s.eng.cat.Lookup(st.Name.Schema, st.Name.Name)
	if o == nil || (dropKinds[st.Kind] != o.Kind) {
		return nil, pgerror.New(pgerror.CodeUndefinedTable, "%s %q does not exist", st.Kind, st.Name.String())
	}
	c := types.NewChunk([]types.T{types.TText, types.TText}, 1)
	c.AppendRow([]types.Datum{types.DString(o.Name), types.DString(o.SQL)})
	return &Result{Rows: &chunkRows{c: c}, Tag: "SHOW"}, nil
}

func (s *session) set(st *parser.Set) (*Result, error) {
	name, val, report, err := s.settings.set(st.Name, st.Values)
	if err != nil {
		return nil, err
	}
	res := &Result{Tag: "SET"}
	if report {
		res.ParamStatus = map[string]string{name: val}
	}
	return res, nil
}

func (s *session) reset(st *parser.Reset) (*Result, error) {
	if st.All {
		old := s.settings
		s.settings = newSessionSettings()
		res := &Result{Tag: "RESET", ParamStatus: map[string]string{}}
		for k := range old.vals {
			if set, ok := settings[k]; ok && set.report {
				res.ParamStatus[set.name] = set.def
			}
		}
		return res, nil
	}
	name, val, report, err := s.settings.set(st.Name, nil)
	if err != nil {
		return nil, err
	}
	res := &Result{Tag: "RESET"}
	if report {
		res.ParamStatus = map[string]string{name: val}
	}
	return res, nil
}

// copy runs COPY ... FROM STDIN: rows are decoded and type-checked as they
// arrive, and written to the table's log in one synced append at the end,
// so a bad row anywhere rejects the whole COPY and writes nothing.
func (s *session) copy(st *parser.Copy) (*Result, error) {
	if !st.From || !st.Stdin {
		return nil, pgerror.NotSupported("only COPY ... FROM STDIN is supported")
	}
	o := s.eng.cat.Lookup(st.Table.Schema, st.Table.Name)
	if o == nil {
		return nil, pgerror.New(pgerror.CodeUndefinedTable, "relation %q does not exist", st.Table.String())
	}
	rel, ok := s.eng.cat.Relation(o).(*catalog.TableRelation)
	if !ok {
		return nil, pgerror.New(pgerror.CodeWrongObjectType, "cannot copy to %s %q", kindWord(o.Kind), o.Name)
	}
	target := make([]int, 0, len(o.Columns))
	if len(st.Columns) == 0 {
		for i, c := range o.Columns {
			if !c.Hidden {
				target = append(target, i)
			}
		}
	} else {
		for _, name := range st.Columns {
			i := o.ColumnIndex(name)
			if i < 0 {
				return nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q of relation %q does not exist", name, o.Name)
			}
			if slices.Contains(target, i) {
				return nil, pgerror.New(pgerror.CodeDuplicateColumn, "column %q specified more than once", name)
			}
			target = append(target, i)
		}
	}
	f, err := newCopyFormat(st.Format, st.Delimiter, st.Null, st.Quote, st.Escape, st.Header)
	if err != nil {
		return nil, err
	}
	dec := newCopyDecoder(f)
	names := make([]string, len(o.Columns))
	notNull := make([]bool, len(o.Columns))
	for i, c := range o.Columns {
		names[i], notNull[i] = c.Name, c.NotNull
	}
	cr, err := newCopyRows(o.Name, names, notNull, o.ColumnTypes(), target, s.evalCtx(nil))
	if err != nil {
		return nil, err
	}
	s.noteAutocommit()
	return &Result{CopyIn: &CopyIn{
		Columns: len(target),
		Write: func(ctx context.Context, data []byte) error {
			return dec.write(data, cr.add)
		},
		Finish: func(ctx context.Context) (string, error) {
			if err := dec.finish(cr.add); err != nil {
				return "", err
			}
			rows, err := cr.finish()
			if err != nil {
				return "", err
			}
			if rows.N > 0 {
				if _, _, err := rel.Append(rows); err != nil {
					return "", err
				}
				s.eng.queries.poke(o.ID)
			}
			return fmt.Sprintf("COPY %d", rows.N), nil
		},
		Abort: func() {},
	}}, nil
}

// chunkRows serves one prebuilt chunk.
type chunkRows struct {
	c    *types.Chunk
	done bool
}

func (r *chunkRows) Next(ctx context.Context) (*types.Chunk, error) {
	if r.done || r.c.N == 0 {
		return nil, nil
	}
	r.done = true
	return r.c, nil
}

func (r *chunkRows) Close() {}

// textRows serves a single text column.
func textRows(vals []string) RowIter {
	c := types.NewChunk([]types.T{types.TText}, len(vals))
	for _, v := range vals {
		c.AppendRow([]types.Datum{types.DString(v)})
	}
	return &chunkRows{c: c}
}
