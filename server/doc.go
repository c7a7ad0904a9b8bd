// Package server is weir's process: the pgwire listener and one protocol
// state machine per connection (conn.go), sessions that route each
// statement through sql → catalog → planner → exec (session.go), and the
// ordered shutdown.
//
// It is the only package that sees every layer; cmd/weir wires flags to
// Config and calls New, Serve and Shutdown.
package server
