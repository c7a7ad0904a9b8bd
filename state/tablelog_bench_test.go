package state

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/types"
)

// benchTableTypes is the shape of the `weir bench` table.
var benchTableTypes = []types.T{types.TInt8, types.TInt8, types.TText, types.TTimestamp, {ID: types.Numeric, Mod: 12<<16 | 2 + 4}, types.TFloat8}

// BenchmarkTableReader reads 100 000 rows of the `weir bench` table shape
// back from a table log (the scan under an ad-hoc SELECT).
func BenchmarkTableReader(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	require.NoError(b, err)
	defer s.Close()
	const rows = 100_000
	for start := 0; start < rows; start += 10_000 {
		c := types.NewChunk(benchTableTypes, 10_000)
		for i := start; i < start+10_000; i++ {
			for j, text := range []string{"1234567", "42", "customer-12345", "2026-01-01 10:11:12", "12345.67", "3.25"} {
				d, err := types.ParseText(benchTableTypes[j], text, time.UTC)
				require.NoError(b, err)
				c.Cols[j].Append(d)
			}
			c.N++
		}
		_, _, err := s.TableLog().Append(7, c)
		require.NoError(b, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := s.TableLog().NewReader(7, benchTableTypes, 0, rows)
		require.NoError(b, err)
		n := 0
		for {
			c, err := r.Next(context.Background())
			require.NoError(b, err)
			if c == nil {
				break
			}
			n += c.N
		}
		require.NoError(b, r.Close())
		require.Equal(b, rows, n)
	}
	b.ReportMetric(rows*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
