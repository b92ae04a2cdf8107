package codec

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	testtone "github.com/padlock-phone/padlock/internal/testkit/tone"
)

// readFile reads a file from testdata/ (made by testdata/gen.sh).
func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (regenerate with: cd testdata && sh gen.sh)", err)
	}
	return b
}

// readS16 reads little-endian 16-bit samples from testdata/.
func readS16(t testing.TB, name string) []int16 {
	t.Helper()
	b := readFile(t, name)
	if len(b)%2 != 0 {
		t.Fatalf("%s: odd length %d", name, len(b))
	}
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// firstDiff returns the first index where a and b differ and how many
// elements differ in all, or -1, 0 when they are equal (lengths included).
func firstDiff[T comparable](a, b []T) (first, count int) {
	first = -1
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			if first < 0 {
				first = i
			}
			count++
		}
	}
	if len(a) != len(b) {
		if first < 0 {
			first = n
		}
		count += max(len(a), len(b)) - n
	}
	return first, count
}

// tone makes n samples of a sine of freq Hz at rate Hz with peak amplitude amp.
func tone(n int, freq, rate, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/rate)))
	}
	return s
}

// goertzel is the amplitude, in sample units, of the freq Hz component of
// x sampled at rate (tone.Level).
func goertzel(x []int16, freq, rate float64) float64 {
	return 32768 * testtone.Level(x, int(rate), freq)
}

// lag returns the delay in samples (0..maxLag) at which out best matches in,
// by normalized cross-correlation.
func lag(in, out []int16, maxLag int) int {
	best, bestLag := math.Inf(-1), 0
	for l := 0; l <= maxLag; l++ {
		var xy, yy float64
		for i := 0; i+l < len(out) && i < len(in); i++ {
			x, y := float64(in[i]), float64(out[i+l])
			xy += x * y
			yy += y * y
		}
		if yy == 0 {
			continue
		}
		if c := xy / math.Sqrt(yy); c > best {
			best, bestLag = c, l
		}
	}
	return bestLag
}

// frames runs pcm through enc and dec in frames of n samples, as an RTP
// stream would, and returns the payloads and the decoded signal.
func frames(c Codec, pcm []int16, n int) (payload []byte, out []int16) {
	for len(pcm) > 0 {
		k := min(n, len(pcm))
		start := len(payload)
		payload = c.Encode(payload, pcm[:k])
		out = c.Decode(out, payload[start:])
		pcm = pcm[k:]
	}
	return payload, out
}
