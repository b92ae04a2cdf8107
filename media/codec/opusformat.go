package codec

// Opus (RFC 6716, RTP payload RFC 7587): 48 kHz mono here, offered as
// payload type 111 (any dynamic number works; this is the one WebRTC peers
// use, clear of telephone-event's 101).
var Opus = Format{Name: "opus", PayloadType: 111, SampleRate: 48000, ClockRate: 48000, Channels: 1,
	RtpmapChannels: 2, Dynamic: true}

// DefaultOpusBitrate is the Opus target when a Format names none: wideband
// speech with room for FEC.
const DefaultOpusBitrate = 32000

func (f Format) bitrate() int {
	if f.Bitrate > 0 {
		return f.Bitrate
	}
	return DefaultOpusBitrate
}

// OpusDelay is how far libopus's decoded output lags the encoder's input
// at 48 kHz: its 6.5 ms look-ahead (TestRoundTripByContent measures it).
const OpusDelay = 312

// opusMaxFrame is the longest an Opus packet decodes to: 120 ms at 48 kHz.
const opusMaxFrame = 5760
