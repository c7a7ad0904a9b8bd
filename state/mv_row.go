package state

import (
	"encoding/binary"

	"github.com/weirdb/weir/sql/types"
)

// MV rows (m/<mv>/<pk>, docs/streaming.md "MV rows"). A materialized view
// is a multiset of rows: with a stream key each key holds one row
// (multiplicity 1); without one, the key is the whole row and the value
// counts its copies. A value is
//
//	uvarint  multiplicity, >= 1 (an entry whose count reaches 0 is deleted)
//	...      EncodeRowValue of all columns in the MV's column order
//
// The MV sink writes values with EncodeMVRow or EncodeMVChunkRow; readers
// (catalog.MatViewRelation.Scan) decode them with DecodeMVRow or
// DecodeMVRowInto and emit the row multiplicity times.

// EncodeMVRow appends the stored value of an MV row (values of types ts)
// held count times. count must be at least 1.
func EncodeMVRow(buf []byte, count uint64, ts []types.T, row []types.Datum) []byte {
	if count == 0 {
		panic("state: MV row with multiplicity 0")
	}
	return EncodeRowValue(binary.AppendUvarint(buf, count), ts, row)
}

// EncodeMVChunkRow is EncodeMVRow for row i of c, reading the vectors
// directly.
func EncodeMVChunkRow(buf []byte, count uint64, c *types.Chunk, i int) []byte {
	if count == 0 {
		panic("state: MV row with multiplicity 0")
	}
	buf = AppendHeader(binary.AppendUvarint(buf, count), KindRow)
	return EncodeChunkRow(buf, c, i)
}

// splitMVRow returns the multiplicity of an MV row value and the row value
// after it.
func splitMVRow(v []byte) (uint64, []byte, error) {
	count, k := binary.Uvarint(v)
	if k <= 0 {
		return 0, nil, errCorruptRow("bad MV row multiplicity")
	}
	if count == 0 {
		return 0, nil, errCorruptRow("MV row with multiplicity 0")
	}
	return count, v[k:], nil
}

// DecodeMVRow decodes an MV row value with column types ts, appending one
// Datum per column to dst[:0]; it returns the row's multiplicity.
func DecodeMVRow(v []byte, ts []types.T, dst []types.Datum) (count uint64, row []types.Datum, err error) {
	count, rv, err := splitMVRow(v)
	if err != nil {
		return 0, nil, err
	}
	payload, err := ParseHeader(rv, KindRow)
	if err != nil {
		return 0, nil, err
	}
	row, err = DecodeRow(payload, ts, dst)
	if err != nil {
		return 0, nil, err
	}
	return count, row, nil
}

// DecodeMVRowInto appends the row of an MV row value to c once (as an
// insert) and returns its multiplicity; the caller repeats it. As with
// DecodeRowInto, discard c after an error.
func DecodeMVRowInto(v []byte, c *types.Chunk) (count uint64, err error) {
	count, rv, err := splitMVRow(v)
	if err != nil {
		return 0, err
	}
	if err := DecodeRowValue(rv, c); err != nil {
		return 0, err
	}
	return count, nil
}
