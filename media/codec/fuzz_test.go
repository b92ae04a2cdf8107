package codec

import (
	"encoding/binary"
	"testing"
)

// Any bytes are a G.722 payload: decoding them must not panic and gives
// two samples per byte, in any split across calls.
func FuzzG722Decode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x00, 0xff, 0x3f, 0xc0})
	f.Add(readFile(f, "random.g722")[:200])
	f.Add(readFile(f, "loud.g722")[:200])
	f.Fuzz(func(t *testing.T, payload []byte) {
		d := NewG722Decoder()
		out := d.Decode(nil, payload)
		if len(out) != 2*len(payload) {
			t.Fatalf("%d bytes decoded to %d samples", len(payload), len(out))
		}
		d.Reset()
		half := len(payload) / 2
		split := d.Decode(d.Decode(nil, payload[:half]), payload[half:])
		if i, _ := firstDiff(split, out); i >= 0 {
			t.Fatalf("decoding in two calls differs at sample %d", i)
		}
	})
}

// Any bytes are a G.711 payload.
func FuzzG711Decode(f *testing.F) {
	f.Add([]byte{0x00, 0x7f, 0x80, 0xff})
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, c := range []Codec{&PCMUCodec{}, &PCMACodec{}} {
			if out := c.Decode(nil, payload); len(out) != len(payload) {
				t.Fatalf("%s: %d bytes decoded to %d samples", c.Format().Name, len(payload), len(out))
			}
		}
	})
}

// Any PCM encodes without panic, and G.722 gives one byte per two samples.
func FuzzG722Encode(f *testing.F) {
	f.Add([]byte{0x00, 0x80, 0xff, 0x7f, 0x00, 0x80, 0xff, 0x7f})
	f.Add(readFile(f, "loud.s16")[:400])
	f.Fuzz(func(t *testing.T, raw []byte) {
		pcm := make([]int16, len(raw)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		c := NewG722()
		p := c.Encode(nil, pcm)
		if len(p) != len(pcm)/2 {
			t.Fatalf("%d samples encoded to %d bytes", len(pcm), len(p))
		}
		c.Decode(nil, p)
	})
}

// Any bytes may arrive as an Opus payload: decoding must not panic and
// gives at most 120 ms (5760 samples at 48 kHz).
func FuzzOpusDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xff, 0x00})
	f.Add([]byte{3<<3 | 1, 0, 0})
	c, err := New(Opus)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.Encode(nil, tone(960, 1000, 48000, 8000)))
	f.Fuzz(func(t *testing.T, payload []byte) {
		d, _ := New(Opus)
		if out := d.Decode(nil, payload); len(out) > 5760 {
			t.Fatalf("%d bytes decoded to %d samples", len(payload), len(out))
		}
	})
}
