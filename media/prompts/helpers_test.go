package prompts

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/padlock-phone/padlock/internal/testkit/tone"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readS16 reads raw little-endian 16-bit samples.
func readS16(t testing.TB, name string) []int16 {
	b := readTestdata(t, name)
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// loadFile decodes one embedded data file at its own rate.
func loadFile(t testing.TB, path string) (pcm []int16, rate int) {
	t.Helper()
	b, err := data.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err = decodeWAV(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pcm, rate
}

// amplitude is the amplitude (of full scale) of the freq component of s
// (tone.Level).
func amplitude(s []int16, rate int, freq float64) float64 { return tone.Level(s, rate, freq) }

// rms is the root mean square of s, of full scale.
func rms(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, x := range s {
		v := float64(x) / 32768
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(s)))
}

// dBFS converts a level of full scale to decibels (-200 for silence).
func dBFS(v float64) float64 {
	if v <= 0 {
		return -200
	}
	return 20 * math.Log10(v)
}

// peakAbs is the largest magnitude in s, of full scale.
func peakAbs(s []int16) float64 {
	m := 0
	for _, x := range s {
		m = max(m, abs(int(x)))
	}
	return float64(m) / 32768
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// activeFrames splits s into frames of frame samples and reports which
// are louder than threshold dBFS RMS.
func activeFrames(s []int16, frame int, threshold float64) []bool {
	var on []bool
	for i := 0; i+frame <= len(s); i += frame {
		on = append(on, dBFS(rms(s[i:i+frame])) > threshold)
	}
	return on
}

// runs turns a frame mask into alternating run lengths, starting with
// the first frame's state.
func runs(on []bool) (first bool, lengths []int) {
	if len(on) == 0 {
		return false, nil
	}
	first = on[0]
	n := 1
	for i := 1; i < len(on); i++ {
		if on[i] == on[i-1] {
			n++
			continue
		}
		lengths = append(lengths, n)
		n = 1
	}
	return first, append(lengths, n)
}

func allZero(s []int16) bool {
	for _, x := range s {
		if x != 0 {
			return false
		}
	}
	return true
}

func seconds(n, rate int) float64 { return float64(n) / float64(rate) }
