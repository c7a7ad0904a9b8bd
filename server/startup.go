package server

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/weirdb/weir/sql/pgerror"
)

// Startup packet codes (the first int32 after the length).
const (
	codeCancelRequest = 80877102 // 1234.5678
	codeSSLRequest    = 80877103 // 1234.5679
	codeGSSENCRequest = 80877104 // 1234.5680
	protocolMajor     = 3
	// maxStartupPacket is PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
	maxStartupPacket = 10000
)

// startup runs the startup phase: SSLRequest and GSSENCRequest are refused
// with 'N', a CancelRequest is handled and ends the connection, and a
// StartupMessage of protocol 3.x is authenticated (trust) and answered with
// AuthenticationOk, ParameterStatus*, BackendKeyData and ReadyForQuery.
//
// ok is false when the connection should end quietly (CancelRequest, EOF,
// invalid packet length, as PostgreSQL does without a response); err is a
// fatal error to report.
func (c *conn) startup() (ok bool, err error) {
	if err := c.nc.SetDeadline(time.Now().Add(startupTimeout)); err != nil {
		return false, nil
	}
	var sslDone, gssDone bool
	for {
		// Waiting for a startup packet counts as idle: Shutdown need not
		// wait for a client that connected and said nothing.
		c.idle.Store(true)
		if c.srv.shutting.Load() {
			return false, nil
		}
		code, body, err := c.readStartupPacket()
		c.idle.Store(false)
		if err != nil {
			if err != io.EOF {
				c.log.Debug("bad startup packet", "err", err)
			}
			return false, nil
		}
		switch {
		case code == codeSSLRequest && !sslDone:
			sslDone = true
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false, nil
			}
			continue
		case code == codeGSSENCRequest && !gssDone:
			gssDone = true
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false, nil
			}
			continue
		case code == codeCancelRequest:
			if len(body) >= 8 {
				c.srv.cancel(binary.BigEndian.Uint32(body[:4]), body[4:])
			}
			return false, nil
		case code>>16 != protocolMajor:
			return false, fatal(pgerror.New(pgerror.CodeFeatureNotSupported,
				"unsupported frontend protocol %d.%d: server supports %d.0 to %d.0",
				code>>16, code&0xffff, protocolMajor, protocolMajor))
		}
		params, err := parseStartupParams(body)
		if err != nil {
			return false, fatal(err)
		}
		if err := c.nc.SetDeadline(time.Time{}); err != nil {
			return false, nil
		}
		return c.accept(code&0xffff, params)
	}
}

// readStartupPacket reads one length-prefixed startup packet and returns its
// code and the rest of its body.
func (c *conn) readStartupPacket() (code uint32, body []byte, err error) {
	var hdr [8]byte
	if _, err := io.ReadFull(c.br, hdr[:4]); err != nil {
		return 0, nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:4])))
	if n < 8 || n > maxStartupPacket {
		return 0, nil, fmt.Errorf("invalid length of startup packet: %d", n)
	}
	buf := make([]byte, n-4)
	if _, err := io.ReadFull(c.br, buf); err != nil {
		return 0, nil, err
	}
	return binary.BigEndian.Uint32(buf[:4]), buf[4:], nil
}

// parseStartupParams decodes the name/value pairs of a StartupMessage.
func parseStartupParams(b []byte) (map[string]string, error) {
	params := make(map[string]string)
	for len(b) > 0 && b[0] != 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return nil, pgerror.New(pgerror.CodeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
		}
		name := string(b[:i])
		b = b[i+1:]
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return nil, pgerror.New(pgerror.CodeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
		}
		params[name] = string(b[:j])
		b = b[j+1:]
	}
	if len(b) != 1 {
		return nil, pgerror.New(pgerror.CodeProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
	}
	return params, nil
}

