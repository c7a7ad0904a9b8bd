package server

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// portal is a bound statement ready to run: the product of Bind (or of one
// statement of a simple Query). Its first Execute runs the statement; a
// row-returning result is then read in as many Executes as the client's row
// limits need, keeping the RowIter open in between.
type portal struct {
	name    string
	stmt    *Prepared
	params  []types.Datum
	formats []int16 // one per result column: 0 text, 1 binary

	started bool    // Session.Execute has been called
	done    bool    // ran to completion (or failed); cannot run again
	rows    RowIter // open result rows, nil when none or finished
	tag     string  // CommandComplete tag of a row result
	chunk   *types.Chunk
	pos     int // next row of chunk to send
}

// closeRows releases the open result, if any.
func (p *portal) closeRows(c *conn) {
	if p.rows == nil {
		return
	}
	rows := p.rows
	p.rows, p.chunk = nil, nil
	_ = c.callSession("RowIter.Close", func() error { rows.Close(); return nil })
}

// closeAllPortals closes every portal (end of the implicit transaction, or
// of the connection).
func (c *conn) closeAllPortals() {
	for name, p := range c.portals {
		p.closeRows(c)
		delete(c.portals, name)
	}
}

// runPortal executes p, sending at most maxRows rows (0 = all). It sends the
// rows and then CommandComplete, or PortalSuspended when the limit stops it
// with rows possibly left, or EmptyQueryResponse for an empty statement.
// describe asks for a RowDescription before the rows (simple Query). The
// error, already classified, is returned for the caller to report; a
// *connFatal error ends the connection.
func (c *conn) runPortal(p *portal, maxRows int, describe bool) (err error) {
	if p.stmt.Empty {
		c.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if p.done {
		if p.stmt.Columns != nil {
			// An exhausted cursor returns no more rows, as in PostgreSQL.
			c.send(&pgproto3.CommandComplete{CommandTag: completionTag(p.tag, 0)})
			return nil
		}
		return pgerror.New(pgerror.CodeObjectNotInPrerequisiteState, "portal \"%s\" cannot be run", p.name)
	}

	ctx, done := c.beginStatement()
	defer done()
	kind := p.stmt.Kind
	if kind == "" {
		kind = "other"
	}
	start := time.Now()
	defer func() {
		c.srv.metrics.duration.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	}()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("panic while executing", "statement", p.stmt.Text, "panic", r, "stack", stack())
			// Drop a half-written DataRow; complete messages stay (the
			// buffer is flushed only between messages).
			if c.msgStart >= 0 && c.msgStart <= len(c.wbuf) {
				c.wbuf = c.wbuf[:c.msgStart]
			}
			c.msgStart = -1
			p.done = true
			p.closeRows(c)
			err = pgerror.New(pgerror.CodeInternalError, "internal error: %v", r)
		}
		if err != nil && !isFatal(err) {
			err = toPGError(err, ctx)
		}
	}()

	if !p.started {
		p.started = true
		c.srv.metrics.statements.WithLabelValues(kind).Inc()
		res, err := c.sess.Execute(ctx, p.stmt, p.params)
		c.sendNotices()
		if err != nil {
			p.done = true
			return err
		}
		c.queueParams(res.ParamStatus)
		switch {
		case res.CopyIn != nil:
			p.done = true
			if res.Rows != nil {
				res.Rows.Close()
			}
			tag, err := c.copyIn(ctx, res.CopyIn)
			if err != nil {
				return err
			}
			c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
			return nil
		case res.Rows == nil:
			p.done = true
			c.send(&pgproto3.CommandComplete{CommandTag: []byte(res.Tag)})
			return nil
		}
		p.rows, p.tag = res.Rows, res.Tag
		if p.stmt.Columns == nil {
			p.done = true
			p.closeRows(c)
			return pgerror.New(pgerror.CodeInternalError, "internal error: statement returned rows but declared no columns")
		}
		if describe {
			c.sendRowDescription(p.stmt.Columns, p.formats)
		}
	}
	return c.sendRows(ctx, p, maxRows)
}

// sendRows streams the portal's rows.
func (c *conn) sendRows(ctx context.Context, p *portal, maxRows int) error {
	loc := c.location()
	ts := columnTypes(p.stmt.Columns)
	n := 0
	for {
		if p.chunk == nil || p.pos >= p.chunk.N {
			if maxRows > 0 && n >= maxRows {
				c.send(&pgproto3.PortalSuspended{})
				return nil
			}
			ch, err := p.rows.Next(ctx)
			if err != nil {
				p.done = true
				p.closeRows(c)
				return err
			}
			if ch == nil {
				p.done = true
				p.closeRows(c)
				c.send(&pgproto3.CommandComplete{CommandTag: completionTag(p.tag, n)})
				return nil
			}
			if len(ch.Cols) != len(ts) {
				p.done = true
				p.closeRows(c)
				return pgerror.New(pgerror.CodeInternalError,
					"internal error: result chunk has %d columns, statement declared %d", len(ch.Cols), len(ts))
			}
			p.chunk, p.pos = ch, 0
			continue
		}
		for p.pos < p.chunk.N {
			if maxRows > 0 && n >= maxRows {
				c.send(&pgproto3.PortalSuspended{})
				return nil
			}
			if err := c.appendDataRow(p.chunk, p.pos, p.formats, loc); err != nil {
				p.done = true
				p.closeRows(c)
				return err
			}
			p.pos++
			n++
			c.maybeFlush()
			if c.werr != nil {
				p.done = true
				p.closeRows(c)
				return fatal(c.werr)
			}
		}
	}
}

// completionTag returns the CommandComplete tag of a row result: "SELECT"
// gets the row count appended; other tags are sent as the session set them.
func completionTag(tag string, n int) []byte {
	if tag == "" || tag == "SELECT" {
		return strconv.AppendInt([]byte("SELECT "), int64(n), 10)
	}
	return []byte(tag)
}
