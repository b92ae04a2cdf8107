package codec

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"
)

// The vectors are SoX's G.711 encoder and decoder run by testdata/gen.sh.
var g711Cases = []struct {
	name   string
	codec  Codec
	decode func(byte) int16
}{
	{"pcmu", &PCMUCodec{}, ulawDecode},
	{"pcma", &PCMACodec{}, alawDecode},
}

func TestG711DecodeMatchesSoX(t *testing.T) {
	codes := make([]byte, 256)
	for i := range codes {
		codes[i] = byte(i)
	}
	for _, tc := range g711Cases {
		t.Run(tc.name, func(t *testing.T) {
			want := readS16(t, tc.name+".dec.s16")
			got := tc.codec.Decode(nil, codes)
			if i, n := firstDiff(got, want); i >= 0 {
				t.Errorf("%d of 256 codes decode differently from SoX, first %#02x: got %d, want %d", n, i, at(got, i), at(want, i))
			}
		})
	}
}

// The encoders against SoX's, on every input where the two must agree.
// Both quantize blocks of 4 (µ-law) or 8 (A-law) int16 values alike: this
// package truncates, one's complement for negatives, as ITU-T G.191 does;
// SoX rounds to 14 or 13 bits and then negates negatives, as Sun's
// classic g711.c does. They agree on one value per block (listed by
// agrees), and since each block encodes to one code, comparing those
// values compares every decision level. TestG711Blocks checks the blocks.
func TestG711EncodeMatchesSoX(t *testing.T) {
	for _, tc := range g711Cases {
		t.Run(tc.name, func(t *testing.T) {
			want := expandRuns(t, tc.name+".enc.txt")
			var n, compared int
			for i := range 65536 {
				x := int16(i - 32768)
				if !agrees(tc.name, x) {
					continue
				}
				compared++
				if got := tc.codec.Encode(nil, []int16{x})[0]; got != want[i] {
					if n++; n <= 5 {
						t.Errorf("%d encodes to %#02x, SoX %#02x", x, got, want[i])
					}
				}
			}
			if n > 0 || compared < 65536/8 {
				t.Errorf("%d of %d compared samples differ", n, compared)
			}
		})
	}
}

// agrees says whether x is a value on which SoX's G.711 rounding and the
// G.191 truncation must give the same code.
func agrees(law string, x int16) bool {
	if law == "pcma" {
		return x&7 == 0 // exactly 13-bit: no rounding, same one's complement
	}
	if x >= 0 {
		return x&3 == 0 // exactly 14-bit
	}
	// Rounds up to m with ^x >> 2 == -m, except that SoX sends -1,
	// rounded to 0, as positive zero.
	return x&3 == 3 && x != -1
}

// Each block of int16 values sharing a reduced value gets one code, and
// the codes of x and -1-x differ only in the sign bit.
func TestG711Blocks(t *testing.T) {
	for _, tc := range g711Cases {
		shift := 2
		if tc.name == "pcma" {
			shift = 4
		}
		for i := range 65536 {
			x := int16(i - 32768)
			c := tc.codec.Encode(nil, []int16{x})[0]
			if first := x &^ (1<<shift - 1); tc.codec.Encode(nil, []int16{first})[0] != c {
				t.Fatalf("%s: %d and %d are in one block but encode differently", tc.name, x, first)
			}
			if m := tc.codec.Encode(nil, []int16{-1 - x})[0]; m != c^0x80 {
				t.Fatalf("%s: %d encodes to %#02x but %d to %#02x", tc.name, x, c, -1-x, m)
			}
		}
	}
}

// expandRuns reads "first-sample code" lines (see gen.sh) into the code of
// each of the 65536 int16 values.
func expandRuns(t *testing.T, name string) []byte {
	t.Helper()
	out := make([]byte, 0, 65536)
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, name)))
	var code byte
	for sc.Scan() {
		var x, c int
		if _, err := fmt.Sscan(sc.Text(), &x, &c); err != nil {
			t.Fatalf("%s: %q: %v", name, sc.Text(), err)
		}
		for len(out) < x+32768 {
			out = append(out, code)
		}
		code = byte(c)
	}
	for len(out) < 65536 {
		out = append(out, code)
	}
	return out
}

// Decoding then encoding a code word gives it back, except µ-law's
// negative zero (0x7f, made from -1 ... -4), which decodes to 0.
func TestG711CodeRoundTrip(t *testing.T) {
	for _, tc := range g711Cases {
		for c := range 256 {
			got := tc.codec.Encode(nil, []int16{tc.decode(byte(c))})[0]
			if got != byte(c) && !(tc.name == "pcmu" && c == 0x7f) {
				t.Errorf("%s: code %#02x decodes to %d, which encodes to %#02x", tc.name, c, tc.decode(byte(c)), got)
			}
		}
	}
}
