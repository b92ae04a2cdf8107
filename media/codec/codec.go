// Package codec turns 16-bit linear PCM into RTP audio payloads and back:
// Opus (libopus through cgo), G.711 (PCMU, PCMA) and G.722, each a stateful
// per-stream Codec.
//
// Every Encode and Decode appends to the slice it is given and allocates
// nothing when that slice has room, so a 20 ms frame costs no garbage.
//
// G.722 samples at 16 kHz but its RTP clock runs at 8000 Hz (RFC 3551,
// section 4.5.2, keeps the erroneous rate of RFC 1890 for compatibility):
// SDP says "a=rtpmap:9 G722/8000" and a 20 ms packet advances the RTP
// timestamp by 160 although it carries 320 samples. Format.SampleRate and
// Format.ClockRate keep the two apart; use ClockTicks for timestamps and
// Samples for buffer sizes.
//
// Opus has no static payload type: Opus.PayloadType is the number this
// phone offers, and an answer uses the offerer's (Format.WithPayloadType).
// Its a=rtpmap always says two channels (RFC 7587 section 7); the stream is
// mono all the same.
package codec

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format is what SDP and RTP need to know about one audio payload format.
type Format struct {
	// Name is the SDP encoding name in a=rtpmap, e.g. "PCMU".
	Name string
	// PayloadType is the static RTP payload type of RFC 3551.
	PayloadType uint8
	// SampleRate is how many PCM samples per second the codec consumes
	// and produces.
	SampleRate int
	// ClockRate is the RTP timestamp rate, also the rate in a=rtpmap.
	ClockRate int
	// Channels is the number of audio channels (always 1 here).
	Channels int
	// RtpmapChannels, when not 0, is the channel count a=rtpmap names (2
	// for Opus, whatever the stream carries).
	RtpmapChannels int
	// Dynamic says PayloadType is only this phone's choice (Opus): a peer
	// may use another number for the same format.
	Dynamic bool
	// Bitrate is the encoder's target in bit/s (Opus only; 0: the default).
	Bitrate int
}

// The formats this package implements, with their RFC 3551 numbers.
var (
	PCMU = Format{Name: "PCMU", PayloadType: 0, SampleRate: 8000, ClockRate: 8000, Channels: 1}
	PCMA = Format{Name: "PCMA", PayloadType: 8, SampleRate: 8000, ClockRate: 8000, Channels: 1}
	G722 = Format{Name: "G722", PayloadType: 9, SampleRate: 16000, ClockRate: 8000, Channels: 1}
)

// Formats lists the supported formats, best first (the order to offer
// them in SDP): Opus first when libopus is built in.
func Formats() []Format {
	if opusBuiltIn {
		return []Format{Opus, G722, PCMU, PCMA}
	}
	return []Format{G722, PCMU, PCMA}
}

// Rtpmap is the value of the SDP a=rtpmap attribute, e.g. "9 G722/8000"
// or "111 opus/48000/2".
func (f Format) Rtpmap() string {
	s := strconv.Itoa(int(f.PayloadType)) + " " + f.Name + "/" + strconv.Itoa(f.ClockRate)
	if f.RtpmapChannels != 0 {
		s += "/" + strconv.Itoa(f.RtpmapChannels)
	}
	return s
}

// Fmtp is the format's a=fmtp parameters without the payload type, empty
// if it has none. Opus asks for in-band FEC and mono (RFC 7587 section 6.1).
func (f Format) Fmtp() string {
	if f.Name != Opus.Name {
		return ""
	}
	s := "minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0"
	if f.Bitrate > 0 {
		s += ";maxaveragebitrate=" + strconv.Itoa(f.Bitrate)
	}
	return s
}

// Same reports whether f and g are one format, whatever payload type or
// bitrate each side picked for a dynamic one.
func (f Format) Same(g Format) bool {
	if f.Dynamic || g.Dynamic {
		return f.Dynamic == g.Dynamic && strings.EqualFold(f.Name, g.Name) && f.ClockRate == g.ClockRate
	}
	return f.PayloadType == g.PayloadType && f.Name == g.Name
}

