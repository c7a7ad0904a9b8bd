package types

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkVecAppendText formats 1024 rows of each type of the `weir bench`
// table through Vec.AppendText, as DataRow encoding does.
func BenchmarkVecAppendText(b *testing.B) {
	cases := []struct {
		t    T
		text func(i int) string
	}{
		{TInt8, func(i int) string { return strconv.Itoa(i * 7919) }},
		{TText, func(i int) string { return "customer-" + strconv.Itoa(i) }},
		{TTimestamp, func(i int) string {
			return time.Unix(1_767_225_600+int64(i)*61, 0).UTC().Format("2006-01-02 15:04:05")
		}},
		{T{ID: Numeric, Mod: 12<<16 | 2 + 4}, func(i int) string { return strconv.Itoa(i*7919%100000) + ".25" }},
		{TFloat8, func(i int) string { return strconv.FormatFloat(float64(i)*0.37+0.5, 'g', -1, 64) }},
	}
	for _, tc := range cases {
		v := NewVec(tc.t, 1024)
		for i := range 1024 {
			d, err := ParseText(tc.t, tc.text(i), time.UTC)
			require.NoError(b, err)
			v.Append(d)
		}
		b.Run(tc.t.TypName(), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 64<<10)
			for range b.N {
				buf = buf[:0]
				for i := range 1024 {
					buf = v.AppendText(buf, i, time.UTC)
				}
			}
		})
	}
}
