// Package codec turns 16-bit linear PCM into RTP audio payloads and back:
// G.711 (PCMU, PCMA) and G.722, each a stateful per-stream Codec.
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
}

// The formats this package implements, with their RFC 3551 numbers.
var (
	PCMU = Format{Name: "PCMU", PayloadType: 0, SampleRate: 8000, ClockRate: 8000, Channels: 1}
	PCMA = Format{Name: "PCMA", PayloadType: 8, SampleRate: 8000, ClockRate: 8000, Channels: 1}
	G722 = Format{Name: "G722", PayloadType: 9, SampleRate: 16000, ClockRate: 8000, Channels: 1}
)

// Formats lists the supported formats, best first (the order to offer
// them in SDP).
func Formats() []Format { return []Format{G722, PCMU, PCMA} }

// Rtpmap is the value of the SDP a=rtpmap attribute, e.g. "9 G722/8000".
func (f Format) Rtpmap() string {
	return strconv.Itoa(int(f.PayloadType)) + " " + f.Name + "/" + strconv.Itoa(f.ClockRate)
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

// PayloadBytes is the size of the RTP payload carrying d of audio. All
// three formats run at 64 kbit/s: 160 bytes per 20 ms.
func (f Format) PayloadBytes(d time.Duration) int {
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

// New returns a fresh Codec for f, which must be one of Formats.
func New(f Format) (Codec, error) {
	switch f {
	case PCMU:
		return &PCMUCodec{}, nil
	case PCMA:
		return &PCMACodec{}, nil
	case G722:
		return NewG722(), nil
	}
	return nil, fmt.Errorf("codec: no codec for %s (payload type %d): use one of PCMU, PCMA, G722", f.Rtpmap(), f.PayloadType)
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
		if f.PayloadType == pt {
			return f, true
		}
	}
	return Format{}, false
}
