package audio

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// malgoBackend is keeper's backend on a miniaudio context.
type malgoBackend struct {
	ctx  *malgo.AllocatedContext
	opts MalgoOptions
	s    *malgoStream
}

func (b *malgoBackend) devices() (capture, playback []string, err error) {
	c, p, err := b.infos()
	for _, d := range c {
		capture = append(capture, d.Name())
	}
	for _, d := range p {
		playback = append(playback, d.Name())
	}
	return capture, playback, err
}

func (b *malgoBackend) infos() (capture, playback []malgo.DeviceInfo, err error) {
	capture, err = b.ctx.Devices(malgo.Capture)
	if err != nil {
		return nil, nil, fmt.Errorf("list capture devices: %w", err)
	}
	playback, err = b.ctx.Devices(malgo.Playback)
	if err != nil {
		return nil, nil, fmt.Errorf("list playback devices: %w", err)
	}
	return capture, playback, nil
}

// find returns the device called name, or the default one for "".
func find(list []malgo.DeviceInfo, name string) (malgo.DeviceInfo, bool) {
	for _, d := range list {
		if (name == "" && d.IsDefault != 0) || (name != "" && d.Name() == name) {
			return d, true
		}
	}
	return malgo.DeviceInfo{}, false
}

// rates returns the rates a device offers natively; any is true when it
// says it takes every rate (miniaudio's null backend does). A device whose
// formats cannot be learned (the default device has no ID to ask about)
// offers nothing known, so the card runs at 48 kHz.
func (b *malgoBackend) rates(kind malgo.DeviceType, d malgo.DeviceInfo, known bool) (rates map[int]bool, any bool) {
	if !known {
		return nil, false
	}
	info, err := b.ctx.DeviceInfo(kind, d.ID, malgo.Shared)
	if err != nil {
		return nil, false
	}
	rates = make(map[int]bool)
	for _, f := range info.Formats {
		if f.SampleRate == 0 {
			return nil, true
		}
		rates[int(f.SampleRate)] = true
	}
	return rates, false
}

// deviceRate picks the card's rate for a call at rate: the call's own if
// both directions offer it, else the first of 48k, 44.1k, 32k, 16k, 8k
// both offer, else 48k (which every USB Audio Class headset offers, and
// where ALSA's dmix runs by default).
func deviceRate(rate int, capt, play map[int]bool, captAny, playAny bool) int {
	ok := func(r int) bool { return (captAny || capt[r]) && (playAny || play[r]) }
	if ok(rate) {
		return rate
	}
	for _, r := range []int{48000, 44100, 32000, 16000, 8000} {
		if ok(r) {
			return r
		}
	}
	return 48000
}

