// Package sip is the phone's SIP driver: one user agent per account
// (REGISTER with digest auth, refreshed and retried), calls as INVITE
// dialogs with SDP offer/answer, hold and resume by re-INVITE. It implements
// the phone's Telephony interface on top of github.com/emiago/sipgo; the RTP
// side is someone else's job, reached through the Media interface.
package sip
