//! YAML (and JSON, which is YAML) to `serde_json::Value`, the way kubectl reads it.
//!
//! kubectl decodes manifests with `sigs.k8s.io/yaml`, which uses go-yaml v2 and its YAML 1.1
//! scalar rules: plain `yes`/`on`/`y` are booleans, `0644` is octal, underscores are ignored in
//! numbers, merge keys (`<<`) are applied and non-string keys become strings. This module
//! reproduces those rules on top of `saphyr-parser` events, records the line of every node by
//! its path ([`Spans`]), and bounds what a hostile document can cost: nesting depth, alias
//! expansion and the total node count.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

use crate::spans::{PathHash, Spans};

/// Deepest nesting accepted; real manifests stay far below (a CRD schema reaches ~40).
pub const MAX_DEPTH: usize = 256;
/// Most nodes one document may produce, alias expansion included (a large CRD has ~50k).
pub const MAX_NODES: usize = 2_000_000;

/// One parsed YAML document.
#[derive(Debug)]
pub struct Document {
    /// Index of the document in its stream (0-based, counting empty documents).
    pub index: usize,
    /// Line (1-based) where the document's root node starts.
    pub line: u32,
    pub value: Value,
    pub spans: Spans,
    /// Problems that did not stop parsing (duplicate keys, ...): (line, message).
    pub warnings: Vec<(u32, String)>,
}

/// A problem that stopped a document (or the rest of a stream) from being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub message: String,
}

/// Outcome of reading one document of a stream.
pub type DocResult = Result<Document, ParseError>;

/// Parses every document of `text` and hands each one to `sink` as soon as it is complete.
/// `first_line` is the line of `text`'s first line in its file and `first_index` the index of its
/// first document (both used when a stream was split into chunks). Returns the number of
/// documents seen. After a syntax error the rest of `text` cannot be read reliably: the error is
/// passed to `sink` and parsing stops.
pub fn parse_stream(
    text: &str,
    first_line: u32,
    first_index: usize,
    mut sink: impl FnMut(DocResult),
) -> usize {
    // A UTF-8 byte order mark is allowed at the start of a stream.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut repaired: Option<String> = None;
    let mut done = 0;
    for _ in 0..=MAX_QUOTED_REPAIRS {
        let src = repaired.as_deref().unwrap_or(text);
        match parse_once(src, first_line, first_index, done, &mut sink) {
            Ok(seen) => return seen,
            Err((complete, err)) => {
                // go-yaml (like libyaml) does not check the indentation of the continuation
                // lines of a quoted scalar; YAML 1.2 and saphyr do. Indent them and read the
                // stream again, skipping the documents already handed out.
                match reindent_quoted_scalar(src, err.marker()).filter(|f| f.len() > src.len()) {
                    Some(fixed) => {
                        repaired = Some(fixed);
                        done = complete;
                    }
                    None => {
                        sink(Err(syntax_error(first_line, &err)));
                        return complete + 1;
                    }
                }
            }
        }
    }
    sink(Err(ParseError {
        line: first_line,
        message: format!(
            "YAML syntax error: more than {MAX_QUOTED_REPAIRS} quoted scalars with under-indented continuation lines; not read"
        ),
    }));
    done + 1
}

/// Quoted scalars with under-indented continuation lines read the way kubectl does, per stream.
const MAX_QUOTED_REPAIRS: usize = 64;

const UNDER_INDENTED_QUOTED: &str = "invalid indentation in quoted scalar";

fn syntax_error(first_line: u32, err: &saphyr_parser::ScanError) -> ParseError {
    let message = if err.info().contains("recursion limit") {
        "nesting too deep (the parser's recursion limit was exceeded); not read".to_string()
    } else {
        format!("YAML syntax error: {}", err.info())
    };
    ParseError {
        line: (err.marker().line() as u32).saturating_add(first_line.saturating_sub(1)),
        message,
    }
}

