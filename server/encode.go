package server

import (
	"encoding/binary"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Result formats of a column (Bind's result format codes).
const (
	formatText   int16 = 0
	formatBinary int16 = 1
)

// sendRowDescription describes a result's columns with the given formats
// (nil: all text).
func (c *conn) sendRowDescription(cols []ResultColumn, formats []int16) {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		f := formatText
		if formats != nil {
			f = formats[i]
		}
		fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.AttNum),
			DataTypeOID:          col.T.OID(),
			DataTypeSize:         col.T.Len(),
			TypeModifier:         col.T.Mod,
			Format:               f,
		}
	}
	c.send(&pgproto3.RowDescription{Fields: fields})
}

// appendDataRow writes row i of ch as a DataRow straight into the write
// buffer: the header, then each field's length and bytes from the types
// codecs, with the lengths patched in afterwards. The chunk's op column is
// not sent (SUBSCRIBE reports changes as ordinary columns). On error the
// partial message is removed.
func (c *conn) appendDataRow(ch *types.Chunk, i int, formats []int16, loc *time.Location) error {
	start := len(c.wbuf)
	c.msgStart = start
	buf := append(c.wbuf, 'D', 0, 0, 0, 0)
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(ch.Cols)))
	for j, v := range ch.Cols {
		if v.IsNull(i) {
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
			continue
		}
		lenAt := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		if formats != nil && formats[j] == formatBinary {
			var err error
			buf, err = types.AppendBinary(buf, v.T, v.Datum(i))
			if err != nil {
				c.wbuf = buf[:start]
				c.msgStart = -1
				return pgerror.Wrap(err, pgerror.CodeInternalError)
			}
		} else if v.T.ID == types.RegClass && c.regNamer != nil {
			// regclass prints the relation's name, which only the
			// catalog knows; its binary form is the OID.
			if name, ok := c.regNamer.RelationName(uint32(v.I[i])); ok {
				buf = append(buf, name...)
			} else {
				buf = v.AppendText(buf, i, loc)
			}
		} else {
			buf = v.AppendText(buf, i, loc)
		}
		binary.BigEndian.PutUint32(buf[lenAt:], uint32(len(buf)-lenAt-4))
	}
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	c.wbuf = buf
	c.msgStart = -1
	return nil
}

// resolveFormats expands Bind's format codes to one per item: none means
// all text, one applies to all, otherwise one each. mismatch is the error
// for any other count.
func resolveFormats(codes []int16, n int, mismatch *pgerror.Error) ([]int16, error) {
	out := make([]int16, n)
	switch {
	case len(codes) == 0:
	case len(codes) == 1:
		for i := range out {
			out[i] = codes[0]
		}
	case len(codes) == n:
		copy(out, codes)
	default:
		return nil, mismatch
	}
	for _, f := range out {
		if f != formatText && f != formatBinary {
			return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	return out, nil
}