// accept authenticates the client and completes the startup handshake.
func (c *conn) accept(minor uint32, params map[string]string) (bool, error) {
	c.user = params["user"]
	if c.user == "" {
		return false, fatal(pgerror.New(pgerror.CodeInvalidAuthorization, "no PostgreSQL user name specified in startup packet"))
	}
	if c.srv.cfg.Auth == "scram" {
		return false, fatal(pgerror.NotSupported("SCRAM authentication is not supported yet; start the server with --auth trust"))
	}
	// Protocol options (_pq_.*) are unknown to us; a newer minor version is
	// negotiated down to 3.0, as PostgreSQL 15 does.
	var unknown []string
	for k := range params {
		if strings.HasPrefix(k, "_pq_.") {
			unknown = append(unknown, k)
			delete(params, k)
		}
	}
	sort.Strings(unknown)
	if minor > 0 || len(unknown) > 0 {
		c.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
	}

	// The secret is set before registerKey publishes the connection to
	// CancelRequest handlers on other goroutines.
	if _, err := rand.Read(c.secret[:]); err != nil {
		return false, fatal(fmt.Errorf("server: cancel key: %w", err))
	}
	status, err := c.startupParams(params)
	if err != nil {
		return false, fatal(err)
	}
	var sess Session
	err = c.callSession("NewSession", func() error {
		sess = c.srv.eng.NewSession()
		if s, ok := sess.(ProcessIDSetter); ok {
			c.srv.registerKey(c)
			s.SetProcessID(c.pid)
		}
		for k, v := range sess.InitialParams(params) {
			status[k] = v
		}
		return nil
	})
	if sess != nil {
		c.sess = sess
		c.regNamer, _ = sess.(RelationNamer)
	}
	if err != nil {
		return false, fatal(err)
	}
	if c.pid == 0 {
		c.srv.registerKey(c)
	}
	if tz, ok := status["TimeZone"]; ok {
		if loc, err := resolveTimeZone(tz); err == nil {
			c.tzName, c.loc = tz, loc
		}
	}

	c.send(&pgproto3.AuthenticationOk{})
	for _, k := range sortedKeys(status) {
		c.send(&pgproto3.ParameterStatus{Name: k, Value: status[k]})
	}
	c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.readyForQuery()
	c.log = c.log.With("pid", c.pid, "user", c.user)
	c.log.Debug("connection accepted", "database", params["database"], "application_name", params["application_name"])
	return c.werr == nil, nil
}

// startupParams returns the ParameterStatus set PostgreSQL 15 reports at
// startup, with the client's application_name, TimeZone and client_encoding
// applied. The session's InitialParams may override any of them.
func (c *conn) startupParams(params map[string]string) (map[string]string, error) {
	status := map[string]string{
		"application_name":              params["application_name"],
		"client_encoding":               "UTF8",
		"DateStyle":                     "ISO, MDY",
		"default_transaction_read_only": "off",
		"in_hot_standby":                "off",
		"integer_datetimes":             "on",
		"IntervalStyle":                 "postgres",
		"is_superuser":                  "on",
		"server_encoding":               "UTF8",
		// Clients (pgjdbc, npgsql, SQLAlchemy) parse this as a version
		// number; weir's own version is in version().
		"server_version":              "15.0",
		"session_authorization":       c.user,
		"standard_conforming_strings": "on",
		"TimeZone":                    "UTC",
	}
	if tz := params["TimeZone"]; tz != "" {
		if _, err := resolveTimeZone(tz); err != nil {
			return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "invalid value for parameter \"TimeZone\": \"%s\"", tz)
		}
		status["TimeZone"] = tz
	}
	if enc := params["client_encoding"]; enc != "" {
		switch norm := strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(enc)); norm {
		case "UTF8", "UNICODE":
		case "SQLASCII":
			status["client_encoding"] = "SQL_ASCII"
		default:
			return nil, pgerror.New(pgerror.CodeFeatureNotSupported, "conversion between %s and UTF8 is not supported", enc)
		}
	}
	return status, nil
}

// sortedKeys returns m's keys in order, for deterministic output.
func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
