package expr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Persistent aggregate state (AggState.AppendState / LoadState).
//
// Every encoding starts with a header
//
//	byte     implementation tag (below)
//	uvarint  the implementation's StateVersion
//
// followed by the implementation's payload. Integers are zigzag varints,
// counts of repeated items uvarints, byte strings a uvarint length and the
// bytes. A value ("datum") of a known type is encoded by its physical
// representation:
//
//	PhysInt      varint
//	PhysFloat    8 bytes big-endian IEEE-754 bits (NaN payloads and -0 kept)
//	PhysDecimal  byte flags (low 2 bits apd.Form, bit 2 negative), varint
//	             exponent, byte string of the coefficient's magnitude
//	             (big-endian), so 1.50 and 1.5 stay distinct
//	PhysString   byte string
//	PhysInterval varints months, days, microseconds
//
// Payloads, version 1 of each:
//
//	'c' count       varint rows
//	's' sum, avg    byte Phys of the argument; varint rows; then by Phys:
//	                  int       varint high word, uvarint low word (int128)
//	                  float     8 bytes finite sum; varints NaN, +Inf, -Inf counts
//	                  numeric   decimal finite sum; varints NaN, +Inf, -Inf
//	                            counts; uvarint k, then k pairs of varint
//	                            scale and varint count, by ascending scale
//	                  interval  varints months, days, microseconds sums
//	'm' min, max    byte Phys; byte flags (bit 0 append-only, bit 1 has a
//	                value); varint rows; append-only: the extreme datum if
//	                any; otherwise uvarint k and k values in ascending key
//	                order, each a uvarint r and r pairs of datum and varint
//	                count: its representations (1.5, 1.50) in order of
//	                their latest insert (the extreme is derived)
//	'b' bool_*      varints true count, false count
//	'l' string_agg, array_agg(text)
//	                uvarint k, then k entries in arrival order: byte 1 if
//	                NULL else 0, byte strings value and delimiter
//	'a' array_agg   byte Phys of the element; uvarint k, then k entries in
//	                arrival order: byte 1 if NULL else 0, the datum if not
//	'd' DISTINCT    varint rows; uvarint k, then k entries in key order:
//	                byte string (argument tuple key), varint reference
//	                count, and, when an argument type is numeric, interval
//	                or float, each argument forwarded to the inner
//	                aggregate (byte 1 if NULL else 0, the datum if not);
//	                then byte string: the inner aggregate's state
//
// Encodings are deterministic: maps are written in key order, so equal
// states encode to equal bytes and a replayed batch writes the same state.

// Tags of the state encodings.
const (
	tagCount    = 'c'
	tagSum      = 's'
	tagMinMax   = 'm'
	tagBool     = 'b'
	tagList     = 'l'
	tagArrayAgg = 'a'
	tagDistinct = 'd'
)

// State format versions, one per implementation. Bump the one whose
// AppendState encoding (or the meaning of its state) changes.
const (
	countStateVersion    uint32 = 1
	sumStateVersion      uint32 = 1
	minMaxStateVersion   uint32 = 1
	boolStateVersion     uint32 = 1
	listStateVersion     uint32 = 1
	arrayAggStateVersion uint32 = 1
	distinctStateVersion uint32 = 1
)

// ErrUnknownStateVersion is wrapped by the LoadState error for state
// written by an encoding version this binary does not know (test with
// errors.Is).
var ErrUnknownStateVersion = errors.New("unknown aggregate state version")

func appendStateHeader(buf []byte, tag byte, version uint32) []byte {
	return binary.AppendUvarint(append(buf, tag), uint64(version))
}

func appendBytes(buf []byte, b []byte) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(b))), b...)
}

func appendString(buf []byte, s string) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
}

