package server

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// copyTable is t(a int4 NOT NULL, b numeric(6,2), c varchar(3), d timestamp).
func newTestCopyRows(t testing.TB, target []int) *copyRows {
	ts := []types.T{types.TInt4, types.T{ID: types.Numeric, Mod: 6<<16 | 2 + 4}, types.T{ID: types.Varchar, Mod: 3 + 4}, types.TTimestamp}
	r, err := newCopyRows("t", []string{"a", "b", "c", "d"}, []bool{true, false, false, false}, ts, target, &expr.EvalCtx{Location: time.UTC})
	require.NoError(t, err)
	return r
}

func str(s string) *string { return &s }

func TestCopyRows(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target []int
		rows   [][]*string
		want   string // rows as text, or the error
	}{
		{
			name:   "all columns",
			target: []int{0, 1, 2, 3},
			rows: [][]*string{
				{str("1"), str("2.345"), str("ab"), str("2026-01-01 10:00:00")},
				{str(" 7"), nil, str("abc"), nil},
			},
			want: "1|2.35|ab|2026-01-01 10:00:00\n7|NULL|abc|NULL\n",
		},
		{
			name:   "column subset in another order",
			target: []int{2, 0},
			rows:   [][]*string{{str("x"), str("3")}},
			want:   "3|NULL|x|NULL\n",
		},
		{
			name:   "first bad value in line order",
			target: []int{0, 1, 2, 3},
			rows: [][]*string{
				{str("1"), str("1"), str("a"), nil},
				{str("2"), str("oops"), str("a"), nil},
				{str("x"), str("1"), str("a"), nil},
			},
			want: `22P02 invalid input syntax for type numeric: "oops" (COPY t, line 2, column b: "oops")`,
		},
		{
			name:   "varchar too long is an error, not truncated",
			target: []int{0, 2},
			rows:   [][]*string{{str("1"), str("abcd")}},
			want:   `22001 value too long for type character varying(3) (COPY t, line 1, column c: "abcd")`,
		},
		{
			name:   "numeric overflow of the typmod",
			target: []int{0, 1},
			rows:   [][]*string{{str("1"), str("12345.6")}},
			want:   `22003 numeric field overflow (A field with precision 6, scale 2 must round to an absolute value less than 10^4.)`,
		},
		{
			name:   "not null",
			target: []int{0, 1},
			rows:   [][]*string{{str("1"), nil}, {nil, str("1")}},
			want:   `23502 null value in column "a" of relation "t" violates not-null constraint (COPY t, line 2)`,
		},
		{
			name:   "not null of a column not copied",
			target: []int{1},
			rows:   [][]*string{{str("1")}},
			want:   `23502 null value in column "a" of relation "t" violates not-null constraint (COPY t, line 1)`,
		},
		{
			name:   "bad value before a short row is reported first",
			target: []int{0, 1},
			rows:   [][]*string{{str("1"), str("1")}, {str("z"), str("1")}, {str("1")}},
			want:   `22P02 invalid input syntax for type integer: "z" (COPY t, line 2, column a: "z")`,
		},
		{
			name:   "short row",
			target: []int{0, 1},
			rows:   [][]*string{{str("1"), str("1")}, {str("1")}},
			want:   `22P04 missing data for column "b" (COPY t, line 2)`,
		},
		{
			name:   "long row",
			target: []int{0},
			rows:   [][]*string{{str("1"), str("1")}},
			want:   `22P04 extra data after last expected column (COPY t, line 1)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestCopyRows(t, tc.target)
			var err error
			for i, f := range tc.rows {
				if err = r.add(f, i+1); err != nil {
					break
				}
			}
			var c *types.Chunk
			if err == nil {
				c, err = r.finish()
			}
			if err != nil {
				pe := pgerror.Convert(err)
				require.Equal(t, tc.want, fmt.Sprintf("%s %s (%s)", pe.Code, pe.Message, pe.Detail))
				return
			}
			require.Equal(t, tc.want, chunkText(c))
		})
	}
}

// TestCopyRowsBatches copies more rows than one batch and checks every
// row arrives in order, and that an error in a later batch names its line.
func TestCopyRowsBatches(t *testing.T) {
	r := newTestCopyRows(t, []int{0, 1})
	n := 3*copyBatchRows + 17
	for i := range n {
		require.NoError(t, r.add([]*string{str(strconv.Itoa(i)), nil}, i+1))
	}
	c, err := r.finish()
	require.NoError(t, err)
	require.Equal(t, n, c.N)
	for i := range n {
		require.Equal(t, int64(i), c.Cols[0].I[i])
		require.True(t, c.Cols[1].IsNull(i))
	}

	r = newTestCopyRows(t, []int{0})
	bad := 2*copyBatchRows + 5
	for i := range bad {
		require.NoError(t, r.add([]*string{str("1")}, i+1))
	}
	require.NoError(t, r.add([]*string{str("1.5")}, bad+1))
	_, err = r.finish()
	require.ErrorContains(t, err, `invalid input syntax for type integer: "1.5"`)
	require.Equal(t, fmt.Sprintf(`COPY t, line %d, column a: "1.5"`, bad+1), pgerror.Convert(err).Detail)
}

func chunkText(c *types.Chunk) string {
	var b []byte
	for i := range c.N {
		for j, v := range c.Cols {
			if j > 0 {
				b = append(b, '|')
			}
			if v.IsNull(i) {
				b = append(b, "NULL"...)
			} else {
				b = v.AppendText(b, i, time.UTC)
			}
		}
		b = append(b, '\n')
	}
	return string(b)
}

// BenchmarkCopyRows measures turning COPY text fields of the `weir bench`
// table shape (bigint, bigint, text, timestamp, numeric(12,2), double)
// into rows.
func BenchmarkCopyRows(b *testing.B) {
	ts := []types.T{types.TInt8, types.TInt8, types.TText, types.TTimestamp, types.T{ID: types.Numeric, Mod: 12<<16 | 2 + 4}, types.TFloat8}
	names := []string{"id", "grp", "name", "ts", "amount", "score"}
	const n = 10_000
	fields := make([][]*string, n)
	for i := range n {
		fields[i] = []*string{str(strconv.Itoa(i)), str(strconv.Itoa(i % 1000)), str("customer-" + strconv.Itoa(i)),
			str(time.Unix(int64(i), 0).UTC().Format("2006-01-02 15:04:05")), str(fmt.Sprintf("%d.%02d", i, i%100)), str(strconv.FormatFloat(float64(i)*0.37, 'g', -1, 64))}
	}
	b.ReportAllocs()
	for range b.N {
		r, err := newCopyRows("t", names, make([]bool, 6), ts, []int{0, 1, 2, 3, 4, 5}, &expr.EvalCtx{Location: time.UTC})
		require.NoError(b, err)
		for i, f := range fields {
			require.NoError(b, r.add(f, i+1))
		}
		c, err := r.finish()
		require.NoError(b, err)
		require.Equal(b, n, c.N)
	}
	b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
