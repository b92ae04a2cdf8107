package audio

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gen2brain/malgo"
	"go.uber.org/goleak"
)

// miniaudio's null backend runs a real device thread with real timing:
// capture callbacks bring silence, playback callbacks take what was
// written. Each run lasts 200 ms of real time.
func TestMalgoNullBackend(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, tc := range []struct {
		name    string
		rate    int
		devRate int // forces the card's rate: the resampler's path
		headset string
	}{
		{"8k direct", 8000, 0, ""},
		{"16k via 48k", 16000, 48000, ""},
		{"8k via 44.1k", 8000, 44100, ""},
		{"headset by name", 16000, 0, "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev, err := NewMalgo(MalgoOptions{Backends: []malgo.Backend{BackendNull}, DeviceRate: tc.devRate, Headset: tc.headset, Log: quietLog()})
			if err != nil {
				t.Fatal(err)
			}
			defer dev.Close()
			c, p, err := dev.Devices()
			if err != nil || len(c) == 0 || len(p) == 0 {
				t.Fatalf("Devices: %v %v %v", c, p, err)
			}
			s, err := dev.Open(tc.rate)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dev.Open(tc.rate); !errors.Is(err, ErrBusy) {
				t.Errorf("second Open: %v, want ErrBusy", err)
			}
			frame := make([]int16, FrameLen(tc.rate))
			for i := range frame {
				frame[i] = 1000
			}
			start := time.Now()
			reads := 0
			for time.Since(start) < 200*time.Millisecond {
				if err := s.Write(frame); err != nil {
					t.Fatal(err)
				}
				if err := s.Read(frame[:]); err != nil {
					t.Fatal(err)
				}
				reads++
			}
			st := s.Stats()
			// 200 ms is 10 frames; a read may have found one queued.
			if reads < 8 || reads > 13 {
				t.Errorf("%d frames read in 200 ms, want about 10", reads)
			}
			// Both callbacks ran for about 200 ms of the call's samples.
			want := tc.rate / 5
			if st.Captured < want/2 || st.Captured > 2*want || st.Played < want/2 || st.Played > 2*want {
				t.Errorf("stats %+v: want about %d samples captured and played", st, want)
			}
			got := make(chan error, 1)
			go func() {
				for {
					if err := s.Read(frame); err != nil {
						got <- err
						return
					}
				}
			}()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-got; !errors.Is(err, ErrClosed) {
				t.Errorf("Read after Close: %v, want ErrClosed", err)
			}
			if err := s.Write(frame); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close: %v, want ErrClosed", err)
			}
			// The device is free again.
			s, err = dev.Open(tc.rate)
			if err != nil {
				t.Fatalf("Open after Close: %v", err)
			}
			s.Close()
		})
	}
}

// The ALSA path as far as this machine allows: libasound.so.2 loads and
// miniaudio's ALSA context starts; with a sound card (or snd-aloop) a
// stream opens, without one Open says what is missing.
func TestMalgoALSA(t *testing.T) {
	defer goleak.VerifyNone(t)
	dev, err := NewMalgo(MalgoOptions{Log: quietLog()})
	if err != nil {
		t.Fatalf("%v\n(install libasound2: apt-get install libasound2, or make deps)", err)
	}
	defer dev.Close()
	c, p, err := dev.Devices()
	t.Logf("ALSA capture devices %q, playback devices %q, err %v", c, p, err)
	s, err := dev.Open(16000)
	if _, statErr := os.Stat("/proc/asound/cards"); statErr != nil {
		// No ALSA in this kernel (containers): nothing can open.
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded without /proc/asound")
		}
		if !strings.Contains(err.Error(), "no sound device would start") {
			t.Errorf("Open error %q does not say what is missing", err)
		}
		return
	}
	if err != nil {
		t.Logf("this machine has ALSA but no device would open: %v", err)
		return
	}
	s.Close()
}
