package audio

import (
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"
)

// A call's stream survives the headset being unplugged and plugged back:
// Read keeps its 20 ms rhythm with silence while no device runs, the
// default device takes over, and the headset is taken back when it
// reappears. The device list is a fake; the stream, its supervisor and
// the keeper are the real ones.
func TestStreamUnplugReplug(t *testing.T) {
	defer goleak.VerifyNone(t)
	const headset = "Jabra EVOLVE 20"
	clk := clockwork.NewFakeClock()
	fb := &fakeBackend{defaultWorks: true}
	fb.plug("Built-in Audio")
	fb.plug(headset)
	steps := make(chan struct{}, 10)
	m := &Malgo{opts: MalgoOptions{Headset: "jabra", Clock: clk, Log: quietLog()},
		stepped: func() { steps <- struct{}{} }}
	step := func() {
		t.Helper()
		select {
		case <-steps:
		case <-time.After(5 * time.Second):
			t.Fatal("the supervisor did not act")
		}
	}
	s, err := m.openWith(8000, func(*malgoStream) backend { return fb })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := fb.runningOn(); !slices.Equal(got, []string{headset}) {
		t.Fatalf("running on %q, want the headset", got)
	}
	frame := make([]int16, 160)
	voice := tone(160, 8000, 1000, 5000)

	// Capture from the device reaches Read.
	s.pushCapture(voice)
	if err := s.Read(frame); err != nil || !slices.Equal(frame, voice) {
		t.Fatalf("Read = %v, %v; want the captured frame", err, frame[:4])
	}

	// Unplug: once the supervisor has taken the loss, it waits for the
	// retry timer; Read gives silence every 20 ms meanwhile.
	fb.unplug(headset)
	step()
	got := readAsync(s, frame)
	waitTimers(t, clk, 2) // the retry and Read's pacing
	clk.Advance(FrameDuration)
	if err := <-got; err != nil || !slices.Equal(frame, make([]int16, 160)) {
		t.Fatalf("Read while down = %v, %v; want silence", err, frame[:4])
	}
	if err := s.Write(voice); err != nil {
		t.Errorf("Write while down: %v", err)
	}

	// The retry opens the default device; then the headset is polled for.
	clk.Advance(retryMin - FrameDuration)
	step()
	if got := fb.runningOn(); !slices.Equal(got, []string{""}) {
		t.Fatalf("after the retry running on %q, want the default device", got)
	}
	s.pushCapture(voice)
	if err := s.Read(frame); err != nil || !slices.Equal(frame, voice) {
		t.Fatalf("Read after reopen = %v, %v; want the captured frame", err, frame[:4])
	}

	// Plugged back: the next poll switches to it.
	fb.plug(headset)
	waitTimers(t, clk, 1)
	clk.Advance(pollEvery)
	step()
	if got := fb.runningOn(); !slices.Equal(got, []string{headset}) {
		t.Fatalf("after replug running on %q, want the headset", got)
	}
	if st := s.Stats(); st.Reopens != 2 {
		t.Errorf("Reopens = %d, want 2", st.Reopens)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fb.runningOn(); len(got) != 0 {
		t.Errorf("after Close running on %q", got)
	}
	if err := s.Read(frame); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

// bytesOf encodes samples as a callback's little-endian byte buffer.
func bytesOf(pcm []int16) []byte {
	b := make([]byte, 0, 2*len(pcm))
	for _, s := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	return b
}

func samplesOf(b []byte) []int16 {
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// The device callback's conversion, by content: a card at 48 kHz feeds
// a 16 kHz call a 1 kHz tone at its level, and plays the call's tone at
// its level; a card at 44.1 kHz does the same for an 8 kHz call.
func TestCallbackConversion(t *testing.T) {
	for _, tc := range []struct{ rate, devRate int }{{16000, 48000}, {8000, 44100}, {8000, 8000}} {
		s := &malgoStream{rate: tc.rate, flen: FrameLen(tc.rate), capt: newRing(tc.rate), play: newRing(tc.rate),
			capReady: make(chan struct{}, 1), done: make(chan struct{})}
		r, err := newMalgoRunner(s, tc.devRate, 10*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		period := tc.devRate / 100
		mic := tone(tc.devRate/2, tc.devRate, 1000, 8000) // 0.5 s at the card's rate
		callTone := tone(tc.rate/2, tc.rate, 1000, 8000)
		s.play.push(callTone)
		out := make([]byte, 2*period)
		var played []int16
		for i := 0; i+period <= len(mic); i += period {
			r.data(out, bytesOf(mic[i:i+period]), uint32(period))
			played = append(played, samplesOf(out)...)
		}
		captured := make([]int16, s.capt.len())
		s.capt.pop(captured)
		want := level(callTone, tc.rate, 1000)
		near(t, "captured level (dBFS)", level(captured[tc.rate/20:tc.rate*2/5], tc.rate, 1000), want, 0.1)
		near(t, "played level (dBFS)", level(played[tc.devRate/20:tc.devRate*2/5], tc.devRate, 1000), want, 0.1)
		if n := len(captured); n < tc.rate/2-2*FrameLen(tc.rate) {
			t.Errorf("%d->%d: %d samples captured from 0.5 s", tc.devRate, tc.rate, n)
		}
	}
}

// The callback allocates nothing, converting or not.
func TestCallbackNoAllocs(t *testing.T) {
	for _, devRate := range []int{16000, 48000, 44100} {
		s := &malgoStream{rate: 16000, flen: 320, capt: newRing(3200), play: newRing(2560),
			capReady: make(chan struct{}, 1), done: make(chan struct{})}
		r, err := newMalgoRunner(s, devRate, 10*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		in := bytesOf(tone(devRate/100, devRate, 1000, 8000))
		out := make([]byte, len(in))
		frame := make([]int16, 320)
		i := 0
		a := testing.AllocsPerRun(300, func() {
			r.data(out, in, uint32(len(in)/2))
			if i++; i%2 == 0 {
				s.Write(frame)
				s.Read(frame)
			}
		})
		if a != 0 {
			t.Errorf("card at %d Hz: %v allocations per callback", devRate, a)
		}
	}
}

// One 10 ms duplex callback of a 16 kHz call; the card at 16k or 48k.
func BenchmarkCallback(b *testing.B) {
	for _, devRate := range []int{16000, 48000, 44100} {
		b.Run(strconv.Itoa(devRate), func(b *testing.B) {
			s := &malgoStream{rate: 16000, flen: 320, capt: newRing(3200), play: newRing(2560),
				capReady: make(chan struct{}, 1), done: make(chan struct{})}
			r, _ := newMalgoRunner(s, devRate, 10*time.Millisecond)
			in := bytesOf(tone(devRate/100, devRate, 1000, 8000))
			out := make([]byte, len(in))
			b.ReportAllocs()
			for b.Loop() {
				r.data(out, in, uint32(len(in)/2))
			}
		})
	}
}

// A late reader does not keep its lag as latency: Read drops capture older
// than maxBacklog frames and counts it.
func TestStreamBacklog(t *testing.T) {
	defer goleak.VerifyNone(t)
	fb := &fakeBackend{defaultWorks: true}
	m := &Malgo{opts: MalgoOptions{Clock: clockwork.NewFakeClock(), Log: quietLog()}}
	s, err := m.openWith(8000, func(*malgoStream) backend { return fb })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 8 { // 160 ms of capture, frames numbered 1..8
		f := make([]int16, 160)
		for j := range f {
			f[j] = int16(i + 1)
		}
		s.pushCapture(f)
	}
	frame := make([]int16, 160)
	var got []int16
	for s.capt.len() > 0 {
		if err := s.Read(frame); err != nil {
			t.Fatal(err)
		}
		got = append(got, frame[0])
	}
	if want := []int16{6, 7, 8}; !slices.Equal(got, want) {
		t.Errorf("frames read %v, want %v", got, want)
	}
	if st := s.Stats(); st.CaptureDropped != 5*160 {
		t.Errorf("CaptureDropped = %d, want %d", st.CaptureDropped, 5*160)
	}
}

// A card that goes quiet without a stop report (its stop failed) is
// caught by the watchdog through the real supervisor, and the stream
// moves to the default device.
func TestStreamStall(t *testing.T) {
	defer goleak.VerifyNone(t)
	clk := clockwork.NewFakeClock()
	fb := &fakeBackend{defaultWorks: true}
	fb.plug("USB Headset")
	steps := make(chan struct{}, 10)
	m := &Malgo{opts: MalgoOptions{Headset: "USB Headset", Clock: clk, Log: quietLog()},
		stepped: func() { steps <- struct{}{} }}
	s, err := m.openWith(16000, func(*malgoStream) backend { return fb })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fb.vanish("USB Headset")
	waitTimers(t, clk, 1)
	clk.Advance(stallAfter)
	<-steps // the watchdog: down
	waitTimers(t, clk, 1)
	clk.Advance(retryMin)
	<-steps // the retry: the default device
	if got := fb.runningOn(); !slices.Equal(got, []string{""}) {
		t.Fatalf("after the stall running on %q, want the default device", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
