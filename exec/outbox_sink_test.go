package exec_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql/types"
)

// changes builds a chunk of (k text, v int8) rows with ops ("+a 1").
func changes(rows ...string) *types.Chunk {
	c := types.NewChunk([]types.T{types.TText, types.TInt8}, len(rows))
	c.Ops = []types.Op{}
	for _, r := range rows {
		var k string
		var v int64
		_, err := fmt.Sscanf(r[1:], "%s %d", &k, &v)
		if err != nil {
			panic(err)
		}
		c.AppendRow([]types.Datum{types.DString(k), types.DInt(v)})
		if r[0] == '-' {
			c.Ops[len(c.Ops)-1] = types.Delete
		}
	}
	return c
}

func printChanges(c *types.Chunk) []string {
	var out []string
	for i := range c.N {
		op := "+"
		if c.Op(i) == types.Delete {
			op = "-"
		}
		out = append(out, fmt.Sprintf("%s%s %d", op, c.Cols[0].S[i], c.Cols[1].I[i]))
	}
	return out
}

// TestOutboxSink: batches are staged per batch id and read back in order
// with their rows; upsert consolidates per key (new row, tombstone for a
// removed key, nothing for an unchanged one); append passes rows through
// and refuses retractions; an empty batch stages nothing.
func TestOutboxSink(t *testing.T) {
	ts := []types.T{types.TText, types.TInt8}
	st := openMem(t)
	up, err := exec.NewOutboxSink(5, ts, []int{0}, exec.SinkUpsert)
	require.NoError(t, err)
	ctx := &exec.Ctx{}
	stage := func(o *exec.OutboxSink, id uint64, c *types.Chunk) {
		t.Helper()
		if c != nil {
			require.NoError(t, o.Push(ctx, c))
		}
		b := st.NewBatch()
		defer b.Close()
		require.NoError(t, o.Barrier(ctx, &exec.Barrier{BatchID: id, W: b}))
		require.NoError(t, st.Apply(b, true))
	}
	stage(up, 1, changes("+a 1", "+b 1", "+c 1"))
	stage(up, 2, changes("-a 1", "+a 2", "-b 1", "-c 1", "+c 1", "+d 1", "-d 1", "+e 1", "-e 1", "+e 3"))
	stage(up, 3, nil)
	stage(up, 4, changes("-a 2", "+a 3"))
	bs, err := exec.ReadOutbox(st, 5, ts, 0, 0)
	require.NoError(t, err)
	require.Len(t, bs, 3)
	require.Equal(t, []uint64{1, 2, 4}, []uint64{bs[0].ID, bs[1].ID, bs[2].ID})
	require.Equal(t, []string{"+a 1", "+b 1", "+c 1"}, printChanges(bs[0].Changes))
	require.Equal(t, []string{"+a 2", "-b 1", "+e 3"}, printChanges(bs[1].Changes))
	require.Equal(t, []string{"+a 3"}, printChanges(bs[2].Changes))
	require.False(t, bs[0].CommittedAt.IsZero())
	after, err := exec.ReadOutbox(st, 5, ts, 2, 1)
	require.NoError(t, err)
	require.Len(t, after, 1)
	require.Equal(t, uint64(4), after[0].ID)

	_, err = exec.NewOutboxSink(6, ts, nil, exec.SinkUpsert)
	require.Error(t, err)
	ap, err := exec.NewOutboxSink(6, ts, nil, exec.SinkAppend)
	require.NoError(t, err)
	big := make([]string, 3000)
	for i := range big {
		big[i] = fmt.Sprintf("+k%d %d", i%7, i)
	}
	stage(ap, 9, changes(big...))
	bs, err = exec.ReadOutbox(st, 6, ts, 0, 0)
	require.NoError(t, err)
	require.Len(t, bs, 1)
	require.Equal(t, big, printChanges(bs[0].Changes), "append keeps the query's order across outbox chunks")
	require.Error(t, ap.Push(ctx, changes("-a 1")))
}
