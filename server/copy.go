package server

import (
	"context"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/weirdb/weir/sql/pgerror"
)

// copyIn runs the COPY FROM STDIN sub-protocol for a statement whose
// result is ci: CopyInResponse, then every CopyData payload goes to Write
// until CopyDone (Finish; its tag is returned) or CopyFail (Abort; 57014).
// Flush and Sync are ignored while copying, as PostgreSQL does; any other
// message aborts the copy with 08P01.
//
// When Write or Finish fails the copy is aborted and the error returned at
// once, without waiting for CopyDone: the client learns of it from the
// ErrorResponse, and CopyData/CopyDone/CopyFail arriving afterwards are
// ignored by the main loop (as in PostgreSQL). A broken connection aborts
// the copy and returns a fatal error.
func (c *conn) copyIn(ctx context.Context, ci *CopyIn) (tag string, err error) {
	finished := false
	defer func() {
		if !finished {
			_ = c.callSession("CopyIn.Abort", func() error {
				if ci.Abort != nil {
					ci.Abort()
				}
				return nil
			})
		}
	}()

	resp := &pgproto3.CopyInResponse{ColumnFormatCodes: make([]uint16, ci.Columns)}
	if ci.Binary {
		resp.OverallFormat = 1
		for i := range resp.ColumnFormatCodes {
			resp.ColumnFormatCodes[i] = 1
		}
	}
	c.send(resp)
	c.flush()
	if c.werr != nil {
		return "", fatal(c.werr)
	}
	for {
		msg, err := c.be.Receive()
		if err != nil {
			return "", fatal(c.receiveErrorOrEOF(err))
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := c.callSession("CopyIn.Write", func() error { return ci.Write(ctx, m.Data) }); err != nil {
				return "", err
			}
		case *pgproto3.CopyDone:
			finished = true
			err := c.callSession("CopyIn.Finish", func() error {
				var err error
				tag, err = ci.Finish(ctx)
				return err
			})
			if err != nil {
				return "", err
			}
			return tag, nil
		case *pgproto3.CopyFail:
			return "", pgerror.New(pgerror.CodeQueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
		case *pgproto3.Terminate:
			return "", fatal(errConnClosed)
		default:
			return "", pgerror.New(pgerror.CodeProtocolViolation, "unexpected message type 0x%02X during COPY from stdin", messageType(msg))
		}
	}
}

// receiveErrorOrEOF classifies a Receive failure in a sub-protocol: the
// connection ends either way.
func (c *conn) receiveErrorOrEOF(err error) error {
	if ferr := c.receiveError(err); ferr != nil {
		return ferr
	}
	return errConnClosed
}

// messageType returns the protocol type byte of a frontend message, for
// error messages.
func messageType(msg pgproto3.FrontendMessage) byte {
	switch msg.(type) {
	case *pgproto3.Query:
		return 'Q'
	case *pgproto3.Parse:
		return 'P'
	case *pgproto3.Bind:
		return 'B'
	case *pgproto3.Describe:
		return 'D'
	case *pgproto3.Execute:
		return 'E'
	case *pgproto3.Close:
		return 'C'
	case *pgproto3.FunctionCall:
		return 'F'
	}
	return '?'
}
