package codec

import "slices"

// G.722 (ITU-T G.722, 09/2012), mode 1: 64 kbit/s. A quadrature mirror
// filter pair splits the 16 kHz signal into a lower and a higher 8 kHz
// sub-band; the lower band is coded with 6-bit ADPCM, the higher with 2-bit
// ADPCM, and each 8 kHz period yields one byte, IH (2 bits) above IL (6 bits).
//
// The block names in comments (QUANTL, INVQAL, LOGSCL, ...) are those of
// the Recommendation's section 6. Amplitudes are in the scale of 16-bit
// linear PCM: the sub-band signals XL and XH are 15-bit, as in the widely
// used 16-bit interface to the ITU algorithm (SpanDSP, FFmpeg), whose
// output this implementation reproduces bit for bit.
//
// Scale factors are kept as DETL/4 and DETH/4 (the Recommendation's DETL is
// 32 at reset, ours 8), which turns its "(Q6 << 3) * DETL >> 15" into
// "Q6 * det >> 10" with identical results; inverse-quantizer outputs use
// the Recommendation's QM tables divided by 8 for the same reason.

// G722Delay is how far G.722's decoded output lags the encoder's input, in
// 16 kHz samples (1.375 ms): the delay of the transmit and receive QMFs.
// TestRoundTripByContent measures it by cross-correlation; FFmpeg's
// encoder declares the same 22 samples as its initial padding.
const G722Delay = 22

// qmfH is the 24-tap QMF of Table 11 (the h coefficients scaled by 2^13),
// symmetric: h[i] == h[23-i].
var qmfH = [24]int32{
	3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876,
	3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3,
}

// q6 holds the 29 lower-band decision levels of QUANTL (with the scaling
// above): level m separates magnitude class m+1 from m+2. Three padding
// levels at the end make 32 for the binary search.
var q6 = [32]int32{
	35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650,
	714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980,
	2195, 2557, 2919,
	32767, 32767, 32767,
}

// qq6 holds the 30 lower-band 6-bit reconstruction magnitudes of INVQBL,
// for magnitude classes 1..30 (smallest first).
var qq6 = [30]int32{
	17, 54, 91, 130, 170, 211, 254, 300, 347, 396, 447, 501, 558, 618, 682,
	750, 822, 899, 982, 1072, 1170, 1279, 1399, 1535, 1689, 1873, 2088,
	2376, 2738, 3101,
}

// qq4 holds the lower-band 4-bit reconstruction magnitudes of INVQAL for
// 4-bit magnitude classes 1..7 (the predictor only sees IL >> 2).
var qq4 = [8]int32{0, 150, 323, 530, 786, 1121, 1612, 2557}

// wl is the lower-band log scale factor step of LOGSCL per 4-bit magnitude
// class 0..7.
var wl = [8]int32{-60, -30, 58, 172, 334, 538, 1198, 3042}

// ilb is the antilog table of SCALEL and SCALEH: 2048 * 2^(i/32), rounded.
var ilb = [32]int32{
	2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383,
	2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
	2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
	3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
}

// Tables indexed by code word, derived in init from the ones above.
var (
	ilp, iln [30]int32 // QUANTL: 6-bit code for magnitude class 1..30 (index 0..29), positive and negative
	invq6    [64]int32 // INVQBL: signed reconstruction level per 6-bit IL
	invq4    [16]int32 // INVQAL: signed reconstruction level per 4-bit IL >> 2
	wl4      [16]int32 // LOGSCL: step per 4-bit IL >> 2
)

// The higher band: QUANTH's decision level, INVQAH's levels (QM2 / 8) and
// LOGSCH's steps, all by 2-bit IH.
const q2 = 564 // (the Recommendation's 564 << 3 with DETH, as 564 with det << 2)
var (
	invq2 = [4]int32{-926, -202, 926, 202}
	wh    = [4]int32{798, -214, 798, -214}
)

