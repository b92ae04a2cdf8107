package rtp

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A jitter buffer script: "i5" inserts seq 5 at the current time, "n"
// calls Next and records its outcome (P5 for packet 5 played, L lost, W
// wait, S silent), "t20" advances the clock 20 ms, "j30" sets the jitter
// to 30 ms.
func runJitterScript(t *testing.T, script string) (string, *JitterBuffer) {
	t.Helper()
	j := NewJitterBuffer(FrameDuration, 8000)
	clk := newFakeClock()
	var got []string
	for _, op := range strings.Fields(script) {
		var n int
		if len(op) > 1 {
			if _, err := fmt.Sscan(op[1:], &n); err != nil {
				t.Fatalf("bad op %q", op)
			}
		}
		switch op[0] {
		case 'i':
			r := j.Insert(uint16(n), uint32(n)*160, []byte{byte(n), byte(n >> 8)}, false, clk.now())
			switch r {
			case Late:
				got = append(got, "late")
			case Duplicate:
				got = append(got, "dup")
			case Resync:
				got = append(got, "resync")
			}
		case 's':
			j.Insert(uint16(n), 0, nil, true, clk.now())
		case 'n':
			p, st := j.Next(clk.now())
			switch st {
			case Play:
				got = append(got, fmt.Sprintf("P%d", uint16(p[0])|uint16(p[1])<<8))
			case Lost:
				got = append(got, "L")
			case Wait:
				got = append(got, "W")
			case Silent:
				got = append(got, "S")
			}
		case 't':
			clk.advance(time.Duration(n) * time.Millisecond)
		case 'j':
			j.SetJitter(time.Duration(n) * time.Millisecond)
		default:
			t.Fatalf("bad op %q", op)
		}
	}
	return strings.Join(got, " "), j
}

func TestJitterBuffer(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{"empty waits", "n t20 n", "W W"},
		{"in order", "i1 n i2 n i3 n", "P1 P2 P3"},
		{"reorder before playout", "i2 i1 n n i4 i3 n n", "P1 P2 P3 P4"},
		{"loss concealed", "i1 n i3 n n", "P1 L P3"},
		{"duplicate dropped", "i1 i2 i2 n n", "dup P1 P2"},
		{"late dropped", "i1 n i3 n n i2", "P1 L P3 late"},
		{"underrun waits, then refills", "i1 n n t20 i2 n", "P1 W P2"},
		{"silent placeholder", "i1 n s2 n i3 n", "P1 S P3"},
		{"sequence wrap", "i65534 n i65535 n i0 n i1 n", "P65534 P65535 P0 P1"},
		{"jump ahead resyncs", "i1 n i500 n", "P1 resync P500"},
		{"restart far behind resyncs", "i5000 n i5001 n i7 n", "P5000 P5001 resync P7"},
		// Jitter 20 ms raises the target to 60 ms: three packets or 60
		// ms of waiting before the first is played.
		{"high jitter buffers deeper", "j20 i1 n t20 i2 n t20 i3 n n", "W W P1 P2"},
		{"buffering gives up waiting at the target", "j20 i1 n t60 n", "W P1"},
		// Too deep (target 20 ms + two packets): the oldest is skipped.
		{"excess delay trimmed", "i1 i2 i3 i4 i5 n n", "P2 P3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := runJitterScript(t, tt.script)
			if got != tt.want {
				t.Errorf("script %q:\n got %q\nwant %q", tt.script, got, tt.want)
			}
		})
	}
}

func TestJitterBufferLateRaisesTarget(t *testing.T) {
	_, j := runJitterScript(t, "i1 n i3 n n i2")
	if got := j.Stats().Target; got != 40*time.Millisecond {
		t.Errorf("target after a late packet = %v, want 40ms", got)
	}
	j.SetJitter(time.Second)
	if got := j.Stats().Target; got != 60*time.Millisecond {
		t.Errorf("target with 1 s jitter = %v, want the 60ms ceiling", got)
	}
}

func TestJitterBufferTooBig(t *testing.T) {
	j := NewJitterBuffer(FrameDuration, 8000)
	if r := j.Insert(1, 160, make([]byte, maxPayload+1), false, time.Now()); r != TooBig {
		t.Errorf("Insert of %d bytes = %v, want TooBig", maxPayload+1, r)
	}
}
