package audio

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// readAsync starts a Read and returns where its result will arrive.
func readAsync(s Stream, frame []int16) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Read(frame) }()
	return done
}

func waitTimers(t *testing.T, clk *clockwork.FakeClock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := clk.BlockUntilContext(ctx, n); err != nil {
		t.Fatalf("waiting for %d timers: %v", n, err)
	}
}

func TestNullPacing(t *testing.T) {
	clk := clockwork.NewFakeClock()
	s, err := NewNull(clk).Open(8000)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = 1
	}

	// The first frame is ready 20 ms after Open, not before.
	got := readAsync(s, frame)
	waitTimers(t, clk, 1)
	clk.Advance(19 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("Read returned %v after 19 ms", err)
	default:
	}
	clk.Advance(time.Millisecond)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	for _, v := range frame {
		if v != 0 {
			t.Fatal("null capture is not silence")
		}
	}

	// A reader 60 ms late gets the three frames it missed at once, then
	// waits again.
	clk.Advance(60 * time.Millisecond)
	for i := range 3 {
		select {
		case err := <-readAsync(s, frame):
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("late frame %d blocked", i)
		}
	}
	got = readAsync(s, frame)
	waitTimers(t, clk, 1)
	clk.Advance(20 * time.Millisecond)
	if err := <-got; err != nil {
		t.Fatal(err)
	}

	// A reader far behind (past maxLag) skips ahead instead of bursting.
	clk.Advance(time.Second)
	if err := s.Read(frame); err != nil {
		t.Fatal(err)
	}
	got = readAsync(s, frame)
	waitTimers(t, clk, 1)
	clk.Advance(20 * time.Millisecond)
	if err := <-got; err != nil {
		t.Fatal(err)
	}

	if err := s.Write(frame); err != nil {
		t.Errorf("Write: %v", err)
	}
	if err := s.Write(frame[:100]); err == nil {
		t.Error("Write of a short frame succeeded")
	}

	// Close unblocks a waiting Read.
	got = readAsync(s, frame)
	waitTimers(t, clk, 1)
	s.Close()
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
	if err := s.Write(frame); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestOpenSpecs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec, name string
		ok         bool
	}{
		{"null", "null", true},
		{"file:" + dir, "file:" + dir, true},
		{"file:" + dir + ",loop", "file:" + dir, true},
		{"file:", "", false},
		{"file:/nonexistent/dir", "", false},
		{"null:x", "", false},
		{"pulse", "", false},
		{"", "", false},
	} {
		d, err := Open(tc.spec)
		if (err == nil) != tc.ok {
			t.Errorf("Open(%q) error %v, want ok=%v", tc.spec, err, tc.ok)
			continue
		}
		if err == nil {
			if d.Name() != tc.name {
				t.Errorf("Open(%q).Name() = %q, want %q", tc.spec, d.Name(), tc.name)
			}
			d.Close()
		}
	}
	if _, err := NewNull(clockwork.NewFakeClock()).Open(44100); err == nil {
		t.Error("Open(44100) succeeded; calls run at 8000 or 16000")
	}
}
