package otr

import (
	"encoding/binary"
	"math/big"
)

// The OTR wire data types (BYTE, SHORT, INT, MPI, DATA, CTR, MAC) are written
// with the append* helpers and read with a reader, which records the first
// short read instead of returning an error from every call.

const (
	ctrLen = 8  // CTR: top half of the AES-CTR initial counter
	macLen = 20 // MAC: HMAC output truncated (or SHA-1 sized) to 160 bits
)

func appendShort(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendInt(b []byte, v uint32) []byte   { return binary.BigEndian.AppendUint32(b, v) }

// appendMPI writes v as a minimum-length MPI (no leading zero bytes; zero is
// the empty value).
func appendMPI(b []byte, v *big.Int) []byte {
	n := (v.BitLen() + 7) / 8
	b = appendInt(b, uint32(n))
	b = append(b, make([]byte, n)...)
	v.FillBytes(b[len(b)-n:])
	return b
}

func appendData(b, d []byte) []byte {
	b = appendInt(b, uint32(len(d)))
	return append(b, d...)
}

// mpiBytes is the MPI encoding of v on its own (the "secbytes" and the
// gxmpi of the AKE).
func mpiBytes(v *big.Int) []byte { return appendMPI(nil, v) }

// reader reads OTR data types from a byte slice. After the first short read
// every further read returns zero values and ok() reports false.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) ok() bool    { return !r.bad }
func (r *reader) empty() bool { return len(r.b) == 0 }

func (r *reader) bytes(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte1() byte {
	v := r.bytes(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) short() uint16 {
	v := r.bytes(2)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint16(v)
}

func (r *reader) int4() uint32 {
	v := r.bytes(4)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

// data reads a DATA field. The length is checked against what is left
// before anything is allocated, so a hostile length costs nothing.
func (r *reader) data() []byte {
	n := r.int4()
	if r.bad || uint64(n) > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	return r.bytes(int(n))
}

// mpi reads an MPI. Leading zero bytes are accepted on input (libotr and
// others accept them too); everything this package writes is minimal.
func (r *reader) mpi() *big.Int {
	v := r.data()
	if r.bad {
		return nil
	}
	return new(big.Int).SetBytes(v)
}
