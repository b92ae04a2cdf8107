//go:build !cgo

package srtppeer

import "testing"

// Without cgo the libsrtp peer cannot be built; fail loudly rather than
// skip the interop tests.
func TestInteropNeedsCgo(t *testing.T) {
	t.Fatal("the libsrtp interop tests need cgo: build with CGO_ENABLED=1, gcc and libsrtp2-dev (make deps)")
}
