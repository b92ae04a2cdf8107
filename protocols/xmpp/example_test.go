package xmpp_test

import (
	"context"
	"log"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/protocols/xmpp"
)

// A phone account's life: log in, follow its events, answer a subscription
// request and a message.
func ExampleDial() {
	fp, err := fingerprint.Parse("3A:...pinned in the web admin...")
	if err != nil {
		log.Print(err) // a self-signed server needs its fingerprint pinned
	}
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, xmpp.Config{
		JID:               "alice@example.org",
		Password:          []byte("from the vault"),
		PinnedFingerprint: fp,
	})
	if err != nil {
		log.Fatal(err) // e.g. "wrong password for alice@example.org"
	}
	defer c.Close()
	for ev := range c.Events() {
		switch ev := ev.(type) {
		case xmpp.SubscriptionRequest:
			c.Authorize(ctx, ev.From)
		case xmpp.Message:
			c.SendChat(ctx, ev.From, "got it")
		case xmpp.Disconnected:
			if ev.GaveUp {
				log.Printf("account needs attention: %v", ev.Err)
				return
			}
		}
	}
}
