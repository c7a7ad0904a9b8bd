package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"
)

// TestPgwireTranscripts replays the protocol transcripts in testdata/pgwire
// against a server over the fake session: each file is one connection
// (already past startup). Commands:
//
//	send
//	MsgType {json fields}      a frontend message (pgproto3 field names);
//	CopyData text              CopyData with the text as payload ("\n" escapes)
//
//	until [keep=ParameterStatus,...]
//	MsgType                    receive up to and including each listed type in
//	                           turn; the output is every message received, as JSON
//
// Regenerate with: go test ./server -run TestPgwireTranscripts -rewrite
func TestPgwireTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata/pgwire", func(t *testing.T, path string) {
		ts := startServer(t)
		fe := rawConn(t, ts)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "send":
				for _, line := range strings.Split(d.Input, "\n") {
					if line = strings.TrimSpace(line); line != "" {
						fe.Send(frontendMessage(t, line))
					}
				}
				require.NoError(t, fe.Flush())
				return ""
			case "until":
				var out strings.Builder
				for _, want := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					for {
						msg := receive(t, fe)
						out.WriteString(transcriptJSON(t, msg))
						out.WriteByte('\n')
						if msgNames([]pgproto3.BackendMessage{msg})[0] == strings.TrimSpace(want) {
							break
						}
					}
				}
				return out.String()
			}
			d.Fatalf(t, "unknown command %q", d.Cmd)
			return ""
		})
	})
}

// frontendMessage decodes one "MsgType {json}" line.
func frontendMessage(t *testing.T, line string) pgproto3.FrontendMessage {
	name, rest, _ := strings.Cut(line, " ")
	var msg pgproto3.FrontendMessage
	switch name {
	case "Query":
		msg = &pgproto3.Query{}
	case "Parse":
		msg = &pgproto3.Parse{}
	case "Bind":
		msg = &pgproto3.Bind{}
	case "Describe":
		msg = &pgproto3.Describe{}
	case "Execute":
		msg = &pgproto3.Execute{}
	case "Close":
		msg = &pgproto3.Close{}
	case "Sync":
		return &pgproto3.Sync{}
	case "Flush":
		return &pgproto3.Flush{}
	case "CopyDone":
		return &pgproto3.CopyDone{}
	case "CopyFail":
		msg = &pgproto3.CopyFail{}
	case "CopyData":
		return &pgproto3.CopyData{Data: []byte(strings.ReplaceAll(rest, `\n`, "\n"))}
	default:
		t.Fatalf("unknown frontend message %q", name)
	}
	if rest != "" {
		require.NoError(t, json.Unmarshal([]byte(rest), msg), fmt.Sprintf("line %q", line))
	}
	return msg
}

// transcriptJSON renders a backend message as JSON, errors and notices
// with only the fields that are set.
func transcriptJSON(t *testing.T, msg pgproto3.BackendMessage) string {
	var v any = msg
	var er *pgproto3.ErrorResponse
	switch m := msg.(type) {
	case *pgproto3.ErrorResponse:
		er = m
	case *pgproto3.NoticeResponse:
		er = (*pgproto3.ErrorResponse)(m)
	}
	if er != nil {
		fields := map[string]any{"Type": msgNames([]pgproto3.BackendMessage{msg})[0], "Severity": er.Severity, "Code": er.Code, "Message": er.Message}
		if er.Detail != "" {
			fields["Detail"] = er.Detail
		}
		if er.Hint != "" {
			fields["Hint"] = er.Hint
		}
		if er.Position != 0 {
			fields["Position"] = er.Position
		}
		v = fields
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
