package headset

// Level is a gain in percent: 100 leaves the sound as it is, 50 halves
// it, 200 doubles it (saturating). The headset's volume (what the ear
// hears: the call and every prompt) and microphone gain (what the call
// gets) are Levels, set with SetLevels and applied in the pump.
type Level int

// The levels a person may choose. The volume never goes below MinVolume
// so the SAS and the warnings can always be heard.
const (
	MinVolume Level = 10
	MinMic    Level = 0 // the microphone may be muted
	MaxLevel  Level = 200
	Unity     Level = 100
)

// q12 is a Level as a Q12 fixed-point factor (4096 = unity), so the pump
// scales with one multiply and shift per sample.
func (l Level) q12() int32 { return int32(l) * 4096 / 100 }

// SetLevels sets the volume and the microphone gain, clamped to their
// ranges; the next frame uses them.
func (h *Headset) SetLevels(volume, mic Level) {
	h.volume.Store(max(MinVolume, min(MaxLevel, volume)).q12())
	h.mic.Store(max(MinMic, min(MaxLevel, mic)).q12())
}

// scale multiplies pcm in place by q (Q12), saturating; unity is left
// alone. It allocates nothing: it runs on every 20 ms frame.
func scale(pcm []int16, q int32) {
	if q == 4096 {
		return
	}
	for i, s := range pcm {
		v := (int32(s)*q + 2048) >> 12
		pcm[i] = int16(max(min(v, 32767), -32768))
	}
}
