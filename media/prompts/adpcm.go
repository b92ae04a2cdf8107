package prompts

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The prompts are stored as RIFF WAVE files of 4-bit IMA ADPCM (format tag
// 0x11, "DVI ADPCM" in Microsoft's WAVE registration): a quarter of the size
// of 16-bit PCM, any WAV tool plays them, and sox writes them. Only mono is
// accepted, which is all the generator writes.
//
// The data is a run of blocks of blockAlign bytes. Each block starts with a
// 4-byte header (the first sample as a little-endian int16, the step index,
// a reserved zero byte) and goes on with two samples per byte, the low
// nibble first. The fact chunk, when present, gives the true sample count,
// which the last block may not fill.

const (
	wavFormatIMAADPCM = 0x11
	maxPromptWAV      = 1 << 20 // no prompt comes near: the longest is ~50 KB
)

// imaStep is the IMA ADPCM quantizer step size for each step index.
var imaStep = [89]int32{
	7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45,
	50, 55, 60, 66, 73, 80, 88, 97, 107, 118, 130, 143, 157, 173, 190, 209, 230,
	253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963,
	1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327,
	3660, 4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442,
	11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794,
	32767,
}

// imaIndexStep is how a code's magnitude moves the step index.
var imaIndexStep = [8]int32{-1, -1, -1, -1, 2, 4, 6, 8}

// imaDecoder is the state of one IMA ADPCM channel.
type imaDecoder struct {
	pred  int32 // last sample
	index int32 // into imaStep
}

// next decodes one 4-bit code.
func (d *imaDecoder) next(code byte) int16 {
	step := imaStep[d.index]
	diff := step >> 3
	if code&4 != 0 {
		diff += step
	}
	if code&2 != 0 {
		diff += step >> 1
	}
	if code&1 != 0 {
		diff += step >> 2
	}
	if code&8 != 0 {
		d.pred -= diff
	} else {
		d.pred += diff
	}
	d.pred = min(max(d.pred, -32768), 32767)
	d.index = min(max(d.index+imaIndexStep[code&7], 0), 88)
	return int16(d.pred)
}

// decodeWAV decodes a mono IMA ADPCM WAV file and returns its samples and
// sample rate.
func decodeWAV(b []byte) (pcm []int16, rate int, err error) {
	if len(b) > maxPromptWAV {
		return nil, 0, fmt.Errorf("prompt WAV of %d bytes: larger than %d", len(b), maxPromptWAV)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("prompt WAV: not a RIFF WAVE file")
	}
	var (
		fmtFound, factFound  bool
		blockAlign, perBlock int
		total                int
		data                 []byte
		dataFound            bool
	)
	for rest := b[12:]; len(rest) >= 8; {
		id, size := string(rest[0:4]), binary.LittleEndian.Uint32(rest[4:8])
		rest = rest[8:]
		if uint64(size) > uint64(len(rest)) {
			return nil, 0, fmt.Errorf("prompt WAV: chunk %q of %d bytes runs past the end", id, size)
		}
		body := rest[:size]
		rest = rest[size:]
		if size%2 == 1 && len(rest) > 0 { // chunks are padded to even sizes
			rest = rest[1:]
		}
		switch id {
		case "fmt ":
			if len(body) < 20 {
				return nil, 0, fmt.Errorf("prompt WAV: fmt chunk of %d bytes is too short for IMA ADPCM", len(body))
			}
			tag := binary.LittleEndian.Uint16(body[0:2])
			channels := binary.LittleEndian.Uint16(body[2:4])
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
			blockAlign = int(binary.LittleEndian.Uint16(body[12:14]))
			bits := binary.LittleEndian.Uint16(body[14:16])
			perBlock = int(binary.LittleEndian.Uint16(body[18:20]))
			if tag != wavFormatIMAADPCM || channels != 1 || bits != 4 {
				return nil, 0, fmt.Errorf("prompt WAV: format %#x, %d channels, %d bits; want IMA ADPCM (0x11), mono, 4 bits", tag, channels, bits)
			}
			if rate < 1000 || rate > 48000 {
				return nil, 0, fmt.Errorf("prompt WAV: sample rate %d Hz out of range", rate)
			}
			if blockAlign < 5 || perBlock != (blockAlign-4)*2+1 {
				return nil, 0, fmt.Errorf("prompt WAV: block of %d bytes cannot hold %d samples", blockAlign, perBlock)
			}
			fmtFound = true
		case "fact":
			if len(body) < 4 {
				return nil, 0, errors.New("prompt WAV: fact chunk too short")
			}
			total = int(binary.LittleEndian.Uint32(body[0:4]))
			factFound = true
		case "data":
			data, dataFound = body, true
		}
	}
	if !fmtFound || !dataFound {
		return nil, 0, errors.New("prompt WAV: fmt or data chunk missing")
	}
	blocks := (len(data) + blockAlign - 1) / blockAlign
	// A last partial block of n bytes holds 1+2(n-4) samples.
	capacity := 0
	if blocks > 0 {
		last := len(data) - (blocks-1)*blockAlign
		capacity = (blocks-1)*perBlock + max(0, 1+2*(last-4))
	}
	if !factFound {
		total = capacity
	}
	if total > capacity {
		return nil, 0, fmt.Errorf("prompt WAV: fact says %d samples, the data holds %d", total, capacity)
	}
	pcm = make([]int16, 0, total)
	for len(pcm) < total {
		block := data[:min(blockAlign, len(data))]
		data = data[len(block):]
		if len(block) < 4 {
			break // unreachable: capacity counted only whole headers
		}
		d := imaDecoder{pred: int32(int16(binary.LittleEndian.Uint16(block[0:2]))), index: int32(block[2])}
		if d.index > 88 {
			return nil, 0, fmt.Errorf("prompt WAV: step index %d out of range", d.index)
		}
		pcm = append(pcm, int16(d.pred))
		for _, c := range block[4:] {
			if len(pcm) == total {
				break
			}
			pcm = append(pcm, d.next(c&0x0f))
			if len(pcm) == total {
				break
			}
			pcm = append(pcm, d.next(c>>4))
		}
	}
	return pcm, rate, nil
}
