package otr

import (
	"bytes"
	"errors"
	"math/big"
)

// TLV record types carried after the NUL in a Data message's plaintext.
const (
	tlvPadding      uint16 = 0
	tlvDisconnected uint16 = 1
	tlvSMP1         uint16 = 2
	tlvSMP2         uint16 = 3
	tlvSMP3         uint16 = 4
	tlvSMP4         uint16 = 5
	tlvSMPAbort     uint16 = 6
	tlvSMP1Q        uint16 = 7
	tlvExtraKey     uint16 = 8
)

// tlv is one type/length/value record.
type tlv struct {
	typ   uint16
	value []byte
}

var errBadTLV = errors.New("otr: malformed TLV records")

func appendTLV(b []byte, t tlv) []byte {
	b = appendShort(b, t.typ)
	b = appendShort(b, uint16(len(t.value)))
	return append(b, t.value...)
}

// parseTLVs parses a run of TLV records with nothing between or after them.
func parseTLVs(b []byte) ([]tlv, error) {
	var out []tlv
	r := &reader{b: b}
	for !r.empty() {
		typ := r.short()
		n := r.short()
		v := r.bytes(int(n))
		if !r.ok() {
			return out, errBadTLV
		}
		out = append(out, tlv{typ: typ, value: v})
	}
	return out, nil
}

// buildPlaintext joins the human-readable part and TLVs into a Data
// message plaintext: msg, then (only when there are TLVs) a NUL and the
// records.
func buildPlaintext(msg []byte, tlvs []tlv) []byte {
	b := append([]byte(nil), msg...)
	if len(tlvs) == 0 {
		return b
	}
	b = append(b, 0)
	for _, t := range tlvs {
		b = appendTLV(b, t)
	}
	return b
}

// splitPlaintext separates a decrypted Data message into its human-readable
// part and its TLVs. Malformed TLVs are an error, but the records before the
// damage and the human part are still returned.
func splitPlaintext(p []byte) ([]byte, []tlv, error) {
	i := bytes.IndexByte(p, 0)
	if i < 0 {
		return p, nil, nil
	}
	tlvs, err := parseTLVs(p[i+1:])
	return p[:i], tlvs, err
}

// maxSMPMPIs is the most MPIs any SMP message carries (message 2).
const maxSMPMPIs = 11

// encodeSMP writes the value of an SMP TLV: an INT count, then the MPIs.
func encodeSMP(mpis ...*big.Int) []byte {
	b := appendInt(nil, uint32(len(mpis)))
	for _, v := range mpis {
		b = appendMPI(b, v)
	}
	return b
}

// decodeSMP reads the value of an SMP TLV that must hold exactly want MPIs.
func decodeSMP(v []byte, want int) ([]*big.Int, error) {
	r := &reader{b: v}
	n := r.int4()
	if !r.ok() || n != uint32(want) {
		return nil, errBadTLV
	}
	out := make([]*big.Int, want)
	for i := range out {
		out[i] = r.mpi()
	}
	if !r.ok() || !r.empty() {
		return nil, errBadTLV
	}
	return out, nil
}

// splitSMP1Q separates the NUL-terminated question of an SMP message 1Q
// from the SMP message 1 value that follows it.
func splitSMP1Q(v []byte) (question string, rest []byte, err error) {
	i := bytes.IndexByte(v, 0)
	if i < 0 {
		return "", nil, errBadTLV
	}
	return string(v[:i]), v[i+1:], nil
}
