//! The configuration file (`.aksguard.yaml`) and the attestations file.
