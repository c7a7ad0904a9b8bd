package server

import (
	"github.com/jackc/pgx/v5/pgproto3"
)

// simpleQuery runs a Query message: the text is split into statements,
// each prepared and executed in turn with text results (RowDescription,
// DataRow*, CommandComplete). The first error stops the rest. A message
// with no statement at all answers EmptyQueryResponse. ReadyForQuery ends
// it. A returned error is fatal for the connection.
//
// Unlike PostgreSQL, which parses the whole message before running any of
// it, a syntax error in a later statement is found only when that
// statement's turn comes (Session.Prepare parses and binds together).
func (c *conn) simpleQuery(text string) error {
	// A simple Query drops the unnamed statement and portal, as in
	// PostgreSQL.
	delete(c.stmts, "")
	if p := c.portals[""]; p != nil {
		p.closeRows(c)
		delete(c.portals, "")
	}
	if err := validText(text); err != nil {
		c.sendError(toPGError(err, nil), 0)
		c.readyForQuery()
		return nil
	}

	var pieces []Piece
	err := c.callSession("Split", func() error { pieces = c.sess.Split(text); return nil })
	if err != nil {
		c.sendError(toPGError(err, nil), 0)
		c.readyForQuery()
		return nil
	}
	ran, failed := false, false
	for _, piece := range pieces {
		var stmt *Prepared
		ctx, done := c.beginStatement()
		err := c.callSession("Prepare", func() error {
			var err error
			stmt, err = c.sess.Prepare(ctx, piece.Text, nil)
			return err
		})
		c.sendNotices()
		if err != nil {
			c.srv.metrics.statements.WithLabelValues("invalid").Inc()
			c.sendError(toPGError(err, ctx), piece.Offset)
			done()
			failed = true
			break
		}
		done()
		if stmt.Empty {
			continue
		}
		ran = true
		p := &portal{stmt: stmt}
		err = c.runPortal(p, 0, true)
		p.closeRows(c)
		if err != nil {
			if isFatal(err) {
				return err
			}
			c.sendError(toPGError(err, nil), piece.Offset)
			failed = true
			break
		}
		if c.werr != nil {
			return fatal(c.werr)
		}
	}
	if !ran && !failed {
		c.send(&pgproto3.EmptyQueryResponse{})
	}
	if c.txStatus() == 'I' {
		c.closeAllPortals()
	}
	c.readyForQuery()
	return nil
}