func init() {
	// Code words: positive magnitude classes 1..30 are 61 down to 32;
	// negative ones are 63, 62, then 31 down to 4. Codes 0..3 are never
	// sent; INVQBL treats them as the smallest negative level.
	for m := range 30 {
		ilp[m] = int32(61 - m)
		if m < 2 {
			iln[m] = int32(63 - m)
		} else {
			iln[m] = int32(33 - m)
		}
		invq6[ilp[m]] = qq6[m]
		invq6[iln[m]] = -qq6[m]
	}
	for c := range 4 {
		invq6[c] = -qq6[0]
	}
	// 4-bit codes: 8..14 positive classes 7..1, 1..7 negative 7..1,
	// 15 and 0 class 0.
	for c := range 16 {
		var m int32
		switch {
		case c == 0 || c == 15:
			m = 0
		case c >= 8:
			m = int32(15 - c)
			invq4[c] = qq4[m]
		default:
			m = int32(8 - c)
			invq4[c] = -qq4[m]
		}
		wl4[c] = wl[m]
	}
}

// band is the adaptive state of one sub-band: predictor, quantizer scale
// and the signal memories of the Recommendation's blocks.
type band struct {
	s      int32    // SL/SH: predicted signal
	sz     int32    // SZL/SZH: output of the zero (FIR) section
	psign  [2]int32 // sign of PLT(n-1), PLT(n-2): -1 when negative, else 0
	r1     int32    // RLT(n-1), doubled and saturated as FILTEP uses it
	a1, a2 int32    // AL1, AL2: pole coefficients, Q14
	b      [6]int32 // BL1..BL6: zero coefficients, Q15
	d      [6]int32 // DLT(n-1)..DLT(n-6), doubled and saturated
	nb     int32    // NBL/NBH: log scale factor
	det    int32    // DETL/DETH divided by 4
}

func (b *band) reset(det int32) { *b = band{det: det} }

func clamp(x, lo, hi int32) int32 { return min(max(x, lo), hi) }

func sat16(x int32) int32 { return clamp(x, -32768, 32767) }

// predict runs the shared adaptive predictor for one sample given its
// quantized difference signal dq (DLT/DH): PARREC, UPPOL2, UPPOL1,
// UPZERO, DELAYA, FILTEZ, RECONS, FILTEP and PREDIC.
func (b *band) predict(dq int32) {
	// PARREC: only the sign of the partially reconstructed signal
	// matters. Signs are masks (-1 negative, 0 not), so that
	// differ1 = -1 when p(n) and p(n-1) differ in sign, else 0, and the
	// updates below need no branches (which the data would mispredict).
	neg := (b.sz + dq) >> 31
	differ1 := neg ^ b.psign[0]
	differ2 := neg ^ b.psign[1]
	b.psign[1], b.psign[0] = b.psign[0], neg

	// UPPOL2: a2 leaks towards 0, moves by 2^-7 with sgn p(n)p(n-2) and
	// against f(a1) = 4*a1 (|a1| clipped to 1/2) by 2^-7 with sgn p(n)p(n-1);
	// |a2| <= 0.75.
	same1 := ^differ1
	wd := clamp(b.a1, -8191, 8191)
	wd = (wd ^ same1 - same1) >> 5 // -a1/32 when the signs agree
	wd += 128 - differ2&256        // +-128
	b.a2 = clamp(wd+(b.a2*127>>7), -12288, 12288)

	// UPPOL1: a1 leaks by 2^-8, moves by 3*2^-8 with sgn p(n)p(n-1);
	// |a1| <= 1 - 2^-4 - a2.
	lim := 15360 - b.a2
	b.a1 = clamp((b.a1*255>>8)+192-differ1&384, -lim, lim)

	// UPZERO: each b leaks by 2^-8 and moves by 2^-7 with the sign
	// agreement of dq and the difference it multiplies; no move when dq
	// is zero.
	if dq == 0 {
		for i := range b.b {
			b.b[i] = b.b[i] * 255 >> 8
		}
	} else {
		for i := range b.b {
			// +128 when the signs agree, -128 when they differ
			// ((x >> 31) is -1 for negative x, else 0): no branch.
			b.b[i] = b.b[i]*255>>8 + 128 - (b.d[i]^dq)>>31&256
		}
	}

	// DELAYA, FILTEZ.
	copy(b.d[1:], b.d[:5])
	b.d[0] = sat16(dq << 1)
	var sz int32
	for i := range b.b {
		sz += b.b[i] * b.d[i] >> 15
	}
	b.sz = sz

	// RECONS, FILTEP, PREDIC.
	r := sat16((b.s + dq) << 1)
	b.s = sat16(sz + (b.a1 * r >> 15) + (b.a2 * b.r1 >> 15))
	b.r1 = r
}

