package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// TxStatusReporter is implemented by sessions that track transaction
// blocks. TxStatus returns the ReadyForQuery status byte: 'I' idle, 'T' in a
// transaction block, 'E' in a failed transaction block. Sessions that do not
// implement it are always reported idle.
type TxStatusReporter interface {
	TxStatus() byte
}

// ProcessIDSetter is implemented by sessions that want the connection's
// process id (the one in BackendKeyData), for pg_backend_pid(). It is called
// once, before InitialParams.
type ProcessIDSetter interface {
	SetProcessID(pid uint32)
}

// RelationNamer is implemented by sessions that can name relations by
// OID; text results print regclass values through it, as PostgreSQL's
// regclassout does.
type RelationNamer interface {
	RelationName(oid uint32) (string, bool)
}

// NoticeSource is implemented by sessions that raise notices (NOTICE,
// WARNING). TakeNotices returns and forgets the notices raised since the
// last call; the protocol layer sends them as NoticeResponse after each
// Prepare and Execute.
type NoticeSource interface {
	TakeNotices() []*pgerror.Error
}

const (
	// maxMessageLen bounds a frontend message body, as PostgreSQL's
	// PQ_LARGE_MESSAGE_LIMIT does; longer lengths are garbage.
	maxMessageLen = 1<<30 - 1
	// flushThreshold is the write-buffer size at which rows are flushed
	// mid-result.
	flushThreshold = 64 << 10
	// startupTimeout bounds the startup handshake (PostgreSQL's
	// authentication_timeout).
	startupTimeout = time.Minute
)

// connState is the protocol state of a connection. The startup handshake
// (startup.go) precedes it; copy-in (copy.go) is a sub-loop entered from a
// statement's execution.
type connState uint8

const (
	// stateReady accepts any frontend message.
	stateReady connState = iota
	// stateDrain follows an error in an extended-query message: every
	// message up to the next Sync is discarded.
	stateDrain
)

// conn is one client connection: its socket, the protocol state machine,
// and the session that executes its statements. Everything except the
// fields noted is owned by the connection's goroutine.
type conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	be     *pgproto3.Backend
	remote string
	log    *slog.Logger

	wbuf     []byte // pending output, written by flush
	msgStart int    // offset in wbuf of a DataRow being written, else -1
	werr     error  // first write error; the connection ends on it

	pid    uint32 // set by registerKey before BackendKeyData
	secret [4]byte
	user   string

	sess Session
	// regNamer formats regclass values in text results; set when the
	// session implements RelationNamer.
	regNamer RelationNamer
	state    connState
	stmts    map[string]*Prepared // "" is the unnamed statement
	portals  map[string]*portal   // "" is the unnamed portal

	tzName string // the TimeZone setting loc was loaded for
	loc    *time.Location

	pendingParams map[string]string // ParameterStatus to send before ReadyForQuery

	// idle is set while the connection waits for the first message of a
	// new command (after ReadyForQuery); Shutdown interrupts only idle
	// connections.
	idle atomic.Bool

	mu         sync.Mutex
	cancelStmt context.CancelCauseFunc // guarded by mu; nil when no statement runs
	closed     bool                    // guarded by mu
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:      s,
		nc:       nc,
		br:       bufio.NewReaderSize(nc, 16<<10),
		remote:   nc.RemoteAddr().String(),
		stmts:    make(map[string]*Prepared),
		portals:  make(map[string]*portal),
		tzName:   "UTC",
		msgStart: -1,
		loc:      time.UTC,
	}
	c.log = s.log.With("remote", c.remote)
	c.be = pgproto3.NewBackend(c.br, nc)
	c.be.SetMaxBodyLen(maxMessageLen)
	return c
}

// serve runs the connection: startup, then the command loop, until the
// client terminates, the socket fails, or a fatal error.
func (c *conn) serve() {
	ok, err := c.startup()
	if err != nil {
		c.reportFatal(err)
		return
	}
	if !ok {
		return
	}
	err = c.loop()
	if err != nil {
		c.reportFatal(err)
	}
}

// loop is the command loop of the ready state machine.
func (c *conn) loop() error {
	atBoundary := true // the last message sent was ReadyForQuery
	for {
		if c.werr != nil {
			return c.werr
		}
		if atBoundary {
			c.idle.Store(true)
			if c.srv.shutting.Load() {
				return fatal(errAdminShutdown)
			}
		}
		msg, err := c.be.Receive()
		c.idle.Store(false)
		if err != nil {
			return c.receiveError(err)
		}
		atBoundary = false

		if c.state == stateDrain {
			switch msg.(type) {
			case *pgproto3.Sync:
				c.state = stateReady
				c.sync()
				atBoundary = true
			case *pgproto3.Terminate:
				return nil
			}
			continue
		}

		switch m := msg.(type) {
		case *pgproto3.Query:
			if err := c.simpleQuery(m.String); err != nil {
				return err
			}
			atBoundary = true
		case *pgproto3.Parse:
			err = c.extended(c.parse(m))
		case *pgproto3.Bind:
			err = c.extended(c.bind(m))
		case *pgproto3.Describe:
			err = c.extended(c.describe(m))
		case *pgproto3.Execute:
			err = c.extended(c.execute(m))
		case *pgproto3.Close:
			err = c.extended(c.closeObject(m))
		case *pgproto3.Sync:
			c.sync()
			atBoundary = true
		case *pgproto3.Flush:
			c.flush()
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Left over from a COPY that failed: PostgreSQL ignores them.
		case *pgproto3.FunctionCall:
			c.sendError(pgerror.NotSupported("fast-path function calls are not supported"), 0)
			c.readyForQuery()
			atBoundary = true
		default:
			return protocolViolation("unexpected message type %T after startup", msg)
		}
		if err != nil {
			return err
		}
	}
}

