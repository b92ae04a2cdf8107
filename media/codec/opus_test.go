package codec

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestOpusFormat(t *testing.T) {
	if !opusBuiltIn {
		t.Fatal("this build has no Opus: build with cgo and libopus-dev (make deps)")
	}
	if got := Formats()[0]; !got.Same(Opus) {
		t.Errorf("Formats()[0] = %s, want Opus offered first", got.Name)
	}
	if got, want := Opus.Rtpmap(), "111 opus/48000/2"; got != want {
		t.Errorf("Rtpmap() = %q, want %q", got, want)
	}
	if got, want := Opus.WithBitrate(24000).Fmtp(), "minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0;maxaveragebitrate=24000"; got != want {
		t.Errorf("Fmtp() = %q, want %q", got, want)
	}
	if G722.Fmtp() != "" {
		t.Errorf("G.722 has fmtp %q", G722.Fmtp())
	}
	for _, tc := range []struct {
		f, g Format
		same bool
	}{
		{Opus, Opus.WithPayloadType(96), true},
		{Opus, Format{Name: "OPUS", ClockRate: 48000, Dynamic: true, PayloadType: 100}, true},
		{Opus, Opus.WithBitrate(64000), true},
		{Opus, Format{Name: "opus", ClockRate: 16000, Dynamic: true}, false},
		{Opus, PCMU, false},
		{PCMU, PCMU, true},
		{PCMU, PCMA, false},
	} {
		if got := tc.f.Same(tc.g); got != tc.same {
			t.Errorf("%v.Same(%v) = %v", tc.f.Rtpmap(), tc.g.Rtpmap(), got)
		}
	}
	if got := Opus.Samples(20 * time.Millisecond); got != 960 {
		t.Errorf("Samples(20ms) = %d, want 960", got)
	}
	if got := Opus.ClockTicks(20 * time.Millisecond); got != 960 {
		t.Errorf("ClockTicks(20ms) = %d, want 960", got)
	}
	if _, ok := ByPayloadType(111); ok {
		t.Error("ByPayloadType(111) found Opus, whose payload type is dynamic")
	}
	c, err := New(Opus.WithPayloadType(96))
	if err != nil {
		t.Fatal(err)
	}
	if f := c.Format(); f.PayloadType != 96 || f.Bitrate != DefaultOpusBitrate {
		t.Errorf("New(opus/96).Format() = %+v", f)
	}
}

// The bitrate asked for is what the encoder spends, near enough, on a
// signal that needs it (noise), and in-band FEC and DTX off hold: silence
// still sends a packet every frame.
func TestOpusBitrate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]int16, 48000)
	for i := range noise {
		noise[i] = int16(rng.NormFloat64() * 6000)
	}
	for _, bps := range []int{16000, 32000, 64000} {
		c, err := New(Opus.WithBitrate(bps))
		if err != nil {
			t.Fatal(err)
		}
		var bytes int
		for i := 0; i+960 <= len(noise); i += 960 {
			bytes += len(c.Encode(nil, noise[i:i+960]))
		}
		got := bytes * 8 // one second
		if got < bps*7/10 || got > bps*13/10 {
			t.Errorf("asked %d bit/s, got %d", bps, got)
		}
	}
	c, _ := New(Opus)
	for i := range 50 {
		if p := c.Encode(nil, make([]int16, 960)); len(p) == 0 {
			t.Fatalf("frame %d of silence encoded to nothing", i)
		}
	}
}

// A lost packet (empty payload) is concealed as 20 ms; a payload that is
// not Opus decodes to nothing; the longest packet (120 ms) decodes whole.
func TestOpusDecodeEdges(t *testing.T) {
	c, _ := New(Opus)
	if n := len(c.Decode(nil, nil)); n != 960 {
		t.Errorf("a lost packet concealed as %d samples, want 960", n)
	}
	// TOC 0xff: code 3 (arbitrary frames) with a frame-count byte of 0.
	if n := len(c.Decode(nil, []byte{0xff, 0x00})); n != 0 {
		t.Errorf("a malformed packet decoded to %d samples", n)
	}
	// Config 3 (SILK NB 60 ms), code 1: two 60 ms frames of equal size.
	if n := len(c.Decode(nil, []byte{3<<3 | 1, 0, 0})); n != 5760 {
		t.Errorf("a 120 ms packet decoded to %d samples, want 5760", n)
	}
	if p := c.Encode(nil, make([]int16, 100)); len(p) != 0 {
		t.Errorf("100 samples (no Opus frame size) encoded to %d bytes", len(p))
	}
}

// A lost 20 ms packet rebuilt from the next packet's in-band FEC holds
// what was sent, not a guess: the tone switches from 440 to 880 Hz at the
// lost frame, and the rebuilt frame has the 880 Hz that concealment alone
// could not know. With no next packet the decoder conceals on its own;
// sizes that are no Opus frame give nothing.
func TestOpusDecodeFEC(t *testing.T) {
	const lost = 30
	in := append(tone(lost*960, 440, 48000, 0.4*32767), tone(20*960, 880, 48000, 0.4*32767)...)
	enc, _ := New(Opus)
	var packets [][]byte
	for i := 0; i+960 <= len(in); i += 960 {
		packets = append(packets, enc.Encode(nil, in[i:i+960]))
	}
	for _, tc := range []struct {
		name string
		fec  bool
	}{{"FEC", true}, {"concealment", false}} {
		dec, _ := New(Opus)
		var out []int16
		for i, p := range packets {
			switch {
			case i == lost && tc.fec:
				out = dec.(FECDecoder).DecodeFEC(out, packets[i+1], 960)
			case i == lost:
				out = dec.(FECDecoder).DecodeFEC(out, nil, 960)
			default:
				out = dec.Decode(out, p)
			}
		}
		if len(out) != len(packets)*960 {
			t.Fatalf("%s: %d samples out, want %d", tc.name, len(out), len(packets)*960)
		}
		// The decoder's delay (OpusDelay) shifts the switch: look at the
		// rebuilt frame's second half.
		frame := out[lost*960+OpusDelay : (lost+1)*960]
		hi, lo := goertzel(frame, 880, 48000), goertzel(frame, 440, 48000)
		t.Logf("%s: the lost frame holds 880 Hz at %.0f, 440 Hz at %.0f", tc.name, hi, lo)
		if tc.fec && hi < 2*lo {
			t.Errorf("FEC: the rebuilt frame is not the 880 Hz that was sent (880: %.0f, 440: %.0f)", hi, lo)
		}
	}
	dec, _ := New(Opus)
	if n := len(dec.(FECDecoder).DecodeFEC(nil, packets[1], 100)); n != 0 {
		t.Errorf("100 samples (no Opus frame size) gave %d", n)
	}
}
