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
			// Both callbacks ran (no bounds on how much: the machine is
			// shared, and speed is not what this checks).
			st := s.Stats()
			if reads == 0 || st.Captured == 0 || st.Played == 0 {
				t.Errorf("%d reads, stats %+v: want capture and playback to have run", reads, st)
			}
			wantRate := tc.devRate
			if wantRate == 0 {
				wantRate = tc.rate
			}
			if st.DeviceRate != wantRate || st.Period <= 0 || st.Period > 10*time.Millisecond {
				t.Errorf("card at %d Hz with a %v period; want %d Hz, at most 10 ms", st.DeviceRate, st.Period, wantRate)
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
			// The device is free again; its Close closes the stream.
			s, err = dev.Open(tc.rate)
			if err != nil {
				t.Fatalf("Open after Close: %v", err)
			}
			if err := dev.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Read(frame); !errors.Is(err, ErrClosed) {
				t.Errorf("Read after the device's Close: %v", err)
			}
			if _, err := dev.Open(tc.rate); !errors.Is(err, ErrClosed) {
				t.Errorf("Open after the device's Close: %v", err)
			}
		})
	}
}

// The ALSA path as far as this machine allows. This sandbox's kernel has
// no sound at all (no /proc/asound, no snd-aloop module to load), but
// alsa-lib's own "null" PCM (from libasound2-data's alsa.conf) is a
// device miniaudio lists and opens through libasound.so.2 like a card:
// chosen by name as the headset, it runs capture and playback callbacks,
// unpaced (the null plugin has no clock). Then the default device, which
// with no card must fail to open with an error that says so.
func TestMalgoALSA(t *testing.T) {
	defer goleak.VerifyNone(t)
	const alsaNull = "Discard all samples"
	dev, err := NewMalgo(MalgoOptions{Headset: alsaNull, Log: quietLog()})
	if err != nil {
		t.Fatalf("%v\n(install libasound2: apt-get install libasound2, or make deps)", err)
	}
	defer dev.Close()
	c, p, err := dev.Devices()
	if err != nil || match(c, alsaNull) == "" || match(p, alsaNull) == "" {
		t.Fatalf("ALSA lists capture %q, playback %q (%v); want alsa-lib's null PCM (install libasound2-data)", c, p, err)
	}
	s, err := dev.Open(16000)
	if err != nil {
		t.Fatalf("open ALSA's null PCM: %v", err)
	}
	frame := make([]int16, 320)
	for range 5 {
		if err := s.Write(frame); err != nil {
			t.Fatal(err)
		}
		if err := s.Read(frame); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Captured == 0 || st.Played == 0 {
		t.Errorf("ALSA null PCM: no samples moved: %+v", st)
	}
	t.Logf("ALSA null PCM: card at %d Hz, period %v", st.DeviceRate, st.Period)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	if _, err := os.Stat("/proc/asound/cards"); err == nil {
		t.Logf("this machine has ALSA cards; the default-device check is for machines without")
		return
	}
	dflt, err := NewMalgo(MalgoOptions{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer dflt.Close()
	if s, err := dflt.Open(8000); err == nil {
		s.Close()
		t.Error("the default device opened on a machine without sound cards")
	} else if !strings.Contains(err.Error(), "no sound device would start") {
		t.Errorf("Open error %q does not say what is missing", err)
	}
}

func TestDeviceRate(t *testing.T) {
	set := func(rates ...int) map[int]bool {
		m := map[int]bool{}
		for _, r := range rates {
			m[r] = true
		}
		return m
	}
	for _, tc := range []struct {
		name             string
		rate             int
		capt, play       map[int]bool
		captAny, playAny bool
		want             int
	}{
		{"headset offers 16k", 16000, set(8000, 16000, 48000), set(16000, 48000), false, false, 16000},
		{"card refuses 8k", 8000, set(44100, 48000), set(44100, 48000), false, false, 48000},
		{"only 44.1k", 16000, set(44100), set(44100), false, false, 44100},
		{"capture any, playback 48k", 8000, nil, set(48000), true, false, 48000},
		{"both any", 8000, nil, nil, true, true, 8000},
		{"nothing in common", 16000, set(32000), set(22050), false, false, 48000},
		{"formats unknown", 16000, nil, nil, false, false, 48000},
		{"playback unknown", 16000, set(16000, 48000), nil, false, false, 48000},
	} {
		if got := deviceRate(tc.rate, tc.capt, tc.play, tc.captAny, tc.playAny); got != tc.want {
			t.Errorf("%s: deviceRate = %d, want %d", tc.name, got, tc.want)
		}
	}
}
