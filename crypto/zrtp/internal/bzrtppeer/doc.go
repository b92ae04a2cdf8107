// Package bzrtppeer drives linphone's ZRTP library, bzrtp, as an
// independent peer for the zrtp engine's interop tests. It is only imported
// by tests. It needs cgo and bzrtp's headers: if the build says "Package
// libbzrtp was not found", run `make deps` (or apt-get install libbzrtp-dev
// pkgconf libsqlite3-dev).
package bzrtppeer
