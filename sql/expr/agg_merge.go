package expr

import (
	"math/bits"
	"slices"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Merging aggregate states (AggState.Merge).
//
// The window aggregate keeps one partial state per (group key, pane) and
// computes a hopping window's row by merging the panes it covers; a
// session window absorbs the sessions a row bridges. Merge(dst, src, sg)
// must leave group dst exactly as if group sg's rows had been folded into
// it by Update after dst's own rows: same Result, same Count, and later
// Updates (retractions of rows that came from either side included) behave
// as on a state that saw all the rows. The one freedom: where a result
// depends on arrival order (string_agg, array_agg, and which of several
// equal values that look different min/max show), src's rows count as
// arriving after dst's. A caller merging panes in time order thus gets the
// result of folding the rows pane by pane.
//
// src may be the receiver itself (with sg != dst); group sg is never
// changed. Merging states of different aggregates or argument types is an
// internal error (XX000). An append-only min/max may absorb a retracting
// one (it keeps the extreme), not the reverse: the append-only side has no
// multiset to give.

func mergeMismatch(s, src AggState) error {
	return pgerror.New(pgerror.CodeInternalError, "aggregate merge: %T cannot absorb %T", s, src)
}

// Merge implements AggState.
func (s *countState) Merge(dst int32, src AggState, sg int32) error {
	o, ok := src.(*countState)
	if !ok {
		return mergeMismatch(s, src)
	}
	s.n[dst] += o.n[sg]
	return nil
}

// Merge implements AggState.
func (s *sumState) Merge(dst int32, src AggState, sg int32) error {
	o, ok := src.(*sumState)
	if !ok || o.argT.Phys() != s.argT.Phys() || o.avg != s.avg {
		return mergeMismatch(s, src)
	}
	if o.n[sg] == 0 {
		return nil
	}
	s.n[dst] += o.n[sg]
	switch s.argT.Phys() {
	case types.PhysInt:
		a, b := &s.ints[dst], o.ints[sg]
		var c uint64
		a.lo, c = bits.Add64(a.lo, b.lo, 0)
		a.hi += b.hi + int64(c)
	case types.PhysFloat:
		s.floats[dst] += o.floats[sg]
		for k := range s.special[dst] {
			s.special[dst][k] += o.special[sg][k]
		}
	case types.PhysDecimal:
		if _, err := exact.Add(&s.decs[dst], &s.decs[dst], &o.decs[sg]); err != nil {
			return pgerror.Wrap(err, pgerror.CodeNumericValueOutOfRange)
		}
		for k := range s.special[dst] {
			s.special[dst][k] += o.special[sg][k]
		}
		if len(o.scales[sg]) > 0 && s.scales[dst] == nil {
			s.scales[dst] = make(map[int32]int64, len(o.scales[sg]))
		}
		for sc, c := range o.scales[sg] {
			s.scales[dst][sc] += c
		}
	case types.PhysInterval:
		s.ivMonths[dst] += o.ivMonths[sg]
		s.ivDays[dst] += o.ivDays[sg]
		s.ivs[dst].Micros += o.ivs[sg].Micros
	}
	return nil
}

// Merge implements AggState. A retracting state absorbs src's counted
// values; an append-only one only its extreme.
func (s *minMaxState) Merge(dst int32, src AggState, sg int32) error {
	o, ok := src.(*minMaxState)
	if !ok || o.t.Phys() != s.t.Phys() || o.max != s.max || (o.appendOnly && !s.appendOnly) {
		return mergeMismatch(s, src)
	}
	sgrp := &o.groups[sg]
	if sgrp.n == 0 {
		return nil
	}
	d := &s.groups[dst]
	d.n += sgrp.n
	// src's rows arrive later: its extreme wins a tie, as PostgreSQL's
	// later argument does.
	if sgrp.best != nil && (d.best == nil || !s.better(d.best, sgrp.best)) {
		d.best = append(d.best[:0:0], sgrp.best...)
		d.val = sgrp.val
	}
	if s.appendOnly {
		return nil
	}
	p := s.t.Phys()
	if d.vals == nil {
		d.vals = make(map[string]*mmEntry, len(sgrp.vals))
	}
	for k, e := range sgrp.vals {
		de := d.vals[k]
		if de == nil {
			c := &mmEntry{d: e.d, n: e.n}
			if e.reps != nil {
				c.reps = slices.Clone(e.reps)
			}
			d.vals[k] = c
			continue
		}
		de.merge(p, e)
	}
	if d.best != nil {
		d.val = d.vals[string(d.best)].d
	}
	return nil
}

// merge adds the copies of o (inserted after e's) to e: representations
// only in e keep their order, then o's follow in o's order, so the last
// one is o's latest.
func (e *mmEntry) merge(p types.Phys, o *mmEntry) {
	reps := e.reps
	if reps == nil {
		reps = []mmRep{{d: e.d, n: e.n}}
	} else {
		reps = slices.Clone(reps)
	}
	oreps := o.reps
	if oreps == nil {
		oreps = []mmRep{{d: o.d, n: o.n}}
	}
	for _, r := range oreps {
		if k := slices.IndexFunc(reps, func(x mmRep) bool { return sameRep(p, x.d, r.d) }); k >= 0 {
			r.n += reps[k].n
			reps = slices.Delete(reps, k, k+1)
		}
		reps = append(reps, r)
	}
	e.n += o.n
	e.d = reps[len(reps)-1].d
	if len(reps) > 1 {
		e.reps = reps
	} else {
		e.reps = nil
	}
}

// Merge implements AggState.
func (s *boolState) Merge(dst int32, src AggState, sg int32) error {
	o, ok := src.(*boolState)
	if !ok || o.and != s.and {
		return mergeMismatch(s, src)
	}
	s.trues[dst] += o.trues[sg]
	s.falses[dst] += o.falses[sg]
	return nil
}

// Merge implements AggState: src's values follow dst's.
func (s *listState) Merge(dst int32, src AggState, sg int32) error {
	o, ok := src.(*listState)
	if !ok || o.array != s.array {
		return mergeMismatch(s, src)
	}
	if len(o.groups[sg]) > 0 {
		s.groups[dst] = append(slices.Clip(s.groups[dst]), o.groups[sg]...)
	}
	return nil
}

// Merge implements AggState: src's values follow dst's.
func (s *arrayAggState) Merge(dst int32, src AggState, sg int32) error {
	o, ok := src.(*arrayAggState)
	if !ok || o.elem.ID != s.elem.ID {
		return mergeMismatch(s, src)
	}
	if len(o.groups[sg]) > 0 {
		s.groups[dst] = append(slices.Clip(s.groups[dst]), o.groups[sg]...)
	}
	return nil
}

// Merge implements AggState: reference counts add up, and each argument
// tuple new to group dst is forwarded to the inner aggregate once (with
// the representation src forwarded, which is the first to enter the
// merged set).
func (s *distinctState) Merge(dst int32, src AggState, sg int32) error {
	o, ok := src.(*distinctState)
	if !ok || len(o.argTypes) != len(s.argTypes) || o.keepReps != s.keepReps {
		return mergeMismatch(s, src)
	}
	for j, t := range s.argTypes {
		if o.argTypes[j].ID != t.ID {
			return mergeMismatch(s, src)
		}
	}
	if len(o.sets[sg]) == 0 {
		return nil
	}
	// Forward new tuples in key order, so the inner aggregate's
	// order-dependent results are deterministic.
	keys := make([]string, 0, len(o.sets[sg]))
	for k := range o.sets[sg] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	args := make([]*types.Vec, len(s.argTypes))
	for j, t := range s.argTypes {
		args[j] = types.NewVec(t, 0)
	}
	var groups []int32
	if s.sets[dst] == nil {
		s.sets[dst] = make(map[string]int64, len(keys))
	}
	for _, k := range keys {
		c := o.sets[sg][k]
		old := s.sets[dst][k]
		s.sets[dst][k] = old + c
		if old > 0 {
			continue
		}
		if s.keepReps {
			row := o.reps[sg][k]
			if s.reps[dst] == nil {
				s.reps[dst] = map[string][]types.Datum{}
			}
			s.reps[dst][k] = row
			for j, d := range row {
				args[j].Append(d)
			}
		} else {
			// Without keepReps every argument type decodes from its key
			// exactly (integers, text, bool, bytea, timestamps).
			rest := []byte(k)
			for j, t := range s.argTypes {
				d, r, err := types.DecodeKey(rest, t)
				if err != nil {
					return pgerror.Wrap(err, pgerror.CodeInternalError)
				}
				args[j].Append(d)
				rest = r
			}
		}
		groups = append(groups, dst)
	}
	s.n[dst] += o.n[sg]
	if len(groups) == 0 {
		return nil
	}
	return s.inner.Update(&EvalCtx{}, groups, args, nil, nil)
}