// scale is SCALEL/SCALEH: det = 2^(nb/2048) via the ilb antilog table,
// shifted so that nb = shift << 11 gives det = 8 (lower band, shift 8) or
// 2 (higher band, shift 10).
func (b *band) scale(shift int32) {
	w := ilb[(b.nb>>6)&31]
	e := b.nb>>11 - shift
	if e < 0 {
		b.det = w >> -e
	} else {
		b.det = w << e
	}
}

// adaptLow is INVQAL, the predictor update, LOGSCL and SCALEL for the
// lower band's code word il.
func (b *band) adaptLow(il int32) {
	c := il >> 2
	b.predict(b.det * invq4[c] >> 10)
	b.nb = clamp((b.nb*127>>7)+wl4[c], 0, 18432)
	b.scale(8)
}

// adaptHigh is INVQAH, the predictor update, LOGSCH and SCALEH for the
// higher band's code word ih.
func (b *band) adaptHigh(ih int32) {
	b.predict(b.det * invq2[ih] >> 10)
	b.nb = clamp((b.nb*127>>7)+wh[ih], 0, 22528)
	b.scale(10)
}

// quantLow is SUBTL and QUANTL: the 6-bit code of the lower-band sample xl.
func (b *band) quantLow(xl int32) int32 {
	el := sat16(xl - b.s)
	wd := el ^ (el >> 31) // |el|, one's complement for negatives
	// m = how many decision levels wd reaches: a binary search with
	// fixed steps over q6 padded to 32 levels, written without branches
	// (which the data would mispredict); &31 spares bounds checks.
	det := b.det
	m := reaches(wd, q6[15]*det>>10) << 4
	m += reaches(wd, q6[(m+7)&31]*det>>10) << 3
	m += reaches(wd, q6[(m+3)&31]*det>>10) << 2
	m += reaches(wd, q6[(m+1)&31]*det>>10) << 1
	m += reaches(wd, q6[m&31]*det>>10)
	m = min(m, 29) // the padding levels only ever exceed the last real one
	if el < 0 {
		return iln[m]
	}
	return ilp[m]
}

// reaches is 1 when x >= level, else 0, for |x|, level < 2^30.
func reaches(x, level int32) int { return int(uint32(level-x-1) >> 31) }

// quantHigh is SUBTH and QUANTH: the 2-bit code of the higher-band
// sample xh.
func (b *band) quantHigh(xh int32) int32 {
	eh := sat16(xh - b.s)
	wd := eh ^ (eh >> 31)
	small := wd < q2*b.det>>10
	switch {
	case eh >= 0 && small:
		return 3
	case eh >= 0:
		return 2
	case small:
		return 1
	}
	return 0
}

// G722Encoder is the transmit side of one G.722 stream.
type G722Encoder struct {
	x       [24]int32 // QMF input history, oldest first
	lo, hi  band
	pending int16 // a sample left over from an odd-length Encode
	odd     bool  // whether pending holds one
}

// NewG722Encoder returns an encoder in its reset state.
func NewG722Encoder() *G722Encoder {
	e := &G722Encoder{}
	e.Reset()
	return e
}

