package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// streamingSize is the RIFF and data chunk size a WAV file carries while
// it is being written: "as long as the file". Close replaces it with the
// real sizes; a file cut short by a power failure keeps it, and readers
// (ParseWAV among them) then take the data to run to the end of the file.
const streamingSize = 0xFFFFFFFF

const wavHeaderLen = 44

// maxWAV bounds what ParseWAV accepts: 64 MiB, over half an hour at 16 kHz.
const maxWAV = 64 << 20

// ParseWAV decodes a RIFF WAVE file of 16-bit mono PCM and returns its
// samples and rate. A data chunk whose size runs past the end of the file
// (a stale header) is read to the end of the file.
func ParseWAV(b []byte) (pcm []int16, rate int, err error) {
	if len(b) > maxWAV {
		return nil, 0, fmt.Errorf("wav: %d bytes, more than the %d this reads", len(b), maxWAV)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("wav: not a RIFF WAVE file")
	}
	var haveFmt bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int64(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if size < 16 || int64(len(body)) < size {
				return nil, 0, errors.New("wav: short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			channels := binary.LittleEndian.Uint16(body[2:4])
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
			bits := binary.LittleEndian.Uint16(body[14:16])
			if format == 0xFFFE && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes
				format = binary.LittleEndian.Uint16(body[24:26])
			}
			if format != 1 || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("wav: format %d, %d channels, %d bits: want 16-bit mono PCM (format 1)", format, channels, bits)
			}
			if rate < 1000 || rate > 192000 {
				return nil, 0, fmt.Errorf("wav: rate %d Hz out of range", rate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, errors.New("wav: data chunk before fmt chunk")
			}
			if size > int64(len(body)) {
				size = int64(len(body)) // stale or streaming header
			}
			body = body[:size&^1]
			pcm = make([]int16, len(body)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, nil
		}
		p += 8 + int(size) + int(size&1) // chunks are padded to even length
		if size > int64(len(b)) {
			break
		}
	}
	return nil, 0, errors.New("wav: no data chunk")
}

// ReadWAV reads and parses the WAV file at path.
func ReadWAV(path string) (pcm []int16, rate int, err error) {
	if st, err := os.Stat(path); err != nil {
		return nil, 0, err
	} else if st.Size() > maxWAV {
		return nil, 0, fmt.Errorf("%s: %d bytes, more than the %d this reads", path, st.Size(), maxWAV)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	pcm, rate, err = ParseWAV(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return pcm, rate, nil
}

// WAVWriter writes 16-bit mono PCM to a WAV file as it comes: every Write
// goes to the file at once (no user-space buffer), and the header carries
// streamingSize until Close writes the real sizes and syncs. A power cut
// therefore loses at most what the kernel had not yet written back, and
// leaves a file whose header says "to the end of the file" — the only
// stale part, which readers that honour that convention read correctly.
type WAVWriter struct {
	f    *os.File
	n    int64 // data bytes written
	buf  []byte
	path string
}

// CreateWAV creates (or truncates) path and writes a streaming header.
func CreateWAV(path string, rate int) (*WAVWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	w := &WAVWriter{f: f, path: path, buf: make([]byte, 0, 2*FrameLen(48000))}
	if _, err := f.Write(wavHeader(rate, streamingSize)); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func wavHeader(rate int, dataSize uint32) []byte {
	h := make([]byte, wavHeaderLen)
	riff := dataSize
	if dataSize != streamingSize {
		riff = dataSize + wavHeaderLen - 8
	}
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], riff)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2)) // bytes per second
	binary.LittleEndian.PutUint16(h[32:], 2)              // block align
	binary.LittleEndian.PutUint16(h[34:], 16)             // bits
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataSize)
	return h
}

// Write appends samples to the file.
func (w *WAVWriter) Write(pcm []int16) error {
	b := w.buf[:0]
	for _, s := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	w.buf = b[:0]
	n, err := w.f.Write(b)
	w.n += int64(n)
	return err
}

// Close writes the real sizes into the header, syncs the file and its
// directory, and closes it. Past 4 GiB of data the header keeps saying
// "to the end of the file".
func (w *WAVWriter) Close() error {
	riff, data := uint32(streamingSize), uint32(streamingSize)
	if w.n <= streamingSize-wavHeaderLen {
		data = uint32(w.n)
		riff = data + wavHeaderLen - 8
	}
	_, err := w.f.WriteAt(binary.LittleEndian.AppendUint32(nil, riff), 4)
	if err == nil {
		_, err = w.f.WriteAt(binary.LittleEndian.AppendUint32(nil, data), 40)
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if d, derr := os.Open(filepath.Dir(w.path)); derr == nil {
			err = d.Sync()
			d.Close()
		}
	}
	return err
}
