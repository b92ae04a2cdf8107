package jingleline

import "github.com/padlock-phone/padlock/protocols/xmpp"

// An account's *xmpp.Client is what the line rides on.
var _ Client = (*xmpp.Client)(nil)
