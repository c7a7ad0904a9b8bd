package server

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func decodeAll(t *testing.T, f copyFormat, chunks ...string) [][]any {
	t.Helper()
	d := newCopyDecoder(f)
	var rows [][]any
	collect := func(fields []*string, line int) error {
		row := make([]any, len(fields))
		for i, p := range fields {
			if p == nil {
				row[i] = nil
			} else {
				row[i] = *p
			}
		}
		rows = append(rows, row)
		return nil
	}
	for _, c := range chunks {
		require.NoError(t, d.write([]byte(c), collect))
	}
	require.NoError(t, d.finish(collect))
	return rows
}

func TestCopyText(t *testing.T) {
	f, err := newCopyFormat("text", "", "", "", "", false)
	require.NoError(t, err)
	rows := decodeAll(t, f, "a\t1\n", "b\\tc\t\\N\nlast\t", "3")
	require.Equal(t, [][]any{{"a", "1"}, {"b\tc", nil}, {"last", "3"}}, rows)

	rows = decodeAll(t, f, "x\\\\y\t\\101\\x41\n\\.\nignored\n")
	require.Equal(t, [][]any{{`x\y`, "AA"}}, rows)
}

func TestCopyCSV(t *testing.T) {
	f, err := newCopyFormat("csv", "", "", "", "", true)
	require.NoError(t, err)
	rows := decodeAll(t, f, "k,v\n", "a,1\n\"b,\"\"q\"\"\",\n\"\",2\n\"multi\nline\",3")
	require.Equal(t, [][]any{{"a", "1"}, {`b,"q"`, nil}, {"", "2"}, {"multi\nline", "3"}}, rows)
}

func TestCopyCSVUnterminated(t *testing.T) {
	f, err := newCopyFormat("csv", "", "", "", "", false)
	require.NoError(t, err)
	d := newCopyDecoder(f)
	require.NoError(t, d.write([]byte("\"abc,1"), func([]*string, int) error { return nil }))
	require.Error(t, d.finish(func([]*string, int) error { return nil }))
}

func TestCopyFormatOptions(t *testing.T) {
	f, err := newCopyFormat("csv", ";", "NULL", "'", "", false)
	require.NoError(t, err)
	rows := decodeAll(t, f, "'a;b';NULL;''\n")
	require.Equal(t, [][]any{{"a;b", nil, ""}}, rows)

	_, err = newCopyFormat("text", "", "", "'", "", false)
	require.Error(t, err)
	_, err = newCopyFormat("binary", "", "", "", "", false)
	require.Error(t, err)
}
