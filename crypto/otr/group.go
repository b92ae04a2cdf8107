package otr

import "math/big"

// The Diffie-Hellman group of OTR: the 1536-bit MODP group of RFC 3526
// (group 5), generator 2. SMP uses the same group and its prime-order
// subgroup of order q = (p-1)/2.
var (
	dhPrime, _ = new(big.Int).SetString(""+
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"+
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"+
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"+
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"+
		"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"+
		"83655D23DCA3AD961C62F356208552BB9ED529077096966D"+
		"670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF", 16)
	dhGenerator = big.NewInt(2)
	dhOrder     = new(big.Int).Rsh(dhPrime, 1) // (p-1)/2, p being odd
	dhPMinus2   = new(big.Int).Sub(dhPrime, big.NewInt(2))
)

// isGroupElement reports whether v is an acceptable public value: 2 <= v <=
// p-2, which rules out 0, 1 and p-1 (the small-subgroup values).
func isGroupElement(v *big.Int) bool {
	return v != nil && v.Cmp(dhGenerator) >= 0 && v.Cmp(dhPMinus2) <= 0
}
