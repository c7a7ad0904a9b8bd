package file

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

func init() {
	connectors.RegisterSource("file", func(ctx context.Context, spec connectors.SourceSpec) (connectors.Source, error) {
		return Open(ctx, spec)
	})
}

// markEvery is the spacing, in lines, of the byte offsets a file's index
// keeps: Read seeks to the nearest mark at or before its first line.
const markEvery = 1024

// chunkRows bounds the rows of one chunk returned by a RowReader.
const chunkRows = 1024

// Metadata column names.
const (
	colFile = "_file"
	colLine = "_line"
)

// Source is the file source. It is safe for concurrent use.
type Source struct {
	spec     connectors.SourceSpec
	dir      string
	opts     format.Options
	header   bool
	failBad  bool
	fields   []int // columns decoded from the record
	fileCol  int   // index of _file, or -1
	lineCol  int   // index of _line, or -1
	mu       sync.Mutex
	files    []*fileIndex // the partitions, in name order; guarded by mu
	lastName string       // the greatest name seen; guarded by mu
}

var _ connectors.Source = (*Source)(nil)

// fileIndex is what the source knows of one file: how far it has been
// scanned and where every markEvery-th line starts.
type fileIndex struct {
	name string
	path string

	mu sync.Mutex
	// scanned is the number of bytes scanned; lines the number of '\n'
	// in them (complete lines); marks[k] the byte offset of line
	// k*markEvery. Guarded by mu.
	scanned int64
	lines   uint64
	marks   []int64
}

// Open checks the options and the directory.
func Open(_ context.Context, spec connectors.SourceSpec) (*Source, error) {
	bad := func(format string, args ...any) (*Source, error) {
		return nil, pgerror.New(pgerror.CodeInvalidParameterValue, "file source %q: "+format, append([]any{spec.Name}, args...)...)
	}
	s := &Source{spec: spec, dir: spec.Options["path"], fileCol: -1, lineCol: -1}
	if s.dir == "" {
		return bad("option path is required")
	}
	st, err := os.Stat(s.dir)
	if err != nil {
		return bad("path %q: %v", s.dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return bad("path %q is not a directory", s.dir)
	}
	if s.opts, err = format.ParseOptions(spec.Options); err != nil {
		return nil, err
	}
	switch h := strings.ToLower(spec.Options["header"]); h {
	case "", "false":
	case "true":
		if s.opts.Kind != format.CSV {
			return bad("option header is only valid with format 'csv'")
		}
		s.header = true
	default:
		return bad("invalid header %q: expected 'true' or 'false'", spec.Options["header"])
	}
	switch b := strings.ToLower(spec.Options["bad_records"]); b {
	case "", "skip":
	case "fail":
		s.failBad = true
	default:
		return bad("invalid bad_records %q: expected 'skip' or 'fail'", spec.Options["bad_records"])
	}
	s.fields = []int{}
	for i, c := range spec.Columns {
		switch c.Name {
		case colFile:
			if c.T.ID != types.Text && c.T.ID != types.Varchar {
				return bad("column %s must be text", colFile)
			}
			s.fileCol = i
		case colLine:
			if !c.T.IsInteger() || c.T.ID == types.Int2 {
				return bad("column %s must be bigint or integer", colLine)
			}
			s.lineCol = i
		default:
			s.fields = append(s.fields, i)
		}
	}
	if _, err := format.NewDecoder(spec.Columns, s.fields, s.opts); err != nil {
		return nil, err
	}
	return s, nil
}

// Partitions lists the directory and appends the files not seen before.
func (s *Source) Partitions(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listLocked()
}

// listLocked lists the directory and appends the files not seen before.
func (s *Source) listLocked() (int, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("file source %q: %w", s.spec.Name, err)
	}
	known := make(map[string]bool, len(s.files))
	for _, f := range s.files {
		known[f.name] = true
	}
	for _, e := range entries { // in name order
		name := e.Name()
		if strings.HasPrefix(name, ".") || known[name] {
			continue
		}
		path := filepath.Join(s.dir, name)
		st, err := os.Stat(path) // follows symbolic links
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // removed or renamed since the listing
			}
			return 0, fmt.Errorf("file source %q: %w", s.spec.Name, err)
		}
		if !st.Mode().IsRegular() {
			continue
		}
		if len(s.files) > 0 && name < s.lastName {
			return 0, pgerror.New(pgerror.CodeObjectNotInPrerequisiteState,
				"file source %q: new file %q sorts before %q, which is already partition %d", s.spec.Name, name, s.lastName, len(s.files)-1).
				WithHint("Name new files so that they sort after existing ones (zero-padded sequence numbers or timestamps).")
		}
		s.files = append(s.files, &fileIndex{name: name, path: path, marks: []int64{0}})
		s.lastName = name
	}
	return len(s.files), nil
}

func (s *Source) file(p int) (*fileIndex, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p >= len(s.files) {
		// A replay after a restart may read before listing.
		if _, err := s.listLocked(); err != nil {
			return nil, err
		}
	}
	if p < 0 || p >= len(s.files) {
		return nil, fmt.Errorf("file source %q: no partition %d (%d known)", s.spec.Name, p, len(s.files))
	}
	return s.files[p], nil
}

