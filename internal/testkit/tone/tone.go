// Package tone is the tests' side of media/tone: tones written as WAV
// files for a peer to play, and the detector (the Goertzel level, the
// loudest second, the strongest tone) under the names the tests use.
package tone

import (
	"encoding/binary"
	"os"
	"testing"

	"github.com/padlock-phone/padlock/media/tone"
)

// The detector and the sine are media/tone's; see there.
var (
	Sine      = tone.Sine
	Level     = tone.Level
	BestLevel = tone.BestLevel
	Dominant  = tone.Dominant
)

// WriteWAV writes pcm as a 16-bit mono PCM WAV file at rate, the format
// linphonec plays and the appliance's file headset reads.
func WriteWAV(t testing.TB, path string, rate int, pcm []int16) {
	t.Helper()
	b := make([]byte, 44+2*len(pcm))
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(pcm)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(pcm)))
	for i, x := range pcm {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(x))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteTone writes seconds of a 0.4 full-scale sine at freq Hz (8 kHz
// mono) to path: the test tone of the call tests.
func WriteTone(t testing.TB, path string, freq float64, seconds int) {
	t.Helper()
	WriteWAV(t, path, 8000, Sine(8000, freq, 0.4, 8000*seconds))
}
