package codec

import (
	"math/bits"
	"slices"
)

// G.711 (ITU-T G.711, 11/1988) maps each 8 kHz sample to one byte by a
// piecewise-linear approximation of a logarithm: 8 segments per sign, 16
// steps per segment. µ-law (PCMU) works on 14-bit magnitudes, A-law (PCMA)
// on 12-bit ones (13-bit signed). The 16-bit input is reduced to those as
// the ITU-T G.191 reference does: by truncation, taking the one's
// complement of negative samples, which makes the quantizer symmetric
// about -1/2 (x and -1-x get codes differing only in the sign bit).
// Decoding is a 256-entry table.

// Tables of decoded values, filled in init from the G.711 formulas.
var (
	ulawToLinear [256]int16
	alawToLinear [256]int16
)

func init() {
	for i := range 256 {
		ulawToLinear[i] = ulawDecode(byte(i))
		alawToLinear[i] = alawDecode(byte(i))
	}
}

// ulawDecode is the G.711 µ-law expansion: the segment's base plus the step
// count, each in units of the 14-bit scale, offset by the bias of 33
// (132 in 16-bit units) that makes the segments line up. Bits are
// transmitted inverted.
func ulawDecode(c byte) int16 {
	c = ^c
	seg := uint(c>>4) & 7
	v := (int32(c&0x0f)<<3 + 0x84) << seg
	v -= 0x84
	if c&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

// alawDecode is the G.711 A-law expansion: segment 0 and 1 share a step
// size, later segments double it. Even bits are transmitted inverted
// (XOR 0x55) and a set sign bit means positive.
func alawDecode(c byte) int16 {
	c ^= 0x55
	seg := uint(c>>4) & 7
	v := int32(c&0x0f)<<4 + 8 // middle of the step, 16-bit units
	if seg > 0 {
		v = (v + 0x100) << (seg - 1)
	}
	if c&0x80 != 0 {
		return int16(v)
	}
	return int16(-v)
}

// ulawEncode compresses one sample to µ-law.
func ulawEncode(x int16) byte {
	sign := byte(0)
	if x < 0 {
		x = ^x
		sign = 0x80
	}
	// Add the bias and clip: 33 ... 8191, so that segment s covers
	// [2^(s+5), 2^(s+6)) and its number is the top bit's position above
	// bit 5.
	v := min(int32(x)>>2+33, 8191)
	seg := bits.Len32(uint32(v) >> 6)
	mant := byte(v>>(seg+1)) & 0x0f
	return ^(sign | byte(seg)<<4 | mant)
}

// alawEncode compresses one sample to A-law.
func alawEncode(x int16) byte {
	sign := byte(0x80)
	if x < 0 {
		x = ^x
		sign = 0
	}
	// 12-bit magnitude. Segment 0 covers 0..15, segment s > 0 covers
	// [2^(s+3), 2^(s+4)); segments 0 and 1 share a step size.
	v := int32(x) >> 4
	seg := bits.Len32(uint32(v) >> 4)
	mant := byte(v>>max(seg-1, 0)) & 0x0f
	return (sign | byte(seg)<<4 | mant) ^ 0x55
}

// PCMUCodec is G.711 µ-law. It has no state; the zero value is ready.
type PCMUCodec struct{}

// Format returns PCMU.
func (*PCMUCodec) Format() Format { return PCMU }

// Encode appends one byte per sample.
func (*PCMUCodec) Encode(dst []byte, pcm []int16) []byte {
	dst = slices.Grow(dst, len(pcm))
	for _, x := range pcm {
		dst = append(dst, ulawEncode(x))
	}
	return dst
}

// Decode appends one sample per byte.
func (*PCMUCodec) Decode(dst []int16, payload []byte) []int16 {
	dst = slices.Grow(dst, len(payload))
	for _, c := range payload {
		dst = append(dst, ulawToLinear[c])
	}
	return dst
}

// Reset does nothing: G.711 has no state.
func (*PCMUCodec) Reset() {}

// PCMACodec is G.711 A-law. It has no state; the zero value is ready.
type PCMACodec struct{}

// Format returns PCMA.
func (*PCMACodec) Format() Format { return PCMA }

// Encode appends one byte per sample.
func (*PCMACodec) Encode(dst []byte, pcm []int16) []byte {
	dst = slices.Grow(dst, len(pcm))
	for _, x := range pcm {
		dst = append(dst, alawEncode(x))
	}
	return dst
}

// Decode appends one sample per byte.
func (*PCMACodec) Decode(dst []int16, payload []byte) []int16 {
	dst = slices.Grow(dst, len(payload))
	for _, c := range payload {
		dst = append(dst, alawToLinear[c])
	}
	return dst
}

// Reset does nothing: G.711 has no state.
func (*PCMACodec) Reset() {}
