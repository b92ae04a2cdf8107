package audio

import (
	"slices"
	"testing"
)

func TestRing(t *testing.T) {
	seq := func(from, n int) []int16 {
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(from + i)
		}
		return s
	}
	for _, tc := range []struct {
		name        string
		pushes      [][]int16
		wantDropped int
		want        []int16
	}{
		{"empty", nil, 0, []int16{}},
		{"fits", [][]int16{seq(0, 3), seq(3, 2)}, 0, seq(0, 5)},
		{"exactly full", [][]int16{seq(0, 4), seq(4, 4)}, 0, seq(0, 8)},
		{"drops oldest", [][]int16{seq(0, 6), seq(6, 5)}, 3, seq(3, 8)},
		{"one push too big", [][]int16{seq(0, 2), seq(2, 11)}, 5, seq(5, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRing(8)
			dropped := 0
			for _, p := range tc.pushes {
				dropped += r.push(p)
			}
			got := make([]int16, 10)
			got = got[:r.pop(got)]
			if dropped != tc.wantDropped || !slices.Equal(got, tc.want) {
				t.Errorf("dropped %d, got %v; want %d, %v", dropped, got, tc.wantDropped, tc.want)
			}
		})
	}
}

// Interleaved pushes and pops across the wrap keep order.
func TestRingWrap(t *testing.T) {
	r := newRing(7)
	next, want := int16(0), int16(0)
	buf := make([]int16, 5)
	for range 100 {
		in := []int16{next, next + 1, next + 2}
		next += 3
		if d := r.push(in); d != 0 {
			t.Fatalf("dropped %d", d)
		}
		n := r.pop(buf[:3])
		for _, s := range buf[:n] {
			if s != want {
				t.Fatalf("got %d, want %d", s, want)
			}
			want++
		}
	}
}

func TestRingDiscard(t *testing.T) {
	r := newRing(4)
	r.push([]int16{1, 2, 3})
	r.pop(make([]int16, 2)) // start moves, so the next push wraps
	r.push([]int16{4, 5, 6})
	r.discard(2)
	got := make([]int16, 4)
	if n := r.pop(got); !slices.Equal(got[:n], []int16{5, 6}) {
		t.Errorf("after discard: %v", got[:n])
	}
	r.discard(10)
	if r.len() != 0 {
		t.Errorf("len %d after discarding more than held", r.len())
	}
}
