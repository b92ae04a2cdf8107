// Package srtppeer drives libsrtp2, the reference SRTP implementation that
// linphone and most SIP phones use, as an independent peer for media/rtp's
// interop tests. It is only imported by tests. It needs cgo and libsrtp2's
// headers: if the build says "Package libsrtp2 was not found", run
// `make deps` (or apt-get install libsrtp2-dev pkgconf gcc).
package srtppeer