/// One pass over `text`. Documents before `skip` were handed out by an earlier pass and are
/// not passed again. Returns the number of documents seen, or, on a quoted scalar that only
/// go-yaml's leniency accepts, the number of complete documents before it and the error.
fn parse_once(
    text: &str,
    first_line: u32,
    first_index: usize,
    skip: usize,
    sink: &mut impl FnMut(DocResult),
) -> Result<usize, (usize, saphyr_parser::ScanError)> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::new(first_line.saturating_sub(1));
    let mut index = first_index;
    let mut seen = 0;
    while let Some(next) = parser.next_event() {
        match next {
            Err(err) if err.info() == UNDER_INDENTED_QUOTED => return Err((seen, err)),
            Err(err) => {
                sink(Err(syntax_error(first_line, &err)));
                seen += 1;
                break;
            }
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, span)) => match builder.event(event, span) {
                Step::Continue => {}
                Step::Done(doc) => {
                    if seen >= skip {
                        let r = doc.map(|(value, spans, line, warnings)| Document {
                            index,
                            line,
                            value,
                            spans,
                            warnings,
                        });
                        sink(r);
                    }
                    index += 1;
                    seen += 1;
                }
                Step::Abort(err) => {
                    sink(Err(err));
                    seen += 1;
                    break;
                }
            },
        }
    }
    Ok(seen)
}

/// `text` with the continuation lines of the quoted scalar that starts at `at` indented to the
/// scalar's own column. Leading white space of those lines is not part of the value, so the value
/// is what go-yaml reads. None when `at` is not a quoted scalar, or when a line of it starts
/// with a document marker (an error for go-yaml too).
fn reindent_quoted_scalar(text: &str, at: &saphyr_parser::Marker) -> Option<String> {
    let start = text.char_indices().nth(at.index()).map(|(i, _)| i)?;
    let quote = text[start..].chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let target = at.col();
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..=start]);
    let mut chars = text[start + 1..].char_indices().peekable();
    let mut line_start = false;
    let mut end = None;
    while let Some((i, c)) = chars.next() {
        if line_start {
            // Measure the indentation of this continuation line.
            let rest = &text[start + 1 + i..];
            let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let after = &rest[blanks..];
            if !after.starts_with(['\n', '\r']) {
                let marker = blanks == 0
                    && (after.starts_with("---") || after.starts_with("..."))
                    && after[3..]
                        .chars()
                        .next()
                        .is_none_or(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
                if marker {
                    return None;
                }
                let width = rest[..blanks].chars().count();
                if width < target {
                    out.extend(std::iter::repeat_n(' ', target - width));
                }
            }
            line_start = false;
        }
        out.push(c);
        match c {
            '\n' => line_start = true,
            '\\' if quote == '"' => {
                // An escape; an escaped line break is a line break like any other here.
                if let Some(&(_, n)) = chars.peek()
                    && n != '\n'
                    && n != '\r'
                {
                    out.push(n);
                    chars.next();
                }
            }
            '\'' if quote == '\'' => {
                if chars.peek().map(|&(_, n)| n) == Some('\'') {
                    out.push('\'');
                    chars.next();
                } else {
                    end = Some(start + 1 + i + 1);
                    break;
                }
            }
            '"' if quote == '"' => {
                end = Some(start + 1 + i + 1);
                break;
            }
            _ => {}
        }
    }
    out.push_str(&text[end?..]);
    Some(out)
}

/// A finished document: value, spans, root line, warnings.
type Built = (Value, Spans, u32, Vec<(u32, String)>);

enum Step {
    Continue,
    Done(Result<Built, ParseError>),
    Abort(ParseError),
}

/// A collection under construction.
enum Frame {
    Seq {
        items: Vec<Value>,
        path: PathHash,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        /// Key waiting for its value, with the key's line.
        key: Option<(String, u32)>,
        /// True while the next node is a key.
        expect_key: bool,
        /// Values of `<<` merge keys, applied at the end.
        merges: Vec<Value>,
        path: PathHash,
        anchor: usize,
    },
    /// A mapping or sequence used as a mapping key: built, then turned into a string key.
    ComplexKey,
}

