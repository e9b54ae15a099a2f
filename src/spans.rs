//! Lines of the nodes of a document, looked up by path.
//!
//! A path is hashed segment by segment ([`PathHash`]), so a check that knows where it is in an
//! object (`/spec/template/spec/containers/0`) can ask for the line of any field below it without
//! building strings. Missing fields fall back to the nearest ancestor that has a line.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hash of a path from a document's root. Build with [`PathHash::key`] and [`PathHash::index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathHash(pub u64);

const PRIME: u64 = 0x0000_0100_0000_01b3;

impl PathHash {
    pub const ROOT: PathHash = PathHash(0xcbf2_9ce4_8422_2325);

    fn mix(self, tag: u8, bytes: &[u8]) -> PathHash {
        let mut h = self.0 ^ (tag as u64);
        h = h.wrapping_mul(PRIME);
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(PRIME);
        }
        // Final avalanche so that sibling keys spread.
        h ^= h >> 29;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 32;
        PathHash(h)
    }

    /// The path of a mapping member.
    pub fn key(self, key: &str) -> PathHash {
        self.mix(1, key.as_bytes())
    }

    /// The path of a sequence item.
    pub fn index(self, i: usize) -> PathHash {
        self.mix(2, &(i as u64).to_le_bytes())
    }
}

#[derive(Default, Clone, Copy)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | *b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Line (1-based) of every node of one document.
#[derive(Debug, Default, Clone)]
pub struct Spans {
    lines: HashMap<PathHash, u32, BuildHasherDefault<IdentityHasher>>,
}

impl std::hash::Hash for Spans {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl Spans {
    pub fn insert(&mut self, path: PathHash, line: u32) {
        self.lines.entry(path).or_insert(line);
    }

    pub fn get(&self, path: PathHash) -> Option<u32> {
        self.lines.get(&path).copied()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// A position inside a document that knows both its hash and its human-readable pointer.
#[derive(Debug, Clone)]
pub struct Path {
    pub hash: PathHash,
    /// JSON pointer, e.g. `/spec/containers/0/securityContext`.
    pub pointer: String,
    /// Hashes of the ancestors, nearest last, for line fallback.
    ancestors: Vec<PathHash>,
}

impl Path {
    pub fn root() -> Path {
        Path {
            hash: PathHash::ROOT,
            pointer: String::new(),
            ancestors: Vec::new(),
        }
    }

    /// A root that is itself somewhere in a larger document (an item of a `List`).
    pub fn at(hash: PathHash, pointer: String) -> Path {
        Path {
            hash,
            pointer,
            ancestors: Vec::new(),
        }
    }

    pub fn key(&self, key: &str) -> Path {
        let mut ancestors = self.ancestors.clone();
        ancestors.push(self.hash);
        let mut pointer = self.pointer.clone();
        pointer.push('/');
        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
        Path {
            hash: self.hash.key(key),
            pointer,
            ancestors,
        }
    }

    pub fn index(&self, i: usize) -> Path {
        let mut ancestors = self.ancestors.clone();
        ancestors.push(self.hash);
        Path {
            hash: self.hash.index(i),
            pointer: format!("{}/{}", self.pointer, i),
            ancestors,
        }
    }

    /// Chain of keys: `p.keys(&["securityContext", "privileged"])`.
    pub fn keys(&self, keys: &[&str]) -> Path {
        keys.iter().fold(self.clone(), |p, k| p.key(k))
    }

    /// Line of this node, or of its nearest ancestor present in `spans`.
    pub fn line(&self, spans: &Spans) -> Option<u32> {
        spans
            .get(self.hash)
            .or_else(|| self.ancestors.iter().rev().find_map(|h| spans.get(*h)))
    }
}
