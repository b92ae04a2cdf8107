// Package audio is the headset's sound path: a Device opens a Stream of
// 20 ms mono 16-bit frames at the call's rate (8 or 16 kHz) for capture and
// playback. Open chooses the device from the appliance's -audio flag:
// "malgo" (the USB headset through miniaudio), "null" (clock-paced silence)
// or "file:DIR" (WAV files, for tests and make run).
package audio
