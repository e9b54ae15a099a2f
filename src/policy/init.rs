//! Templates: `aksguard config init` and `aksguard attest init`.
