package state

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/weirdb/weir/sql/types"
)

func openTemp(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	return s
}

var testTableTypes = []types.T{types.TInt8, types.TText, types.TTimestamp}

func testRows(from, n int) *types.Chunk {
	c := types.NewChunk(testTableTypes, n)
	for i := from; i < from+n; i++ {
		txt := types.DString(fmt.Sprintf("row %d", i))
		if i%5 == 0 {
			txt = types.NullDatum
		}
		c.AppendRow([]types.Datum{types.DInt(int64(i)), txt, types.DInt(int64(i) * 1_000_000)})
	}
	return c
}

func readAll(t *testing.T, l *TableLog, table uint64, from, to uint64) [][]types.Datum {
	t.Helper()
	var rows [][]types.Datum
	require.NoError(t, l.Read(table, testTableTypes, from, to, func(c *types.Chunk) error {
		require.LessOrEqual(t, c.N, ReadChunkRows)
		for i := range c.N {
			rows = append(rows, c.Row(i))
		}
		return nil
	}))
	return rows
}

func checkRow(t *testing.T, i int, row []types.Datum) {
	t.Helper()
	require.Equal(t, int64(i), row[0].I)
	if i%5 == 0 {
		require.True(t, row[1].Null)
	} else {
		require.Equal(t, fmt.Sprintf("row %d", i), row[1].S)
	}
	require.Equal(t, int64(i)*1_000_000, row[2].I)
}

func TestStoreReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	b := s.NewBatch()
	require.NoError(t, b.Set(CatalogObjectKey(1), []byte("one")))
	require.NoError(t, b.Set(MVKey(5, []byte("a")), []byte("x")))
	require.NoError(t, b.Set(MVKey(5, []byte("b")), []byte("y")))
	require.NoError(t, b.Set(MVKey(6, []byte("a")), []byte("z")))
	require.NoError(t, s.Apply(b, true))
	require.NoError(t, b.Close())
	first, end, err := s.TableLog().Append(3, testRows(0, 2500))
	require.NoError(t, err)
	require.Equal(t, uint64(0), first)
	require.Equal(t, uint64(2500), end)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	s = openTemp(t, dir)
	defer s.Close()
	v, ok, err := s.Get(CatalogObjectKey(1))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "one", string(v))
	_, ok, err = s.Get(CatalogObjectKey(2))
	require.NoError(t, err)
	require.False(t, ok)

	var keys []string
	require.NoError(t, ScanPrefix(s, MVPrefix(5), func(k, v []byte) error {
		keys = append(keys, string(k[len(MVPrefix(5)):])+"="+string(v))
		return nil
	}))
	require.Equal(t, []string{"a=x", "b=y"}, keys)

	end, err = s.TableLog().End(3)
	require.NoError(t, err)
	require.Equal(t, uint64(2500), end)
	rows := readAll(t, s.TableLog(), 3, 0, end)
	require.Len(t, rows, 2500)
	for i, r := range rows {
		checkRow(t, i, r)
	}
	// Appends continue densely after reopen.
	first, end, err = s.TableLog().Append(3, testRows(2500, 3))
	require.NoError(t, err)
	require.Equal(t, uint64(2500), first)
	require.Equal(t, uint64(2503), end)
}

func TestSnapshotIsolationAndDeletePrefix(t *testing.T) {
	s, err := Open("", Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Set(MVKey(1, []byte("a")), []byte("1"), false))
	snap := s.NewSnapshot()
	require.NoError(t, s.Set(MVKey(1, []byte("b")), []byte("2"), false))
	require.NoError(t, s.DeletePrefix(MVPrefix(1), true))

	n := 0
	require.NoError(t, ScanPrefix(snap, MVPrefix(1), func(k, v []byte) error { n++; return nil }))
	require.Equal(t, 1, n, "the snapshot sees the state when it was taken")
	require.NoError(t, snap.Close())

	n = 0
	require.NoError(t, ScanPrefix(s, MVPrefix(1), func(k, v []byte) error { n++; return nil }))
	require.Equal(t, 0, n)
	_, err = s.EstimateSize(MVPrefix(1))
	require.NoError(t, err)
}

