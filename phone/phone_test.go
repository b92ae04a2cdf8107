package phone

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/hw"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeLine is the in-memory Telephony of these tests: it records what the
// phone asked and lets the test report call events.
type fakeLine struct {
	mu     sync.Mutex
	calls  []string
	events chan call.Event
	refuse error
	// hangupDone, when set, keeps Hangup from returning until it closes.
	hangupDone chan struct{}
}

func newFakeLine() *fakeLine { return &fakeLine{events: make(chan call.Event, 8)} }

func (f *fakeLine) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.refuse
}

func (f *fakeLine) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeLine) Dial(target string) (call.ID, error) {
	return "out1", f.record("dial " + target)
}
func (f *fakeLine) Answer(id call.ID) error { return f.record("answer " + string(id)) }
func (f *fakeLine) Reject(id call.ID, why call.RejectReason) error {
	return f.record(fmt.Sprintf("reject %s %s", id, why))
}
func (f *fakeLine) Hangup(id call.ID) error {
	err := f.record("hangup " + string(id))
	if f.hangupDone != nil {
		<-f.hangupDone
	}
	return err
}
func (f *fakeLine) Hold(id call.ID, on bool) error {
	return f.record(fmt.Sprintf("hold %s %v", id, on))
}
func (f *fakeLine) SetVerified(id call.ID, v bool) error {
	return f.record(fmt.Sprintf("verified %s %v", id, v))
}
func (f *fakeLine) Events() <-chan call.Event { return f.events }

type fakeBoard struct {
	presses chan hw.Press
	mu      sync.Mutex
	lamps   Lamps
}

func (b *fakeBoard) Presses() <-chan hw.Press { return b.presses }
func (b *fakeBoard) SetLamp(l hw.Lamp, p hw.Pattern) {
	b.mu.Lock()
	b.lamps[l] = p
	b.mu.Unlock()
}
func (b *fakeBoard) get() Lamps {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lamps
}

type fakeVoice struct {
	mu   sync.Mutex
	said []string
}

