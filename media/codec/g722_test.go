package codec

import (
	"math"
	"slices"
	"testing"
)

// The vectors are FFmpeg's G.722 encoder and decoder run by testdata/gen.sh.
var g722Vectors = []string{"tone1k", "chirp", "noise", "loud"}

func TestG722EncodeMatchesFFmpeg(t *testing.T) {
	for _, sig := range g722Vectors {
		t.Run(sig, func(t *testing.T) {
			in := readS16(t, sig+".s16")
			want := readFile(t, sig+".g722")
			e := NewG722Encoder()
			var got []byte
			for f := range slices.Chunk(in, 320) {
				got = e.Encode(got, f)
			}
			if i, n := firstDiff(got, want); i >= 0 {
				t.Errorf("%d of %d bytes differ from FFmpeg's, first at %d (got %#02x, want %#02x)",
					n, len(want), i, at(got, i), at(want, i))
			}
		})
	}
}

func TestG722DecodeMatchesFFmpeg(t *testing.T) {
	for _, sig := range append(g722Vectors, "random") {
		t.Run(sig, func(t *testing.T) {
			in := readFile(t, sig+".g722")
			want := readS16(t, sig+".g722.s16")
			d := NewG722Decoder()
			var got []int16
			for f := range slices.Chunk(in, 160) {
				got = d.Decode(got, f)
			}
			if i, n := firstDiff(got, want); i >= 0 {
				t.Errorf("%d of %d samples differ from FFmpeg's, first at %d (got %d, want %d)",
					n, len(want), i, at(got, i), at(want, i))
			}
		})
	}
}

// Splitting the input anywhere, odd lengths included, must not change the
// bitstream.
func TestG722EncodeChunking(t *testing.T) {
	in := readS16(t, "chirp.s16")
	whole := NewG722Encoder().Encode(nil, in)
	for _, n := range []int{1, 2, 3, 7, 159, 160, 321} {
		e := NewG722Encoder()
		var got []byte
		for f := range slices.Chunk(in, n) {
			got = e.Encode(got, f)
		}
		if i, k := firstDiff(got, whole); i >= 0 {
			t.Errorf("chunks of %d: %d bytes differ, first at %d", n, k, i)
		}
	}
}

func TestG722Reset(t *testing.T) {
	in := readS16(t, "noise.s16")
	c := NewG722()
	first := c.Encode(nil, in)
	firstOut := c.Decode(nil, first)
	c.Reset()
	if again := c.Encode(nil, in); string(again) != string(first) {
		t.Error("encoder after Reset differs from a new one")
	}
	if i, _ := firstDiff(c.Decode(nil, first), firstOut); i >= 0 {
		t.Errorf("decoder after Reset differs at %d", i)
	}
}

// The tables typed in from the Recommendation, checked against what they
// are said to be.
func TestG722Tables(t *testing.T) {
	for i, v := range ilb {
		want := 2048 * math.Pow(2, float64(i)/32)
		if math.Abs(float64(v)-want) > 0.5 {
			t.Errorf("ilb[%d] = %d, want %.1f rounded", i, v, want)
		}
	}
	var sum int32
	for i, h := range qmfH {
		sum += h
		if h != qmfH[23-i] {
			t.Errorf("qmfH not symmetric at %d", i)
		}
	}
	if sum != 8192 {
		t.Errorf("QMF DC gain %d, want 8192 (2^13)", sum)
	}
	for i := 1; i < len(q6); i++ {
		if q6[i] < q6[i-1] || i < 29 && q6[i] == q6[i-1] {
			t.Errorf("q6 not increasing at %d", i)
		}
	}
	// Each 6-bit code's magnitude class, as seen by the 4-bit predictor
	// path, must keep its sign.
	for c := 4; c < 64; c++ {
		if q4 := invq4[c>>2]; q4 != 0 && (q4 < 0) != (invq6[c] < 0) {
			t.Errorf("code %d: 6-bit level %d and 4-bit level %d disagree in sign", c, invq6[c], q4)
		}
	}
}

func at[T any](s []T, i int) any {
	if i < len(s) {
		return s[i]
	}
	return "none"
}
