package jingleline_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPadlockCall: whole calls between two Padlocks over prosody on
// loopback (XEP-0353 ring, session-initiate/accept, trickle, ICE, ZRTP).
// Reported: from Answer to the first Secured on the callee (the
// caller's is within a millisecond of it), and the CPU the test process
// (both phones, G.722 with SRTP both ways, file headsets) spends per
// second of an established call.
func BenchmarkPadlockCall(b *testing.B) {
	s := prosody.Start(b, prosody.Options{})
	s.Register(b, "alice", "alicepass")
	s.Register(b, "bob", "bobpass")
	alice := newPhone(b, s, "alice", 700)
	bob := newPhone(b, s, "bob", 1100)
	befriend(b, alice, bob)
	var secure time.Duration
	var cpu, wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id, err := alice.line.Dial("xmpp:" + bob.name)
		if err != nil {
			b.Fatal(err)
		}
		in := await(b, bob, func(ev call.Incoming) bool { return !ended(bob, ev.ID) })
		start := time.Now()
		bob.line.Answer(in.ID)
		await(b, bob, func(ev call.Secured) bool { return ev.ID == in.ID })
		secure += time.Since(start)
		c0, w0 := cpuTime(), time.Now()
		time.Sleep(2 * time.Second) // a measured run, not a wait for a condition
		cpu += cpuTime() - c0
		wall += time.Since(w0)
		alice.line.Hangup(id)
		await(b, bob, func(ev call.Ended) bool { return ev.ID == in.ID })
		await(b, alice, func(ev call.Ended) bool { return ev.ID == id })
	}
	b.ReportMetric(float64(secure.Microseconds())/1000/float64(b.N), "ms-answer-to-secured")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%CPU-in-call")
}