func appendStateDecimal(buf []byte, d *apd.Decimal) []byte {
	if d == nil {
		d = &apd.Decimal{}
	}
	flags := byte(d.Form) & 3
	if d.Negative {
		flags |= 4
	}
	buf = append(buf, flags)
	buf = binary.AppendVarint(buf, int64(d.Exponent))
	return appendBytes(buf, d.Coeff.Bytes())
}

func appendStateDatum(buf []byte, p types.Phys, d types.Datum) []byte {
	switch p {
	case types.PhysInt:
		return binary.AppendVarint(buf, d.I)
	case types.PhysFloat:
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(d.F))
	case types.PhysDecimal:
		return appendStateDecimal(buf, d.D)
	case types.PhysString:
		return appendString(buf, d.S)
	default:
		buf = binary.AppendVarint(buf, int64(d.V.Months))
		buf = binary.AppendVarint(buf, int64(d.V.Days))
		return binary.AppendVarint(buf, d.V.Micros)
	}
}

// stateDecoder reads a state encoding. The first error sticks; later reads
// return zero values, so callers check err once at the end.
type stateDecoder struct {
	name string // the aggregate, for messages
	data []byte
	err  error
}

// openState checks the header of data against tag and version.
func openState(name string, data []byte, tag byte, version uint32) *stateDecoder {
	d := &stateDecoder{name: name, data: data}
	if len(data) == 0 {
		d.fail("empty state")
		return d
	}
	if data[0] != tag {
		d.fail("state of another aggregate (tag %q, expected %q)", data[0], tag)
		return d
	}
	d.data = data[1:]
	v := d.uvarint()
	if d.err == nil && v != uint64(version) {
		d.err = &pgerror.Error{
			Code: pgerror.CodeDataCorrupted,
			Message: fmt.Sprintf("%s aggregate state has format version %d, this weir reads version %d",
				name, v, version),
			Hint:  "The continuous query must be rebuilt from its sources.",
			Cause: ErrUnknownStateVersion,
		}
	}
	return d
}

func (d *stateDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = pgerror.New(pgerror.CodeDataCorrupted, "corrupt %s aggregate state: "+format,
			append([]any{d.name}, args...)...)
	}
}

// finish reports the first error, or an error if bytes remain.
func (d *stateDecoder) finish() error {
	if d.err == nil && len(d.data) != 0 {
		d.fail("%d trailing bytes", len(d.data))
	}
	return d.err
}

func (d *stateDecoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.data) == 0 {
		d.fail("truncated")
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return b
}

func (d *stateDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.data)
	if k <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.data = d.data[k:]
	return v
}

func (d *stateDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.data)
	if k <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.data = d.data[k:]
	return v
}

// count reads a uvarint item count, bounded by the bytes left (every item
// takes at least one byte) so corrupt data cannot trigger a huge
// allocation.
func (d *stateDecoder) count() int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.data)) {
		d.fail("count %d exceeds the %d bytes left", n, len(d.data))
		return 0
	}
	return int(n)
}

func (d *stateDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.data)) {
		d.fail("truncated byte string")
		return nil
	}
	b := d.data[:n:n]
	d.data = d.data[n:]
	return b
}

func (d *stateDecoder) uint64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.data) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint64(d.data)
	d.data = d.data[8:]
	return v
}

func (d *stateDecoder) decimal() *apd.Decimal {
	flags := d.byte()
	exp := d.varint()
	mag := d.bytes()
	if d.err != nil {
		return &apd.Decimal{}
	}
	if flags&^7 != 0 || exp < math.MinInt32 || exp > math.MaxInt32 {
		d.fail("bad numeric")
		return &apd.Decimal{}
	}
	r := &apd.Decimal{Form: apd.Form(flags & 3), Negative: flags&4 != 0, Exponent: int32(exp)}
	r.Coeff.SetBytes(mag)
	return r
}