// Reset returns the encoder to the state the Recommendation starts in.
func (e *G722Encoder) Reset() {
	*e = G722Encoder{}
	e.lo.reset(8)
	e.hi.reset(2)
}

// Encode appends one byte per two 16 kHz samples of pcm to dst. An odd
// last sample is kept and encoded with the first sample of the next call.
func (e *G722Encoder) Encode(dst []byte, pcm []int16) []byte {
	dst = slices.Grow(dst, (len(pcm)+1)/2)
	if e.odd && len(pcm) > 0 {
		dst = append(dst, e.encodePair(e.pending, pcm[0]))
		pcm = pcm[1:]
		e.odd = false
	}
	for len(pcm) >= 2 {
		dst = append(dst, e.encodePair(pcm[0], pcm[1]))
		pcm = pcm[2:]
	}
	if len(pcm) == 1 {
		e.pending, e.odd = pcm[0], true
	}
	return dst
}

// encodePair is the transmit QMF followed by both sub-band encoders.
func (e *G722Encoder) encodePair(x0, x1 int16) byte {
	copy(e.x[:22], e.x[2:])
	e.x[22], e.x[23] = int32(x0), int32(x1)
	var even, odd int32
	for i := 0; i < 24; i += 2 {
		even += qmfH[i] * e.x[i]
		odd += qmfH[i+1] * e.x[i+1]
	}
	xl := (odd + even) >> 14
	xh := (odd - even) >> 14

	il := e.lo.quantLow(xl)
	ih := e.hi.quantHigh(xh)
	e.lo.adaptLow(il)
	e.hi.adaptHigh(ih)
	return byte(ih<<6 | il)
}

// G722Decoder is the receive side of one G.722 stream.
type G722Decoder struct {
	x      [24]int32 // QMF input history (RL+RH, RL-RH pairs), oldest first
	lo, hi band
}

// NewG722Decoder returns a decoder in its reset state.
func NewG722Decoder() *G722Decoder {
	d := &G722Decoder{}
	d.Reset()
	return d
}

// Reset returns the decoder to the state the Recommendation starts in.
func (d *G722Decoder) Reset() {
	*d = G722Decoder{}
	d.lo.reset(8)
	d.hi.reset(2)
}

// Decode appends two 16 kHz samples per payload byte to dst.
func (d *G722Decoder) Decode(dst []int16, payload []byte) []int16 {
	dst = slices.Grow(dst, 2*len(payload))
	for _, c := range payload {
		il, ih := int32(c&63), int32(c>>6)

		// INVQBL, RECONS: the lower band, 6-bit reconstruction.
		rl := clamp(d.lo.det*invq6[il]>>10+d.lo.s, -16384, 16383)
		d.lo.adaptLow(il)
		// INVQAH, RECONS: the higher band.
		dh := d.hi.det * invq2[ih] >> 10
		rh := clamp(dh+d.hi.s, -16384, 16383)
		d.hi.adaptHigh(ih)

		// Receive QMF.
		copy(d.x[:22], d.x[2:])
		d.x[22], d.x[23] = rl+rh, rl-rh
		var even, odd int32
		for i := 0; i < 24; i += 2 {
			even += qmfH[i] * d.x[i]
			odd += qmfH[i+1] * d.x[i+1]
		}
		dst = append(dst, int16(sat16(odd>>11)), int16(sat16(even>>11)))
	}
	return dst
}

// G722Codec is a G.722 encoder and decoder for one stream.
type G722Codec struct {
	G722Encoder
	G722Decoder
}

// NewG722 returns a G.722 codec in its reset state.
func NewG722() *G722Codec {
	c := &G722Codec{}
	c.Reset()
	return c
}

// Format returns G722.
func (*G722Codec) Format() Format { return G722 }

// Reset resets both directions.
func (c *G722Codec) Reset() {
	c.G722Encoder.Reset()
	c.G722Decoder.Reset()
}
