package linphone

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
)

// WriteTone writes a mono 16-bit WAV of a sine tone, for Play.
func WriteTone(path string, rate int, hz float64, seconds float64, amplitude float64) error {
	n := int(float64(rate) * seconds)
	b := make([]byte, 44+2*n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := 0; i < n; i++ {
		v := amplitude * 32767 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(v)))
	}
	return os.WriteFile(path, b, 0o644)
}

// ReadWAV reads a 16-bit PCM WAV (as linphonec's record writes it) and
// returns its first channel and sample rate.
func ReadWAV(path string) (samples []int16, rate int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	return parseWAV(b)
}

func parseWAV(b []byte) (samples []int16, rate int, err error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	channels := 1
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		if size < 0 || size > len(b) {
			size = len(b) - off - 8
		}
		body := b[off+8 : min(off+8+size, len(b))]
		switch id {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, 0, errors.New("not 16-bit PCM")
			}
			channels = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			if channels == 0 || rate == 0 {
				return nil, 0, errors.New("no channels or no rate")
			}
		case "data":
			if rate == 0 || channels == 0 {
				return nil, 0, errors.New("data before fmt")
			}
			for i := 0; i+2*channels <= len(body); i += 2 * channels {
				samples = append(samples, int16(binary.LittleEndian.Uint16(body[i:])))
			}
			return samples, rate, nil
		}
		off += 8 + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}

// Level is the relative power of hz in samples (Goertzel), 0..~1 for a
// full-scale tone.
func Level(samples []int16, rate int, hz float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	k := 2 * math.Cos(2*math.Pi*hz/float64(rate))
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x)/32768 + k*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - k*s1*s2
	return 4 * p / float64(len(samples)*len(samples))
}
