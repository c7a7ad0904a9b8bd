package state

import (
	"fmt"

	"github.com/weirdb/weir/sql/pgerror"
)

// Every value in the store starts with a two-byte header:
//
//	byte 0  format version of the value encoding (FormatVersion)
//	byte 1  kind: which encoding follows (Kind)
//
// A reader that meets a version it does not know, or a kind other than the
// one it expects, fails with an XX001 error naming the key's owner instead
// of guessing. Bumping FormatVersion is how an incompatible change to any
// encoding below is introduced; older versions stay readable for as long as
// the decoders keep a case for them.
//
// Two values put a small fixed prefix before the header, as
// docs/streaming.md lays them out: an MV row (m/<mv>/<pk>) starts with its
// uvarint multiplicity (mv_row.go) and a changelog record (l/<mv>/<offset>)
// with its op byte (changelog.go). Their decoders check the header after
// the prefix just the same.

// FormatVersion is the value format version this binary writes.
const FormatVersion byte = 1

// Kind says which encoding follows the header.
type Kind byte

const (
	// KindRow is a row encoded by EncodeRow (table log records, MV rows).
	KindRow Kind = 'r'
	// KindCatalog is a catalog object definition or catalog metadata (its
	// payload is owned by package catalog).
	KindCatalog Kind = 'c'
	// KindQuery is continuous-query metadata (owned by the engine).
	KindQuery Kind = 'q'
	// KindOpState is operator state (owned by the operator).
	KindOpState Kind = 's'
	// KindOutbox is a sink outbox batch (owned by the sink).
	KindOutbox Kind = 'o'
	// KindOffset is a committed source offset (owned by the engine).
	KindOffset Kind = 'f'
	// KindChangelog is the row of a materialized view changelog record
	// (l/<mv>/<offset>): EncodeChangeRow writes the op byte, then this
	// header, then the row as EncodeRow does.
	KindChangelog Kind = 'l'
	// KindTableChange is the row of a log record of a table with a primary
	// key (t/<table>/<offset>): like a changelog record, an op byte, then
	// this header, then the row. Append-only tables keep KindRow records,
	// so a reader of the wrong variant fails instead of misreading.
	KindTableChange Kind = 'u'
)

// KindQueryMeta is the kind of a continuous query's meta record
// (q/<query>/meta: batch id, changelog end, planned ranges); its payload is
// owned by the engine. It is KindQuery under the name docs/streaming.md
// uses.
const KindQueryMeta = KindQuery

func (k Kind) String() string {
	switch k {
	case KindRow:
		return "row"
	case KindCatalog:
		return "catalog"
	case KindQuery:
		return "query"
	case KindOpState:
		return "operator state"
	case KindOutbox:
		return "outbox"
	case KindOffset:
		return "offset"
	case KindChangelog:
		return "changelog record"
	case KindTableChange:
		return "table change record"
	}
	return fmt.Sprintf("kind %#x", byte(k))
}

// AppendHeader appends the value header for kind at the current format
// version.
func AppendHeader(buf []byte, kind Kind) []byte { return append(buf, FormatVersion, byte(kind)) }

// ParseHeader checks the header of a stored value and returns the payload
// after it. It fails with XX001 when the value is too short, was written by
// a format version this binary does not know, or holds another kind.
func ParseHeader(v []byte, want Kind) ([]byte, error) {
	if len(v) < 2 {
		return nil, pgerror.New(pgerror.CodeDataCorrupted,
			"stored %s value is truncated (%d bytes)", want, len(v))
	}
	if v[0] != FormatVersion {
		return nil, &pgerror.Error{
			Code: pgerror.CodeDataCorrupted,
			Message: fmt.Sprintf("stored %s value has format version %d, this weir reads version %d",
				want, v[0], FormatVersion),
			Hint:  "The data directory was written by a different weir version.",
			Cause: ErrUnknownVersion,
		}
	}
	if Kind(v[1]) != want {
		return nil, pgerror.New(pgerror.CodeDataCorrupted,
			"stored value is a %s, expected a %s", Kind(v[1]), want)
	}
	return v[2:], nil
}

// ErrUnknownVersion is wrapped by the errors ParseHeader returns for a
// format version this binary does not know (test with errors.Is).
var ErrUnknownVersion = fmt.Errorf("unknown value format version")
