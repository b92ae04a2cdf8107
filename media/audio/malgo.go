package audio

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

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
