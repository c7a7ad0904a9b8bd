package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/parser"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// This file wires CREATE SOURCE objects to their connectors
// (docs/connectors.md, "Sources in the engine"): options are checked and
// the connector opened at CREATE, so a typo fails the statement; one open
// connector per source is shared by every continuous query, sink and
// ad-hoc SELECT reading it; bad records are counted and kept for
// weir_catalog.errors.

// Option keys the engine reads from a source's WITH (...) clause. They are
// passed on to the connector with the others (bad_records decides whether
// the connector skips a bad record or fails the read).
const (
	optConnector  = "connector"
	optStartup    = "startup"
	optBadRecords = "bad_records"
)

// maxBadRecords is how many recent bad records weir_catalog.errors keeps.
const maxBadRecords = 1000

// sourceCallTimeout bounds one call into a connector made on behalf of a
// batch or a SELECT (End, Partitions, Read's open): a broker that does not
// answer fails the batch, which is retried with backoff.
const sourceCallTimeout = 30 * time.Second

// sources holds the open source connectors and the bad records they
// reported.
type sources struct {
	eng *Engine

	mu   sync.Mutex
	open map[uint64]connectors.Source // guarded by mu; by source object id
	bad  []catalog.ErrorRecord        // guarded by mu; ring of recent bad records

	badTotal *prometheus.CounterVec
}

func newSources(e *Engine) *sources {
	return &sources{eng: e, open: map[uint64]connectors.Source{},
		badTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weir_bad_records_total",
			Help: "Records a source skipped because they did not decode, by source."}, []string{"source"})}
}

// sourceOptions are the engine's options of a source.
type sourceOptions struct {
	latest  bool   // startup = 'latest'
	maxRows uint64 // max_rows_per_batch; 0: the query's
}

// parseSourceOptions checks the engine-level options of a source (the
// connector checks its own when opened).
func parseSourceOptions(opts map[string]string) (sourceOptions, error) {
	var so sourceOptions
	if opts[optConnector] == "" {
		return so, pgerror.New(pgerror.CodeInvalidParameterValue, "a source needs the %q option", optConnector).
			WithHint("Known source connectors: %s.", strings.Join(connectors.SourceNames(), ", "))
	}
	bad := func(k, v, hint string) error {
		return pgerror.New(pgerror.CodeInvalidParameterValue, "invalid value for parameter %q: %q", k, v).WithHint("%s", hint)
	}
	if v, ok := opts[optStartup]; ok {
		switch v {
		case "earliest":
		case "latest":
			so.latest = true
		default:
			return so, bad(optStartup, v, "Use 'earliest' or 'latest'.")
		}
	}
	if v, ok := opts[optBadRecords]; ok && v != "skip" && v != "fail" {
		return so, bad(optBadRecords, v, "Use 'skip' or 'fail'.")
	}
	if v, ok := opts[optMaxRows]; ok {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil || n == 0 {
			return so, bad(optMaxRows, v, "Use a positive integer.")
		}
		so.maxRows = n
	}
	return so, nil
}

// connectorColumns converts catalog columns to the connector's.
func connectorColumns(cols []planner.Column) []connectors.Column {
	out := make([]connectors.Column, 0, len(cols))
	for _, c := range cols {
		if !c.Hidden {
			out = append(out, connectors.Column{Name: c.Name, T: c.T, NotNull: c.NotNull})
		}
	}
	return out
}

// spec is what the connector of source name is opened with.
func (ss *sources) spec(name string, cols []connectors.Column, opts map[string]string) connectors.SourceSpec {
	return connectors.SourceSpec{Name: name, Columns: cols, Options: maps.Clone(opts),
		BadRecord: func(r connectors.BadRecord) { ss.badRecord(name, r) }}
}

// asOptionError classifies an error of opening or checking a connector: a
// connector's own SQLSTATE is kept, anything else is a bad option (22023).
func asOptionError(what string, err error) error {
	var pe *pgerror.Error
	if errors.As(err, &pe) {
		return err
	}
	return pgerror.New(pgerror.CodeInvalidParameterValue, "%s: %v", what, err)
}

// get returns o's open connector, opening it on first use.
func (ss *sources) get(o *catalog.Object) (connectors.Source, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if src, ok := ss.open[o.ID]; ok {
		return src, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), sourceCallTimeout)
	defer cancel()
	src, err := connectors.OpenSource(ctx, ss.spec(o.Name, connectorColumns(o.Columns), o.Options))
	if err != nil {
		return nil, asOptionError(fmt.Sprintf("source %q", o.Name), err)
	}
	ss.open[o.ID] = src
	return src, nil
}