func (d *stateDecoder) datum(p types.Phys) types.Datum {
	switch p {
	case types.PhysInt:
		return types.DInt(d.varint())
	case types.PhysFloat:
		return types.DFloat(math.Float64frombits(d.uint64()))
	case types.PhysDecimal:
		return types.DDecimal(d.decimal())
	case types.PhysString:
		return types.DString(string(d.bytes()))
	default:
		m, days, us := d.varint(), d.varint(), d.varint()
		if m < math.MinInt32 || m > math.MaxInt32 || days < math.MinInt32 || days > math.MaxInt32 {
			d.fail("interval out of range")
		}
		return types.DInterval(types.IntervalValue{Months: int32(m), Days: int32(days), Micros: us})
	}
}

// phys reads a Phys byte and checks it against want.
func (d *stateDecoder) phys(want types.Phys) {
	if p := types.Phys(d.byte()); d.err == nil && p != want {
		d.fail("argument representation %d, expected %d", p, want)
	}
}

// ---- count ----

func (s *countState) StateVersion() uint32 { return countStateVersion }

func (s *countState) AppendState(buf []byte, g int32) []byte {
	buf = appendStateHeader(buf, tagCount, countStateVersion)
	return binary.AppendVarint(buf, s.n[g])
}

func (s *countState) LoadState(g int32, data []byte) error {
	d := openState("count", data, tagCount, countStateVersion)
	n := d.varint()
	if n < 0 {
		d.fail("negative row count %d", n)
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.n[g] = n
	return nil
}

// ---- sum, avg ----

func (s *sumState) name() string {
	if s.avg {
		return "avg"
	}
	return "sum"
}

func (s *sumState) StateVersion() uint32 { return sumStateVersion }

func (s *sumState) AppendState(buf []byte, g int32) []byte {
	buf = appendStateHeader(buf, tagSum, sumStateVersion)
	p := s.argT.Phys()
	buf = append(buf, byte(p))
	buf = binary.AppendVarint(buf, s.n[g])
	appendSpecial := func(buf []byte) []byte {
		for _, c := range s.special[g] {
			buf = binary.AppendVarint(buf, c)
		}
		return buf
	}
	switch p {
	case types.PhysInt:
		buf = binary.AppendVarint(buf, s.ints[g].hi)
		buf = binary.AppendUvarint(buf, s.ints[g].lo)
	case types.PhysFloat:
		buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(s.floats[g]))
		buf = appendSpecial(buf)
	case types.PhysDecimal:
		buf = appendStateDecimal(buf, &s.decs[g])
		buf = appendSpecial(buf)
		scales := make([]int32, 0, len(s.scales[g]))
		for sc := range s.scales[g] {
			scales = append(scales, sc)
		}
		slices.Sort(scales)
		buf = binary.AppendUvarint(buf, uint64(len(scales)))
		for _, sc := range scales {
			buf = binary.AppendVarint(buf, int64(sc))
			buf = binary.AppendVarint(buf, s.scales[g][sc])
		}
	case types.PhysInterval:
		buf = binary.AppendVarint(buf, s.ivMonths[g])
		buf = binary.AppendVarint(buf, s.ivDays[g])
		buf = binary.AppendVarint(buf, s.ivs[g].Micros)
	}
	return buf
}