struct Builder {
    line_offset: u32,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    spans: Spans,
    warnings: Vec<(u32, String)>,
    nodes: usize,
    root: Option<Value>,
    root_line: u32,
    in_doc: bool,
    skip_complex: usize,
}

impl Builder {
    fn new(line_offset: u32) -> Self {
        Builder {
            line_offset,
            stack: Vec::new(),
            anchors: HashMap::new(),
            spans: Spans::default(),
            warnings: Vec::new(),
            nodes: 0,
            root: None,
            root_line: 0,
            in_doc: false,
            skip_complex: 0,
        }
    }

    fn line(&self, line: usize) -> u32 {
        (line as u32).saturating_add(self.line_offset)
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.anchors.clear();
        self.spans = Spans::default();
        self.warnings = Vec::new();
        self.nodes = 0;
        self.root = None;
        self.root_line = 0;
        self.skip_complex = 0;
    }

    fn err(&self, line: u32, message: impl Into<String>) -> Step {
        Step::Abort(ParseError {
            line,
            message: message.into(),
        })
    }

    /// Path and line slot for the node that starts now.
    fn child_path(&self) -> PathHash {
        match self.stack.last() {
            None => PathHash::ROOT,
            Some(Frame::Seq { items, path, .. }) => path.index(items.len()),
            Some(Frame::Map {
                key: Some((k, _)),
                path,
                ..
            }) => path.key(k),
            Some(_) => PathHash::ROOT,
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                expect_key: true,
                ..
            })
        )
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Step {
        let line = self.line(span.start.line());
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Step::Continue,
            Event::DocumentStart(_) => {
                self.reset();
                self.in_doc = true;
                Step::Continue
            }
            Event::DocumentEnd => {
                self.in_doc = false;
                let value = self.root.take().unwrap_or(Value::Null);
                let spans = std::mem::take(&mut self.spans);
                let warnings = std::mem::take(&mut self.warnings);
                let line = self.root_line;
                self.anchors.clear();
                Step::Done(Ok((value, spans, line, warnings)))
            }
            _ if self.skip_complex > 0 => self.skip_complex_event(event),
            Event::Alias(id) => {
                let Some((value, count)) = self.anchors.get(&id).map(|(v, c)| (v.clone(), *c))
                else {
                    return self.err(line, "alias refers to an unknown anchor");
                };
                self.nodes += count;
                if self.nodes > MAX_NODES {
                    return self.err(
                        line,
                        format!(
                            "document expands to more than {MAX_NODES} nodes (alias bomb?); not read"
                        ),
                    );
                }
                self.node_done(value, line, 0, None)
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.nodes += 1;
                if self.nodes > MAX_NODES {
                    return self.err(line, format!("document has more than {MAX_NODES} nodes"));
                }
                if self.expecting_key() {
                    let key = scalar_key(&text, style, tag.as_deref());
                    if anchor > 0 {
                        self.anchors.insert(anchor, (Value::String(key.clone()), 1));
                    }
                    if let Some(Frame::Map {
                        key: slot,
                        expect_key,
                        ..
                    }) = self.stack.last_mut()
                    {
                        *slot = Some((key, line));
                        *expect_key = false;
                    }
                    return Step::Continue;
                }
                let value = resolve_scalar(&text, style, tag.as_deref());
                self.node_done(value, line, anchor, None)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.expecting_key() {
                    // A collection as a mapping key: read and discard it, keep a placeholder key.
                    self.skip_complex = 1;
                    self.stack.push(Frame::ComplexKey);
                    return Step::Continue;
                }
                self.nodes += 1;
                if self.stack.len() >= MAX_DEPTH {
                    return self.err(
                        line,
                        format!("nesting deeper than {MAX_DEPTH} levels; document not read"),
                    );
                }
                let path = self.child_path();
                self.record_span(path, line);
                if self.stack.is_empty() {
                    self.root_line = line;
                }
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        path,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        expect_key: true,
                        merges: Vec::new(),
                        path,
                        anchor,
                    }
                };
                self.stack.push(frame);
                Step::Continue
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return self.err(line, "unbalanced collection end");
                };
                let (value, anchor) = match frame {
                    Frame::Seq { items, anchor, .. } => (Value::Array(items), anchor),
                    Frame::Map {
                        mut map,
                        merges,
                        anchor,
                        ..
                    } => {
                        apply_merges(&mut map, merges);
                        (Value::Object(map), anchor)
                    }
                    Frame::ComplexKey => {
                        return self.err(line, "unbalanced collection end");
                    }
                };
                let count = if anchor > 0 { count_nodes(&value) } else { 0 };
                self.node_done(value, line, anchor, Some(count))
            }
        }
    }

    fn skip_complex_event(&mut self, event: Event<'_>) -> Step {
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => self.skip_complex += 1,
            Event::SequenceEnd | Event::MappingEnd => self.skip_complex -= 1,
            _ => {}
        }
        if self.skip_complex == 0 {
            self.stack.pop();
            if let Some(Frame::Map {
                key, expect_key, ..
            }) = self.stack.last_mut()
            {
                *key = Some(("<complex key>".to_string(), 0));
                *expect_key = false;
            }
        }
        Step::Continue
    }

    fn record_span(&mut self, path: PathHash, line: u32) {
        // For a mapping value, the line of its key is where a person looks.
        let line = match self.stack.last() {
            Some(Frame::Map {
                key: Some((_, kline)),
                ..
            }) if *kline > 0 => *kline,
            _ => line,
        };
        self.spans.insert(path, line);
    }

    /// A complete node (scalar, alias or finished collection) goes into its parent.
    fn node_done(&mut self, value: Value, line: u32, anchor: usize, count: Option<usize>) -> Step {
        if count.is_none() {
            // Scalars and aliases: record their span now (collections did at their start).
            let path = self.child_path();
            self.record_span(path, line);
            if self.stack.is_empty() {
                self.root_line = line;
            }
        }
        if anchor > 0 {
            let c = count.unwrap_or(1).max(1);
            self.anchors.insert(anchor, (value.clone(), c));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
                Step::Continue
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(value);
                Step::Continue
            }
            Some(Frame::Map {
                map,
                key,
                expect_key,
                merges,
                ..
            }) => {
                let (k, kline) = key.take().unwrap_or_default();
                *expect_key = true;
                if k == "<<" {
                    merges.push(value);
                } else if map.insert(k.clone(), value).is_some() {
                    self.warnings.push((
                        kline,
                        format!(
                            "duplicate key `{k}`: the last value is used, as kubectl's decoder does; \
                             the API server rejects this with strict field validation"
                        ),
                    ));
                }
                Step::Continue
            }
            // Complex-key frames are consumed by `skip_complex_event`; nothing to attach to.
            Some(Frame::ComplexKey) => Step::Continue,
        }
    }
}

