package callmedia

import (
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/headset"
)

// headsetRate is the rate a call runs the headset at when its codec's
// rate is not one the headset takes (Opus's 48 kHz): wideband, as the
// prompts are.
const headsetRate = 16000

// frameStream is the call side of the headset: frames at the codec's rate.
type frameStream interface {
	WriteFrame(pcm []int16) error
	ReadFrame(dst []int16) []int16
}

// headsetAudio is stream as the headset sees it: at the codec's rate when
// the headset takes it (8 or 16 kHz), else through a resampler each way.
func headsetAudio(stream frameStream, rate int) headset.CallAudio {
	if rate == 8000 || rate == 16000 {
		return sameRate{stream, rate}
	}
	return newResampled(stream, rate, headsetRate)
}

type sameRate struct {
	frameStream
	rate int
}

func (c sameRate) Rate() int { return c.rate }

// resampled converts 20 ms frames between the headset's rate and the
// codec's, allocating nothing per frame. Both ratios here are whole
// (48 kHz to and from 16 kHz), so every 20 ms frame in gives exactly one
// out; fit pads or trims all the same should a resampler be a sample off.
type resampled struct {
	stream             frameStream
	rate, headsetRate  int
	up, down           *audio.Resampler // headset -> codec, codec -> headset
	upBuf, callBuf     []int16
	callFrame, earSize int
}

func newResampled(stream frameStream, rate, headsetRate int) *resampled {
	up, err := audio.NewResampler(headsetRate, rate)
	if err != nil {
		panic(err) // both rates are this package's constants or codec rates
	}
	down, err := audio.NewResampler(rate, headsetRate)
	if err != nil {
		panic(err)
	}
	callFrame, earSize := audio.FrameLen(rate), audio.FrameLen(headsetRate)
	return &resampled{
		stream: stream, rate: rate, headsetRate: headsetRate, up: up, down: down,
		upBuf:     make([]int16, 0, up.MaxOut(earSize)+callFrame),
		callBuf:   make([]int16, 0, callFrame),
		callFrame: callFrame, earSize: earSize,
	}
}

func (r *resampled) Rate() int { return r.headsetRate }

// WriteFrame takes a microphone frame at the headset's rate; nil (mute)
// passes as nil.
func (r *resampled) WriteFrame(pcm []int16) error {
	if pcm == nil {
		return r.stream.WriteFrame(nil)
	}
	return r.stream.WriteFrame(fit(r.up.Process(r.upBuf[:0], pcm), r.callFrame))
}

// ReadFrame appends one frame at the headset's rate.
func (r *resampled) ReadFrame(dst []int16) []int16 {
	start := len(dst)
	dst = r.down.Process(dst, r.stream.ReadFrame(r.callBuf[:0]))
	return append(dst[:start], fit(dst[start:], r.earSize)...)
}

// fit pads pcm with its last sample (or silence) or trims it to n.
func fit(pcm []int16, n int) []int16 {
	if len(pcm) >= n {
		return pcm[:n]
	}
	var last int16
	if len(pcm) > 0 {
		last = pcm[len(pcm)-1]
	}
	for len(pcm) < n {
		pcm = append(pcm, last)
	}
	return pcm
}
