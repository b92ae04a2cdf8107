package rtp

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that every Stream's goroutines end with Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
