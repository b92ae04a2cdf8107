//go:build !linux

package webadmin

// diskSpace is not known off Linux (the phone runs Linux).
func diskSpace(string) (free, total int64, ok bool) { return 0, 0, false }