// closeSource closes the connector of a dropped source.
func (ss *sources) closeSource(id uint64) {
	ss.mu.Lock()
	src := ss.open[id]
	delete(ss.open, id)
	ss.mu.Unlock()
	if src != nil {
		_ = src.Close()
	}
}

// close closes every open connector (after the queries stopped).
func (ss *sources) close() {
	ss.mu.Lock()
	all := ss.open
	ss.open = map[uint64]connectors.Source{}
	ss.mu.Unlock()
	for _, src := range all {
		_ = src.Close()
	}
}

// badRecord counts a record source skipped and keeps it for
// weir_catalog.errors.
func (ss *sources) badRecord(source string, r connectors.BadRecord) {
	ss.badTotal.WithLabelValues(source).Inc()
	msg := fmt.Sprintf("partition %d offset %d: %v", r.Partition, r.Offset, r.Err)
	ss.mu.Lock()
	if len(ss.bad) >= maxBadRecords {
		ss.bad = slices.Delete(ss.bad, 0, len(ss.bad)-maxBadRecords+1)
	}
	ss.bad = append(ss.bad, catalog.ErrorRecord{At: time.Now(), Object: source, Kind: "bad_record", Message: msg,
		Raw: escapeRaw(r.Raw)})
	ss.mu.Unlock()
}

// badRecords returns the recent bad records, oldest first.
func (ss *sources) badRecords() []catalog.ErrorRecord {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return slices.Clone(ss.bad)
}

// escapeRaw renders a record's bytes as text: valid UTF-8 as is, every
// byte of an invalid sequence as \xNN, and a backslash as \\ so that the
// escaping is unambiguous.
func escapeRaw(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&sb, `\x%02x`, b[0])
		case r == '\\':
			sb.WriteString(`\\`)
		default:
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// createSource runs CREATE SOURCE: the options are checked and the
// connector opened (and asked for its partitions) before the catalog
// object exists, so a bad option or an unreachable system fails the
// statement with 22023.
func (s *session) createSource(st *parser.CreateSource) (*Result, error) {
	if len(st.PrimaryKey) > 0 {
		return nil, pgerror.NotSupported("a source cannot have a primary key").
			WithHint("A source is an append-only stream; declare the key in the materialized views that read it.")
	}
	for _, d := range st.Columns {
		if d.Default != "" {
			return nil, pgerror.NotSupported("DEFAULT values are not supported on sources (column %q)", d.Name)
		}
	}
	if _, err := parseSourceOptions(st.With); err != nil {
		return nil, err
	}
	return s.ddl(func() (*Result, error) {
		ss := s.eng.sources
		if o := s.eng.cat.Lookup(st.Name.Schema, st.Name.Name); o != nil && st.IfNotExists {
			s.notice(fmt.Sprintf("relation %q already exists, skipping", st.Name.Name), "")
			return &Result{Tag: "CREATE SOURCE"}, nil
		}
		var cols []connectors.Column
		for _, d := range st.Columns {
			cols = append(cols, connectors.Column{Name: d.Name, T: d.Type, NotNull: d.NotNull})
		}
		ctx, cancel := context.WithTimeout(context.Background(), sourceCallTimeout)
		defer cancel()
		src, err := connectors.OpenSource(ctx, ss.spec(st.Name.Name, cols, st.With))
		if err != nil {
			return nil, asOptionError(fmt.Sprintf("source %q", st.Name.Name), err)
		}
		keep := false
		defer func() {
			if !keep {
				_ = src.Close()
			}
		}()
		if _, err := src.Partitions(ctx); err != nil {
			return nil, asOptionError(fmt.Sprintf("source %q", st.Name.Name), err)
		}
		if len(cols) == 0 {
			cs, ok := src.(connectors.ColumnSource)
			if !ok {
				return nil, pgerror.New("42P16", "source %q needs a column list", st.Name.Name).
					WithHint("Connector %q does not define its own columns.", st.With[optConnector])
			}
			cols = cs.Columns()
		}
		defs := make([]parser.ColumnDef, len(cols))
		pcols := make([]planner.Column, len(cols))
		for i, c := range cols {
			defs[i] = parser.ColumnDef{Name: c.Name, Type: c.T, NotNull: c.NotNull}
			pcols[i] = planner.Column{Name: c.Name, T: c.T, NotNull: c.NotNull}
		}
		def := catalog.TableDef{Schema: st.Name.Schema, Name: st.Name.Name, Columns: pcols, Options: st.With, SQL: st.Text,
			IfNotExists: st.IfNotExists}
		if st.Watermark != nil {
			if def.Watermark, err = watermarkOf(st.Watermark, defs); err != nil {
				return nil, err
			}
		}
		o, notices, err := s.eng.cat.CreateSource(def)
		if err != nil {
			return nil, err
		}
		s.takeCatalogNotices(notices)
		ss.mu.Lock()
		if _, dup := ss.open[o.ID]; !dup {
			ss.open[o.ID], keep = src, true
		}
		ss.mu.Unlock()
		return &Result{Tag: "CREATE SOURCE"}, nil
	})
}