// WithPayloadType is f under payload type pt (for a dynamic format, the
// number the peer uses).
func (f Format) WithPayloadType(pt uint8) Format {
	f.PayloadType = pt
	return f
}

// WithBitrate is f with encoder target bitrate bps (Opus).
func (f Format) WithBitrate(bps int) Format {
	f.Bitrate = bps
	return f
}

// Samples is the number of PCM samples in d of audio (320 for 20 ms of G.722).
func (f Format) Samples(d time.Duration) int {
	return int(d * time.Duration(f.SampleRate) / time.Second)
}

// ClockTicks is how far d of audio advances the RTP timestamp (160 for
// 20 ms of any of these formats).
func (f Format) ClockTicks(d time.Duration) uint32 {
	return uint32(d * time.Duration(f.ClockRate) / time.Second)
}

// PayloadBytes is the size of the RTP payload carrying d of audio. G.711
// and G.722 run at 64 kbit/s: 160 bytes per 20 ms. Opus varies; for it this
// is the most a packet of d can take at its bitrate, twice over.
func (f Format) PayloadBytes(d time.Duration) int {
	if f.Name == Opus.Name {
		return int(d * time.Duration(2*f.bitrate()/8) / time.Second)
	}
	return int(d * 8000 / time.Second)
}

// Codec encodes and decodes one RTP stream. Its encoder and decoder keep
// separate state (G.722 is adaptive), so use one Codec per stream and per
// direction pair, from one goroutine at a time.
type Codec interface {
	Format() Format
	// Encode appends the payload for pcm (Format.SampleRate mono samples)
	// to dst and returns it.
	Encode(dst []byte, pcm []int16) []byte
	// Decode appends the samples carried by payload to dst and returns it.
	// Any bytes are a valid payload.
	Decode(dst []int16, payload []byte) []int16
	// Reset returns encoder and decoder to their initial state, as for a
	// new stream.
	Reset()
}

// FECDecoder is a Codec that can rebuild a lost packet's audio from the
// in-band forward error correction of the packet after it (Opus, RFC 6716
// section 2.1.7). Not used by media/rtp's receiver yet: on a steady tone
// (TestPipeTone, 5 % loss) libopus's FEC frames came out noisier than the
// receiver's own pitch-repeating concealment, and speech-like tests to
// decide between them are still to be written.
type FECDecoder interface {
	// DecodeFEC appends n samples standing in for a lost packet: from
	// next's FEC data, or the decoder's own concealment when next is
	// empty or carries none. It appends nothing if n is not a size the
	// codec can produce.
	DecodeFEC(dst []int16, next []byte, n int) []int16
}

// New returns a fresh Codec for f, which must be one of Formats.
func New(f Format) (Codec, error) {
	if f.Same(Opus) {
		return newOpus(f)
	}
	switch f {
	case PCMU:
		return &PCMUCodec{}, nil
	case PCMA:
		return &PCMACodec{}, nil
	case G722:
		return NewG722(), nil
	}
	return nil, fmt.Errorf("codec: no codec for %s (payload type %d): use one of %s", f.Rtpmap(), f.PayloadType, names())
}

// Lookup finds a format by its SDP encoding name (case-insensitive, as SDP
// names are) and RTP clock rate, as in a=rtpmap:<pt> <name>/<rate>.
func Lookup(name string, clockRate int) (Format, bool) {
	for _, f := range Formats() {
		if strings.EqualFold(f.Name, name) && f.ClockRate == clockRate {
			return f, true
		}
	}
	return Format{}, false
}

// ByPayloadType finds a format by its static RTP payload type (0, 8, 9).
func ByPayloadType(pt uint8) (Format, bool) {
	for _, f := range Formats() {
		if !f.Dynamic && f.PayloadType == pt {
			return f, true
		}
	}
	return Format{}, false
}

// names lists the supported formats' names, for errors.
func names() string {
	var n []string
	for _, f := range Formats() {
		n = append(n, f.Name)
	}
	return strings.Join(n, ", ")
}
