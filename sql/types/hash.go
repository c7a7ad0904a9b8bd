package types

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/cockroachdb/apd/v3"
)

// Hashing contract: values that Compare equal hash equal, across the integer
// widths too (int2 7, int4 7 and int8 7 hash alike, so a join of an int4
// column with an int8 one may hash both sides with their own types). Hashes
// are deterministic across processes and releases of the same format, so
// they may be used to partition data between nodes.

const (
	hashNull = 0x9e3779b97f4a7c15
	hashSeed = 0xa0761d6478bd642f
	hashM1   = 0xe7037ed1a0b428db
	hashM2   = 0x8ebc6af09c88c6e3
)

// mix64 is a strong 64-bit finaliser (from wyhash).
func mix64(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^hashM1, b^hashM2)
	return hi ^ lo
}

// Combine mixes the hash of one more value into an accumulated hash.
func Combine(acc, h uint64) uint64 { return mix64(acc+hashSeed, h) }

func hashInt(i int64) uint64 { return mix64(uint64(i), hashSeed) }

func hashFloat(f float64) uint64 {
	switch {
	case f == 0:
		f = 0 // -0 == 0
	case math.IsNaN(f):
		return 0x7ff8000000000001
	}
	return mix64(math.Float64bits(f), hashM1)
}

func hashBytes(s string) uint64 {
	h := uint64(hashSeed) ^ uint64(len(s))
	for len(s) >= 8 {
		h = mix64(h, binary.LittleEndian.Uint64([]byte(s[:8])))
		s = s[8:]
	}
	var tail uint64
	for i := 0; i < len(s); i++ {
		tail |= uint64(s[i]) << (8 * i)
	}
	return mix64(h, tail^hashM2)
}

func hashDecimal(d *apd.Decimal) uint64 {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return 0x7ff8000000000002
	case apd.Infinite:
		if d.Negative {
			return 0xfff0000000000003
		}
		return 0x7ff0000000000003
	}
	if d.IsZero() {
		return hashInt(0) ^ hashM2
	}
	var r apd.Decimal
	r.Reduce(d)
	h := hashBytes(r.Coeff.String())
	h = mix64(h, uint64(int64(r.Exponent)))
	if r.Negative {
		h = mix64(h, 1)
	}
	return h
}

func hashInterval(v IntervalValue) uint64 {
	d, m := IntervalSpan(v)
	return mix64(uint64(d), uint64(m)^hashM2)
}

// HashDatum returns the hash of d as a value of type t (NULL hashes to a
// fixed value).
func HashDatum(t T, d Datum) uint64 {
	if d.Null {
		return hashNull
	}
	switch t.Phys() {
	case PhysInt:
		return hashInt(d.I)
	case PhysFloat:
		return hashFloat(d.F)
	case PhysDecimal:
		return hashDecimal(d.D)
	case PhysString:
		return hashBytes(d.S)
	default:
		return hashInterval(d.V)
	}
}

// HashVec mixes the hash of each row of v into hashes[i]; len(hashes) must
// be v.Len(). Call it once per key column, starting from zeroed hashes, to
// hash a multi-column key.
func HashVec(v *Vec, hashes []uint64) {
	hasNulls := v.Nulls.Any()
	var saved []uint64
	if hasNulls {
		saved = make([]uint64, len(hashes))
		copy(saved, hashes)
	}
	switch v.T.Phys() {
	case PhysInt:
		for i, x := range v.I {
			hashes[i] = Combine(hashes[i], hashInt(x))
		}
	case PhysFloat:
		for i, x := range v.F {
			hashes[i] = Combine(hashes[i], hashFloat(x))
		}
	case PhysDecimal:
		for i, x := range v.D {
			if hasNulls && v.Nulls.Get(i) {
				continue
			}
			hashes[i] = Combine(hashes[i], hashDecimal(x))
		}
	case PhysString:
		for i, x := range v.S {
			hashes[i] = Combine(hashes[i], hashBytes(x))
		}
	default:
		for i, x := range v.V {
			hashes[i] = Combine(hashes[i], hashInterval(x))
		}
	}
	if hasNulls {
		for i := range hashes {
			if v.Nulls.Get(i) {
				hashes[i] = Combine(saved[i], hashNull)
			}
		}
	}
}
