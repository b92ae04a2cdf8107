package sip_test

import (
	"context"
	"log"

	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/protocols/sip"
)

// The appliance wires one Driver for all SIP accounts into the phone brain;
// registration changes become phone.AccountStatus events.
func ExampleNew() {
	ctx := context.Background()
	var media sip.Media // the RTP side (media/rtp)
	var p *phone.Phone
	d, err := sip.New(sip.Config{
		Accounts: []sip.Account{
			{User: "alice", Password: "secret", Domain: "example.org"},
			{User: "alice", Password: "other", Domain: "office.example", Transport: "tls"},
		},
		Media: media,
		OnStatus: func(s sip.AccountStatus) {
			if s.Err != nil {
				log.Printf("%s: %v", s.Account, s.Err) // e.g. "registrar answered 401: wrong password for alice@example.org"
			}
			p.Post(ctx, phone.AccountStatus{Account: s.Account, Registered: s.Registered})
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	p = phone.New(phone.Config{Telephony: d})
	d.Start()
	go p.Run(ctx)
}
