package postgres

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/weirdb/weir/sql/types"
)

// copyData is a COPY ... (FORMAT binary) stream for the staging table:
// per row the op (int2), the key's NULL mask (int8) and the sink's columns
// in PostgreSQL's binary send format, as types.AppendBinary writes them.
type copyData struct {
	buf []byte
}

// copySignature starts every binary COPY stream: the signature, a zero
// flags field and a zero-length header extension.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

func (d *copyData) begin() {
	d.buf = append(d.buf[:0], copySignature...)
}

// row appends row i of c with its op and NULL mask.
func (d *copyData) row(c *types.Chunk, i int, op int16, mask uint64) error {
	b := d.buf
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.Cols)+2))
	b = binary.BigEndian.AppendUint32(b, 2)
	b = binary.BigEndian.AppendUint16(b, uint16(op))
	b = binary.BigEndian.AppendUint32(b, 8)
	b = binary.BigEndian.AppendUint64(b, mask)
	for j, v := range c.Cols {
		if v.IsNull(i) {
			b = binary.BigEndian.AppendUint32(b, 0xffffffff)
			continue
		}
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		var err error
		b, err = types.AppendBinary(b, v.T, v.Datum(i))
		if err != nil {
			return fmt.Errorf("column %d (%s): %w", j+1, v.T, err)
		}
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	d.buf = b
	return nil
}

// end appends the trailer.
func (d *copyData) end() {
	d.buf = append(d.buf, 0xff, 0xff)
}

// reader returns the stream from its start; it can be called again for a
// retry.
func (d *copyData) reader() *bytes.Reader { return bytes.NewReader(d.buf) }