func (s *sumState) LoadState(g int32, data []byte) error {
	d := openState(s.name(), data, tagSum, sumStateVersion)
	p := s.argT.Phys()
	d.phys(p)
	n := d.varint()
	if n < 0 {
		d.fail("negative row count %d", n)
	}
	var special [3]int64
	readSpecial := func() {
		for k := range special {
			if special[k] = d.varint(); special[k] < 0 {
				d.fail("negative special value count")
			}
		}
	}
	var (
		ints    int128
		f       float64
		dec     *apd.Decimal
		scales  map[int32]int64
		ivM     int64
		ivD     int64
		ivMicro int64
	)
	switch p {
	case types.PhysInt:
		ints.hi = d.varint()
		ints.lo = d.uvarint()
	case types.PhysFloat:
		f = math.Float64frombits(d.uint64())
		readSpecial()
	case types.PhysDecimal:
		dec = d.decimal()
		if d.err == nil && dec.Form != apd.Finite {
			d.fail("non-finite numeric sum")
		}
		readSpecial()
		k := d.count()
		var total int64
		for range k {
			sc, c := d.varint(), d.varint()
			if d.err != nil {
				break
			}
			if sc < 0 || sc > math.MaxInt32 || c <= 0 {
				d.fail("bad scale count (%d, %d)", sc, c)
				break
			}
			if scales == nil {
				scales = map[int32]int64{}
			}
			scales[int32(sc)] = c
			total += c
		}
		if d.err == nil && total+special[0]+special[1]+special[2] != n {
			d.fail("scale counts add up to %d, row count is %d", total, n)
		}
	case types.PhysInterval:
		ivM, ivD, ivMicro = d.varint(), d.varint(), d.varint()
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.reset(g)
	s.n[g] = n
	switch p {
	case types.PhysInt:
		s.ints[g] = ints
	case types.PhysFloat:
		s.floats[g] = f
		s.special[g] = special
	case types.PhysDecimal:
		s.decs[g].Set(dec)
		s.special[g] = special
		s.scales[g] = scales
	case types.PhysInterval:
		s.ivMonths[g], s.ivDays[g], s.ivs[g].Micros = ivM, ivD, ivMicro
	}
	return nil
}

// ---- min, max ----

func (s *minMaxState) name() string {
	if s.max {
		return "max"
	}
	return "min"
}

func (s *minMaxState) StateVersion() uint32 { return minMaxStateVersion }

func (s *minMaxState) AppendState(buf []byte, g int32) []byte {
	buf = appendStateHeader(buf, tagMinMax, minMaxStateVersion)
	p := s.t.Phys()
	grp := &s.groups[g]
	var flags byte
	if s.appendOnly {
		flags |= 1
	}
	if grp.best != nil {
		flags |= 2
	}
	buf = append(buf, byte(p), flags)
	buf = binary.AppendVarint(buf, grp.n)
	if s.appendOnly {
		if grp.best != nil {
			buf = appendStateDatum(buf, p, grp.val)
		}
		return buf
	}
	keys := make([]string, 0, len(grp.vals))
	for k := range grp.vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		e := grp.vals[k]
		if e.reps == nil {
			buf = binary.AppendUvarint(buf, 1)
			buf = appendStateDatum(buf, p, e.d)
			buf = binary.AppendVarint(buf, e.n)
			continue
		}
		buf = binary.AppendUvarint(buf, uint64(len(e.reps)))
		for _, r := range e.reps {
			buf = appendStateDatum(buf, p, r.d)
			buf = binary.AppendVarint(buf, r.n)
		}
	}
	return buf
}

