"""The audit: the Merkle tree, the seal, signed heads, verification, proofs and bundles."""
