package kafkatest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func values(rs []Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r.Value)
	}
	return out
}

func TestProduceConsumeRestart(t *testing.T) {
	b := Start(t)
	b.CreateTopic("t", 2)
	offs := b.Produce("t", append(Values(0, "a", "b"), Values(1, "c")...)...)
	require.Equal(t, []int64{0, 1, 0}, offs)
	require.Equal(t, []string{"a", "b", "c"}, values(b.Consume("t")))

	b.Stop()
	b.Restart()
	b.AddPartitions("t", 3)
	b.Produce("t", Values(2, "d")...)
	require.Equal(t, 3, b.Partitions("t"))
	require.Equal(t, []string{"a", "b", "c", "d"}, values(b.Consume("t")))
}

func TestTransactions(t *testing.T) {
	b := Start(t)
	b.CreateTopic("t", 1)
	b.Produce("t", Values(0, "a")...)
	b.ProduceTxn("tx", "t", false, Values(0, "aborted")...)
	x := b.BeginTxn("tx", "t")
	x.Produce(Values(0, "committed")...)
	// The open transaction holds the last stable offset back.
	// a@0, aborted@1, its abort marker@2, committed@3.
	require.Equal(t, []int64{4}, b.EndOffsets("t", false))
	require.Equal(t, []int64{3}, b.EndOffsets("t", true))
	x.Commit()
	require.Equal(t, []string{"a", "committed"}, values(b.Consume("t")))
}

func TestKcatTransactions(t *testing.T) {
	b := Start(t)
	b.CreateTopic("t", 1)
	x := b.StartKcatTxn("kc", "t", 0)
	x.Write("k1:v1", "k2:v2")
	x.Flush()
	require.Equal(t, int64(0), b.EndOffsets("t", true)[0])
	x.Interrupt()
	require.Equal(t, int64(0), b.EndOffsets("t", true)[0])
	// Same transactional id: the open transaction is aborted.
	y := b.StartKcatTxn("kc", "t", 0)
	y.Write("k3:v3", "k4:v4")
	y.Commit()
	got := b.Consume("t")
	require.Equal(t, []string{"v3", "v4"}, values(got))
	require.Equal(t, "k3", string(got[0].Key))
}
