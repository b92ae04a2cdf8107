package lines

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/protocols/testline"
)

var fast = testline.Timing{Ring: time.Millisecond, Answer: time.Millisecond, CallBack: time.Millisecond}

func next(t *testing.T, m *Mux) call.Event {
	t.Helper()
	select {
	case ev := <-m.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return nil
}

// Two real test-line drivers behind one mux: each call's commands must go
// to the driver that owns it, and unknown targets are refused clearly.
func TestRoutesByTargetAndOwner(t *testing.T) {
	defer goleak.VerifyNone(t)
	echo, ring := testline.New(fast), testline.New(fast)
	defer echo.Close()
	defer ring.Close()
	m := New(
		Route{Name: "echo", Line: echo, Takes: func(s string) bool { return s == testline.Echo }},
		Route{Name: "ringback", Line: ring, Takes: func(s string) bool { return s == testline.Ringback }},
	)
	defer m.Close()

	if _, err := m.Dial("sip:bob@example.org"); err == nil || !strings.Contains(err.Error(), "add a SIP account") {
		t.Fatalf("unroutable target: %v", err)
	}
	id, err := m.Dial(testline.Echo)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []call.Event{call.Ringing{ID: id}, call.Answered{ID: id}, call.Local{ID: id}} {
		if got := next(t, m); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v want %#v", got, want)
		}
	}
	if err := m.Hold(id, true); err != nil {
		t.Fatal(err)
	}
	if err := m.Hangup(id); err != nil {
		t.Fatal(err)
	}

	// The ringback driver's incoming call is owned by it.
	rid, _ := m.Dial(testline.Ringback)
	if ev := next(t, m); ev != (call.Ringing{ID: rid}) {
		t.Fatalf("got %#v", ev)
	}
	if _, ok := next(t, m).(call.Ended); !ok {
		t.Fatal("ringback did not hang up")
	}
	in, ok := next(t, m).(call.Incoming)
	if !ok {
		t.Fatal("no call back")
	}
	if err := m.Answer(in.ID); err != nil {
		t.Fatalf("answer routed wrong: %v", err)
	}
	if err := m.Answer("nobody"); err == nil {
		t.Fatal("unknown call accepted")
	}
}

func TestForgetsEndedCalls(t *testing.T) {
	echo := testline.New(fast)
	defer echo.Close()
	m := New(Route{Line: echo})
	defer m.Close()
	id, _ := m.Dial(testline.Echo)
	m.Hangup(id)
	if err := m.Hold(id, true); err == nil {
		t.Fatal("a hung-up call is still routed")
	}
	if len(m.owner) != 0 {
		t.Fatalf("owner map keeps %d calls", len(m.owner))
	}
}
