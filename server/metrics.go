package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the pgwire series of SPEC.md, registered on the server's own
// registry together with the Go and process collectors.
type metrics struct {
	connections prometheus.Gauge
	statements  *prometheus.CounterVec
	duration    *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "weir_pgwire_connections",
			Help: "Open pgwire connections.",
		}),
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weir_pgwire_statements_total",
			Help: "Statements executed over pgwire, by statement kind (including failed ones).",
		}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "weir_pgwire_statement_duration_seconds",
			Help:    "Time from the start of a statement's execution to its completion or suspension, by statement kind.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 12),
		}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{
		m.connections, m.statements, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