/// `<<: *base` and `<<: [*a, *b]`: keys of the merged maps are added unless present. Earlier
/// maps of a list take precedence, as in go-yaml.
fn apply_merges(map: &mut Map<String, Value>, merges: Vec<Value>) {
    for merge in merges {
        let sources: Vec<Value> = match merge {
            Value::Array(items) => items,
            other => vec![other],
        };
        for source in sources {
            if let Value::Object(src) = source {
                for (k, v) in src {
                    map.entry(k).or_insert(v);
                }
            }
        }
    }
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(|v| 1 + count_nodes(v)).sum::<usize>(),
        _ => 1,
    }
}

fn tag_suffix(tag: Option<&Tag>) -> Option<&str> {
    let tag = tag?;
    if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
        Some(tag.suffix.as_str())
    } else {
        None
    }
}

/// Mapping keys become strings, as `sigs.k8s.io/yaml` does (`true: x` has key "true").
fn scalar_key(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> String {
    match resolve_scalar(text, style, tag) {
        Value::String(s) => s,
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// Types a scalar with go-yaml v2's rules (what kubectl does).
pub fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    match tag_suffix(tag) {
        Some("str") | Some("binary") | Some("timestamp") => {
            return Value::String(text.to_string());
        }
        Some("null") => return Value::Null,
        Some("bool") => {
            if let Some(b) = resolve_bool(text) {
                return Value::Bool(b);
            }
        }
        Some("int") | Some("float") => {
            if let Some(v) = resolve_number(text) {
                return v;
            }
        }
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    resolve_plain(text)
}

fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// go-yaml v2 `resolve()` for an untagged plain scalar.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        _ => {}
    }
    if let Some(b) = resolve_bool(text) {
        return Value::Bool(b);
    }
    let first = text.as_bytes()[0];
    if (first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.'))
        && let Some(v) = resolve_number(text)
    {
        return v;
    }
    Value::String(text.to_string())
}

fn resolve_number(text: &str) -> Option<Value> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            // JSON cannot hold these; sigs.k8s.io/yaml fails to convert them. Keep the text.
            return Some(Value::String(text.to_string()));
        }
        _ => {}
    }
    let plain: Cow<str> = if text.contains('_') {
        Cow::Owned(text.replace('_', ""))
    } else {
        Cow::Borrowed(text)
    };
    if let Some(i) = parse_go_int(&plain) {
        return Some(i);
    }
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
        && f.is_finite()
    {
        return Number::from_f64(f).map(Value::Number);
    }
    // go-yaml v2: 0b binary.
    let (neg, rest) = match plain.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, plain.strip_prefix('+').unwrap_or(&plain)),
    };
    if let Some(bits) = rest.strip_prefix("0b")
        && let Ok(v) = i64::from_str_radix(bits, 2)
    {
        return Some(Value::from(if neg { -v } else { v }));
    }
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)` then `ParseUint`: decimal, `0x` hex, `0o` or leading-zero
/// octal, `0b` binary, optional sign.
fn parse_go_int(s: &str) -> Option<Value> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some(Value::from((magnitude as i128).wrapping_neg() as i64))
        } else {
            None
        }
    } else if magnitude <= i64::MAX as u64 {
        Some(Value::from(magnitude as i64))
    } else {
        Some(Value::from(magnitude))
    }
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs(text: &str) -> Vec<DocResult> {
        let mut out = Vec::new();
        parse_stream(text, 1, 0, |d| out.push(d));
        out
    }

    fn one(text: &str) -> Value {
        let mut d = docs(text);
        assert_eq!(d.len(), 1, "{d:?}");
        d.remove(0).unwrap().value
    }

    #[test]
    fn kubectl_scalar_typing() {
        let v = one(
            "a: yes\nb: off\nc: 0644\nd: 0x1F\ne: 1_000\nf: 1.5\ng: '0644'\nh: ~\ni: 12:30:00\n\
             j: 2001-12-14\nk: 0o755\nl: \"true\"\nm: -12\nnn: 1e3\no: .5\np: 08\nq: 0b101\n",
        );
        assert_eq!(
            v,
            json!({"a": true, "b": false, "c": 420, "d": 31, "e": 1000, "f": 1.5, "g": "0644",
                   "h": null, "i": "12:30:00", "j": "2001-12-14", "k": 493, "l": "true",
                   "m": -12, "nn": 1000.0, "o": 0.5, "p": 8.0, "q": 5})
        );
    }

    #[test]
    fn tags_force_types() {
        let v = one("a: !!str 10\nb: !!int '7'\nc: !custom x\n");
        assert_eq!(v, json!({"a": "10", "b": 7, "c": "x"}));
    }

    #[test]
    fn keys_are_strings() {
        // go-yaml v2 reads `y` and `n` as booleans, keys included: kubectl sees "true"/"false".
        let v = one("true: a\n1: b\nnull: c\nn: d\n");
        assert_eq!(v, json!({"true": "a", "1": "b", "null": "c", "false": "d"}));
    }

    #[test]
    fn merge_keys_and_anchors() {
        let v = one("base: &b {x: 1, z: 2}\nitem:\n  <<: *b\n  z: 3\nlist: [*b]\n");
        assert_eq!(
            v,
            json!({"base": {"x": 1, "z": 2}, "item": {"x": 1, "z": 3}, "list": [{"x": 1, "z": 2}]})
        );
    }

    #[test]
    fn multi_documents_with_lines() {
        let d = docs("a: 1\n---\n# c\n---\nb:\n  c: 2\n");
        assert_eq!(d.len(), 3);
        let last = d[2].as_ref().unwrap();
        assert_eq!(last.index, 2);
        assert_eq!(last.line, 5);
        let p = PathHash::ROOT.key("b").key("c");
        assert_eq!(last.spans.get(p), Some(6));
        assert_eq!(d[1].as_ref().unwrap().value, Value::Null);
    }

    #[test]
    fn spans_for_sequences_and_keys() {
        let d = docs("spec:\n  containers:\n  - name: a\n    image: x\n  - name: b\n");
        let doc = d[0].as_ref().unwrap();
        let c = PathHash::ROOT.key("spec").key("containers");
        assert_eq!(doc.spans.get(c), Some(2));
        assert_eq!(doc.spans.get(c.index(0)), Some(3));
        assert_eq!(doc.spans.get(c.index(0).key("image")), Some(4));
        assert_eq!(doc.spans.get(c.index(1)), Some(5));
    }

    #[test]
    fn duplicate_keys_warn_last_wins() {
        let d = docs("a: 1\nb: 2\na: 3\n");
        let doc = d[0].as_ref().unwrap();
        assert_eq!(doc.value, json!({"a": 3, "b": 2}));
        assert_eq!(doc.warnings.len(), 1);
        assert_eq!(doc.warnings[0].0, 3);
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let d = docs(&text);
        let err = d.last().unwrap().as_ref().unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(100_000);
        let d = docs(&text);
        let err = d.last().unwrap().as_ref().unwrap_err();
        assert!(
            err.message.contains("nesting") || err.message.contains("syntax"),
            "{err:?}"
        );
    }

    #[test]
    fn syntax_error_has_line() {
        let d = docs("a: 1\nb: [\nc: 2\n  - x: ]\n");
        let err = d.last().unwrap().as_ref().unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }

    #[test]
    fn json_is_read_too() {
        let v = one("{\"apiVersion\": \"v1\", \"n\": 8080, \"b\": true, \"s\": \"0644\"}");
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "n": 8080, "b": true, "s": "0644"})
        );
    }

    #[test]
    fn under_indented_quoted_scalars_read_as_kubectl_does() {
        // go-yaml (kubectl) accepts continuation lines of a quoted scalar that are indented less
        // than the collection holding it; their leading blanks are not part of the value.
        let v = one(
            "spec:\n  command:\n    - sh\n    - \"exec run \\\n  --flag=1 \\\n  --other\"\n    - 'it''s\n  here'\n  after: x\n",
        );
        assert_eq!(
            v,
            json!({"spec": {"command": ["sh", "exec run --flag=1 --other", "it's here"], "after": "x"}})
        );
        // Documents before the repaired one are handed out once, with their indexes and lines.
        let d = docs("a: 1\n---\nb:\n  - \"x\n y\"\n  - z\n");
        assert_eq!(d.len(), 2, "{d:?}");
        let second = d[1].as_ref().unwrap();
        assert_eq!((second.index, second.line), (1, 3));
        assert_eq!(second.value, json!({"b": ["x y", "z"]}));
        // A document marker inside the scalar is still an error, as it is for go-yaml.
        let d = docs("a:\n  - \"x\nfoo\n---\n  y\"\n");
        assert!(d.last().unwrap().is_err(), "{d:?}");
    }

    #[test]
    fn bom_and_offset_lines() {
        let mut out = Vec::new();
        parse_stream("\u{feff}a: 1\n", 10, 4, |d| out.push(d));
        let d = out[0].as_ref().unwrap();
        assert_eq!((d.line, d.index), (10, 4));
    }
}
