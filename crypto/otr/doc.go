// Package otr is an Off-the-Record Messaging engine (protocol version 3,
// compatible with version 2) that never touches the network: text in, text
// and events out.
//
// A Conversation holds the state for one correspondent. Every message that
// arrives from the correspondent goes through Receive; every message the
// user types goes through Send. Both return the strings to put on the wire.
// The engine owns no socket; randomness comes from Config.Rand and the only
// clock (for optional heartbeats) from Config.Now.
//
// Protocol reference: "Off-the-Record Messaging Protocol version 3"
// (Protocol-v3.html in the libotr repository). The tests check the engine
// against itself, against golang.org/x/crypto/otr (v2) and against libotr 4
// (v2 and v3, through testdata/libotr/peer.c).
//
// Where it differs from libotr 4 (both follow the spec, or the spec is
// silent): a Data message that arrives outside a private conversation is
// answered with an OTR Error Message as the spec says (libotr stays quiet);
// Config.ResendWindow resends only to the same correspondent key.
//
// Not implemented, on purpose or not yet:
//   - protocol version 1 (insecure; "?OTR?" alone is answered with nothing);
//   - keeping a session across a re-AKE that reuses the same D-H keys
//     (libotr's "still secure"): every completed AKE starts a new session
//     and reports WentSecure again.
package otr
