// Package otr is an Off-the-Record Messaging engine (protocol version 3,
// compatible with version 2) that never touches the network: text in, text
// and events out.
//
// A Conversation holds the state for one correspondent. Every message that
// arrives from the correspondent goes through Receive; every message the
// user types goes through Send. Both return the strings to put on the wire.
// The engine owns no clock and no socket; randomness comes from Config.Rand.
//
// Protocol reference: "Off-the-Record Messaging Protocol version 3"
// (Protocol-v3.html in the libotr repository).
package otr