// LoadState restores a group. State written in append-only mode holds only
// the extreme, so it cannot be loaded into a state that must serve
// retractions (an error); retracting state loads into an append-only one
// by keeping just the extreme.
func (s *minMaxState) LoadState(g int32, data []byte) error {
	d := openState(s.name(), data, tagMinMax, minMaxStateVersion)
	p := s.t.Phys()
	d.phys(p)
	flags := d.byte()
	n := d.varint()
	if d.err == nil && (flags&^3 != 0 || n < 0 || (flags&2 != 0) != (n > 0)) {
		d.fail("bad header (flags %#x, %d rows)", flags, n)
	}
	if d.err == nil && flags&1 != 0 && !s.appendOnly {
		d.fail("state written in append-only mode cannot serve retractions")
	}
	grp := mmGroup{n: n}
	var key []byte
	if flags&1 != 0 {
		if flags&2 != 0 {
			grp.val = d.datum(p)
			grp.best = types.AppendKey(nil, s.t, grp.val, false)
		}
	} else {
		k := d.count()
		var total int64
		var repKey []byte
		for range k {
			e := &mmEntry{}
			nr := d.count()
			if d.err == nil && nr == 0 {
				d.fail("value without representations")
			}
			for j := range nr {
				v := d.datum(p)
				c := d.varint()
				if d.err != nil {
					break
				}
				if c <= 0 {
					d.fail("non-positive value count %d", c)
					break
				}
				if j == 0 {
					key = types.AppendKey(key[:0], s.t, v, false)
				} else if repKey = types.AppendKey(repKey[:0], s.t, v, false); !bytes.Equal(repKey, key) {
					d.fail("representations of different values")
					break
				}
				e.d, e.n = v, e.n+c
				if nr > 1 {
					e.reps = append(e.reps, mmRep{d: v, n: c})
				}
			}
			if d.err != nil {
				break
			}
			if grp.best == nil || s.better(key, grp.best) {
				grp.best = append(grp.best[:0], key...)
			}
			total += e.n
			if grp.vals == nil {
				grp.vals = make(map[string]*mmEntry, k)
			}
			if grp.vals[string(key)] != nil {
				d.fail("value listed twice")
				break
			}
			grp.vals[string(key)] = e
		}
		if d.err == nil && grp.best != nil {
			grp.val = grp.vals[string(grp.best)].d
		}
		if s.appendOnly {
			// An append-only state keeps just the extreme.
			grp.vals = nil
		}
		if d.err == nil && total != n {
			d.fail("value counts add up to %d, row count is %d", total, n)
		}
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.groups[g] = grp
	return nil
}

// ---- bool_and, bool_or, every ----

func (s *boolState) StateVersion() uint32 { return boolStateVersion }

func (s *boolState) AppendState(buf []byte, g int32) []byte {
	buf = appendStateHeader(buf, tagBool, boolStateVersion)
	buf = binary.AppendVarint(buf, s.trues[g])
	return binary.AppendVarint(buf, s.falses[g])
}

func (s *boolState) LoadState(g int32, data []byte) error {
	name := "bool_or"
	if s.and {
		name = "bool_and"
	}
	d := openState(name, data, tagBool, boolStateVersion)
	t, f := d.varint(), d.varint()
	if d.err == nil && (t < 0 || f < 0) {
		d.fail("negative counts (%d, %d)", t, f)
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.trues[g], s.falses[g] = t, f
	return nil
}

// ---- string_agg, array_agg(text) ----

func (s *listState) name() string {
	if s.array {
		return "array_agg"
	}
	return "string_agg"
}

func (s *listState) StateVersion() uint32 { return listStateVersion }

func (s *listState) AppendState(buf []byte, g int32) []byte {
	buf = appendStateHeader(buf, tagList, listStateVersion)
	l := s.groups[g]
	buf = binary.AppendUvarint(buf, uint64(len(l)))
	for _, e := range l {
		var null byte
		if e.null {
			null = 1
		}
		buf = append(buf, null)
		buf = appendString(buf, e.val)
		buf = appendString(buf, e.delim)
	}
	return buf
}

func (s *listState) LoadState(g int32, data []byte) error {
	d := openState(s.name(), data, tagList, listStateVersion)
	k := d.count()
	var l []listEntry
	if k > 0 {
		l = make([]listEntry, 0, k)
	}
	for range k {
		null := d.byte()
		val, delim := d.bytes(), d.bytes()
		if d.err != nil {
			break
		}
		if null > 1 || (null == 1 && !s.array) {
			d.fail("bad NULL flag %d", null)
			break
		}
		l = append(l, listEntry{val: string(val), delim: string(delim), null: null == 1})
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.groups[g] = l
	return nil
}

// ---- array_agg(non-text) ----

func (s *arrayAggState) StateVersion() uint32 { return arrayAggStateVersion }

func (s *arrayAggState) AppendState(buf []byte, g int32) []byte {
	buf = appendStateHeader(buf, tagArrayAgg, arrayAggStateVersion)
	p := s.elem.Phys()
	buf = append(buf, byte(p))
	l := s.groups[g]
	buf = binary.AppendUvarint(buf, uint64(len(l)))
	for _, e := range l {
		if e.Null {
			buf = append(buf, 1)
			continue
		}
		buf = appendStateDatum(append(buf, 0), p, e)
	}
	return buf
}

func (s *arrayAggState) LoadState(g int32, data []byte) error {
	d := openState("array_agg", data, tagArrayAgg, arrayAggStateVersion)
	p := s.elem.Phys()
	d.phys(p)
	k := d.count()
	var l []types.Datum
	if k > 0 {
		l = make([]types.Datum, 0, k)
	}
	for range k {
		switch d.byte() {
		case 0:
			l = append(l, d.datum(p))
		case 1:
			l = append(l, types.NullDatum)
		default:
			d.fail("bad NULL flag")
		}
		if d.err != nil {
			break
		}
	}
	if err := d.finish(); err != nil {
		return err
	}
	s.groups[g] = l
	return nil
}

// ---- DISTINCT ----

// StateVersion combines the DISTINCT wrapper's version (high 16 bits) with
// the inner aggregate's (low 16 bits), so a change to either changes it.
func (s *distinctState) StateVersion() uint32 {
	return distinctStateVersion<<16 | s.inner.StateVersion()&0xffff
}

func (s *distinctState) AppendState(buf []byte, g int32) []byte {
	buf = appendStateHeader(buf, tagDistinct, distinctStateVersion)
	buf = binary.AppendVarint(buf, s.n[g])
	keys := make([]string, 0, len(s.sets[g]))
	for k := range s.sets[g] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = binary.AppendVarint(buf, s.sets[g][k])
		if s.keepReps {
			for j, d := range s.reps[g][k] {
				if d.Null {
					buf = append(buf, 1)
					continue
				}
				buf = appendStateDatum(append(buf, 0), s.argTypes[j].Phys(), d)
			}
		}
	}
	// The inner state, length-prefixed, appended in place.
	inner := s.inner.AppendState(nil, g)
	return appendBytes(buf, inner)
}

func (s *distinctState) LoadState(g int32, data []byte) error {
	d := openState("DISTINCT", data, tagDistinct, distinctStateVersion)
	n := d.varint()
	if d.err == nil && n < 0 {
		d.fail("negative row count %d", n)
	}
	k := d.count()
	var set map[string]int64
	var reps map[string][]types.Datum
	var total int64
	var prev []byte
	for i := range k {
		key := d.bytes()
		c := d.varint()
		if d.err != nil {
			break
		}
		if c <= 0 || (i > 0 && bytes.Compare(prev, key) >= 0) {
			d.fail("bad reference count entry")
			break
		}
		if set == nil {
			set = make(map[string]int64, k)
		}
		set[string(key)] = c
		if s.keepReps {
			row := make([]types.Datum, len(s.argTypes))
			var rk []byte
			for j, t := range s.argTypes {
				switch d.byte() {
				case 0:
					row[j] = d.datum(t.Phys())
				case 1:
					row[j] = types.NullDatum
				default:
					d.fail("bad NULL flag")
				}
				if d.err != nil {
					break
				}
				rk = types.AppendKey(rk, t, row[j], false)
			}
			if d.err == nil && !bytes.Equal(rk, key) {
				d.fail("stored values do not match their key")
			}
			if reps == nil {
				reps = make(map[string][]types.Datum, k)
			}
			reps[string(key)] = row
		}
		total += c
		prev = key
	}
	if d.err == nil && total != n {
		d.fail("reference counts add up to %d, row count is %d", total, n)
	}
	inner := d.bytes()
	if err := d.finish(); err != nil {
		return err
	}
	if err := s.inner.LoadState(g, inner); err != nil {
		return err
	}
	s.sets[g] = set
	if s.keepReps {
		s.reps[g] = reps
	}
	s.n[g] = n
	return nil
}
