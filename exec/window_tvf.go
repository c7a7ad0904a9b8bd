package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// WindowTVF assigns rows to TUMBLE or HOP event-time windows and appends
// window_start and window_end. Each output row keeps the op of its input
// row, so retractions retract from the same windows. Rows with a NULL time
// are dropped.
//
// In a continuous query (SetStreaming) it is stateless and takes part in
// barriers and watermarks; a row whose event time is below ctx.Watermark
// is late: it is dropped and reported through ctx.ReportLate (a late
// retraction too, since the insert it retracts was dropped when it
// arrived below the same or an older watermark, or was delivered into a
// window downstream already considers closed).
type WindowTVF struct {
	n           *planner.WindowTVF
	out         Consumer
	init        bool
	size, slide int64 // microseconds
	streaming   bool
	input       int // plan input index for LateRow.Input; -1 unknown
}

var _ WatermarkConsumer = (*WindowTVF)(nil)

// NewWindowTVF returns the operator for n.
func NewWindowTVF(n *planner.WindowTVF, out Consumer) *WindowTVF {
	return &WindowTVF{n: n, out: out, input: -1}
}

// SetStreaming makes the operator part of a continuous query whose rows
// come from plan input (StreamPlan.Inputs index; -1 when several or
// unknown): late rows are dropped and reported.
func (w *WindowTVF) SetStreaming(input int) { w.streaming, w.input = true, input }

func intervalMicros(ctx *Ctx, e expr.Expr, what string) (int64, error) {
	d, err := expr.EvalConst(ctx.Eval, e)
	if err != nil {
		return 0, err
	}
	if d.Null || d.V.Months != 0 {
		return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "window %s must be a non-NULL interval without months or years", what)
	}
	us := int64(d.V.Days)*86_400_000_000 + d.V.Micros
	if us <= 0 {
		return 0, pgerror.New(pgerror.CodeInvalidParameterValue, "window %s must be positive", what)
	}
	return us, nil
}

func (w *WindowTVF) setup(ctx *Ctx) error {
	w.init = true
	var err error
	if w.size, err = intervalMicros(ctx, w.n.Size, "size"); err != nil {
		return err
	}
	w.slide = w.size
	if w.n.Kind == planner.Hop {
		if w.slide, err = intervalMicros(ctx, w.n.Slide, "slide"); err != nil {
			return err
		}
	}
	return nil
}

// floorDiv rounds toward negative infinity, so windows before 1970 align
// the same way as later ones.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (w *WindowTVF) Push(ctx *Ctx, c *types.Chunk) error {
	if !w.init {
		if err := w.setup(ctx); err != nil {
			return err
		}
	}
	tv := c.Cols[w.n.TimeCol]
	var idx []int
	var starts []int64
	wm := NoWatermark
	if w.streaming {
		wm = ctx.Watermark
	}
	for i := 0; i < c.N; i++ {
		if tv.IsNull(i) {
			continue
		}
		t := tv.I[i]
		if t < wm {
			ctx.ReportLate(LateRow{Input: w.input, EventTime: t, Watermark: wm, Row: FormatRow(c, i)})
			continue
		}
		last := floorDiv(t, w.slide) * w.slide
		for s := last; s > t-w.size; s -= w.slide {
			idx = append(idx, i)
			starts = append(starts, s)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	out := c.Gather(idx)
	t := tv.T
	sv, ev := types.NewVec(t, len(idx)), types.NewVec(t, len(idx))
	for _, s := range starts {
		sv.Append(types.DInt(s))
		ev.Append(types.DInt(s + w.size))
	}
	out.Cols = append(out.Cols, sv, ev)
	return pushSplit(ctx, w.out, out)
}

func (w *WindowTVF) Finish(ctx *Ctx) error { return w.out.Finish(ctx) }

// Watermark implements WatermarkConsumer: assigning windows keeps no
// state, so wm is forwarded.
func (w *WindowTVF) Watermark(ctx *Ctx, wm int64) error { return forwardWatermark(ctx, w.out, wm) }

// Barrier implements BarrierConsumer.
func (w *WindowTVF) Barrier(ctx *Ctx, b *Barrier) error { return forwardBarrier(ctx, w.out, b) }
