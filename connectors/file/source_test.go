package file

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

var cols = []connectors.Column{
	{Name: "id", T: types.TInt8, NotNull: true},
	{Name: "name", T: types.TText},
}

type testSource struct {
	*Source
	dir string
	bad []connectors.BadRecord
}

func open(t *testing.T, columns []connectors.Column, opts map[string]string) *testSource {
	t.Helper()
	ts := &testSource{dir: t.TempDir()}
	o := map[string]string{"connector": "file", "path": ts.dir}
	for k, v := range opts {
		o[k] = v
	}
	s, err := connectors.OpenSource(context.Background(), connectors.SourceSpec{Name: "logs", Columns: columns, Options: o,
		BadRecord: func(b connectors.BadRecord) { ts.bad = append(ts.bad, b) }})
	require.NoError(t, err)
	ts.Source = s.(*Source)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return ts
}

func (ts *testSource) write(t *testing.T, name, data string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(ts.dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func (ts *testSource) partitions(t *testing.T) int {
	t.Helper()
	n, err := ts.Partitions(context.Background())
	require.NoError(t, err)
	return n
}

func (ts *testSource) end(t *testing.T, p int) uint64 {
	t.Helper()
	e, err := ts.End(context.Background(), p)
	require.NoError(t, err)
	return e
}

// read returns the rows of a range as "|"-joined text values.
func (ts *testSource) read(t *testing.T, p int, from, to uint64) []string {
	t.Helper()
	rows, err := ts.tryRead(p, from, to)
	require.NoError(t, err)
	return rows
}

func (ts *testSource) tryRead(p int, from, to uint64) ([]string, error) {
	ctx := context.Background()
	r, err := ts.Read(ctx, p, from, to)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []string
	for {
		c, err := r.Next(ctx)
		if err != nil {
			return out, err
		}
		if c == nil {
			return out, nil
		}
		if c.N == 0 {
			return out, fmt.Errorf("empty chunk")
		}
		for i := 0; i < c.N; i++ {
			parts := make([]string, len(c.Cols))
			for j, v := range c.Cols {
				parts[j] = types.FormatText(v.T, v.Datum(i), nil)
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
}

func TestFileSourceJSON(t *testing.T) {
	ts := open(t, cols, map[string]string{"format": "json"})
	require.Equal(t, 0, ts.partitions(t))
	require.False(t, ts.Dense())

	ts.write(t, "001.jsonl", `{"id": 1, "name": "a"}`+"\n"+`{"id": 2}`+"\r\n"+`{"id": 3, "na`)
	ts.write(t, ".002.jsonl.tmp", `{"id": 100}`+"\n") // hidden: ignored
	require.NoError(t, os.Mkdir(filepath.Join(ts.dir, "sub"), 0o755))
	require.Equal(t, 1, ts.partitions(t))
	// The last line is not complete yet.
	require.Equal(t, uint64(2), ts.end(t, 0))
	require.Equal(t, []string{"1|a", "2|NULL"}, ts.read(t, 0, 0, 2))
	require.Equal(t, []string{"2|NULL"}, ts.read(t, 0, 1, 2))
	require.Nil(t, ts.read(t, 0, 2, 2))
	_, err := ts.tryRead(0, 1, 3)
	require.ErrorContains(t, err, "beyond its 2 complete lines")
	// A fresh source (as after a restart) reads a range before any End.
	again, err := Open(context.Background(), ts.spec)
	require.NoError(t, err)
	require.Equal(t, []string{"2|NULL"}, (&testSource{Source: again}).read(t, 0, 1, 2))
	_, err = (&testSource{Source: again}).tryRead(0, 1, 3)
	require.ErrorContains(t, err, "beyond its 2 complete lines")

	// Completing the line and appending more.
	ts.write(t, "001.jsonl", `me": "c"}`+"\n"+`{"id": 4}`+"\n")
	require.Equal(t, uint64(4), ts.end(t, 0))
	require.Equal(t, []string{"3|c", "4|NULL"}, ts.read(t, 0, 2, 4))

	// A new file is a new partition; the old ones keep their numbers.
	require.NoError(t, os.Rename(filepath.Join(ts.dir, ".002.jsonl.tmp"), filepath.Join(ts.dir, "002.jsonl")))
	require.Equal(t, 2, ts.partitions(t))
	require.Equal(t, uint64(1), ts.end(t, 1))
	require.Equal(t, []string{"100|NULL"}, ts.read(t, 1, 0, 1))
	require.Equal(t, []string{"1|a", "2|NULL", "3|c", "4|NULL"}, ts.read(t, 0, 0, 4))

	// A file sorting before a known one cannot become a partition.
	ts.write(t, "000.jsonl", `{"id": 0}`+"\n")
	_, err = ts.Partitions(context.Background())
	require.Error(t, err)
	require.Equal(t, pgerror.CodeObjectNotInPrerequisiteState, pgerror.Code(err))
	require.ErrorContains(t, err, `new file "000.jsonl" sorts before "002.jsonl"`)
	require.NoError(t, os.Remove(filepath.Join(ts.dir, "000.jsonl")))

	// A file that shrinks is an error.
	require.NoError(t, os.Truncate(filepath.Join(ts.dir, "002.jsonl"), 3))
	_, err = ts.End(context.Background(), 1)
	require.ErrorContains(t, err, "shrank from 12 to 3 bytes")
	_, err = ts.End(context.Background(), 2)
	require.ErrorContains(t, err, "no partition 2")
}

func TestFileSourceCSVHeaderAndMetadata(t *testing.T) {
	columns := []connectors.Column{
		{Name: "_file", T: types.TText},
		{Name: "id", T: types.TInt8, NotNull: true},
		{Name: "_line", T: types.TInt8},
		{Name: "name", T: types.TText},
	}
	ts := open(t, columns, map[string]string{"format": "csv", "header": "true", "delimiter": ";"})
	require.False(t, ts.Dense())
	ts.write(t, "a.csv", "id;name\n1;x\n2;\"y;z\"\n3;\n")
	require.Equal(t, 1, ts.partitions(t))
	require.Equal(t, uint64(4), ts.end(t, 0))
	require.Equal(t, []string{"a.csv|1|1|x", "a.csv|2|2|y;z", "a.csv|3|3|NULL"}, ts.read(t, 0, 0, 4))
	// Offsets are line numbers: the header keeps offset 0.
	require.Nil(t, ts.read(t, 0, 0, 1))
	require.Equal(t, []string{"a.csv|2|2|y;z"}, ts.read(t, 0, 2, 3))
	require.Empty(t, ts.bad)
}

func TestFileSourceBadRecords(t *testing.T) {
	lines := []string{
		`{"id": 1, "name": "ok"}`,
		`{"id": 1`,           // invalid JSON
		`{"name": "x"}`,      // missing NOT NULL
		`{"id": "one"}`,      // wrong type
		`[1]`,                // not an object
		``,                   // empty line
		"{\"id\": \"\xff\"}", // not UTF-8
		`{"id": 2, "name": "ok"}`,
	}
	data := strings.Join(lines, "\n") + "\n"

	ts := open(t, cols, nil)
	ts.write(t, "f", data)
	require.Equal(t, 1, ts.partitions(t))
	require.Equal(t, uint64(len(lines)), ts.end(t, 0))
	require.Equal(t, []string{"1|ok", "2|ok"}, ts.read(t, 0, 0, uint64(len(lines))))
	require.Len(t, ts.bad, 6)
	for i, b := range ts.bad {
		require.Equal(t, 0, b.Partition)
		require.Equal(t, uint64(i+1), b.Offset)
		require.Equal(t, lines[i+1], string(b.Raw))
		require.Error(t, b.Err)
	}
	require.Equal(t, pgerror.CodeNotNullViolation, pgerror.Code(ts.bad[1].Err))
	require.Equal(t, "22021", pgerror.Code(ts.bad[5].Err))

	fail := open(t, cols, map[string]string{"bad_records": "fail"})
	require.True(t, fail.Dense())
	fail.write(t, "f", data)
	require.Equal(t, 1, fail.partitions(t))
	rows, err := fail.tryRead(0, 0, uint64(len(lines)))
	require.Error(t, err)
	require.ErrorContains(t, err, `file source "logs": f line 2: invalid input syntax for type json`)
	require.Equal(t, pgerror.CodeInvalidTextRepresentation, pgerror.Code(err))
	require.Empty(t, rows)
	require.Empty(t, fail.bad)
}

// TestFileSourceReplay reads random ranges of a file longer than several
// index marks (and with lines longer than the read buffer), while it grows,
// and checks each against the lines written.
func TestFileSourceReplay(t *testing.T) {
	ts := open(t, cols, map[string]string{"format": "csv"})
	rng := rand.New(rand.NewPCG(1, 2))
	var want []string
	for round := 0; round < 5; round++ {
		var b strings.Builder
		for range 1000 + rng.IntN(2000) {
			id := len(want)
			name := fmt.Sprintf("n%d", id)
			if rng.IntN(500) == 0 {
				name = strings.Repeat("x", 70000+rng.IntN(1000))
			}
			want = append(want, fmt.Sprintf("%d|%s", id, name))
			fmt.Fprintf(&b, "%d,%s\n", id, name)
		}
		// A partial line at the end of each round, completed by the next.
		tail := fmt.Sprintf("%d,par", len(want))
		ts.write(t, "log", b.String()+tail)
		require.Equal(t, 1, ts.partitions(t))
		end := ts.end(t, 0)
		require.Equal(t, uint64(len(want)), end)
		for range 20 {
			from := uint64(rng.IntN(int(end) + 1))
			to := from + uint64(rng.IntN(int(end-from)+1))
			got := ts.read(t, 0, from, to)
			if from == to {
				require.Empty(t, got)
				continue
			}
			require.Equal(t, want[from:to], got, "[%d, %d)", from, to)
		}
		want = append(want, fmt.Sprintf("%d|partial", len(want)))
		ts.write(t, "log", "tial\n")
	}
	require.Equal(t, want, ts.read(t, 0, 0, ts.end(t, 0)))
}

func TestFileSourceOptions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, tc := range []struct {
		opts map[string]string
		cols []connectors.Column
		msg  string
	}{
		{map[string]string{}, cols, "option path is required"},
		{map[string]string{"path": filepath.Join(dir, "missing")}, cols, "no such file or directory"},
		{map[string]string{"path": file}, cols, "is not a directory"},
		{map[string]string{"path": dir, "format": "xml"}, cols, "invalid format"},
		{map[string]string{"path": dir, "header": "true"}, cols, "header is only valid with format 'csv'"},
		{map[string]string{"path": dir, "format": "csv", "header": "1"}, cols, "invalid header"},
		{map[string]string{"path": dir, "bad_records": "ignore"}, cols, "invalid bad_records"},
		{map[string]string{"path": dir}, []connectors.Column{{Name: "_line", T: types.TText}}, "_line must be bigint or integer"},
	} {
		tc.opts["connector"] = "file"
		_, err := connectors.OpenSource(context.Background(), connectors.SourceSpec{Name: "s", Columns: tc.cols, Options: tc.opts, BadRecord: func(connectors.BadRecord) {}})
		require.Error(t, err, "%v", tc.opts)
		require.Equal(t, pgerror.CodeInvalidParameterValue, pgerror.Code(err), "%v: %v", tc.opts, err)
		require.ErrorContains(t, err, tc.msg)
	}
}
