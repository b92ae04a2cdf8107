package audio

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeBackend is a device list that tests edit: plugging and unplugging
// a headset, making starts fail.
type fakeBackend struct {
	mu                sync.Mutex // the stream tests edit it while the supervisor uses it
	capture, playback []string
	defaultWorks      bool
	failNext          int // starts to fail, whatever the device
	running           []*fakeRunner
	lostReports       []runner
}

type fakeRunner struct {
	b       *fakeBackend
	name    string // "" for the default device
	lost    func(runner)
	stopped bool
	stalled bool   // no more callbacks
	calls   uint64 // callbacks: one more each time someone looks, unless stalled
}

func (r *fakeRunner) progress() uint64 {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	if !r.stalled {
		r.calls++
	}
	return r.calls
}

func (r *fakeRunner) stop() {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	r.stopped = true
	r.b.running = slices.DeleteFunc(r.b.running, func(x *fakeRunner) bool { return x == r })
}

func (b *fakeBackend) devices() ([]string, []string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.capture), slices.Clone(b.playback), nil
}

func (b *fakeBackend) start(capture, playback string, lost func(runner)) (runner, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failNext > 0 {
		b.failNext--
		return nil, errors.New("device busy")
	}
	if capture == "" && !b.defaultWorks {
		return nil, errors.New("no default device")
	}
	if capture != "" && (!slices.Contains(b.capture, capture) || !slices.Contains(b.playback, playback)) {
		return nil, errors.New("no such device")
	}
	r := &fakeRunner{b: b, name: capture, lost: lost}
	b.running = append(b.running, r)
	return r, nil
}

// unplug removes name from the lists and reports the loss of its
// runners, as miniaudio's stop callback would.
func (b *fakeBackend) unplug(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.capture = slices.DeleteFunc(b.capture, func(s string) bool { return s == name })
	b.playback = slices.DeleteFunc(b.playback, func(s string) bool { return s == name })
	for _, r := range slices.Clone(b.running) {
		if r.name == name {
			r.lost(r)
		}
	}
}

// vanish removes name from the lists and stalls its runners without a
// report, as an unplugged card whose stop failed.
func (b *fakeBackend) vanish(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.capture = slices.DeleteFunc(b.capture, func(s string) bool { return s == name })
	b.playback = slices.DeleteFunc(b.playback, func(s string) bool { return s == name })
	for _, r := range b.running {
		if r.name == name {
			r.stalled = true
		}
	}
}

