package otr_test

import (
	"fmt"
	"log"

	"github.com/padlock-phone/padlock/crypto/otr"
)

// Two conversations talking to each other through a pretend network: the
// caller owns the transport and just moves strings.
func Example() {
	newConv := func(tag uint32) *otr.Conversation {
		key, err := otr.GenerateKey(nil) // nil: crypto/rand
		if err != nil {
			log.Fatal(err)
		}
		c, err := otr.NewConversation(otr.Config{
			PrivateKey:   key,
			Policy:       otr.Policy{AllowV2: true, AllowV3: true, RequireEncryption: true},
			InstanceTag:  tag,
			FragmentSize: 1000,
		})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	alice, bob := newConv(0x100), newConv(0x200)

	// deliver hands messages to the other side until both are quiet.
	var deliver func(to, from *otr.Conversation, msgs []string)
	deliver = func(to, from *otr.Conversation, msgs []string) {
		for _, m := range msgs {
			text, reply, events, err := to.Receive(m)
			if err != nil {
				log.Fatal(err)
			}
			for _, e := range events {
				fmt.Println("event:", e.Kind)
			}
			if text != "" {
				fmt.Println("shown:", text)
			}
			deliver(from, to, reply)
		}
	}

	// With encryption required, Send holds the message and asks for OTR.
	out, err := alice.Send("hello, privately")
	fmt.Println(err == otr.ErrHeld, out)
	deliver(bob, alice, out)

	fmt.Println(alice.IsEncrypted(), bob.IsEncrypted())
	// Output:
	// true [?OTRv23?]
	// event: went secure
	// event: held messages sent
	// event: went secure
	// shown: hello, privately
	// true true
}
