package server

import (
	"errors"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// The extended-query messages. Each handler returns nil after sending its
// response, an error for the loop to report (then discarding messages up to
// Sync), or a *connFatal error that ends the connection.

// codeDuplicatePreparedStatement and codeDuplicateCursor are SQLSTATEs the
// pgerror table does not list.
const (
	codeDuplicatePreparedStatement = "42P05"
	codeDuplicateCursor            = "42P03"
)

// parse handles Parse: the statement is prepared with the client's
// parameter types (OID 0 leaves a type to inference) and stored under its
// name; the unnamed statement is replaced.
func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			return pgerror.New(codeDuplicatePreparedStatement, "prepared statement \"%s\" already exists", m.Name)
		}
	}
	if err := validText(m.Query); err != nil {
		return err
	}
	paramTypes := make([]types.T, len(m.ParameterOIDs))
	for i, oid := range m.ParameterOIDs {
		if oid == 0 {
			paramTypes[i] = types.TUnknown
			continue
		}
		t, ok := types.ByOID(oid)
		if !ok {
			return pgerror.New(pgerror.CodeUndefinedObject, "type with OID %d does not exist", oid)
		}
		paramTypes[i] = t
	}
	var stmt *Prepared
	ctx, done := c.beginStatement()
	err := c.callSession("Prepare", func() error {
		var err error
		stmt, err = c.sess.Prepare(ctx, m.Query, paramTypes)
		return err
	})
	c.sendNotices()
	if err != nil {
		c.srv.metrics.statements.WithLabelValues("invalid").Inc()
		err = toPGError(err, ctx)
		done()
		return err
	}
	done()
	c.stmts[m.Name] = stmt
	c.send(&pgproto3.ParseComplete{})
	return nil
}

// bind handles Bind: parameters are decoded (text with types.ParseText,
// binary with types.ParseBinary) to the statement's parameter types, and a
// portal is created with the result formats; the unnamed portal is
// replaced.
func (c *conn) bind(m *pgproto3.Bind) error {
	stmt, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return pgerror.New(pgerror.CodeInvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.PreparedStatement)
	}
	if m.DestinationPortal != "" {
		if _, ok := c.portals[m.DestinationPortal]; ok {
			return pgerror.New(codeDuplicateCursor, "cursor \"%s\" already exists", m.DestinationPortal)
		}
	} else if old := c.portals[""]; old != nil {
		old.closeRows(c)
		delete(c.portals, "")
	}
	if len(m.Parameters) != len(stmt.ParamTypes) {
		return pgerror.New(pgerror.CodeProtocolViolation,
			"bind message supplies %d parameters, but prepared statement \"%s\" requires %d",
			len(m.Parameters), m.PreparedStatement, len(stmt.ParamTypes))
	}
	pformats, err := resolveFormats(m.ParameterFormatCodes, len(m.Parameters),
		pgerror.New(pgerror.CodeProtocolViolation, "bind message has %d parameter formats but %d parameters",
			len(m.ParameterFormatCodes), len(m.Parameters)))
	if err != nil {
		return err
	}
	rformats, err := resolveFormats(m.ResultFormatCodes, len(stmt.Columns),
		pgerror.New(pgerror.CodeProtocolViolation, "bind message has %d result formats but query has %d columns",
			len(m.ResultFormatCodes), len(stmt.Columns)))
	if err != nil {
		return err
	}
	params, err := c.decodeParams(stmt.ParamTypes, m.Parameters, pformats)
	if err != nil {
		return err
	}
	c.portals[m.DestinationPortal] = &portal{
		name:    m.DestinationPortal,
		stmt:    stmt,
		params:  params,
		formats: rformats,
	}
	c.send(&pgproto3.BindComplete{})
	return nil
}

// decodeParams decodes Bind's parameter values. A NULL is a nil value. Text
// values must be valid UTF-8 and are parsed with the session time zone; a
// parameter of unknown type (never inferred) keeps its text. The raw
// values are only valid until the next Receive, so nothing here keeps them.
func (c *conn) decodeParams(ts []types.T, raw [][]byte, formats []int16) ([]types.Datum, error) {
	params := make([]types.Datum, len(raw))
	loc := c.location()
	for i, b := range raw {
		if b == nil {
			params[i] = types.NullDatum
			continue
		}
		t := ts[i]
		if formats[i] == formatBinary {
			if t.ID == types.Unknown || t.IsString() && t.ID != types.Char {
				// Binary text is the bytes themselves.
				if err := validText(string(b)); err != nil {
					return nil, err
				}
				params[i] = types.DString(string(b))
				continue
			}
			d, err := types.ParseBinary(t, b)
			if err != nil {
				var pe *pgerror.Error
				if errors.As(err, &pe) {
					return nil, pe
				}
				return nil, pgerror.New(pgerror.CodeInvalidBinaryRepresentation,
					"incorrect binary data format in bind parameter %d", i+1)
			}
			params[i] = d
			continue
		}
		s := string(b)
		if err := validText(s); err != nil {
			return nil, err
		}
		if t.ID == types.Unknown {
			params[i] = types.DString(s)
			continue
		}
		d, err := types.ParseText(t, s, loc)
		if err != nil {
			return nil, pgerror.Wrap(err, pgerror.CodeInvalidTextRepresentation)
		}
		params[i] = d
	}
	return params, nil
}

// describe handles Describe: for a statement, ParameterDescription and
// then RowDescription (text formats: none are chosen yet) or NoData; for a
// portal, RowDescription with its bound formats or NoData.
func (c *conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		stmt, ok := c.stmts[m.Name]
		if !ok {
			return pgerror.New(pgerror.CodeInvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.Name)
		}
		oids := make([]uint32, len(stmt.ParamTypes))
		for i, t := range stmt.ParamTypes {
			oids[i] = t.OID()
			if t.ID == types.Unknown {
				// An uninferred parameter is sent as text.
				oids[i] = types.TText.OID()
			}
		}
		c.send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		if stmt.Columns == nil {
			c.send(&pgproto3.NoData{})
		} else {
			c.sendRowDescription(stmt.Columns, nil)
		}
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			return pgerror.New(pgerror.CodeInvalidCursorName, "portal \"%s\" does not exist", m.Name)
		}
		if p.stmt.Columns == nil {
			c.send(&pgproto3.NoData{})
		} else {
			c.sendRowDescription(p.stmt.Columns, p.formats)
		}
	default:
		return protocolViolation("invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

// execute handles Execute: the portal runs (or continues) with the row
// limit, sending DataRows and then CommandComplete or PortalSuspended.
func (c *conn) execute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return pgerror.New(pgerror.CodeInvalidCursorName, "portal \"%s\" does not exist", m.Portal)
	}
	maxRows := int(m.MaxRows)
	if m.MaxRows > 1<<31-1 {
		maxRows = 0
	}
	err := c.runPortal(p, maxRows, false)
	if err == nil && c.werr != nil {
		return fatal(c.werr)
	}
	return err
}

// closeObject handles Close. Closing something that does not exist is not
// an error, as in PostgreSQL.
func (c *conn) closeObject(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		if p := c.portals[m.Name]; p != nil {
			p.closeRows(c)
			delete(c.portals, m.Name)
		}
	default:
		return protocolViolation("invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.send(&pgproto3.CloseComplete{})
	return nil
}