func (b *malgoBackend) start(capture, playback string, lost func(runner)) (runner, error) {
	clist, plist, err := b.infos()
	if err != nil {
		return nil, err
	}
	cinfo, cok := find(clist, capture)
	pinfo, pok := find(plist, playback)
	if (capture != "" && !cok) || (playback != "" && !pok) {
		return nil, fmt.Errorf("device %q/%q is gone", capture, playback)
	}
	rate := b.opts.DeviceRate
	if rate == 0 {
		cr, ca := b.rates(malgo.Capture, cinfo, cok)
		pr, pa := b.rates(malgo.Playback, pinfo, pok)
		rate = deviceRate(b.s.rate, cr, pr, ca, pa)
	}
	r, err := newMalgoRunner(b.s, rate, b.opts.Period)
	if err != nil {
		return nil, err
	}

	cfg := malgo.DefaultDeviceConfig(malgo.Duplex)
	cfg.SampleRate = uint32(rate)
	cfg.PeriodSizeInMilliseconds = uint32(b.opts.Period / time.Millisecond)
	cfg.Periods = 3
	cfg.PerformanceProfile = malgo.LowLatency
	cfg.Capture.Format, cfg.Capture.Channels = malgo.FormatS16, 1
	cfg.Playback.Format, cfg.Playback.Channels = malgo.FormatS16, 1
	cfg.Alsa.NoAutoResample = 1 // our Resampler converts, not alsa-lib's plug
	// The IDs are Go memory handed to C for the length of InitDevice
	// (miniaudio copies what it keeps): pin them for that long.
	var pin runtime.Pinner
	defer pin.Unpin()
	if capture != "" {
		id := cinfo.ID
		pin.Pin(&id)
		cfg.Capture.DeviceID = unsafe.Pointer(&id)
	}
	if playback != "" {
		id := pinfo.ID
		pin.Pin(&id)
		cfg.Playback.DeviceID = unsafe.Pointer(&id)
	}
	dev, err := malgo.InitDevice(b.ctx.Context, cfg, malgo.DeviceCallbacks{
		Data: r.data,
		Stop: func() {
			if !r.stopping.Load() {
				lost(r)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("open at %d Hz: %w", rate, err)
	}
	if got := int(dev.SampleRate()); got != rate {
		r.stopping.Store(true)
		dev.Uninit()
		return nil, fmt.Errorf("asked for %d Hz, miniaudio gave %d Hz", rate, got)
	}
	r.dev = dev
	if err := dev.Start(); err != nil {
		r.stopping.Store(true)
		dev.Uninit()
		return nil, fmt.Errorf("start at %d Hz: %w", rate, err)
	}
	return r, nil
}

// malgoRunner is one started miniaudio device and its converters. Its
// buffers are sized at start; the callback allocates nothing.
type malgoRunner struct {
	s        *malgoStream
	dev      *malgo.Device
	rate     int // the card's
	stopping atomic.Bool
	calls    atomic.Uint64 // callbacks so far, for keeper's watchdog

	capRS, playRS *Resampler // nil when the card runs at the call's rate
	capOut        []int16    // capture converted to the call's rate
	playIn        []int16    // a block of call-rate playback
	pend          []int16    // converted playback not yet given to the card
	pendAt        int
}

func newMalgoRunner(s *malgoStream, rate int, period time.Duration) (*malgoRunner, error) {
	r := &malgoRunner{s: s, rate: rate}
	if rate == s.rate {
		return r, nil
	}
	var err error
	if r.capRS, err = NewResampler(rate, s.rate); err != nil {
		return nil, err
	}
	if r.playRS, err = NewResampler(s.rate, rate); err != nil {
		return nil, err
	}
	devPeriod := rate * int(period/time.Millisecond) / 1000
	r.capOut = make([]int16, 0, r.capRS.MaxOut(devPeriod))
	r.playIn = make([]int16, max(1, s.rate*int(period/time.Millisecond)/1000))
	r.pend = make([]int16, 0, r.playRS.MaxOut(len(r.playIn)))
	return r, nil
}

// int16s views a callback's byte buffer as samples: miniaudio's buffers
// are aligned, and both our targets (amd64, arm64) are little-endian.
func int16s(b []byte) []int16 {
	if len(b) < 2 {
		return nil
	}
	return unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/2)
}

// data is miniaudio's duplex callback.
func (r *malgoRunner) data(out, in []byte, frames uint32) {
	r.calls.Add(1)
	r.s.noteCallback(r.rate, int(frames))
	if pcm := int16s(in); pcm != nil {
		if r.capRS == nil {
			r.s.pushCapture(pcm)
		} else {
			// Convert in pieces no bigger than a period, so capOut never grows.
			step := max(1, (cap(r.capOut)-2)*r.capRS.m/r.capRS.l)
			for len(pcm) > 0 {
				n := min(step, len(pcm))
				r.s.pushCapture(r.capRS.Process(r.capOut[:0], pcm[:n]))
				pcm = pcm[n:]
			}
		}
	}
	if pcm := int16s(out); pcm != nil {
		if r.playRS == nil {
			r.s.popPlayback(pcm)
			return
		}
		for len(pcm) > 0 {
			if r.pendAt == len(r.pend) {
				r.s.popPlayback(r.playIn)
				r.pend = r.playRS.Process(r.pend[:0], r.playIn)
				r.pendAt = 0
			}
			n := copy(pcm, r.pend[r.pendAt:])
			r.pendAt += n
			pcm = pcm[n:]
		}
	}
}

func (r *malgoRunner) progress() uint64 { return r.calls.Load() }

func (r *malgoRunner) stop() {
	r.stopping.Store(true)
	r.dev.Uninit()
}