func (v *fakeVoice) Ring(on bool, caller string) { v.add(fmt.Sprint("ring ", on, " ", caller)) }
func (v *fakeVoice) Waiting(on bool)             { v.add(fmt.Sprint("waiting ", on)) }
func (v *fakeVoice) SaySAS(leg int, s string) {
	if leg > 0 {
		v.add(fmt.Sprintf("caller %d: ", leg))
	}
	v.add("sas " + s)
}
func (v *fakeVoice) Announce(a Announcement) { v.add(fmt.Sprint("announce ", a)) }
func (v *fakeVoice) SayFavourite(f Favourite) {
	v.add(fmt.Sprint("favourite ", f.Position, " ", f.Name))
}
func (v *fakeVoice) add(s string) {
	v.mu.Lock()
	v.said = append(v.said, s)
	v.mu.Unlock()
}
func (v *fakeVoice) log() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.said...)
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestLoopIncomingSecuredVerifiedHangup(t *testing.T) {
	line, board, voice := newFakeLine(), &fakeBoard{presses: make(chan hw.Press)}, &fakeVoice{}
	p := New(Config{Board: board, Telephony: line, Voice: voice, TickEvery: 5 * time.Millisecond, Initial: State{VaultLocked: true}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()

	eventually(t, "vault lamp", func() bool { return board.get()[hw.Alert] == hw.Blink })
	p.Post(ctx, VaultLocked{Locked: false})
	line.events <- call.Incoming{ID: "in1", From: "alice@example.org"}
	eventually(t, "ringing lamp", func() bool { return board.get()[hw.Status] == hw.FastBlink })
	eventually(t, "ring", func() bool { return contains(voice.log(), "ring true alice@example.org") })
	if p.State().Current().Remote != "alice@example.org" {
		t.Fatalf("ringing: %+v %v", p.State().Current(), voice.log())
	}
	watch, stop := p.Watch()
	defer stop()

	board.presses <- hw.Press{Button: hw.Answer}
	eventually(t, "answer", func() bool { return contains(line.log(), "answer in1") })
	line.events <- call.Answered{ID: "in1"}
	line.events <- call.SecurityNegotiating{ID: "in1"}
	line.events <- call.Secured{ID: "in1", SAS: "ybe8"}
	eventually(t, "lock blink", func() bool { return board.get()[hw.Lock] == hw.Blink })
	select {
	case <-watch:
	case <-time.After(5 * time.Second):
		t.Fatal("watchers not woken")
	}
	// The lamps show the new state before the voice acts on it.
	eventually(t, "SAS read aloud", func() bool { return contains(voice.log(), "sas ybe8") })
	board.presses <- hw.Press{Button: hw.SAS, Long: true}
	eventually(t, "lock on", func() bool { return board.get()[hw.Lock] == hw.On })
	eventually(t, "verified flag passed to the line", func() bool { return contains(line.log(), "verified in1 true") })
	// A second call waits: the soft tone, STATUS blinks fast, LOCK keeps
	// showing the call going on; HANGUP turns it away, then ends the first.
	line.events <- call.Incoming{ID: "in2", From: "mallory"}
	eventually(t, "waiting tone", func() bool { return contains(voice.log(), "waiting true") })
	eventually(t, "waiting lamps", func() bool { return board.get() == Lamps{hw.On, hw.Off, hw.FastBlink} })
	board.presses <- hw.Press{Button: hw.Hangup}
	eventually(t, "declined", func() bool { return contains(line.log(), "reject in2 declined") })
	if contains(line.log(), "hangup in1") || !contains(voice.log(), "waiting false") {
		t.Fatalf("HANGUP on a waiting call: %v %v", line.log(), voice.log())
	}
	board.presses <- hw.Press{Button: hw.Hangup}
	eventually(t, "hangup", func() bool { return contains(line.log(), "hangup in1") })
	eventually(t, "idle after linger", func() bool { return p.State().Current().Status == Idle })
	if got := p.State(); got.Missed != 0 || got.Calls != nil {
		t.Errorf("after both calls: missed = %d, calls %+v", got.Missed, got.Calls)
	}
	if board.get() != (Lamps{}) {
		t.Errorf("lamps after the call: %v", board.get())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := p.Post(context.Background(), Tick{}); !errors.Is(err, ErrStopped) && err != nil {
		t.Fatalf("Post after stop: %v", err)
	}
}

// TestLoopShowsHangupWhileTheLineIsSlow: the line takes its time to hang
// up (the appliance's closes the call's media and flushes the headset's
// files, seconds on a busy disk); meanwhile the state and the lamps
// already show the call ended, as the person who pressed HANGUP expects.
func TestLoopShowsHangupWhileTheLineIsSlow(t *testing.T) {
	line, board := newFakeLine(), &fakeBoard{presses: make(chan hw.Press)}
	line.hangupDone = make(chan struct{})
	p := New(Config{Board: board, Telephony: line, TickEvery: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	line.events <- call.Incoming{ID: "in1", From: "alice@example.org"}
	eventually(t, "ringing", func() bool { return p.State().Current().Status == RingingIn })
	board.presses <- hw.Press{Button: hw.Answer}
	line.events <- call.Answered{ID: "in1"}
	line.events <- call.Secured{ID: "in1", SAS: "ybe8"}
	eventually(t, "lock blink", func() bool { return board.get()[hw.Lock] == hw.Blink })
	board.presses <- hw.Press{Button: hw.Hangup}
	eventually(t, "hangup asked", func() bool { return contains(line.log(), "hangup in1") })
	eventually(t, "ended shown while the line hangs up", func() bool { return p.State().Current().Status == Ended })
	if l := board.get(); l[hw.Lock] != hw.Off {
		t.Errorf("LOCK lamp %v while the line hangs up, want off", l[hw.Lock])
	}
	close(line.hangupDone)
	eventually(t, "idle after linger", func() bool { return p.State().Current().Status == Idle })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLoopDriverRefusalEndsCall(t *testing.T) {
	line := newFakeLine()
	line.refuse = errors.New("registrar answered 403: wrong password for alice@example.org")
	p := New(Config{Telephony: line})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	if err := p.Post(ctx, Dial{Target: "bob"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ended", func() bool { return p.State().Current().Status == Ended })
	if r := p.State().Current().Reason; r != line.refuse.Error() {
		t.Errorf("reason %q", r)
	}
	cancel()
	<-done
}

func TestLoopWithoutLine(t *testing.T) {
	p := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	p.Post(ctx, Dial{Target: "bob"})
	eventually(t, "ended", func() bool { return p.State().Current().Status == Ended })
	if r := p.State().Current().Reason; r != "no telephone line is configured" {
		t.Errorf("reason %q", r)
	}
	cancel()
	<-done
}
