//go:build !cgo

package bzrtppeer

import "testing"

// Without cgo the bzrtp peer cannot be built; fail loudly rather than
// skip the interop tests.
func TestInteropNeedsCgo(t *testing.T) {
	t.Fatal("the bzrtp interop tests need cgo: build with CGO_ENABLED=1, gcc and libbzrtp-dev (make deps)")
}
