package expr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLookupTimeZone(t *testing.T) {
	at := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		off  int // seconds east of UTC at `at`; -1 = error
	}{
		{"UTC", 0}, {"utc", 0}, {"Z", 0}, {"GMT", 0},
		{"PST", -8 * 3600}, {"cet", 3600}, {"IST", 2 * 3600},
		{"America/New_York", -5 * 3600}, {"Asia/Kolkata", 5*3600 + 1800},
		// POSIX offsets: positive is west of Greenwich.
		{"+02", -2 * 3600}, {"-3", 3 * 3600}, {"UTC-3", 3 * 3600}, {"EST5", -5 * 3600}, {"+05:30", -(5*3600 + 1800)},
		{"Mars/Olympus_Mons", -1}, {"", -1}, {"+99", -1}, {"ab+1", -1}, {"../etc/passwd", -1},
	} {
		loc, err := LookupTimeZone(tc.name)
		if tc.off == -1 {
			require.Error(t, err, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		_, off := at.In(loc).Zone()
		require.Equal(t, tc.off, off, tc.name)
	}
}

func TestDateBin(t *testing.T) {
	const s = int64(1_000_000)
	for _, tc := range []struct{ stride, source, origin, want int64 }{
		{10 * s, 7 * s, 0, 0},
		{10 * s, 10 * s, 0, 10 * s},
		{10 * s, -1 * s, 0, -10 * s}, // before the origin: floor, not toward the origin
		{10 * s, -10 * s, 0, -10 * s},
		{7 * s, -2 * s, 0, -7 * s},
		{10 * s, 12 * s, 5 * s, 5 * s},
		{10 * s, 15 * s, 5 * s, 15 * s},
	} {
		got, err := DateBin(tc.stride, tc.source, tc.origin)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "%+v", tc)
	}
}
