package audio

import (
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"
	"github.com/jonboulle/clockwork"
)

// BackendNull is miniaudio's null backend. malgo.BackendNull is 13, which
// is miniaudio's custom backend: malgo's list leaves out ma_backend_custom.
const BackendNull = malgo.Backend(14)

// MalgoOptions are the settings of the malgo device.
type MalgoOptions struct {
	// Headset is the preferred device's name (see Options.Headset).
	Headset string
	// Backends are miniaudio's backends to try, in order; nil means ALSA,
	// which miniaudio reaches by loading libasound.so.2 at run time.
	Backends []malgo.Backend
	// DeviceRate forces the rate the sound card runs at; 0 picks the
	// call's rate when the card offers it and else 48 kHz (or 44.1 kHz),
	// converting with a Resampler.
	DeviceRate int
	// Period is the card's period: the latency of one callback; 0 means
	// 10 ms.
	Period time.Duration
	// Clock times reopening; nil means the real clock.
	Clock clockwork.Clock
	// Log receives device events; nil means slog.Default().
	Log *slog.Logger
}

// Malgo is the headset through miniaudio (github.com/gen2brain/malgo):
// one duplex device, capture and playback, 16-bit mono. It keeps going
// when the headset is unplugged (see keeper).
type Malgo struct {
	opts MalgoOptions
	ctx  *malgo.AllocatedContext

	mu     sync.Mutex
	open   *malgoStream
	closed bool

	stepped func() // tests: called after the supervisor handles an event
}

// NewMalgo starts miniaudio's context on the first backend that works.
func NewMalgo(o MalgoOptions) (*Malgo, error) {
	if o.Backends == nil {
		o.Backends = []malgo.Backend{malgo.BackendAlsa}
	}
	if o.Period <= 0 {
		o.Period = 10 * time.Millisecond
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	log := o.Log
	ctx, err := malgo.InitContext(o.Backends, malgo.ContextConfig{}, func(msg string) {
		log.Debug("miniaudio: " + msg)
	})
	if err != nil {
		return nil, fmt.Errorf("audio: miniaudio context (backends %v): %w; on ALSA, libasound.so.2 (Debian libasound2) must be installed", o.Backends, err)
	}
	return &Malgo{opts: o, ctx: ctx}, nil
}

// Name implements Device.
func (m *Malgo) Name() string {
	if m.opts.Headset != "" {
		return "malgo:" + m.opts.Headset
	}
	return "malgo"
}

// Devices lists the capture and playback devices by name, for the web
// admin's headset setting.
func (m *Malgo) Devices() (capture, playback []string, err error) {
	return (&malgoBackend{ctx: m.ctx}).devices()
}

// Open implements Device: it starts the headset (or the default device)
// and keeps it running until the stream's Close. It fails only if no
// device at all can be started now; a device lost later is reopened, and
// until then Read returns paced silence and Write's frames are dropped.
func (m *Malgo) Open(rate int) (Stream, error) {
	if err := checkRate(rate); err != nil {
		return nil, err
	}
	s, err := m.openWith(rate, func(s *malgoStream) backend {
		return &malgoBackend{ctx: m.ctx, opts: m.opts, s: s}
	})
	if err != nil {
		return nil, err // not a nil *malgoStream in a non-nil Stream
	}
	return s, nil
}

// openWith opens a stream on the backend that mk makes for it (tests
// give a fake one).
func (m *Malgo) openWith(rate int, mk func(*malgoStream) backend) (*malgoStream, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if m.open != nil {
		return nil, ErrBusy
	}
	flen := FrameLen(rate)
	s := &malgoStream{
		dev:      m,
		rate:     rate,
		flen:     flen,
		clk:      m.opts.Clock,
		capt:     newRing(10 * flen), // 200 ms
		play:     newRing(8 * flen),  // 160 ms
		capReady: make(chan struct{}, 1),
		lostCh:   make(chan runner, 4),
		done:     make(chan struct{}),
		exited:   make(chan struct{}),
		stepped:  m.stepped,
	}
	s.k = newKeeper(mk(s), m.opts.Headset, m.opts.Log)
	if err := s.k.open(s.clk.Now(), s.lost); err != nil {
		return nil, fmt.Errorf("audio: no sound device would start (plug in the headset?): %w", err)
	}
	m.open = s
	go s.supervise()
	return s, nil
}

// Close implements Device: it closes the open stream and miniaudio.
func (m *Malgo) Close() error {
	m.mu.Lock()
	s := m.open
	m.mu.Unlock()
	if s != nil {
		s.Close()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	err := m.ctx.Uninit()
	m.ctx.Free()
	return err
}

// maxBacklog is the most capture, in frames, that Read leaves queued.
const maxBacklog = 3

// malgoStream is a call's audio on the malgo device. The device callback
// (a miniaudio thread) and Read/Write meet at two rings, both at the
// call's rate, under mu; the supervisor goroutine owns the keeper.
type malgoStream struct {
	dev        *Malgo
	rate, flen int
	clk        clockwork.Clock
	k          *keeper

	mu     sync.Mutex
	capt   ring // capture, at the call's rate
	play   ring // playback, at the call's rate
	stats  Stats
	down   bool
	closed bool

	readMu sync.Mutex // one Read at a time; guards pace and pacing
	pace   pacer      // paces silence while the device is down
	pacing bool

	capReady  chan struct{} // a frame of capture may be ready, or down changed
	lostCh    chan runner
	done      chan struct{}
	exited    chan struct{}
	closeOnce sync.Once
	stepped   func()
}

// lost is the backend's report that r stopped by itself.
func (s *malgoStream) lost(r runner) {
	select {
	case s.lostCh <- r:
	default: // the supervisor has reports pending; it will see the loss
	}
}

func (s *malgoStream) supervise() {
	defer close(s.exited)
	for {
		var timer clockwork.Timer
		var tc <-chan time.Time
		if at := s.k.next(); !at.IsZero() {
			timer = s.clk.NewTimer(max(0, at.Sub(s.clk.Now())))
			tc = timer.Chan()
		}
		select {
		case r := <-s.lostCh:
			if s.k.lost(s.clk.Now(), r) {
				s.setDown(true)
			}
		case <-tc:
			if s.k.tick(s.clk.Now(), s.lost) {
				s.setDown(s.k.down())
			}
		case <-s.done:
			if timer != nil {
				timer.Stop()
			}
			s.k.close()
			return
		}
		if timer != nil {
			timer.Stop()
		}
		if s.stepped != nil {
			s.stepped()
		}
	}
}

func (s *malgoStream) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.stats.Reopens = s.k.reopens
	if !down {
		s.play.reset() // stale by now
	}
	s.mu.Unlock()
	select {
	case s.capReady <- struct{}{}:
	default:
	}
}

// Read implements Stream. While the device is down it returns silence,
// paced by the clock, so the call keeps its rhythm.
func (s *malgoStream) Read(frame []int16) error {
	if err := checkFrame(frame, s.rate); err != nil {
		return err
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return ErrClosed
		}
		if s.capt.len() >= len(frame) {
			// A reader that fell behind (a late first Read, a stall)
			// would keep the lag as latency for the rest of the call:
			// drop what is older than maxBacklog instead.
			if excess := s.capt.len() - maxBacklog*len(frame); excess > 0 {
				s.capt.discard(excess)
				s.stats.CaptureDropped += excess
			}
			s.capt.pop(frame)
			s.mu.Unlock()
			s.pacing = false
			return nil
		}
		down := s.down
		s.mu.Unlock()
		if down {
			if !s.pacing {
				s.pace = newPacer(s.clk)
				s.pacing = true
			}
			if !s.pace.wait(s.done) {
				return ErrClosed
			}
			clear(frame)
			return nil
		}
		select {
		case <-s.capReady:
		case <-s.done:
			return ErrClosed
		}
	}
}