// connectorLog is a source connector as an input of continuous queries
// (exec.LogSource).
type connectorLog struct {
	id  uint64
	src connectors.Source
}

var _ exec.LogSource = (*connectorLog)(nil)

func (l *connectorLog) ID() uint64 { return l.id }

// Watermark implements exec.LogSource: a source's event time is tracked
// from its rows (its WATERMARK FOR declaration).
func (l *connectorLog) Watermark() (int64, bool) { return 0, false }
func (l *connectorLog) Dense() bool              { return l.src.Dense() }

func (l *connectorLog) Partitions() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sourceCallTimeout)
	defer cancel()
	return l.src.Partitions(ctx)
}

func (l *connectorLog) End(p int) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sourceCallTimeout)
	defer cancel()
	return l.src.End(ctx, p)
}

func (l *connectorLog) Read(p int, from, to uint64) (planner.ChunkReader, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sourceCallTimeout)
	defer cancel()
	return l.src.Read(ctx, p, from, to)
}

// sourceRelation is a source in FROM of an ad-hoc SELECT: a bounded scan
// of every partition from offset 0 up to its end when the scan starts
// (startup = 'latest' applies to continuous queries only: a SELECT shows
// what the source holds).
type sourceRelation struct {
	planner.Relation
	ss  *sources
	obj *catalog.Object
}

var (
	_ planner.ScanRelation        = (*sourceRelation)(nil)
	_ planner.WatermarkedRelation = (*sourceRelation)(nil)
)

// WatermarkColumn implements planner.WatermarkedRelation from the source's
// WATERMARK FOR clause (the embedded relation's method is hidden by the
// wrapper otherwise).
func (r *sourceRelation) WatermarkColumn() (int, bool) {
	if r.obj.Watermark == nil {
		return 0, false
	}
	i := r.obj.ColumnIndex(r.obj.Watermark.Column)
	return i, i >= 0
}

// Scan implements planner.ScanRelation.
func (r *sourceRelation) Scan(ctx context.Context) (planner.ChunkReader, error) {
	src, err := r.ss.get(r.obj)
	if err != nil {
		return nil, err
	}
	n, err := src.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	ends := make([]uint64, n)
	for p := range ends {
		if ends[p], err = src.End(ctx, p); err != nil {
			return nil, err
		}
	}
	return &sourceScan{src: src, ends: ends, ts: r.obj.ColumnTypes()}, nil
}

// sourceScan reads partitions one after another.
type sourceScan struct {
	src  connectors.Source
	ends []uint64
	ts   []types.T
	p    int
	cur  connectors.RowReader
}

func (s *sourceScan) Next(ctx context.Context) (*types.Chunk, error) {
	for {
		if s.cur == nil {
			for s.p < len(s.ends) && s.ends[s.p] == 0 {
				s.p++
			}
			if s.p >= len(s.ends) {
				return nil, nil
			}
			rd, err := s.src.Read(ctx, s.p, 0, s.ends[s.p])
			if err != nil {
				return nil, err
			}
			s.cur = rd
		}
		c, err := s.cur.Next(ctx)
		if err != nil {
			return nil, err
		}
		if c != nil {
			if c.N == 0 {
				continue
			}
			return c, nil
		}
		err = s.cur.Close()
		s.cur = nil
		s.p++
		if err != nil {
			return nil, err
		}
	}
}

func (s *sourceScan) Close() error {
	if s.cur != nil {
		err := s.cur.Close()
		s.cur = nil
		return err
	}
	return nil
}
