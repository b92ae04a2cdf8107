// Package zrtp is a sans-I/O ZRTP engine (RFC 6189): bytes and clock ticks
// in, packets to send, events and SRTP keys out.
//
// The package has three layers:
//   - the wire codec (packet.go, message.go, messages.go): ZRTP packet
//     framing with its CRC-32C trailer and every message of RFC 6189 §5;
//   - the crypto primitives (kdf.go, keyagreement.go, confirm.go,
//     hashchain.go, sas.go): hash chain and message MACs, the KDF, s0 and
//     the derived keys, Diffie-Hellman (DH3k, EC25, EC38, X255), the
//     Confirm encryption and the SAS renderings B32 and B256;
//   - the protocol engine (engine.go): DH mode key agreement between two
//     endpoints, with retransmission timers, Commit contention, hash-chain
//     and MAC checks, and the retained-secret cache.
//
// The engine never touches sockets or clocks: the caller feeds it received
// packets and the current time, sends the packets it returns, and acts on
// its events.
package zrtp
