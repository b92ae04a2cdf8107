//go:build !cgo

package codec

import "errors"

// Without cgo there is no libopus: Formats leaves Opus out.
const opusBuiltIn = false

func newOpus(Format) (Codec, error) {
	return nil, errors.New("codec: Opus needs cgo and libopus (apt-get install libopus-dev), this build has neither")
}

func cgoNop() {}