func TestTableLogRanges(t *testing.T) {
	s, err := Open("", Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	l := s.TableLog()

	end, err := l.End(9)
	require.NoError(t, err)
	require.Equal(t, uint64(0), end)
	first, end, err := l.Append(9, types.NewChunk(testTableTypes, 0))
	require.NoError(t, err)
	require.Equal(t, uint64(0), first)
	require.Equal(t, uint64(0), end)

	for i := 0; i < 3000; i += 1000 {
		_, _, err := l.Append(9, testRows(i, 1000))
		require.NoError(t, err)
	}
	for _, tc := range []struct{ from, to, want uint64 }{
		{0, 3000, 3000},
		{1023, 2049, 1026},
		{2999, 1 << 62, 1}, // clamped to End
		{3000, 4000, 0},
		{10, 5, 0},
	} {
		rows := readAll(t, l, 9, tc.from, tc.to)
		require.Len(t, rows, int(tc.want), "[%d, %d)", tc.from, tc.to)
		for j, r := range rows {
			checkRow(t, int(tc.from)+j, r)
		}
	}
	// Other tables are independent.
	end, err = l.End(10)
	require.NoError(t, err)
	require.Equal(t, uint64(0), end)

	require.NoError(t, l.Drop(9))
	end, err = l.End(9)
	require.NoError(t, err)
	require.Equal(t, uint64(0), end)
	require.Empty(t, readAll(t, l, 9, 0, 100))
}

func TestTableLogConcurrentAppendsAreDense(t *testing.T) {
	s := openTemp(t, t.TempDir())
	defer s.Close()
	l := s.TableLog()
	const writers, perWriter = 8, 20
	type span struct{ first, end uint64 }
	spans := make(chan span, writers*perWriter)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				// Each row carries its own writer/sequence so we can check
				// rows are where their append said they are.
				c := types.NewChunk(testTableTypes, 3)
				for k := range 3 {
					c.AppendRow([]types.Datum{types.DInt(int64(w*1000 + i)), types.DString(strconv.Itoa(k)), types.DInt(0)})
				}
				first, end, err := l.Append(1, c)
				if err != nil {
					t.Error(err)
					return
				}
				if end-first != 3 {
					t.Errorf("span [%d, %d)", first, end)
				}
				spans <- span{first, end}
			}
		}()
	}
	wg.Wait()
	close(spans)
	end, err := l.End(1)
	require.NoError(t, err)
	require.Equal(t, uint64(writers*perWriter*3), end)
	rows := readAll(t, l, 1, 0, end)
	require.Len(t, rows, int(end))
	seen := make(map[uint64]bool)
	for sp := range spans {
		id := rows[sp.first][0].I
		for o := sp.first; o < sp.end; o++ {
			require.False(t, seen[o], "offset %d given twice", o)
			seen[o] = true
			require.Equal(t, id, rows[o][0].I, "one append's rows are contiguous")
			require.Equal(t, strconv.Itoa(int(o-sp.first)), rows[o][1].S)
		}
	}
	require.Len(t, seen, int(end))
}

// The child half of TestTableLogSurvivesSIGKILL: append forever, printing
// each acknowledged range.
const killChildEnv = "WEIR_STATE_KILL_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(dir)
		return
	}
	os.Exit(m.Run())
}

func killChild(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	// Several concurrent writers so acknowledgements come from shared
	// syncs, as under concurrent INSERTs.
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				n := 1 + (i+g)%7
				c := types.NewChunk(testTableTypes, n)
				for k := range n {
					c.AppendRow([]types.Datum{types.DInt(int64(g)), types.DString(fmt.Sprintf("%d/%d/%d", g, i, k)), types.DInt(int64(k))})
				}
				first, end, err := s.TableLog().Append(1, c)
				mu.Lock()
				if err != nil {
					fmt.Fprintln(w, "error", err)
				} else {
					fmt.Fprintf(w, "ack %d %d %d %d\n", first, end, g, i)
				}
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestTableLogSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())

	type ack struct {
		first, end uint64
		g, i       int
	}
	var acks []ack
	sc := bufio.NewScanner(stdout)
	deadline := time.Now().Add(20 * time.Second)
	for sc.Scan() {
		line := sc.Text()
		require.False(t, strings.HasPrefix(line, "error"), line)
		var a ack
		_, err := fmt.Sscanf(line, "ack %d %d %d %d", &a.first, &a.end, &a.g, &a.i)
		require.NoError(t, err, line)
		acks = append(acks, a)
		if len(acks) == 300 || time.Now().After(deadline) {
			// Kill while appends are in flight.
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			break
		}
	}
	_ = cmd.Wait()
	require.NotEmpty(t, acks)

	s := openTemp(t, dir)
	defer s.Close()
	end, err := s.TableLog().End(1)
	require.NoError(t, err)
	var maxAck uint64
	for _, a := range acks {
		maxAck = max(maxAck, a.end)
	}
	require.GreaterOrEqual(t, end, maxAck, "every acknowledged offset survives")
	rows := readAll(t, s.TableLog(), 1, 0, end)
	require.Len(t, rows, int(end))
	for _, a := range acks {
		for o := a.first; o < a.end; o++ {
			k := int(o - a.first)
			require.Equal(t, fmt.Sprintf("%d/%d/%d", a.g, a.i, k), rows[o][1].S, "offset %d", o)
			require.Equal(t, int64(a.g), rows[o][0].I)
			require.Equal(t, int64(k), rows[o][2].I)
		}
	}
}

// BenchmarkTableAppend measures synced appends (rows/s) from concurrent
// writers, each appending small INSERT-sized chunks.
func BenchmarkTableAppend(b *testing.B) {
	for _, rowsPerAppend := range []int{1, 100} {
		b.Run(fmt.Sprintf("rows=%d", rowsPerAppend), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{})
			require.NoError(b, err)
			defer s.Close()
			c := testRows(1, rowsPerAppend)
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := s.TableLog().Append(1, c); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*rowsPerAppend)/time.Since(start).Seconds(), "rows/s")
		})
	}
}

func TestLogicalSize(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer s.Close()
	p := QueryPrefix(7)
	var want uint64
	for i := range 10 {
		k := append(append([]byte(nil), p...), byte(i))
		v := make([]byte, 100)
		require.NoError(t, s.Set(k, v, false))
		want += uint64(len(k) + len(v))
	}
	require.NoError(t, s.Set(QueryPrefix(8), []byte("other"), false))
	got, err := s.LogicalSize(p, 100)
	require.NoError(t, err)
	require.Equal(t, want, got, "exact while within budget, memtable included")
	got, err = s.LogicalSize(p, 3)
	require.NoError(t, err)
	require.GreaterOrEqual(t, got, uint64(3*(len(p)+1+100)), "at least the counted part beyond the budget")
}
