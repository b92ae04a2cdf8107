package zrtp

import "fmt"

// b32Alphabet is the base32 alphabet of RFC 6189 §5.1.6, chosen so that
// the characters are easy to tell apart when read aloud.
const b32Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"

// RenderSAS renders the 32-bit sasvalue for a SAS type (RFC 6189 §5.1.6):
//   - B32: the leftmost 20 bits as 4 base32 characters, e.g. "dqsr";
//   - B256: the leftmost 16 bits as two PGP words, an even word for the
//     first byte and an odd word for the second, separated by a space,
//     e.g. "aardvark adroitness".
func RenderSAS(sasType Algo, sasValue uint32) (string, error) {
	switch sasType {
	case SASB32:
		var out [4]byte
		for i := range out {
			out[i] = b32Alphabet[(sasValue>>(27-5*i))&31]
		}
		return string(out[:]), nil
	case SASB256:
		return pgpWordsEven[sasValue>>24] + " " + pgpWordsOdd[(sasValue>>16)&0xff], nil
	}
	return "", fmt.Errorf("zrtp: SAS type %q not implemented", sasType)
}
