package nexmark

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func init() {
	connectors.RegisterSource("nexmark", Open)
}

// Proportions of event kinds per totalProportion events.
const (
	personProportion  = 1
	auctionProportion = 3
	bidProportion     = 46
	totalProportion   = personProportion + auctionProportion + bidProportion
)

// Constants of the reference generator.
const (
	firstPersonID       = 1000
	firstAuctionID      = 1000
	firstCategoryID     = 10
	numCategories       = 5
	numActivePeople     = 1000
	personIDLead        = 10
	numInFlightAuctions = 100
	auctionIDLead       = 10
	hotAuctionRatio     = 100
	hotBidderRatio      = 100
	hotSellerRatio      = 4
	// Average sizes in bytes of the events' text, reached by padding
	// extra.
	avgPersonBytes  = 200
	avgAuctionBytes = 500
	avgBidBytes     = 100
)

// BaseTime is the event time of event 0.
var BaseTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultInterEvent is the default event-time distance between
// consecutive events.
const DefaultInterEvent = 100 * time.Microsecond

// Table is the kind of event a source reads.
type Table int

// Tables.
const (
	Person Table = iota
	Auction
	Bid
)

var tableNames = map[string]Table{"person": Person, "auction": Auction, "bid": Bid}

// KindOf returns the kind of event n.
func KindOf(n uint64) Table {
	switch off := n % totalProportion; {
	case off < personProportion:
		return Person
	case off < personProportion+auctionProportion:
		return Auction
	}
	return Bid
}

// Columns returns the standard columns of a table (BENCH.md).
func Columns(t Table) []connectors.Column {
	ts := types.TTimestamp
	txt, i8 := types.TText, types.TInt8
	switch t {
	case Person:
		return []connectors.Column{{Name: "id", T: i8}, {Name: "name", T: txt}, {Name: "email_address", T: txt},
			{Name: "credit_card", T: txt}, {Name: "city", T: txt}, {Name: "state", T: txt}, {Name: "date_time", T: ts},
			{Name: "extra", T: txt}}
	case Auction:
		return []connectors.Column{{Name: "id", T: i8}, {Name: "item_name", T: txt}, {Name: "description", T: txt},
			{Name: "initial_bid", T: i8}, {Name: "reserve", T: i8}, {Name: "date_time", T: ts}, {Name: "expires", T: ts},
			{Name: "seller", T: i8}, {Name: "category", T: i8}, {Name: "extra", T: txt}}
	}
	return []connectors.Column{{Name: "auction", T: i8}, {Name: "bidder", T: i8}, {Name: "price", T: i8},
		{Name: "channel", T: txt}, {Name: "url", T: txt}, {Name: "date_time", T: ts}, {Name: "extra", T: txt}}
}

// Config is a generator's configuration (the source's options).
type Config struct {
	Table      Table
	Events     uint64 // 0: unbounded (needs Rate)
	Rate       float64
	Seed       uint64
	Partitions int
	InterEvent time.Duration
}

// ParseConfig reads the source's WITH options. The engine's own options
// (connector, startup, max_rows_per_batch, bad_records) are accepted and
// ignored; any other unknown option is an error.
func ParseConfig(opts map[string]string) (Config, error) {
	c := Config{Partitions: 1, InterEvent: DefaultInterEvent, Seed: 1}
	bad := func(k, v, hint string) error {
		return pgerror.New(pgerror.CodeInvalidParameterValue, "nexmark: invalid value for parameter %q: %q", k, v).WithHint("%s", hint)
	}
	t, ok := tableNames[opts["table"]]
	if !ok {
		return c, bad("table", opts["table"], "Use 'person', 'auction' or 'bid'.")
	}
	c.Table = t
	for k, v := range opts {
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "table", "connector", "startup", "max_rows_per_batch", "bad_records":
		case "events":
			if c.Events, err = strconv.ParseUint(v, 10, 64); err != nil {
				return c, bad(k, v, "Use a number of events (0: unbounded, with a rate).")
			}
		case "rate":
			if c.Rate, err = strconv.ParseFloat(v, 64); err != nil || c.Rate < 0 || math.IsInf(c.Rate, 0) || math.IsNaN(c.Rate) {
				return c, bad(k, v, "Use events per second (0: as fast as possible).")
			}
		case "seed":
			if c.Seed, err = strconv.ParseUint(v, 10, 64); err != nil {
				return c, bad(k, v, "Use a non-negative integer.")
			}
		case "partitions":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1024 {
				return c, bad(k, v, "Use an integer from 1 to 1024.")
			}
			c.Partitions = n
		case "inter_event_ms":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 3.6e6 {
				return c, bad(k, v, "Use milliseconds between consecutive events, e.g. '0.1'.")
			}
			c.InterEvent = time.Duration(f * float64(time.Millisecond))
		default:
			return c, pgerror.New(pgerror.CodeInvalidParameterValue, "nexmark: unrecognized parameter %q", k).
				WithHint("The nexmark connector takes table, events, rate, seed, partitions and inter_event_ms.")
		}
	}
	if c.Events == 0 && c.Rate == 0 {
		return c, pgerror.New(pgerror.CodeInvalidParameterValue, "nexmark: an unbounded source (events = 0) needs a rate").
			WithHint("Set events = 'N' or rate = 'R' (events per second).")
	}
	return c, nil
}

