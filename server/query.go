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
// As in PostgreSQL, the whole message is parsed before any of it runs (when
// the session implements SyntaxChecker): a syntax error in a later
// statement runs nothing. Names are still resolved statement by statement,
// so `CREATE TABLE t ...; INSERT INTO t ...` works in one message.
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
	if sc, ok := c.sess.(SyntaxChecker); ok && len(pieces) > 1 {
		for _, piece := range pieces {
			err := c.callSession("CheckSyntax", func() error { return sc.CheckSyntax(piece.Text) })
			if err != nil {
				c.srv.metrics.statements.WithLabelValues("invalid").Inc()
				c.sendError(toPGError(err, nil), piece.Offset)
				c.readyForQuery()
				return nil
			}
		}
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

// SyntaxChecker is implemented by sessions that can check a statement's
// syntax without executing or binding it; simpleQuery uses it to reject a
// multi-statement message with a syntax error before running any of it.
type SyntaxChecker interface {
	CheckSyntax(text string) error
}
