package server

import (
	"context"
	"errors"
	"runtime/debug"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/weirdb/weir/sql/pgerror"
)

// Causes of a canceled statement context. toWireError reports a statement
// that failed because its context was canceled with the cause, not as a
// generic context error.
var (
	errCanceledByUser = pgerror.New(pgerror.CodeQueryCanceled, "canceling statement due to user request")
	errAdminShutdown  = pgerror.New(pgerror.CodeAdminShutdown, "terminating connection due to administrator command")
	errConnClosed     = pgerror.New(pgerror.CodeQueryCanceled, "canceling statement because the connection closed")
)

// Severities of ErrorResponse.
const (
	severityError = "ERROR"
	severityFatal = "FATAL"
)

// connFatal marks an error after which the connection must end: a protocol
// violation, garbled bytes or a broken socket. Err is reported to the client
// as FATAL when it carries a SQLSTATE and the socket still works.
type connFatal struct{ err error }

func (e *connFatal) Error() string { return e.err.Error() }
func (e *connFatal) Unwrap() error { return e.err }

// fatal wraps err so the connection loop ends after reporting it.
func fatal(err error) error { return &connFatal{err: err} }

// protocolViolation returns a fatal 08P01 error.
func protocolViolation(format string, args ...any) error {
	return fatal(pgerror.New(pgerror.CodeProtocolViolation, format, args...))
}

// toPGError classifies err for the wire. stmtCtx, when non-nil, is the
// context the failing statement ran under: if it was canceled, the cancel
// cause (user request, shutdown) replaces the context error the session
// returned. Unclassified errors become XX000.
func toPGError(err error, stmtCtx context.Context) *pgerror.Error {
	if stmtCtx != nil && stmtCtx.Err() != nil &&
		(errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		var pe *pgerror.Error
		if errors.As(context.Cause(stmtCtx), &pe) {
			return pe
		}
	}
	var pe *pgerror.Error
	if !errors.As(err, &pe) {
		switch {
		case errors.Is(err, context.Canceled):
			return errCanceledByUser
		case errors.Is(err, context.DeadlineExceeded):
			return pgerror.New(pgerror.CodeQueryCanceled, "canceling statement due to statement timeout")
		}
	}
	return pgerror.Convert(err)
}

// errorResponse is the one place a *pgerror.Error becomes an ErrorResponse.
// offset (characters before the statement in the message) is added to a
// non-zero Position.
func errorResponse(pe *pgerror.Error, severity string, offset int) *pgproto3.ErrorResponse {
	msg := &pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                pe.Code,
		Message:             pe.Message,
		Detail:              pe.Detail,
		Hint:                pe.Hint,
	}
	if msg.Code == "" {
		msg.Code = pgerror.CodeInternalError
	}
	if pe.Position > 0 {
		msg.Position = int32(pe.Position + offset)
	}
	return msg
}

// stack returns the current goroutine's stack for panic logs.
func stack() string { return string(debug.Stack()) }
