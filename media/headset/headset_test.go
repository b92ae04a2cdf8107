package headset

import (
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	testtone "github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/media/audio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func tone(freq float64, d time.Duration, amp float64) Sound {
	return func(rate int) []int16 {
		n := int(d.Seconds() * float64(rate))
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		}
		return out
	}
}

// level is the amplitude (0..1) of freq in pcm (tone.Level).
func level(pcm []int16, rate int, freq float64) float64 { return testtone.Level(pcm, rate, freq) }

func newFileHeadset(t *testing.T) (*Headset, string) {
	t.Helper()
	dir := t.TempDir()
	dev, err := audio.NewFile(dir, audio.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	h := New(dev, nil)
	t.Cleanup(func() { h.Close() })
	return h, dir
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// played waits until out.wav holds at least d of audio.
func played(t *testing.T, dir string, rate int, d time.Duration) {
	t.Helper()
	want := int64(44 + 2*int(d.Seconds()*float64(rate)))
	waitFor(t, "playback of "+d.String(), func() bool {
		st, err := os.Stat(filepath.Join(dir, "out.wav"))
		return err == nil && st.Size() >= want
	})
}

func readOut(t *testing.T, dir string) ([]int16, int) {
	t.Helper()
	pcm, rate, err := audio.ReadWAV(filepath.Join(dir, "out.wav"))
	if err != nil {
		t.Fatal(err)
	}
	return pcm, rate
}

func TestRingLoopsUntilStopped(t *testing.T) {
	h, dir := newFileHeadset(t)
	h.Ring(tone(440, 100*time.Millisecond, 0.5))
	played(t, dir, promptRate, 400*time.Millisecond)
	h.Ring(nil)
	waitFor(t, "stream closed", func() bool { return !h.Busy() })
	pcm, rate := readOut(t, dir)
	if rate != promptRate {
		t.Fatalf("rate %d", rate)
	}
	if l := level(pcm[:int(0.4*float64(rate))], rate, 440); l < 0.4 {
		t.Errorf("ring tone level %.2f over the first 400 ms (looped), want ~0.5", l)
	}
}

func TestPromptPlaysOnceThenReleasesTheDevice(t *testing.T) {
	h, dir := newFileHeadset(t)
	h.Play(tone(1000, 300*time.Millisecond, 0.5))
	h.Play(tone(2000, 200*time.Millisecond, 0.5))
	waitFor(t, "stream closed after the prompts", func() bool { return h.Busy() == false })
	pcm, rate := readOut(t, dir)
	n1, n2 := int(0.3*float64(rate)), int(0.2*float64(rate))
	if len(pcm) < n1+n2 || len(pcm) > n1+n2+3*audio.FrameLen(rate) {
		t.Fatalf("played %d samples, want about %d", len(pcm), n1+n2)
	}
	if l := level(pcm[:n1], rate, 1000); l < 0.45 {
		t.Errorf("first prompt level %.2f", l)
	}
	if l := level(pcm[n1:n1+n2], rate, 2000); l < 0.45 {
		t.Errorf("second prompt level %.2f", l)
	}
}

// fakeCall is a call at 8 kHz that sends a 600 Hz tone to the ear and
// records what the microphone gave it.
type fakeCall struct {
	mu    sync.Mutex
	mic   []int16
	phase int
}

func (c *fakeCall) Rate() int { return 8000 }
func (c *fakeCall) WriteFrame(pcm []int16) error {
	c.mu.Lock()
	c.mic = append(c.mic, pcm...)
	c.mu.Unlock()
	return nil
}
func (c *fakeCall) ReadFrame(dst []int16) []int16 {
	for range 160 {
		dst = append(dst, int16(0.3*32767*math.Sin(2*math.Pi*600*float64(c.phase)/8000)))
		c.phase++
	}
	return dst
}
func (c *fakeCall) heard() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.mic...)
}

func TestCallAudioWithPromptOnTop(t *testing.T) {
	h, dir := newFileHeadset(t)
	// The microphone says 500 Hz (at 16 kHz; the device converts).
	w, err := audio.CreateWAV(filepath.Join(dir, "in.wav"), 16000)
	if err != nil {
		t.Fatal(err)
	}
	mic := tone(500, 2*time.Second, 0.4)(16000)
	if err := w.Write(mic); err != nil {
		t.Fatal(err)
	}
	w.Close()

	c := &fakeCall{}
	detach := h.Attach(c)
	played(t, dir, 8000, 200*time.Millisecond)
	h.Play(tone(1000, 200*time.Millisecond, 0.3))
	played(t, dir, 8000, 600*time.Millisecond)
	detach()
	waitFor(t, "stream closed after the call", func() bool { return !h.Busy() })

	got := c.heard()
	if len(got) < 8000*400/1000 {
		t.Fatalf("the call got %d microphone samples", len(got))
	}
	if l := level(got[:3200], 8000, 500); l < 0.3 {
		t.Errorf("microphone tone reached the call at level %.2f, want ~0.4", l)
	}
	out, rate := readOut(t, dir)
	if rate != 8000 {
		t.Fatalf("stream rate %d, want the call's 8000", rate)
	}
	if l := level(out[:1600], rate, 600); l < 0.25 {
		t.Errorf("call audio in the ear: level %.2f", l)
	}
	// The prompt is somewhere after 200 ms: find a 200 ms window with it.
	best := 0.0
	for start := 1600; start+1600 <= len(out); start += 160 {
		best = max(best, level(out[start:start+1600], rate, 1000))
	}
	if best < 0.25 {
		t.Errorf("prompt over the call: best level %.2f", best)
	}
}

func TestSaturatingMix(t *testing.T) {
	for _, tt := range []struct{ a, b, want int16 }{
		{30000, 30000, 32767}, {-30000, -30000, -32768}, {100, -50, 50},
	} {
		if got := add(tt.a, tt.b); got != tt.want {
			t.Errorf("add(%d, %d) = %d", tt.a, tt.b, got)
		}
	}
}
