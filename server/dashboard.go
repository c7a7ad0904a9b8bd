package server

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"time"

	"github.com/weirdb/weir/catalog"
)

//go:embed dashboard.html
var dashboardHTML []byte

// HTTPHandler implements HTTPHandlerProvider: the dashboard (GET /) and its
// JSON feed (GET /api/queries). Other paths are 404.
func (e *Engine) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(dashboardHTML)
	})
	mux.HandleFunc("GET /api/queries", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(apiQueries(e.queries))
	})
	return mux
}

// apiQuery is one element of the GET /api/queries array, one per
// continuous query (materialized view or sink), sorted by name. Field
// names are stable:
//
//	name         query (object) name
//	kind         "mv" or "sink"
//	status       running, paused, failed, needs_rebuild
//	error        the failure reason, or null
//	batch_id     id of the last committed batch
//	watermark    RFC 3339 watermark, or null
//	lag_rows     rows the sources hold that the query has not read
//	state_bytes  operator state (plus sink outbox) size in bytes
//	batches      the recent batches (up to 1000), oldest first:
//	  batch_id             batch id
//	  started_at           RFC 3339 start time
//	  duration_ms          processing time
//	  scheduling_delay_ms  delay between the batch being due and starting;
//	                       only known for the latest batch, else absent
//	  input_rows           rows read from all sources
//	  output_rows          changes written
//	  late_rows            rows dropped as behind the watermark
type apiQuery struct {
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Error      *string    `json:"error"`
	BatchID    int64      `json:"batch_id"`
	Watermark  *time.Time `json:"watermark"`
	LagRows    int64      `json:"lag_rows"`
	StateBytes int64      `json:"state_bytes"`
	Batches    []apiBatch `json:"batches"`
}

type apiBatch struct {
	BatchID           int64     `json:"batch_id"`
	StartedAt         time.Time `json:"started_at"`
	DurationMs        float64   `json:"duration_ms"`
	SchedulingDelayMs *float64  `json:"scheduling_delay_ms,omitempty"`
	InputRows         int64     `json:"input_rows"`
	OutputRows        int64     `json:"output_rows"`
	LateRows          int64     `json:"late_rows"`
}

func apiQueries(rt catalog.Runtime) []apiQuery {
	byQuery := map[string][]apiBatch{}
	for _, b := range rt.Batches() {
		byQuery[b.Query] = append(byQuery[b.Query], apiBatch{BatchID: b.BatchID, StartedAt: b.StartedAt,
			DurationMs: b.DurationMs, InputRows: b.InputRows, OutputRows: b.OutputRows, LateRows: b.LateRows})
	}
	out := []apiQuery{}
	for _, s := range rt.Queries() {
		q := apiQuery{Name: s.Name, Kind: s.Kind, Status: s.Status, BatchID: s.BatchID,
			LagRows: s.LagRows, StateBytes: s.StateBytes, Batches: byQuery[s.Name]}
		if s.Error != "" {
			q.Error = &s.Error
		}
		if !s.Watermark.IsZero() {
			wm := s.Watermark.UTC()
			q.Watermark = &wm
		}
		if q.Batches == nil {
			q.Batches = []apiBatch{}
		}
		if n := len(q.Batches); n > 0 && !s.LastBatchAt.IsZero() && q.Batches[n-1].BatchID == s.BatchID {
			d := s.SchedulingDelayMs
			q.Batches[n-1].SchedulingDelayMs = &d
		}
		out = append(out, q)
	}
	return out
}