// End returns the number of complete lines of partition p's file.
func (s *Source) End(_ context.Context, p int) (uint64, error) {
	f, err := s.file(p)
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.scanLocked(); err != nil {
		return 0, fmt.Errorf("file source %q: %w", s.spec.Name, err)
	}
	return f.lines, nil
}

// scanLocked indexes the bytes appended since the last scan.
func (f *fileIndex) scanLocked() error {
	fh, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size < f.scanned {
		return pgerror.New(pgerror.CodeObjectNotInPrerequisiteState,
			"file %q shrank from %d to %d bytes: the files of a file source must be append-only", f.name, f.scanned, size)
	}
	if size == f.scanned {
		return nil
	}
	if _, err := fh.Seek(f.scanned, io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	pos := f.scanned
	for pos < size {
		n, err := fh.Read(buf[:min(int64(len(buf)), size-pos)])
		for b := buf[:n]; ; {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				break
			}
			f.lines++
			if f.lines%markEvery == 0 {
				f.marks = append(f.marks, pos+int64(n-len(b))+int64(i)+1)
			}
			b = b[i+1:]
		}
		pos += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	f.scanned = pos
	return nil
}

// Read returns the rows of lines [from, to) of partition p.
func (s *Source) Read(_ context.Context, p int, from, to uint64) (connectors.RowReader, error) {
	f, err := s.file(p)
	if err != nil {
		return nil, err
	}
	// A replay after a restart may read before any End: index as far as
	// needed.
	f.mu.Lock()
	if to > f.lines {
		if err := f.scanLocked(); err != nil {
			f.mu.Unlock()
			return nil, fmt.Errorf("file source %q: %w", s.spec.Name, err)
		}
	}
	lines, marks := f.lines, f.marks
	f.mu.Unlock()
	if from > to || to > lines {
		return nil, fmt.Errorf("file source %q: range [%d, %d) of %q is beyond its %d complete lines", s.spec.Name, from, to, f.name, lines)
	}
	dec, err := format.NewDecoder(s.spec.Columns, s.fields, s.opts)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, fmt.Errorf("file source %q: %w", s.spec.Name, err)
	}
	mark := from / markEvery
	if _, err := fh.Seek(marks[mark], io.SeekStart); err != nil {
		fh.Close()
		return nil, err
	}
	r := &reader{src: s, f: f, p: p, fh: fh, br: bufio.NewReaderSize(fh, 64<<10), line: mark * markEvery, from: from, to: to, dec: dec,
		row: make([]types.Datum, len(s.spec.Columns))}
	return r, nil
}

// reader reads the lines of one range.
type reader struct {
	src      *Source
	f        *fileIndex
	p        int
	fh       *os.File
	br       *bufio.Reader
	line     uint64 // number of the next line br returns
	from, to uint64
	dec      *format.Decoder
	row      []types.Datum
	long     []byte
}

// readLine returns the next line without its '\n' (and '\r'); the slice is
// valid until the next call.
func (r *reader) readLine() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.long = append(r.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	if err != nil {
		if err == io.EOF {
			// End counted this line as complete: the file lost bytes.
			return nil, pgerror.New(pgerror.CodeObjectNotInPrerequisiteState,
				"file %q ends before line %d: the files of a file source must be append-only", r.f.name, r.line)
		}
		return nil, err
	}
	r.line++
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, nil
}

// Next returns up to chunkRows rows, then (nil, nil) at the end of the
// range.
func (r *reader) Next(ctx context.Context) (*types.Chunk, error) {
	for r.line < r.from {
		if _, err := r.readLine(); err != nil {
			return nil, err
		}
	}
	if r.line >= r.to {
		return nil, nil
	}
	cols := r.src.spec.Columns
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		ts[i] = c.T
	}
	out := types.NewChunk(ts, min(chunkRows, int(r.to-r.line)))
	for out.N < chunkRows && r.line < r.to {
		if out.N%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		n := r.line
		rec, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if n == 0 && r.src.header {
			continue
		}
		if err := r.dec.Decode(rec, r.row); err != nil {
			if r.src.failBad {
				return nil, fmt.Errorf("file source %q: %s line %d: %w", r.src.spec.Name, r.f.name, n+1, err)
			}
			r.src.spec.BadRecord(connectors.BadRecord{Partition: r.p, Offset: n, Raw: bytes.Clone(rec), Err: err})
			continue
		}
		if r.src.fileCol >= 0 {
			r.row[r.src.fileCol] = types.DString(r.f.name)
		}
		if r.src.lineCol >= 0 {
			r.row[r.src.lineCol] = types.DInt(int64(n))
		}
		out.AppendRow(r.row)
	}
	if out.N == 0 && r.line >= r.to {
		return nil, nil
	}
	return out, nil
}

func (r *reader) Close() error { return r.fh.Close() }

// Dense reports whether every line of a range yields exactly one row:
// only without a csv header line and with bad_records = 'fail' (a skipped
// bad record yields no row, and the engine's row count check does not see
// it).
func (s *Source) Dense() bool { return !s.header && s.failBad }

// Close releases nothing: files are opened per call.
func (s *Source) Close() error { return nil }
