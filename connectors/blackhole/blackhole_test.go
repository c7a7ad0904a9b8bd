package blackhole

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/types"
)

func TestBlackhole(t *testing.T) {
	ctx := context.Background()
	s, err := connectors.OpenSink(ctx, connectors.SinkSpec{Name: "bh", Options: map[string]string{"connector": "blackhole", "type": "append"}})
	require.NoError(t, err)
	c := types.NewChunk([]types.T{types.TInt8}, 3)
	for i := range 3 {
		c.AppendRow([]types.Datum{types.DInt(int64(i))})
	}
	require.NoError(t, s.Deliver(ctx, connectors.Batch{ID: 4, Changes: c}))
	require.NoError(t, s.Deliver(ctx, connectors.Batch{ID: 7, Changes: c}))
	st, ok := Counts("bh")
	require.True(t, ok)
	require.Equal(t, Stats{Batches: 2, Rows: 6, LastBatch: 7}, st)
	require.NoError(t, s.Close())
	_, err = connectors.OpenSink(ctx, connectors.SinkSpec{Name: "x", Options: map[string]string{"connector": "blackhole", "topic": "t"}})
	require.Error(t, err)
}
