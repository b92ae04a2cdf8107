package testline

import (
	"reflect"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/padlock-phone/padlock/call"
)

var fast = Timing{Ring: time.Millisecond, Answer: time.Millisecond, CallBack: time.Millisecond}

func next(t *testing.T, l *Lines) call.Event {
	t.Helper()
	select {
	case ev := <-l.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return nil
}

func TestEcho(t *testing.T) {
	defer goleak.VerifyNone(t)
	l := New(fast)
	defer l.Close()
	id, err := l.Dial(" Echo ")
	if err != nil {
		t.Fatal(err)
	}
	want := []call.Event{call.Ringing{ID: id}, call.Answered{ID: id}, call.Local{ID: id}}
	for _, w := range want {
		if got := next(t, l); !reflect.DeepEqual(got, w) {
			t.Fatalf("got %#v, want %#v", got, w)
		}
	}
	if err := l.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	if err := l.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if err := l.Hangup(id); err == nil {
		t.Fatal("second hangup of the same call accepted")
	}
}

func TestRingbackCallsBack(t *testing.T) {
	defer goleak.VerifyNone(t)
	l := New(fast)
	defer l.Close()
	id, _ := l.Dial(Ringback)
	if ev := next(t, l); ev != (call.Ringing{ID: id}) {
		t.Fatalf("got %#v", ev)
	}
	if ev, ok := next(t, l).(call.Ended); !ok || ev.ID != id {
		t.Fatalf("got %#v", ev)
	}
	in, ok := next(t, l).(call.Incoming)
	if !ok || in.ID == id {
		t.Fatalf("no call back: %#v", in)
	}
	if err := l.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, l); ev != (call.Answered{ID: in.ID}) {
		t.Fatalf("got %#v", ev)
	}
	if err := l.Answer(in.ID); err == nil {
		t.Fatal("answered twice")
	}
}

func TestRefusals(t *testing.T) {
	l := New(fast)
	if _, err := l.Dial("sip:bob@example.org"); err == nil {
		t.Fatal("dialled a real number on the test line")
	}
	if err := l.Answer("nope"); err == nil {
		t.Fatal("answered an unknown call")
	}
	id, _ := l.Dial(Echo)
	if err := l.SetVerified(id, true); err == nil {
		t.Fatal("verified a test call")
	}
	l.Close()
	if _, err := l.Dial(Echo); err == nil {
		t.Fatal("dial after close")
	}
	select {
	case ev := <-l.Events():
		t.Fatalf("event after close: %#v", ev)
	case <-time.After(20 * time.Millisecond):
	}
}
