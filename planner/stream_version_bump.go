//go:build weir_statebump

package planner

// topNStateBump: see stream_version.go. This build writes top-N state in a
// (pretend) newer format, so queries created by a default build must be
// rebuilt before this one runs them.
const topNStateBump = 1
