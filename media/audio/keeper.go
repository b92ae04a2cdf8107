package audio

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// backend is what keeper needs of a sound system: a list of devices and a
// way to start one. malgoBackend is the real one; tests use a fake list.
type backend interface {
	// devices lists the names of the capture and playback devices.
	devices() (capture, playback []string, err error)
	// start opens and starts a capture and a playback device by name
	// ("" is the system default). If the device later stops by itself
	// (unplugged), lost is called with the runner start returns, from any
	// goroutine, without blocking; it is not called after the runner's
	// stop.
	start(capture, playback string, lost func(runner)) (runner, error)
}

// runner is a started device.
type runner interface {
	stop()
	// progress counts the device's callbacks so far.
	progress() uint64
}

// Reopen timing. A device that vanished is retried after retryMin,
// doubling to retryMax while it keeps failing; while the stream runs on
// the fallback device the preferred headset is looked for every pollEvery.
var (
	retryMin  = 200 * time.Millisecond
	retryMax  = 5 * time.Second
	pollEvery = 2 * time.Second
	// stallAfter is how long a running device may go without a callback
	// before it counts as lost. miniaudio reports a device that stops by
	// itself only if stopping it then succeeds, which an unplugged card
	// may not: "Don't post a stopped event if stopping failed. This can
	// happen on some backends when the underlying stream has been stopped
	// due to the device being physically unplugged" (miniaudio.h,
	// ma_worker_thread). So keeper also watches the callbacks.
	stallAfter = time.Second
)

// keeper keeps a device running across unplugs: it opens the preferred
// headset when it is there, the default device otherwise; when the device
// is lost it retries with backoff; while on the default it polls for the
// headset and switches to it when it is plugged back. It does no I/O of
// its own and reads no clock: its owner calls lost and tick with the time,
// and sleeps until next.
type keeper struct {
	b       backend
	headset string
	log     *slog.Logger

	cur       runner // nil while down
	onHeadset bool   // cur is the headset (not the default device)
	backoff   time.Duration
	retryAt   time.Time // while down
	pollAt    time.Time // while up on the default device with a headset configured
	reopens   int

	stallAfter   time.Duration // 0: no watchdog
	watchAt      time.Time     // while up: when to check for progress
	lastProgress uint64
}

func newKeeper(b backend, headset string, log *slog.Logger) *keeper {
	return &keeper{b: b, headset: headset, log: log, backoff: retryMin, stallAfter: stallAfter}
}

// match returns the first of names equal to want, else the first that
// contains it ignoring case, else "". An empty want matches nothing.
func match(names []string, want string) string {
	if want == "" {
		return ""
	}
	for _, n := range names {
		if n == want {
			return n
		}
	}
	lw := strings.ToLower(want)
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), lw) {
			return n
		}
	}
	return ""
}

// findHeadset returns the headset's capture and playback device names, or
// ok false if it is not plugged in.
func (k *keeper) findHeadset() (capture, playback string, ok bool) {
	if k.headset == "" {
		return "", "", false
	}
	c, p, err := k.b.devices()
	if err != nil {
		k.log.Warn("audio: cannot list sound devices", "err", err)
		return "", "", false
	}
	capture, playback = match(c, k.headset), match(p, k.headset)
	return capture, playback, capture != "" && playback != ""
}

// open starts the headset if present, else the default device. lost is
// given to the backend, bound to the runner it will report.
func (k *keeper) open(now time.Time, lost func(runner)) error {
	var errs []error
	if c, p, ok := k.findHeadset(); ok {
		r, err := k.startWith(c, p, lost)
		if err == nil {
			k.up(now, r, true)
			return nil
		}
		errs = append(errs, fmt.Errorf("headset %q: %w", c, err))
	}
	r, err := k.startWith("", "", lost)
	if err == nil {
		k.up(now, r, false)
		return nil
	}
	errs = append(errs, fmt.Errorf("default device: %w", err))
	return errors.Join(errs...)
}

func (k *keeper) startWith(capture, playback string, lost func(runner)) (runner, error) {
	return k.b.start(capture, playback, lost)
}

func (k *keeper) up(now time.Time, r runner, onHeadset bool) {
	k.cur, k.onHeadset = r, onHeadset
	k.backoff = retryMin
	k.retryAt = time.Time{}
	k.pollAt = time.Time{}
	if !onHeadset && k.headset != "" {
		k.pollAt = now.Add(pollEvery)
	}
	k.watchAt = time.Time{}
	if k.stallAfter > 0 {
		k.watchAt = now.Add(k.stallAfter)
		k.lastProgress = r.progress()
	}
}

// lost handles the loss of r; a stale report (of a runner already
// replaced or stopped) is ignored. It returns whether the device is now
// down.
func (k *keeper) lost(now time.Time, r runner) bool {
	if r == nil || r != k.cur {
		return false
	}
	k.log.Warn("audio: sound device lost; reopening", "headset", k.onHeadset)
	k.cur.stop()
	k.cur = nil
	k.pollAt, k.watchAt = time.Time{}, time.Time{}
	k.retryAt = now.Add(k.backoff)
	return true
}

// down reports whether no device is running.
func (k *keeper) down() bool { return k.cur == nil }

// tick does what is due at now: a retry while down, a look for the
// headset while on the default device. It returns whether the running
// device changed (so the owner resets what it kept for the old one).
func (k *keeper) tick(now time.Time, lost func(runner)) (changed bool) {
	due := func(t time.Time) bool { return !t.IsZero() && !now.Before(t) }
	if k.cur == nil {
		if !due(k.retryAt) {
			return false
		}
		if err := k.open(now, lost); err != nil {
			k.backoff = min(2*k.backoff, retryMax)
			k.retryAt = now.Add(k.backoff)
			k.log.Debug("audio: reopen failed", "err", err, "retry", k.backoff)
			return false
		}
		k.reopens++
		k.log.Info("audio: sound device reopened", "headset", k.onHeadset)
		return true
	}
	if due(k.watchAt) {
		p := k.cur.progress()
		if p == k.lastProgress {
			k.log.Warn("audio: no callback from the sound device", "for", k.stallAfter)
			return k.lost(now, k.cur)
		}
		k.lastProgress = p
		k.watchAt = now.Add(k.stallAfter)
	}
	if !due(k.pollAt) {
		return false
	}
	k.pollAt = now.Add(pollEvery)
	c, p, ok := k.findHeadset()
	if !ok {
		return false
	}
	// One device at a time: the old one stops before the headset
	// starts, so the stream never hears two.
	k.cur.stop()
	k.cur = nil
	r, err := k.startWith(c, p, lost)
	if err == nil {
		k.up(now, r, true)
		k.reopens++
		k.log.Info("audio: switched to the headset", "name", c)
		return true
	}
	// Listed but not opening (still settling after the plug-in):
	// back to whatever open finds, the default at worst.
	k.log.Debug("audio: headset back but not opening yet", "err", err)
	if err := k.open(now, lost); err != nil {
		k.retryAt = now.Add(k.backoff)
	}
	return true
}

// next is when tick has something to do; zero if nothing is scheduled.
func (k *keeper) next() time.Time {
	if k.cur == nil {
		return k.retryAt
	}
	if k.pollAt.IsZero() || (!k.watchAt.IsZero() && k.watchAt.Before(k.pollAt)) {
		return k.watchAt
	}
	return k.pollAt
}

// close stops the running device.
func (k *keeper) close() {
	if k.cur != nil {
		k.cur.stop()
		k.cur = nil
	}
	k.retryAt, k.pollAt, k.watchAt = time.Time{}, time.Time{}, time.Time{}
}
