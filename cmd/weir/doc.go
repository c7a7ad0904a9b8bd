// Command weir is the weir server: a PostgreSQL-wire streaming SQL engine.
// It parses flags and environment into a server.Config, runs the server and
// turns signals into an ordered shutdown; everything else lives in server.
//
//	weir serve [--data-dir DIR] [--listen ADDR] [--http ADDR] [--trigger-interval DUR]
//	           [--auth trust|scram] [--users FILE] [--tls-cert F --tls-key F] [--log-level L]
//	weir version
//	weir bench [--runs N] [--select-rows N] [--only REGEXP] [--pg auto|off|URL] [--out FILE]
//
// weir bench (bench.go) measures INSERT/COPY ingest and ad-hoc SELECT
// rows/s over pgwire against an in-process weir and, side by side in the
// same run, a private PostgreSQL cluster (bench_postgres.go); see
// docs/bench.md.
//
// Every serve flag can also be given as an environment variable
// WEIR_<FLAG> (WEIR_DATA_DIR, WEIR_LISTEN, ...); a flag on the command line
// wins over the variable.
//
// Imports: server only (the one place that wires the process together);
// bench also uses pgconn as its client.
package main
