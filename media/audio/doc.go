// Package audio is the headset's sound path: a Device opens a Stream of
// 20 ms mono 16-bit frames at the call's rate (8 or 16 kHz) for capture and
// playback. Open chooses the device from the appliance's -audio flag:
// "malgo" (the USB headset through miniaudio), "null" (clock-paced silence)
// or "file:DIR" (WAV files, for tests and make run).
//
// # The malgo device
//
// One duplex miniaudio device, S16 mono, a 10 ms period (3 periods of
// buffer). The card runs at the call's rate when it says it can (its
// native formats); otherwise at 48 kHz (or 44.1 kHz), and a Resampler
// converts in the callback: alsa-lib's plug resampling is switched off so
// exactly one converter, this one, is in the path. The callback only
// converts and moves samples between two rings at the call's rate; it
// allocates nothing.
//
// The headset is remembered by name (MalgoOptions.Headset; "malgo:NAME"
// in a spec): used whenever it is plugged in, the system default device
// otherwise. When the device stops by itself (miniaudio's stop callback:
// the card is gone) or goes 1 s without a callback (miniaudio posts no
// stop event when stopping an unplugged card fails), keeper reopens with
// backoff (200 ms doubling to 5 s) and, while on the default device, polls
// every 2 s for the headset and switches back to it. Meanwhile Read returns silence paced by the clock,
// so the call keeps its rhythm, and writes are dropped. malgo v0.11.24
// exposes only the data and stop callbacks, not miniaudio's notification
// callback (whose "rerouted" event ALSA never sends anyway): the stop
// callback and the poll are what there is.
//
// malgo.BackendNull is miniaudio's custom backend (malgo's enum skips
// ma_backend_custom); BackendNull here is the real null backend, 14.
//
// Files: malgo.go (the device), malgo_stream.go (a call's stream, its
// rings and supervisor), malgo_backend.go (miniaudio: rate choice, the
// callback), keeper.go (the unplug/replug state machine, no I/O),
// resample.go, null.go, file.go and wav.go.
//
// # The interface
//
// Beyond the sketch it started from, Stream has Stats (samples moved,
// dropped on overrun, silence played on underrun, reopens), a device has
// at most one open stream (ErrBusy), and OpenWith takes Options (the
// headset's name, the clock, the logger).
package audio