func (b *fakeBackend) plug(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.capture = append(b.capture, name)
	b.playback = append(b.playback, name)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// where says what k runs: "down", "default" or the headset's name.
func where(k *keeper) string {
	if k.cur == nil {
		return "down"
	}
	if n := k.cur.(*fakeRunner).name; n != "" {
		return n
	}
	return "default"
}

func TestMatch(t *testing.T) {
	names := []string{"Built-in Audio Analog Stereo", "Jabra EVOLVE 20 MS", "Jabra"}
	for _, tc := range []struct{ want, got string }{
		{"Jabra", "Jabra"}, // exact beats substring
		{"evolve 20", "Jabra EVOLVE 20 MS"},
		{"built-in", "Built-in Audio Analog Stereo"},
		{"Plantronics", ""},
		{"", ""},
	} {
		if got := match(names, tc.want); got != tc.got {
			t.Errorf("match(%q) = %q, want %q", tc.want, got, tc.got)
		}
	}
}

// The headset is unplugged and plugged back during a call.
func TestKeeperUnplugReplug(t *testing.T) {
	const headset = "Jabra EVOLVE 20"
	b := &fakeBackend{defaultWorks: true}
	b.plug("Built-in Audio")
	b.plug(headset)
	k := newKeeper(b, "evolve", quietLog())
	k.stallAfter = 0 // TestKeeperStall covers the watchdog
	report := func(r runner) { b.lostReports = append(b.lostReports, r) }
	deliver := func(now time.Time) {
		for _, r := range b.lostReports {
			k.lost(now, r)
		}
		b.lostReports = nil
	}
	t0 := time.Unix(1000, 0)
	step := func(what string, want string) {
		t.Helper()
		if got := where(k); got != want {
			t.Fatalf("%s: running on %s, want %s", what, got, want)
		}
	}

	if err := k.open(t0, report); err != nil {
		t.Fatal(err)
	}
	step("open", headset)
	if !k.next().IsZero() {
		t.Errorf("on the headset, next = %v; want nothing scheduled", k.next())
	}

	// Unplug: the loss is reported, the device goes down, a retry is due
	// retryMin later and falls back to the default device.
	t1 := t0.Add(time.Minute)
	b.unplug(headset)
	deliver(t1)
	step("unplugged", "down")
	if want := t1.Add(retryMin); !k.next().Equal(want) {
		t.Fatalf("retry at %v, want %v", k.next(), want)
	}
	if k.tick(t1.Add(retryMin-time.Millisecond), report) {
		t.Error("tick before the retry was due changed the device")
	}
	step("before retry", "down")
	if !k.tick(t1.Add(retryMin), report) {
		t.Error("retry did not report a change")
	}
	step("retry", "default")

	// While on the default device the headset is polled for.
	t2 := t1.Add(retryMin)
	if want := t2.Add(pollEvery); !k.next().Equal(want) {
		t.Fatalf("poll at %v, want %v", k.next(), want)
	}
	if k.tick(t2.Add(pollEvery), report) {
		t.Error("poll without the headset changed the device")
	}
	step("poll, headset away", "default")

	// Plugged back: the next poll switches, stopping the default first.
	b.plug(headset)
	if !k.tick(k.next(), report) {
		t.Error("poll with the headset back did not switch")
	}
	step("replugged", headset)
	if len(b.running) != 1 {
		t.Errorf("%d devices running after the switch, want 1", len(b.running))
	}
	if k.reopens != 2 {
		t.Errorf("reopens = %d, want 2", k.reopens)
	}

	// A stale report, of a runner already stopped, changes nothing.
	if k.lost(k.next(), &fakeRunner{b: b}) {
		t.Error("a stale loss report took the device down")
	}
	step("stale report", headset)

	k.close()
	step("closed", "down")
	if len(b.running) != 0 {
		t.Errorf("%d devices running after close", len(b.running))
	}
}

// With nothing to open, retries back off to retryMax.
func TestKeeperBackoff(t *testing.T) {
	b := &fakeBackend{defaultWorks: true}
	k := newKeeper(b, "", quietLog())
	k.stallAfter = 0
	var reported runner
	report := func(r runner) { reported = r }
	now := time.Unix(0, 0)
	if err := k.open(now, report); err != nil {
		t.Fatal(err)
	}
	if !k.next().IsZero() {
		t.Error("without a headset configured, the default device is polled")
	}
	b.defaultWorks = false
	b.running[0].lost(b.running[0])
	k.lost(now, reported)

	var gaps []time.Duration
	for range 7 {
		at := k.next()
		gaps = append(gaps, at.Sub(now))
		now = at
		k.tick(now, report)
	}
	want := []time.Duration{200, 400, 800, 1600, 3200, 5000, 5000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(gaps, want) {
		t.Errorf("retry gaps %v, want %v", gaps, want)
	}
	b.defaultWorks = true
	if !k.tick(k.next(), report) || where(k) != "default" {
		t.Fatalf("device came back but keeper is %s", where(k))
	}
	// A later loss starts from retryMin again.
	b.running[0].lost(b.running[0])
	k.lost(now, reported)
	if got := k.next().Sub(now); got != retryMin {
		t.Errorf("after a success the first retry waits %v, want %v", got, retryMin)
	}
}

// A headset that is listed but will not open yet leaves the stream on the
// default device, and the next poll tries again.
func TestKeeperHeadsetSettling(t *testing.T) {
	b := &fakeBackend{defaultWorks: true}
	b.plug("Built-in Audio")
	k := newKeeper(b, "USB Headset", quietLog())
	k.stallAfter = 0
	report := func(runner) {}
	now := time.Unix(0, 0)
	if err := k.open(now, report); err != nil {
		t.Fatal(err)
	}
	if where(k) != "default" {
		t.Fatalf("open without the headset: %s", where(k))
	}
	b.plug("USB Headset")
	b.failNext = 2 // the switch, and open's own try of the headset
	now = k.next()
	k.tick(now, report)
	if where(k) != "default" {
		t.Fatalf("after a failed switch: %s, want default", where(k))
	}
	if !k.next().Equal(now.Add(pollEvery)) {
		t.Errorf("next poll at %v, want %v", k.next(), now.Add(pollEvery))
	}
	k.tick(k.next(), report)
	if where(k) != "USB Headset" {
		t.Errorf("second poll: %s, want the headset", where(k))
	}
}

// A card that vanishes without a stop report is caught by the watchdog:
// no callback for stallAfter counts as lost.
func TestKeeperStall(t *testing.T) {
	b := &fakeBackend{defaultWorks: true}
	b.plug("Built-in Audio")
	b.plug("USB Headset")
	k := newKeeper(b, "USB Headset", quietLog())
	report := func(runner) { t.Error("unexpected loss report") }
	now := time.Unix(0, 0)
	if err := k.open(now, report); err != nil {
		t.Fatal(err)
	}
	// Callbacks flowing: every check passes.
	for range 3 {
		if want := now.Add(stallAfter); !k.next().Equal(want) {
			t.Fatalf("watchdog at %v, want %v", k.next(), want)
		}
		now = k.next()
		if k.tick(now, report) || where(k) != "USB Headset" {
			t.Fatalf("a device with callbacks was taken down: %s", where(k))
		}
	}
	b.vanish("USB Headset")
	now = k.next()
	if !k.tick(now, report) || where(k) != "down" {
		t.Fatalf("a stalled device is still %s", where(k))
	}
	k.tick(k.next(), report)
	if where(k) != "default" {
		t.Errorf("after the stall: %s, want default", where(k))
	}
	// On the default device both the watchdog and the poll run; next is
	// the earlier (the watchdog, at stallAfter < pollEvery).
	if got, want := k.next(), now.Add(retryMin+stallAfter); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got, want)
	}
}

func TestKeeperNothingToOpen(t *testing.T) {
	k := newKeeper(&fakeBackend{}, "x", quietLog())
	if err := k.open(time.Unix(0, 0), func(runner) {}); err == nil {
		t.Error("open with no device succeeded")
	}
}

// runningOn lists what b runs, "" for the default device.
func (b *fakeBackend) runningOn() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var names []string
	for _, r := range b.running {
		names = append(names, r.name)
	}
	return names
}