// Write implements Stream.
func (s *malgoStream) Write(frame []int16) error {
	if err := checkFrame(frame, s.rate); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.stats.PlaybackDropped += s.play.push(frame)
	return nil
}

// Stats implements Stream.
func (s *malgoStream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Close implements Stream: it stops the device and waits for the
// supervisor, so no callback runs after it returns.
func (s *malgoStream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		<-s.exited
		s.dev.mu.Lock()
		if s.dev.open == s {
			s.dev.open = nil
		}
		s.dev.mu.Unlock()
	})
	return nil
}

// pushCapture takes call-rate capture from the device callback.
func (s *malgoStream) pushCapture(pcm []int16) {
	s.mu.Lock()
	s.stats.Captured += len(pcm)
	s.stats.CaptureDropped += s.capt.push(pcm)
	ready := s.capt.len() >= s.flen
	s.mu.Unlock()
	if ready {
		select {
		case s.capReady <- struct{}{}:
		default:
		}
	}
}

// popPlayback fills dst with call-rate playback for the device callback,
// silence where nothing was written.
func (s *malgoStream) popPlayback(dst []int16) {
	s.mu.Lock()
	n := s.play.pop(dst)
	s.stats.Played += len(dst)
	if n < len(dst) {
		s.stats.PlaybackUnderrun += len(dst) - n
	}
	s.mu.Unlock()
	clear(dst[n:])
}

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
// takes every rate (or cannot say).
func (b *malgoBackend) rates(kind malgo.DeviceType, d malgo.DeviceInfo, known bool) (rates map[int]bool, any bool) {
	if !known {
		return nil, true
	}
	info, err := b.ctx.DeviceInfo(kind, d.ID, malgo.Shared)
	if err != nil || len(info.Formats) == 0 {
		return nil, true
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
// both offer, else 48k (which every USB Audio Class headset offers).
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
	stopping atomic.Bool
	calls    atomic.Uint64 // callbacks so far, for keeper's watchdog

	capRS, playRS *Resampler // nil when the card runs at the call's rate
	capOut        []int16    // capture converted to the call's rate
	playIn        []int16    // a block of call-rate playback
	pend          []int16    // converted playback not yet given to the card
	pendAt        int
}

func newMalgoRunner(s *malgoStream, rate int, period time.Duration) (*malgoRunner, error) {
	r := &malgoRunner{s: s}
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