// extended finishes an extended-query message: a statement error is
// reported and the connection drains until Sync; a fatal error is returned
// to end the connection.
func (c *conn) extended(err error) error {
	if err == nil || isFatal(err) {
		return err
	}
	c.sendError(toPGError(err, nil), 0)
	c.state = stateDrain
	return nil
}

// sync ends an extended-query batch: outside a transaction block the
// portals die with the implicit transaction, as in PostgreSQL.
func (c *conn) sync() {
	if c.txStatus() == 'I' {
		c.closeAllPortals()
	}
	c.readyForQuery()
}

// receiveError turns a Receive failure into the connection's end.
func (c *conn) receiveError(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return nil
	case errors.As(err, &ne) && ne.Timeout() && c.srv.shutting.Load():
		return fatal(errAdminShutdown)
	case errors.As(err, &ne):
		return nil // reset by peer and the like: nobody to tell
	}
	var tooLong *pgproto3.ExceededMaxBodyLenErr
	if errors.As(err, &tooLong) {
		return protocolViolation("invalid message length")
	}
	if t, ok := strings.CutPrefix(err.Error(), "unknown message type: "); ok && len(t) > 0 {
		r, _ := utf8.DecodeRuneInString(t)
		return protocolViolation("invalid frontend message type %d", r)
	}
	if strings.HasPrefix(err.Error(), "invalid message length") {
		return protocolViolation("invalid message length")
	}
	return protocolViolation("invalid frontend message: %v", err)
}

// reportFatal sends err as a FATAL ErrorResponse when it carries a SQLSTATE
// and logs it; errors without one (socket failures) are only logged.
func (c *conn) reportFatal(err error) {
	var pe *pgerror.Error
	if errors.As(err, &pe) && c.werr == nil {
		c.send(errorResponse(pe, severityFatal, 0))
		c.flush()
	}
	if pe != nil && pe.Code == pgerror.CodeAdminShutdown {
		c.log.Debug("connection closed by shutdown")
		return
	}
	c.log.Info("connection closed on error", "err", err)
}

// close releases the session and the socket. It is called once, by the
// connection's goroutine, when serve returns.
func (c *conn) close() {
	c.cancelStatement(errConnClosed)
	c.closeAllPortals()
	if c.sess != nil {
		sess := c.sess
		c.sess = nil
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.log.Error("session close panicked", "panic", r, "stack", stack())
				}
			}()
			sess.Close()
		}()
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	_ = c.nc.Close()
}

