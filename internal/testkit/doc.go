// Package testkit is the room for what Padlock's tests share: one tone
// writer and detector (testkit/tone), one port allocator (testkit/ports)
// and the web-admin steps every end-to-end test takes (testkit/admin).
// Nothing here is part of the phone; only tests import it.
package testkit
