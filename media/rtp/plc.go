package rtp

// Packet loss concealment by pitch waveform substitution, after the idea
// of ITU-T G.711 Appendix I: when a packet is missing, find the pitch
// period of the last audio played, repeat the last period (two, then
// three periods as the loss goes on, so that a long gap does not buzz),
// fade out after 10 ms by 20 % per 10 ms to silence at 60 ms, and
// cross-fade into the first good packet after the gap. Voice and tones
// are nearly periodic over tens of milliseconds, so this hides a lost
// 20 ms far better than repeating the last packet whole, whose length is
// rarely a whole number of periods.

const (
	plcMinPitchMs = 2.5  // 400 Hz: tones and high voices repeat within it
	plcMaxPitchMs = 15.0 // 66 Hz
	plcFadeStart  = 10   // ms of full level before fading
	plcFadeStep   = 10   // ms per 20 % step down
	plcSilentMs   = 60   // silence from here on
	plcMergeMs    = 4    // cross-fade into a good packet, plus a quarter period
	// plcMaxLags bounds the pitch search (up to 48 kHz audio).
	plcMaxLags = 1024
)

// concealer keeps the recent output and makes up audio for gaps.
type concealer struct {
	rate       int
	minP, maxP int
	hist       []int16 // the last len(hist) samples output, oldest first
	frozen     []int16 // hist as it was when the gap began
	pitch      int     // period found at the start of the gap
	pos        int     // samples concealed in this gap
	lost       bool
}

func newConcealer(rate int) concealer {
	c := concealer{
		rate: rate,
		minP: int(plcMinPitchMs * float64(rate) / 1000),
		maxP: int(plcMaxPitchMs * float64(rate) / 1000),
	}
	// Three periods to repeat, and as much again to correlate against.
	c.hist = make([]int16, 4*c.maxP)
	c.frozen = make([]int16, len(c.hist))
	return c
}

// push records samples that were output.
func (c *concealer) push(s []int16) {
	if len(s) >= len(c.hist) {
		copy(c.hist, s[len(s)-len(c.hist):])
		return
	}
	copy(c.hist, c.hist[len(s):])
	copy(c.hist[len(c.hist)-len(s):], s)
}

// findPitch returns the lag in minP..maxP at which the last maxP samples
// best match themselves one lag earlier (normalized cross-correlation).
// Multiples of the period match as well as the period itself, so it takes
// the shortest lag that is a local peak within 5 % of the best score.
func (c *concealer) findPitch() int {
	h := c.hist
	n := len(h)
	win := c.maxP
	x := h[n-win:]
	var scores [plcMaxLags]float64
	lags := min(c.maxP-c.minP+1, plcMaxLags)
	top := 0.0
	for j := range lags {
		p := c.minP + j
		y := h[n-win-p : n-p]
		var xy, yy float64
		for i := range x {
			xy += float64(x[i]) * float64(y[i])
			yy += float64(y[i]) * float64(y[i])
		}
		if yy > 0 && xy > 0 {
			// xy/sqrt(yy), squared to avoid the root: only positive
			// correlations count.
			scores[j] = xy * xy / yy
		}
		top = max(top, scores[j])
	}
	if top == 0 {
		return c.maxP // silence: any lag will do
	}
	for j := range lags {
		left := j == 0 || scores[j] >= scores[j-1]
		right := j == lags-1 || scores[j] >= scores[j+1]
		if left && right && scores[j] >= 0.95*top {
			return c.minP + j
		}
	}
	return c.maxP
}

// gain is the level of concealed sample k of a gap, 0..1.
func (c *concealer) gain(k int) float32 {
	ms := k * 1000 / c.rate
	if ms < plcFadeStart {
		return 1
	}
	if ms >= plcSilentMs {
		return 0
	}
	// Linear from 1 at 10 ms to 0 at 60 ms: 20 % per 10 ms.
	return 1 - float32(k-plcFadeStart*c.rate/1000)/float32((plcSilentMs-plcFadeStart)*c.rate/1000)
}

// synth writes concealed samples from..from+len(out) of the gap, taken
// from the periods before it, without recording them.
func (c *concealer) synth(out []int16, from int) {
	n := len(c.frozen)
	for i := range out {
		k := from + i
		periods := 1 + min(k*1000/c.rate/plcFadeStep, 2) // 1, 2, then 3 periods
		span := periods * c.pitch
		v := c.frozen[n-span+k%span]
		out[i] = int16(float32(v) * c.gain(k))
	}
}

// gap starts a gap in the audio: the next samples are concealed or, when
// audio was skipped on purpose, the next good ones merge from what the
// concealment would have made.
func (c *concealer) gap() {
	if !c.lost {
		c.lost = true
		c.pos = 0
		c.pitch = c.findPitch()
		copy(c.frozen, c.hist)
	}
}

// conceal fills out with made-up audio continuing the gap, and records it.
func (c *concealer) conceal(out []int16) {
	c.gap()
	c.synth(out, c.pos)
	c.pos += len(out)
	c.push(out)
}

// good is told about decoded samples; after a gap it cross-fades their
// start from the concealment, then records them.
func (c *concealer) good(s []int16) {
	if c.lost {
		c.lost = false
		m := min(plcMergeMs*c.rate/1000+c.pitch/4, len(s))
		var tmp [960]int16
		m = min(m, len(tmp))
		c.synth(tmp[:m], c.pos)
		for i := range m {
			w := float32(i+1) / float32(m+1)
			s[i] = int16(float32(tmp[i])*(1-w) + float32(s[i])*w)
		}
	}
	c.push(s)
}