// interruptIfIdle makes an idle connection's pending read fail at once so
// it can end for shutdown. Busy connections notice the shutdown when they
// next go idle.
func (c *conn) interruptIfIdle() {
	if c.idle.Load() {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// beginStatement returns the context a statement runs under; a
// CancelRequest or shutdown cancels it with a cause. done must be called
// when the statement (or this Execute of a portal) ends.
func (c *conn) beginStatement() (ctx context.Context, done func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	c.mu.Lock()
	if c.closed {
		cancel(errConnClosed)
	}
	c.cancelStmt = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		c.cancelStmt = nil
		c.mu.Unlock()
		cancel(nil)
	}
}

// cancelStatement cancels the running statement, if any, with cause. It may
// be called from any goroutine.
func (c *conn) cancelStatement(cause error) {
	c.mu.Lock()
	cancel := c.cancelStmt
	c.mu.Unlock()
	if cancel != nil {
		cancel(cause)
	}
}

// secretMatches compares a CancelRequest's secret key in constant time.
func (c *conn) secretMatches(secret []byte) bool {
	return subtle.ConstantTimeCompare(secret, c.secret[:]) == 1
}

// txStatus asks the session for the ReadyForQuery status byte.
func (c *conn) txStatus() byte {
	if r, ok := c.sess.(TxStatusReporter); ok {
		if st := r.TxStatus(); st == 'I' || st == 'T' || st == 'E' {
			return st
		}
	}
	return 'I'
}

// readyForQuery reports changed parameters and ReadyForQuery, and flushes.
func (c *conn) readyForQuery() {
	c.sendPendingParams()
	c.send(&pgproto3.ReadyForQuery{TxStatus: c.txStatus()})
	c.flush()
}

// send appends a message to the write buffer.
func (c *conn) send(msg pgproto3.BackendMessage) {
	buf, err := msg.Encode(c.wbuf)
	if err != nil {
		// Only oversized fields fail to encode; the buffer is unchanged.
		c.log.Error("encode message", "type", fmt.Sprintf("%T", msg), "err", err)
		return
	}
	c.wbuf = buf
}

// sendError sends an ERROR-severity ErrorResponse; offset is added to the
// error's position (the statement's place in a multi-statement Query).
func (c *conn) sendError(pe *pgerror.Error, offset int) {
	c.send(errorResponse(pe, severityError, offset))
}

// flush writes the buffered output. The first write error is kept in werr
// and ends the connection at the loop's next turn.
func (c *conn) flush() {
	if c.werr != nil || len(c.wbuf) == 0 {
		c.wbuf = c.wbuf[:0]
		return
	}
	_, err := c.nc.Write(c.wbuf)
	if err != nil {
		c.werr = err
	}
	if cap(c.wbuf) > 4*flushThreshold {
		c.wbuf = make([]byte, 0, flushThreshold)
	} else {
		c.wbuf = c.wbuf[:0]
	}
}

// maybeFlush flushes when the buffer has grown past flushThreshold.
func (c *conn) maybeFlush() {
	if len(c.wbuf) >= flushThreshold {
		c.flush()
	}
}

// sendNotices forwards the session's notices, if it raises any.
func (c *conn) sendNotices() {
	ns, ok := c.sess.(NoticeSource)
	if !ok {
		return
	}
	for _, n := range ns.TakeNotices() {
		sev := "NOTICE"
		if n.Code != "" && n.Code[:2] == "01" {
			sev = "WARNING"
		}
		msg := errorResponse(n, sev, 0)
		c.send((*pgproto3.NoticeResponse)(msg))
	}
}

// queueParams records run-time parameter changes to report before the next
// ReadyForQuery, as PostgreSQL reports GUC_REPORT settings.
func (c *conn) queueParams(ps map[string]string) {
	if len(ps) == 0 {
		return
	}
	if c.pendingParams == nil {
		c.pendingParams = make(map[string]string, len(ps))
	}
	for k, v := range ps {
		c.pendingParams[k] = v
	}
}

func (c *conn) sendPendingParams() {
	for _, k := range sortedKeys(c.pendingParams) {
		c.send(&pgproto3.ParameterStatus{Name: k, Value: c.pendingParams[k]})
	}
	c.pendingParams = nil
}

// location returns the time zone values are formatted and parsed in: the
// session's TimeZone setting, reloaded when it changes.
func (c *conn) location() *time.Location {
	name := c.sess.Setting("TimeZone")
	if name == "" || name == c.tzName {
		return c.loc
	}
	if loc, err := resolveTimeZone(name); err == nil {
		c.tzName, c.loc = name, loc
	}
	return c.loc
}

// resolveTimeZone resolves a TimeZone value: an IANA name, "UTC"/"GMT", or a
// numeric offset in hours as PostgreSQL accepts for SET TIME ZONE (ISO
// sign: "-7" is seven hours west of Greenwich).
func resolveTimeZone(name string) (*time.Location, error) {
	switch name {
	case "UTC", "utc", "GMT", "gmt", "Etc/UTC", "Z", "z":
		return time.UTC, nil
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, nil
	}
	var h float64
	if _, err := fmt.Sscanf(name, "%g", &h); err == nil && h >= -15 && h <= 15 {
		return time.FixedZone(name, int(h*3600)), nil
	}
	return nil, fmt.Errorf("invalid time zone %q", name)
}

// codeCharacterNotInRepertoire is the SQLSTATE of invalid UTF-8 input.
const codeCharacterNotInRepertoire = "22021"

// validText reports whether s is valid UTF-8, the only client encoding.
func validText(s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return pgerror.New(codeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x%02x", s[i])
		}
		i += n
	}
	return nil
}

// callSession runs f, turning a panic inside the session into an XX000
// error so the connection survives it.
func (c *conn) callSession(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("session panic", "in", what, "panic", r, "stack", stack())
			err = pgerror.New(pgerror.CodeInternalError, "internal error in %s: %v", what, r)
		}
	}()
	return f()
}

// isFatal reports whether err must end the connection.
func isFatal(err error) bool {
	var f *connFatal
	return errors.As(err, &f)
}

// randomPID returns a random positive int32 process id.
func randomPID() uint32 {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return uint32(os.Getpid())
	}
	pid := binary.BigEndian.Uint32(b[:]) & 0x7fffffff
	if pid == 0 {
		pid = 1
	}
	return pid
}

// columnTypes returns the types of a result's columns.
func columnTypes(cols []ResultColumn) []types.T {
	ts := make([]types.T, len(cols))
	for i, col := range cols {
		ts[i] = col.T
	}
	return ts
}
