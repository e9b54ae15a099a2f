//! Lines of the nodes of a document, looked up by path.
//!
//! A path is hashed segment by segment ([`PathHash`]), so a check that knows where it is in an
//! object (`/spec/template/spec/containers/0`) can ask for the line of any field below it without
//! building strings. Missing fields fall back to the nearest ancestor that has a line.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

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

/// Line (1-based) of every node of one document: a hash map while the document is built and
/// checked, a sorted array once it is kept for cross-object checks ([`Spans::compact`]).
#[derive(Debug, Default, Clone)]
pub struct Spans {
    lines: HashMap<PathHash, u32, BuildHasherDefault<IdentityHasher>>,
    sorted: Box<[(u64, u32)]>,
}

impl Spans {
    pub fn insert(&mut self, path: PathHash, line: u32) {
        self.lines.entry(path).or_insert(line);
    }

    pub fn get(&self, path: PathHash) -> Option<u32> {
        if self.sorted.is_empty() {
            self.lines.get(&path).copied()
        } else {
            self.sorted
                .binary_search_by_key(&path.0, |(h, _)| *h)
                .ok()
                .map(|i| self.sorted[i].1)
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len() + self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the lines into a sorted array: a third of the memory, lookups by binary search.
    pub fn compact(&mut self) {
        if self.lines.is_empty() {
            return;
        }
        let mut v: Vec<(u64, u32)> = self.lines.drain().map(|(h, l)| (h.0, l)).collect();
        v.extend(self.sorted.iter().copied());
        v.sort_unstable();
        self.sorted = v.into_boxed_slice();
        self.lines = HashMap::default();
    }
}

/// A position inside a document: its hash (for line lookups) and a link to its parent, so that
/// making a child is O(1) and the JSON pointer is only built when a finding needs it.
#[derive(Debug, Clone)]
pub struct Path(Arc<Node>);

#[derive(Debug)]
struct Node {
    hash: PathHash,
    seg: Seg,
    parent: Option<Path>,
}

#[derive(Debug)]
enum Seg {
    /// The root of an object, with its pointer inside the document (`""` or `/items/3`).
    Root(Box<str>),
    Key(Box<str>),
    Index(usize),
}

impl Path {
    pub fn root() -> Path {
        Path::at(PathHash::ROOT, String::new())
    }

    /// The root of an object that is itself somewhere in a larger document (a `List` item).
    pub fn at(hash: PathHash, pointer: String) -> Path {
        Path(Arc::new(Node {
            hash,
            seg: Seg::Root(pointer.into()),
            parent: None,
        }))
    }

    pub fn hash(&self) -> PathHash {
        self.0.hash
    }

    pub fn key(&self, key: &str) -> Path {
        Path(Arc::new(Node {
            hash: self.0.hash.key(key),
            seg: Seg::Key(key.into()),
            parent: Some(self.clone()),
        }))
    }

    pub fn index(&self, i: usize) -> Path {
        Path(Arc::new(Node {
            hash: self.0.hash.index(i),
            seg: Seg::Index(i),
            parent: Some(self.clone()),
        }))
    }

    /// Chain of keys: `p.keys(&["securityContext", "privileged"])`.
    pub fn keys(&self, keys: &[&str]) -> Path {
        keys.iter().fold(self.clone(), |p, k| p.key(k))
    }

    fn nodes(&self) -> impl Iterator<Item = &Node> {
        std::iter::successors(Some(&*self.0), |n| n.parent.as_ref().map(|p| &*p.0))
    }

    /// Line of this node, or of its nearest ancestor present in `spans`.
    pub fn line(&self, spans: &Spans) -> Option<u32> {
        self.nodes().find_map(|n| spans.get(n.hash))
    }

    /// JSON pointer below the object's root (`/spec/containers/0/image`); empty for the root.
    pub fn pointer(&self) -> String {
        let mut segs: Vec<&Node> = self.nodes().take_while(|n| n.parent.is_some()).collect();
        segs.reverse();
        let mut out = String::new();
        for n in segs {
            out.push('/');
            match &n.seg {
                Seg::Key(k) if k.contains(['~', '/']) => {
                    out.push_str(&k.replace('~', "~0").replace('/', "~1"))
                }
                Seg::Key(k) => out.push_str(k),
                Seg::Index(i) => out.push_str(&i.to_string()),
                Seg::Root(_) => {}
            }
        }
        out
    }

    /// JSON pointer from the document's root (includes `/items/N` for List items).
    pub fn document_pointer(&self) -> String {
        let root = self.nodes().last().map(|n| match &n.seg {
            Seg::Root(p) => p.to_string(),
            _ => String::new(),
        });
        format!("{}{}", root.unwrap_or_default(), self.pointer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_spans_answer_the_same() {
        let mut spans = Spans::default();
        let paths: Vec<PathHash> = (0..100).map(|i| PathHash::ROOT.key("a").index(i)).collect();
        for (i, p) in paths.iter().enumerate() {
            spans.insert(*p, i as u32 + 1);
        }
        let before: Vec<Option<u32>> = paths.iter().map(|p| spans.get(*p)).collect();
        spans.compact();
        let after: Vec<Option<u32>> = paths.iter().map(|p| spans.get(*p)).collect();
        assert_eq!(before, after);
        assert_eq!(spans.get(PathHash::ROOT.key("missing")), None);
        assert_eq!(spans.len(), 100);
    }

    #[test]
    fn pointers_and_line_fallback() {
        let mut spans = Spans::default();
        let spec = PathHash::ROOT.key("spec");
        spans.insert(spec, 5);
        let p = Path::root()
            .keys(&["spec", "containers"])
            .index(0)
            .key("a/b~c");
        assert_eq!(p.pointer(), "/spec/containers/0/a~1b~0c");
        assert_eq!(p.line(&spans), Some(5));
        assert_eq!(Path::root().pointer(), "");
        let item = Path::at(PathHash::ROOT.key("items").index(3), "/items/3".into()).key("kind");
        assert_eq!(item.pointer(), "/kind");
        assert_eq!(item.document_pointer(), "/items/3/kind");
        assert_eq!(
            item.hash(),
            PathHash::ROOT.key("items").index(3).key("kind")
        );
    }
}
