// Package sip is the phone's SIP driver: one user agent per account
// (REGISTER with digest auth, refreshed, pinged and retried), calls as
// INVITE dialogs with SDP offer/answer, hold and resume by re-INVITE. It
// implements the phone's Telephony interface on top of
// github.com/emiago/sipgo; the RTP side is someone else's job, reached
// through the Media interface.
//
// What sipgo v1.7.3 leaves to us, found by testing against kamailio and
// linphonec:
//
//   - In-dialog requests (re-INVITE, BYE, the ACK for a 2xx) are built here
//     from our own dialog state (dialog.go); sipgo's dialog helpers do not
//     cover a re-INVITE in either direction.
//   - A server transaction that sent a 2xx does not retransmit it: the
//     driver does, until the ACK, which arrives as a request of its own.
//   - Handlers must be registered before the socket is served (the handler
//     table is a plain map), and ServeUDP adds its socket to the connection
//     pool from its goroutine: requests sent before that bind a second one.
//   - A ClientRequestOption replaces sipgo's request building entirely, so
//     WithClientConnectionAddr no longer applies: we set Laddr ourselves so
//     UDP requests leave from the registered socket.
//   - Every incoming message is handled on its own goroutine, so a 180 sent
//     right before a 200 can be overtaken and dropped: Answered may come
//     without Ringing.
package sip
