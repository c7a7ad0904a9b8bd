// Package servertest starts an in-process weir server for tests of other
// packages (connectors, sqltests) that drive weir over real pgwire.
//
// Imports: server and the test libraries; only tests import it.
package servertest
