// Package mix is the local conference: Padlock hosts it, so every
// participant (one call leg each, with its own keys) hears the others and
// the phone's microphone, and the person at the phone hears everyone. It
// sits between the headset and the legs' streams and looks like one call
// to the headset.
//
// It mixes at 16 kHz when any leg is wideband (G.722), else at 8 kHz, in
// 32-bit sums clamped to 16 bits (loud voices saturate, never wrap
// around). What a leg is sent is the whole sum minus its own audio, so
// nobody hears themself. Each leg's jitter buffer and loss concealment are
// its stream's own (media/rtp); the mixer pulls one 20 ms frame from each
// per headset frame and allocates nothing per frame.
package mix

import (
	"errors"
	"fmt"
	"sync"

	"github.com/padlock-phone/padlock/media/audio"
)

// Leg is one participant's audio as the mixer sees it: a call's stream.
// FrameLen(Rate()) samples go in and come out per 20 ms.
type Leg interface {
	Rate() int
	WriteFrame(pcm []int16) error
	ReadFrame(dst []int16) []int16
}

// MaxLegs is how many participants one conference takes.
const MaxLegs = 8

// Mixer is safe for concurrent use: legs come and go from any goroutine
// while the headset's pump runs the frames.
type Mixer struct {
	mu    sync.Mutex
	rate  int
	legs  []*leg
	sum   []int32 // mic + every mixed leg, at rate
	ear   []int16 // the last frame for the headset
	fresh bool    // ear was mixed by WriteFrame and not read yet
}

// leg is one participant and its buffers, all sized on Add.
type leg struct {
	name  string
	src   Leg
	mixed bool
	n     int              // samples per frame at its own rate
	in    []int16          // its frame, at the mix rate
	out   []int16          // what it is sent, at the mix rate
	raw   []int16          // a frame at its own rate (read, and to send)
	tmp   []int16          // resampler output, room for MaxOut
	up    *audio.Resampler // leg rate -> mix rate, nil when equal
	down  *audio.Resampler // mix rate -> leg rate, nil when equal
}

// New makes an empty conference at 8 kHz.
func New() *Mixer {
	m := &Mixer{}
	m.setRate(8000)
	return m
}

// ErrFull is returned by Add past MaxLegs.
var ErrFull = fmt.Errorf("mix: a conference takes at most %d legs", MaxLegs)

// Add brings a leg into the conference, mixed at once. The mix rate goes
// up to 16 kHz if it is the first wideband leg; a headset attached to the
// mixer must then be attached again (it opens its stream at Rate).
func (m *Mixer) Add(name string, l Leg) error {
	if r := l.Rate(); r != 8000 && r != 16000 {
		return fmt.Errorf("mix: leg %s runs at %d Hz; want 8000 or 16000", name, r)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.find(name) >= 0 {
		return fmt.Errorf("mix: leg %s is already in the conference", name)
	}
	if len(m.legs) >= MaxLegs {
		return ErrFull
	}
	m.legs = append(m.legs, &leg{name: name, src: l, mixed: true})
	return m.reshape()
}

// Remove takes a leg out (it hung up, was dropped or split off); it
// reports whether the leg was there. The others go on.
func (m *Mixer) Remove(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(name)
	if i < 0 {
		return false
	}
	m.legs = append(m.legs[:i], m.legs[i+1:]...)
	if err := m.reshape(); err != nil {
		panic(err) // the rates were accepted by Add; cannot fail
	}
	return true
}

// SetMixed takes a leg's audio in and out of the mix without removing it:
// a leg that is not mixed is neither heard nor sent anything but silence
// (a clear or failed leg while encrypted calls are required).
func (m *Mixer) SetMixed(name string, on bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(name)
	if i < 0 {
		return false
	}
	m.legs[i].mixed = on
	return true
}

// Legs lists the legs' names in the order they came in.
func (m *Mixer) Legs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, len(m.legs))
	for i, l := range m.legs {
		names[i] = l.name
	}
	return names
}

// Rate is the mix rate: 16000 when any leg is wideband, else 8000.
func (m *Mixer) Rate() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rate
}

func (m *Mixer) find(name string) int {
	for i, l := range m.legs {
		if l.name == name {
			return i
		}
	}
	return -1
}