// Source is the Nexmark generator as a connectors.Source.
type Source struct {
	cfg  Config
	cols []connectors.Column
	// fields maps each produced column to the generator's field index in
	// Columns(cfg.Table).
	fields []int
	ts     []types.T

	once  sync.Once
	start time.Time // first use, for the rate
	now   func() time.Time
}

var _ connectors.ColumnSource = (*Source)(nil)

// Open is the connector's factory. Declared columns are matched by name
// to the table's columns (a subset, in any order, with the same types);
// none declared means all of them.
func Open(ctx context.Context, spec connectors.SourceSpec) (connectors.Source, error) {
	cfg, err := ParseConfig(spec.Options)
	if err != nil {
		return nil, err
	}
	return New(cfg, spec.Columns)
}

// New returns a generator producing cols (nil: all of the table's).
func New(cfg Config, cols []connectors.Column) (*Source, error) {
	all := Columns(cfg.Table)
	if len(cols) == 0 {
		cols = all
	}
	s := &Source{cfg: cfg, cols: cols, now: time.Now}
	for _, c := range cols {
		j := -1
		for i, a := range all {
			if a.Name == c.Name {
				j = i
			}
		}
		if j < 0 {
			names := make([]string, len(all))
			for i, a := range all {
				names[i] = a.Name
			}
			return nil, pgerror.New(pgerror.CodeUndefinedColumn, "nexmark: table %s has no column %q", tableName(cfg.Table), c.Name).
				WithHint("Its columns are %s.", strings.Join(names, ", "))
		}
		if c.T.ID != all[j].T.ID {
			return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "nexmark: column %q is %s, not %s", c.Name, all[j].T, c.T)
		}
		s.fields = append(s.fields, j)
		s.ts = append(s.ts, c.T)
	}
	return s, nil
}

func tableName(t Table) string {
	for n, x := range tableNames {
		if x == t {
			return n
		}
	}
	return "?"
}

// Columns implements connectors.ColumnSource.
func (s *Source) Columns() []connectors.Column { return s.cols }

// Partitions implements connectors.Source.
func (s *Source) Partitions(ctx context.Context) (int, error) { return s.cfg.Partitions, nil }

// Dense implements connectors.Source: events of other tables occupy
// offsets without yielding rows.
func (s *Source) Dense() bool { return false }

// Close implements connectors.Source.
func (s *Source) Close() error { return nil }

// limit returns how many events exist now.
func (s *Source) limit() uint64 {
	if s.cfg.Rate == 0 {
		return s.cfg.Events
	}
	s.once.Do(func() { s.start = s.now() })
	n := uint64(s.cfg.Rate * s.now().Sub(s.start).Seconds())
	if s.cfg.Events > 0 {
		n = min(n, s.cfg.Events)
	}
	return n
}

// End implements connectors.Source: the number of events of partition p
// among the events that exist now.
func (s *Source) End(ctx context.Context, p int) (uint64, error) {
	if p < 0 || p >= s.cfg.Partitions {
		return 0, fmt.Errorf("nexmark: partition %d does not exist", p)
	}
	return partitionEnd(s.limit(), uint64(p), uint64(s.cfg.Partitions)), nil
}

// partitionEnd is how many of events 0..limit-1 partition p of n holds.
func partitionEnd(limit, p, n uint64) uint64 {
	if limit <= p {
		return 0
	}
	return (limit-p-1)/n + 1
}

// Event returns the global event number at offset k of partition p.
func (s *Source) Event(p int, k uint64) uint64 {
	return uint64(p) + k*uint64(s.cfg.Partitions)
}

// readChunkRows is the number of events one chunk covers at most.
const readChunkRows = 4096

// Read implements connectors.Source.
func (s *Source) Read(ctx context.Context, p int, from, to uint64) (connectors.RowReader, error) {
	if p < 0 || p >= s.cfg.Partitions {
		return nil, fmt.Errorf("nexmark: partition %d does not exist", p)
	}
	if s.cfg.Events > 0 && to > partitionEnd(s.cfg.Events, uint64(p), uint64(s.cfg.Partitions)) {
		return nil, fmt.Errorf("nexmark: offsets [%d, %d) of partition %d are past the last event", from, to, p)
	}
	return &reader{s: s, p: p, next: from, to: to}, nil
}

type reader struct {
	s        *Source
	p        int
	next, to uint64
	row      []types.Datum
	g        Generator
}

func (r *reader) Next(ctx context.Context) (*types.Chunk, error) {
	if r.next >= r.to {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := r.s
	c := types.NewChunk(s.ts, int(min(r.to-r.next, readChunkRows)))
	for ; r.next < r.to && c.N < readChunkRows; r.next++ {
		n := s.Event(r.p, r.next)
		if KindOf(n) != s.cfg.Table {
			continue
		}
		r.row = r.g.Row(s.cfg, n, r.row[:0])
		for i, f := range s.fields {
			c.Cols[i].Append(r.row[f])
		}
		c.N++
	}
	if c.N == 0 {
		return nil, nil // the rest of the range holds no event of this table
	}
	return c, nil
}

func (r *reader) Close() error { return nil }
