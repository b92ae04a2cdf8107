package audio

import (
	"fmt"
	"math"
)

// Resampler converts a stream of 16-bit mono samples from one rate to
// another by a rational factor L/M with a polyphase Kaiser-windowed sinc
// filter. It keeps the filter's history between calls, so a stream may be
// fed in blocks of any size, and it allocates nothing after NewResampler.
//
// The filter is sized at the lower of the two rates: resamplerTaps taps
// there (3 ms at 16 kHz, 6 ms at 8 kHz), a stopband that starts at half the
// lower rate and is attenuated by about 70 dB (Kaiser beta 7). So a tone
// above the lower rate's Nyquist frequency is removed before it can alias,
// and the passband is flat to within 0.1 dB up to about 0.4 of the lower
// rate (3.2 kHz at 8 kHz, 6.4 kHz at 16 kHz).
type Resampler struct {
	in, out int // rates in Hz
	l, m    int // out/in = l/m, reduced
	k       int // taps per phase (input samples per output sample)
	coef    []float32
	buf     []float32 // history (k-1 samples) followed by up to block new ones
	n       int       // valid samples in buf
	t       int       // position of the next output, in units of 1/l input samples
}

const (
	resamplerTaps  = 48  // taps at the lower rate
	resamplerBeta  = 7.0 // Kaiser window shape: ~70 dB stopband
	resamplerBlock = 1024
)

// NewResampler returns a resampler from rate in to rate out (Hz). Any pair
// of positive rates whose reduced ratio has a numerator and denominator of
// at most 1000 works (8k/16k <-> 44.1k/48k all do).
func NewResampler(in, out int) (*Resampler, error) {
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("resample %d Hz -> %d Hz: rates must be positive", in, out)
	}
	g := gcd(in, out)
	l, m := out/g, in/g
	if l > 1000 || m > 1000 {
		return nil, fmt.Errorf("resample %d Hz -> %d Hz: ratio %d/%d too awkward", in, out, l, m)
	}
	// Taps per phase, counted in input samples: resamplerTaps at the lower
	// rate, so a downsampler spans m/l times more input.
	k := resamplerTaps
	if m > l {
		k = (resamplerTaps*m + l - 1) / l
	}
	r := &Resampler{in: in, out: out, l: l, m: m, k: k}
	r.coef = design(l, m, k)
	r.buf = make([]float32, k-1+resamplerBlock)
	r.Reset()
	return r, nil
}

// design returns the polyphase coefficients: phase p's k taps are at
// coef[p*k:(p+1)*k], ordered to multiply the oldest input first.
func design(l, m, k int) []float32 {
	n := l * k // prototype length at the upsampled rate l*in
	// The stopband starts at half the lower rate; put the cutoff half a
	// transition band below it. Kaiser's estimate of the transition width
	// for attenuation A: (A-8)/(2.285*2*pi*N) of the rate, N taps.
	hi := max(l, m)
	lowTaps := float64(n) / float64(hi)                  // filter length in lower-rate samples
	att := resamplerBeta/0.1102 + 8.7                    // Kaiser: beta = 0.1102(A-8.7) for A > 50 dB
	width := (att - 8) / (2.285 * 2 * math.Pi * lowTaps) // of the lower rate
	fc := (0.5 - width/2) / float64(hi)                  // cycles per upsampled sample
	proto := make([]float64, n)
	center := float64(n-1) / 2
	i0b := bessel0(resamplerBeta)
	var sum float64
	for i := range proto {
		x := float64(i) - center
		s := 2 * fc
		if x != 0 {
			s = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		r := 2 * x / float64(n-1)
		w := bessel0(resamplerBeta*math.Sqrt(max(0, 1-r*r))) / i0b
		proto[i] = s * w
		sum += proto[i]
	}
	// Unity gain at DC for every phase on average: the prototype sums to l.
	scale := float64(l) / sum
	coef := make([]float32, n)
	for p := range l {
		for j := range k {
			// Tap j multiplies input idx-k+1+j; the newest input (j = k-1)
			// takes the prototype's tap p.
			coef[p*k+j] = float32(proto[p+(k-1-j)*l] * scale)
		}
	}
	return coef
}

// bessel0 is the modified Bessel function of the first kind, order 0.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for i := 1; i < 50; i++ {
		term *= (x / 2) / float64(i)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Rates returns the input and output rates in Hz.
func (r *Resampler) Rates() (in, out int) { return r.in, r.out }

// MaxOut is the most samples Process can return for n input samples.
func (r *Resampler) MaxOut(n int) int { return n*r.l/r.m + 2 }

// Delay is the filter's group delay in output samples.
func (r *Resampler) Delay() float64 {
	return float64(r.l*r.k-1) / 2 / float64(r.m)
}

// Reset forgets the stream's history, as at a new stream's start.
func (r *Resampler) Reset() {
	clear(r.buf)
	r.n = r.k - 1
	r.t = (r.k - 1) * r.l
}

// Process resamples src and appends the result to dst, which it returns.
// With cap(dst)-len(dst) >= MaxOut(len(src)) it allocates nothing.
func (r *Resampler) Process(dst []int16, src []int16) []int16 {
	for len(src) > 0 {
		c := min(len(src), len(r.buf)-r.n)
		for i, s := range src[:c] {
			r.buf[r.n+i] = float32(s)
		}
		r.n += c
		src = src[c:]
		dst = r.drain(dst)
	}
	return dst
}

// drain emits every output whose inputs are all in buf, then keeps the
// last k-1 inputs the next output will need.
func (r *Resampler) drain(dst []int16) []int16 {
	k, l := r.k, r.l
	mq, mr := r.m/l, r.m%l // the step, in whole inputs and phases
	idx, p := r.t/l, r.t%l // newest input of the next output, and its phase
	for idx < r.n {
		dst = append(dst, clip16(dot(r.coef[p*k:p*k+k], r.buf[idx-k+1:idx+1])))
		idx, p = idx+mq, p+mr
		if p >= l {
			idx, p = idx+1, p-l
		}
	}
	r.t = idx*l + p
	first := min(idx-(k-1), r.n) // oldest input the next output needs
	if first > 0 {
		copy(r.buf, r.buf[first:r.n])
		r.n -= first
		r.t -= first * l
	}
	return dst
}

// dot is the filter's inner product, over four accumulators so the
// additions do not wait for each other.
func dot(taps, win []float32) float32 {
	win = win[:len(taps)]
	var a0, a1, a2, a3 float32
	j := 0
	for ; j+4 <= len(taps); j += 4 {
		t, w := taps[j:j+4:j+4], win[j:j+4:j+4]
		a0 += t[0] * w[0]
		a1 += t[1] * w[1]
		a2 += t[2] * w[2]
		a3 += t[3] * w[3]
	}
	for ; j < len(taps); j++ {
		a0 += taps[j] * win[j]
	}
	return (a0 + a1) + (a2 + a3)
}

func clip16(x float32) int16 {
	switch {
	case x >= 32767:
		return 32767
	case x <= -32768:
		return -32768
	case x >= 0:
		return int16(x + 0.5)
	default:
		return int16(x - 0.5)
	}
}