// reshape picks the mix rate for the legs there are and sizes every
// buffer and resampler for it; m.mu held. Resamplers start afresh, so a
// rate change costs each leg one filter's worth of audio (3 ms).
func (m *Mixer) reshape() error {
	rate := 8000
	for _, l := range m.legs {
		rate = max(rate, l.src.Rate())
	}
	m.setRate(rate)
	n := audio.FrameLen(rate)
	for _, l := range m.legs {
		lr := l.src.Rate()
		l.n = audio.FrameLen(lr)
		l.in, l.out = make([]int16, n), make([]int16, n)
		l.raw = make([]int16, 0, l.n)
		l.up, l.down, l.tmp = nil, nil, nil
		if lr != rate {
			var err error
			if l.up, err = audio.NewResampler(lr, rate); err != nil {
				return err
			}
			if l.down, err = audio.NewResampler(rate, lr); err != nil {
				return err
			}
			l.tmp = make([]int16, 0, max(l.up.MaxOut(l.n), l.down.MaxOut(n)))
		}
	}
	return nil
}

func (m *Mixer) setRate(rate int) {
	n := audio.FrameLen(rate)
	m.rate, m.sum, m.ear, m.fresh = rate, make([]int32, n), make([]int16, n), false
}

// WriteFrame takes one frame of the phone's microphone at Rate and runs
// the conference for 20 ms: it reads a frame from every leg, sends each
// leg the microphone and the others, and keeps what the headset hears for
// ReadFrame. A leg that refuses its frame is reported, the others still
// get theirs.
func (m *Mixer) WriteFrame(mic []int16) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.frame(mic)
}

// ReadFrame appends what the person at the phone hears (every mixed leg,
// not the microphone) to dst: the frame WriteFrame mixed, or, when called
// without one, a frame mixed with a silent microphone.
func (m *Mixer) ReadFrame(dst []int16) []int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.fresh {
		m.frame(nil)
	}
	m.fresh = false
	return append(dst, m.ear...)
}

var errFrameLen = errors.New("mix: microphone frame is not 20 ms at the mix rate")

// frame is one 20 ms of the conference; mic nil is silence. m.mu held.
func (m *Mixer) frame(mic []int16) error {
	n := len(m.sum)
	if mic != nil && len(mic) != n {
		return errFrameLen
	}
	for i := range m.sum {
		m.sum[i] = 0
	}
	for i, s := range mic { // nil: silence
		m.sum[i] = int32(s)
	}
	for _, l := range m.legs {
		l.pull(n)
		if l.mixed {
			for i, s := range l.in {
				m.sum[i] += int32(s)
			}
		}
	}
	// The person hears the legs: the sum without the microphone.
	for i, s := range m.sum {
		if mic != nil {
			s -= int32(mic[i])
		}
		m.ear[i] = clamp(s)
	}
	m.fresh = true
	var first error
	for _, l := range m.legs {
		if err := l.push(m.sum); err != nil && first == nil {
			first = fmt.Errorf("mix: leg %s: %w", l.name, err)
		}
	}
	return first
}

// pull reads the leg's next frame into l.in at the mix rate (n samples),
// padding with silence what the leg or the resampler did not give.
func (l *leg) pull(n int) {
	raw := l.src.ReadFrame(l.raw[:0])
	if len(raw) > l.n {
		raw = raw[:l.n]
	}
	if l.up != nil {
		raw = l.up.Process(l.tmp[:0], raw)
	}
	k := copy(l.in, raw)
	clear(l.in[k:n])
}

// push sends the leg the sum without itself (silence when not mixed),
// brought to its own rate.
func (l *leg) push(sum []int32) error {
	for i, s := range sum {
		if l.mixed {
			s -= int32(l.in[i])
		} else {
			s = 0
		}
		l.out[i] = clamp(s)
	}
	frame := l.out
	if l.down != nil {
		got := l.down.Process(l.tmp[:0], l.out)
		frame = l.raw[:l.n]
		k := copy(frame, got)
		clear(frame[k:])
	}
	return l.src.WriteFrame(frame)
}

// clamp saturates a sum to 16 bits.
func clamp(s int32) int16 {
	switch {
	case s > 32767:
		return 32767
	case s < -32768:
		return -32768
	}
	return int16(s)
}
