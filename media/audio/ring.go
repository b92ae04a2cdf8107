package audio

// ring is a bounded FIFO of samples that drops its oldest samples when
// pushed past its capacity. It is not safe for concurrent use; its owner
// locks around it.
type ring struct {
	buf   []int16
	start int // index of the oldest sample
	n     int // samples held
}

func newRing(capacity int) ring { return ring{buf: make([]int16, capacity)} }

func (r *ring) len() int { return r.n }

func (r *ring) reset() { r.start, r.n = 0, 0 }

// push appends s and returns how many old samples it dropped for room.
func (r *ring) push(s []int16) (dropped int) {
	c := len(r.buf)
	if len(s) > c {
		dropped += len(s) - c
		s = s[len(s)-c:]
	}
	if over := r.n + len(s) - c; over > 0 {
		r.start = (r.start + over) % c
		r.n -= over
		dropped += over
	}
	end := (r.start + r.n) % c
	k := copy(r.buf[end:], s)
	copy(r.buf, s[k:])
	r.n += len(s)
	return dropped
}

// pop moves the oldest len(dst) samples into dst, or as many as there
// are, and returns how many it moved.
func (r *ring) pop(dst []int16) int {
	m := min(len(dst), r.n)
	k := copy(dst[:m], r.buf[r.start:])
	copy(dst[k:m], r.buf)
	r.start = (r.start + m) % len(r.buf)
	r.n -= m
	return m
}

// discard drops the oldest n samples (all, if there are fewer).
func (r *ring) discard(n int) {
	n = min(n, r.n)
	r.start = (r.start + n) % len(r.buf)
	r.n -= n
}
