package exec

import (
	"github.com/weirdb/weir/planner"
)

// Scan is the source reading a relation through planner.ScanRelation.
type Scan struct {
	rel    planner.ScanRelation
	out    Consumer
	reader planner.ChunkReader
}

// NewScan returns a scan of rel pushing to out.
func NewScan(rel planner.ScanRelation, out Consumer) *Scan { return &Scan{rel: rel, out: out} }

// Step reads and pushes one chunk; at the end of the relation it finishes
// the downstream and closes the reader.
func (s *Scan) Step(ctx *Ctx) (bool, error) {
	if s.reader == nil {
		r, err := s.rel.Scan(ctx.Context)
		if err != nil {
			return false, err
		}
		s.reader = r
	}
	c, err := s.reader.Next(ctx.Context)
	if err != nil {
		return false, err
	}
	if c == nil {
		if err := s.Close(); err != nil {
			return false, err
		}
		return true, s.out.Finish(ctx)
	}
	return false, pushSplit(ctx, s.out, c)
}

// Close closes the reader if it is open.
func (s *Scan) Close() error {
	if s.reader == nil {
		return nil
	}
	r := s.reader
	s.reader = nil
	return r.Close()
}
