//go:build cgo

package codec

// Opus through libopus (Debian libopus-dev; libopus0 in the image). The
// binding is these few calls, written here rather than taken from a
// module: it needs only create, encode, decode and four encoder settings,
// the settings go through opus_encoder_ctl, which is variadic and so needs
// a C shim anyway, and the frame buffers live in the codec so that a
// 20 ms frame allocates nothing on the Go side.

/*
#cgo LDFLAGS: -lopus
#include <opus/opus.h>

static int padlock_opus_setup(OpusEncoder *e, int bitrate, int complexity) {
	int err;
	if ((err = opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(complexity))) != OPUS_OK) return err;
	if ((err = opus_encoder_ctl(e, OPUS_SET_BITRATE(bitrate))) != OPUS_OK) return err;
	if ((err = opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1))) != OPUS_OK) return err;
	// FEC is only sent when the encoder expects loss.
	if ((err = opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(10))) != OPUS_OK) return err;
	if ((err = opus_encoder_ctl(e, OPUS_SET_DTX(0))) != OPUS_OK) return err;
	return opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}

static void padlock_nop(void) {}

static int padlock_opus_encoder_reset(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_RESET_STATE); }
static int padlock_opus_decoder_reset(OpusDecoder *d) { return opus_decoder_ctl(d, OPUS_RESET_STATE); }
*/
import "C"

import (
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

const opusBuiltIn = true

// opusMaxPacket is the most one Opus packet (one frame, mono) takes
// (RFC 6716 section 3.4: 1275 bytes per frame).
const opusMaxPacket = 1275

// opusComplexity is the encoder's effort, 0..10 (libopus's default is 10).
// 5 costs about half as much CPU for speech at these bitrates
// (docs/BENCHMARKS.md), which matters on the phone's small ARM core.
const opusComplexity = 5

// cgoNop is one call into C doing nothing: what any cgo call costs
// (BenchmarkCgoCall).
func cgoNop() { C.padlock_nop() }

// OpusCodec is an Opus encoder and decoder pair for one mono stream at
// 48 kHz: in-band FEC on, DTX off, the Format's bitrate.
type OpusCodec struct {
	f   Format
	st  *opusState // C memory, freed when the codec is collected
	pkt [opusMaxPacket]byte
	pcm [opusMaxFrame]int16
}

type opusState struct {
	enc *C.OpusEncoder
	dec *C.OpusDecoder
}

func newOpus(f Format) (Codec, error) {
	f.Bitrate = f.bitrate()
	var err C.int
	enc := C.opus_encoder_create(C.opus_int32(f.SampleRate), 1, C.OPUS_APPLICATION_VOIP, &err)
	if err != C.OPUS_OK {
		return nil, fmt.Errorf("codec: opus encoder at %d Hz: %s", f.SampleRate, C.GoString(C.opus_strerror(err)))
	}
	dec := C.opus_decoder_create(C.opus_int32(f.SampleRate), 1, &err)
	if err != C.OPUS_OK {
		C.opus_encoder_destroy(enc)
		return nil, fmt.Errorf("codec: opus decoder at %d Hz: %s", f.SampleRate, C.GoString(C.opus_strerror(err)))
	}
	st := &opusState{enc: enc, dec: dec}
	if e := C.padlock_opus_setup(enc, C.int(f.Bitrate), opusComplexity); e != C.OPUS_OK {
		st.free()
		return nil, fmt.Errorf("codec: opus bitrate %d bit/s: %s", f.Bitrate, C.GoString(C.opus_strerror(e)))
	}
	c := &OpusCodec{f: f, st: st}
	runtime.AddCleanup(c, func(st *opusState) { st.free() }, st)
	return c, nil
}

func (st *opusState) free() {
	C.opus_encoder_destroy(st.enc)
	C.opus_decoder_destroy(st.dec)
}

// Format is the codec's format, with the bitrate it encodes at.
func (c *OpusCodec) Format() Format { return c.f }

// Encode appends one Opus packet for pcm, which must be 2.5, 5, 10, 20, 40
// or 60 ms at 48 kHz; any other length encodes to nothing.
func (c *OpusCodec) Encode(dst []byte, pcm []int16) []byte {
	if len(pcm) == 0 {
		return dst
	}
	n := C.opus_encode(c.st.enc, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&c.pkt[0])), C.opus_int32(len(c.pkt)))
	runtime.KeepAlive(c)
	if n < 0 {
		return dst
	}
	return append(dst, c.pkt[:n]...)
}

// Decode appends what payload decodes to; an empty payload is a lost
// packet, which the decoder conceals (20 ms). A payload that is not Opus
// decodes to nothing.
func (c *OpusCodec) Decode(dst []int16, payload []byte) []int16 {
	var data *C.uchar
	frame := C.int(opusMaxFrame)
	if len(payload) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&payload[0]))
	} else {
		frame = C.int(c.f.Samples(20 * time.Millisecond))
	}
	n := C.opus_decode(c.st.dec, data, C.opus_int32(len(payload)),
		(*C.opus_int16)(unsafe.Pointer(&c.pcm[0])), frame, 0)
	runtime.KeepAlive(c)
	if n < 0 {
		return dst
	}
	return append(dst, c.pcm[:n]...)
}

// DecodeFEC implements FECDecoder: n (a multiple of 2.5 ms, at most
// 120 ms) samples for the lost packet before next.
func (c *OpusCodec) DecodeFEC(dst []int16, next []byte, n int) []int16 {
	if n <= 0 || n > opusMaxFrame || n%120 != 0 {
		return dst
	}
	var data *C.uchar
	fec := C.int(1)
	if len(next) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&next[0]))
	} else {
		fec = 0 // plain concealment
	}
	got := C.opus_decode(c.st.dec, data, C.opus_int32(len(next)),
		(*C.opus_int16)(unsafe.Pointer(&c.pcm[0])), C.int(n), fec)
	runtime.KeepAlive(c)
	if got < 0 {
		return dst
	}
	return append(dst, c.pcm[:got]...)
}

// Reset returns encoder and decoder to their initial state.
func (c *OpusCodec) Reset() {
	C.padlock_opus_encoder_reset(c.st.enc)
	C.padlock_opus_decoder_reset(c.st.dec)
	runtime.KeepAlive(c)
}
