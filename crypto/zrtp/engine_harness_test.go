package zrtp

import (
	mrand "math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// endpoint is one engine and everything it reported.
type endpoint struct {
	name     string
	e        *Engine
	secured  []Secured
	failed   []Failed
	mismatch []CacheMismatch
	updates  []CacheUpdate
	sent     []MessageType
	receive  []ReceiveKeys
	// receiveAt is how many messages had been sent when ReceiveKeys came.
	receiveAt int
}

func (p *endpoint) collect(out []Output) (packets [][]byte) {
	for _, o := range out {
		switch o := o.(type) {
		case Send:
			packets = append(packets, o.Packet)
			pk, err := ParsePacket(o.Packet)
			if err != nil {
				panic("engine sent a bad packet: " + err.Error())
			}
			typ, _ := TypeOf(pk.Message)
			p.sent = append(p.sent, typ)
		case Secured:
			p.secured = append(p.secured, o)
		case Failed:
			p.failed = append(p.failed, o)
		case CacheMismatch:
			p.mismatch = append(p.mismatch, o)
		case CacheUpdate:
			p.updates = append(p.updates, o)
		case ReceiveKeys:
			p.receive = append(p.receive, o)
			p.receiveAt = len(p.sent)
		}
	}
	return packets
}

func (p *endpoint) done() bool { return len(p.secured) > 0 || len(p.failed) > 0 }

// flight is a packet on the simulated wire.
type flight struct {
	to  *endpoint
	pkt []byte
}

// link runs two endpoints against each other on a simulated clock. drop,
// if set, is asked about every packet and can lose it; tamper can change it.
type link struct {
	t      testing.TB
	a, b   *endpoint
	now    time.Time
	drop   func(from *endpoint, typ MessageType) bool
	tamper func(from *endpoint, typ MessageType, pkt []byte) []byte
	errs   []error // Receive errors (dropped packets), for inspection
	// chaos, if set, delivers queued packets in random order, loses
	// lossPct and duplicates dupPct percent of them.
	chaos           *mrand.Rand
	lossPct, dupPct int
	// settle keeps the link running after both endpoints are done, until
	// the wire is empty and no timer runs (Error resends, ErrorACKs).
	settle bool
}

func newEndpoint(t testing.TB, name string, cfg Config) *endpoint {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	return &endpoint{name: name, e: e}
}

func (l *link) other(p *endpoint) *endpoint {
	if p == l.a {
		return l.b
	}
	return l.a
}

func (l *link) emit(from *endpoint, out []Output, queue []flight) []flight {
	for _, pkt := range from.collect(out) {
		pk, _ := ParsePacket(pkt)
		typ, _ := TypeOf(pk.Message)
		if l.drop != nil && l.drop(from, typ) {
			continue
		}
		if l.tamper != nil {
			pkt = l.tamper(from, typ, pkt)
		}
		queue = append(queue, flight{to: l.other(from), pkt: pkt})
	}
	return queue
}

// run starts both engines and delivers packets in order, advancing the
// clock to the next timer whenever the wire is empty, until both are done.
func (l *link) run() {
	l.now = t0
	var queue []flight
	queue = l.emit(l.a, l.a.e.Start(l.now), queue)
	queue = l.emit(l.b, l.b.e.Start(l.now), queue)
	for steps := 0; steps < 10000; steps++ {
		if l.a.done() && l.b.done() && !l.settle {
			return
		}
		if len(queue) > 0 {
			i := 0
			if l.chaos != nil {
				i = l.chaos.IntN(len(queue))
			}
			f := queue[i]
			queue = append(queue[:i], queue[i+1:]...)
			if l.chaos != nil {
				if l.chaos.IntN(100) < l.lossPct {
					continue
				}
				if l.chaos.IntN(100) < l.dupPct {
					queue = append(queue, f)
				}
			}
			out, err := f.to.e.Receive(f.pkt, l.now)
			if err != nil {
				l.errs = append(l.errs, err)
			}
			queue = l.emit(f.to, out, queue)
			continue
		}
		next, ok := time.Time{}, false
		for _, p := range []*endpoint{l.a, l.b} {
			if d, on := p.e.Deadline(); on && (!ok || d.Before(next)) {
				next, ok = d, true
			}
		}
		if !ok {
			return // nothing more will happen
		}
		l.now = next
		queue = l.emit(l.a, l.a.e.Tick(l.now), queue)
		queue = l.emit(l.b, l.b.e.Tick(l.now), queue)
	}
	l.t.Fatal("exchange did not settle in 10000 steps")
}

// testConfig is a deterministic configuration for endpoint n.
func testConfig(n byte) Config {
	var zid [12]byte
	for i := range zid {
		zid[i] = n
	}
	return Config{ZID: zid, ClientID: "Padlock test", SSRC: uint32(n) << 24, Rand: detRand(uint64(n))}
}

// memCache is an in-memory ZID cache fed by CacheUpdate events.
type memCache map[[12]byte]CachedSecrets

func (c memCache) Lookup(zid [12]byte) (CachedSecrets, bool, error) {
	s, ok := c[zid]
	return s, ok, nil
}

func (c memCache) apply(updates []CacheUpdate) {
	for _, u := range updates {
		c[u.PeerZID] = u.Secrets
	}
}
