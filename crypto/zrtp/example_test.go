package zrtp_test

import (
	"fmt"
	"time"

	"github.com/padlock-phone/padlock/crypto/zrtp"
)

// Two engines talk through in-memory queues. A real caller sends Send
// packets on the RTP socket, feeds received ZRTP packets (zrtp.IsZRTP) to
// Receive, and calls Tick at Deadline.
func Example() {
	alice, _ := zrtp.New(zrtp.Config{ZID: [12]byte{1}, ClientID: "alice"})
	bob, _ := zrtp.New(zrtp.Config{ZID: [12]byte{2}, ClientID: "bob"})
	now := time.Now()
	secured := map[*zrtp.Engine]zrtp.Secured{}

	type packet struct {
		to  *zrtp.Engine
		pkt []byte
	}
	var wire []packet
	handle := func(from, to *zrtp.Engine, out []zrtp.Output) {
		for _, o := range out {
			switch o := o.(type) {
			case zrtp.Send:
				wire = append(wire, packet{to, o.Packet})
			case zrtp.Secured:
				secured[from] = o // o.Keys go to SRTP; o.SAS is read to the user
			case zrtp.Failed:
				fmt.Println("failed:", o.Err)
			}
		}
	}
	handle(alice, bob, alice.Start(now))
	handle(bob, alice, bob.Start(now))
	for len(wire) > 0 {
		p := wire[0]
		wire = wire[1:]
		from := alice
		if p.to == alice {
			from = bob
		}
		out, _ := p.to.Receive(p.pkt, now) // an error means the packet was dropped
		handle(p.to, from, out)
	}
	a, b := secured[alice], secured[bob]
	fmt.Println("same SAS:", a.SAS == b.SAS, len(a.SAS), "characters")
	fmt.Println("verified on first call:", a.Verified)
	// Output:
	// same SAS: true 4 characters
	// verified on first call: false
}
