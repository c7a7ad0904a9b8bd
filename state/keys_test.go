package state

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ in, want []byte }{
		{[]byte("t/"), []byte("t0")},
		{[]byte{'a', 0xff}, []byte{'b'}},
		{[]byte{0x01, 0xff, 0xff}, []byte{0x02}},
		{[]byte{0xff, 0xff}, nil},
		{nil, nil},
	} {
		require.Equal(t, tc.want, PrefixEnd(tc.in), "%q", tc.in)
	}
}

func TestKeysPreserveNumericOrder(t *testing.T) {
	offsets := []uint64{0, 1, 255, 256, 1 << 32, 1<<64 - 1}
	for i := 1; i < len(offsets); i++ {
		a, b := TableKey(7, offsets[i-1]), TableKey(7, offsets[i])
		require.Negative(t, bytes.Compare(a, b))
		require.True(t, bytes.HasPrefix(b, TablePrefix(7)))
		require.Negative(t, bytes.Compare(b, PrefixEnd(TablePrefix(7))))
	}
	// One table's range never contains another's keys.
	require.False(t, bytes.HasPrefix(TableKey(256, 0), TablePrefix(1)))
	require.Negative(t, bytes.Compare(PrefixEnd(TablePrefix(1)), TableKey(2, 0)))

	tbl, off, ok := ParseTableKey(TableKey(12, 34))
	require.True(t, ok)
	require.Equal(t, uint64(12), tbl)
	require.Equal(t, uint64(34), off)
	_, _, ok = ParseTableKey(MVKey(12, []byte("x")))
	require.False(t, ok)

	// Each object's keys fall under its prefix.
	require.True(t, bytes.HasPrefix(QueryMetaKey(3), QueryPrefix(3)))
	require.True(t, bytes.HasPrefix(QueryOffsetKey(3, 4, 5), QueryOffsetPrefix(3)))
	require.True(t, bytes.HasPrefix(QueryOffsetKey(3, 4, 5), QueryPrefix(3)))
	require.True(t, bytes.HasPrefix(QueryOpKey(3, 9, []byte("k")), QueryOpPrefix(3, 9)))
	require.True(t, bytes.HasPrefix(MVKey(3, []byte("pk")), MVPrefix(3)))
	require.True(t, bytes.HasPrefix(OutboxKey(3, 10), OutboxPrefix(3)))
	require.True(t, bytes.HasPrefix(CatalogObjectKey(3), CatalogObjectPrefix()))
	require.True(t, bytes.HasPrefix(CatalogMetaKey(), CatalogPrefix()))
	require.False(t, bytes.HasPrefix(CatalogMetaKey(), CatalogObjectPrefix()))
	require.Negative(t, bytes.Compare(OutboxKey(3, 9), OutboxKey(3, 10)))
}
