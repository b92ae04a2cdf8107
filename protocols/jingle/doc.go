// Package jingle is the signalling of voice calls with XMPP contacts:
// Jingle (XEP-0166) RTP sessions (XEP-0167) over the ICE-UDP transport
// (XEP-0176), with media security from ZRTP (XEP-0262's zrtp-hash) or
// DTLS-SRTP (XEP-0320's fingerprint and setup), rtcp-mux and a BUNDLE
// group (XEP-0338), as StanzaJS and other WebRTC clients expect, and Jingle
// Message Initiation (XEP-0353) so a call rings all of a contact's devices.
//
// It is sans-I/O: Parse and Engine.Receive take stanzas, and the engine
// returns events for the driver and stanzas to send. The XMPP session, the
// ICE agent and the media live elsewhere. Descriptions translate to the
// media/sdp words the call media shares with SIP (Media.Remote).
package jingle
