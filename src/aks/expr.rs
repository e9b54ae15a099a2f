//! The ARM template expression language (`"[concat(parameters('prefix'), '-aks')]"`): a parser
//! and an evaluator that keeps what it cannot work out as *holes*.
//!
//! A JSON string that starts with `[` and ends with `]` is an expression; `[[` at the start
//! escapes a literal `[` (<https://learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions>).
//! The grammar is small: function calls `name(args)` (names are case-insensitive, user-defined
//! functions are `namespace.name(...)`), string literals in single quotes (`''` is a quote),
//! integers, property access `.name` and indexes `[expr]`.
//!
//! Evaluation yields a [`V`], a JSON value that may contain [`Hole`]s: values that cannot be
//! known before deployment (`reference()`, `resourceGroup()`, `uniqueString()`), parameters
//! without a value, unsupported functions. A hole inside an object or array stays there
//! (`createObject('a', 1, 'b', reference('x').id)` is an object whose `b` is unknown); a function
//! that needs a value it cannot see returns a hole, except where the result does not depend on
//! it (`if(true(), 'a', <hole>)` is `'a'`, `or(true(), <hole>)` is `true`).
//!
//! Hostile input: expressions nest at most [`MAX_EXPR_DEPTH`] deep, evaluation (expressions,
//! variables using variables, JSON walked) at most [`MAX_NESTING`] deep, and the work of one
//! evaluation (bytes and nodes produced) is bounded by [`BUDGET`]; past these limits values
//! become holes rather than exhausting the stack or taking quadratic time.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use serde_json::{Map, Number, Value};

/// Deepest nesting of calls, property accesses and indexes in one expression.
pub const MAX_EXPR_DEPTH: usize = 64;
/// Deepest nesting of evaluation steps at any time (an expression step, a variable that uses a
/// variable, a level of a JSON value walked).
pub const MAX_NESTING: u32 = 256;
/// Deepest JSON value converted to or from the evaluator's values.
pub const MAX_VALUE_DEPTH: usize = 256;
/// Work units (bytes and nodes produced, comparisons made) one template evaluation may spend.
pub const BUDGET: u64 = 64 * 1024 * 1024;
/// Longest string a function may produce (4 MB is ARM's limit for a whole template).
pub const MAX_STRING: usize = 4 * 1024 * 1024;
/// Largest `range()` count (ARM's limit).
pub const MAX_RANGE: i64 = 10_000;
/// Longest array a function may produce.
pub const MAX_ARRAY: usize = 100_000;
/// Work units charged per JSON node built (about its size in bytes).
pub const NODE_COST: usize = 16;

// ---------------------------------------------------------------------------------------------
// Values

/// A value that could not be worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hole {
    /// The template string (expression as written) where the value was needed.
    pub expr: Rc<str>,
    /// Why it could not be evaluated.
    pub reason: String,
}

/// A JSON value, possibly with holes; cheap to clone (shared).
#[derive(Debug, Clone)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    /// A number that is not a 64-bit integer (a JSON literal such as `0.5`).
    Num(Number),
    Str(Rc<str>),
    Arr(Rc<Vec<V>>),
    Obj(Rc<Obj>),
    Hole(Rc<Hole>),
}

/// A JSON object whose members are looked up ignoring ASCII case, as ARM does.
#[derive(Debug, Clone, Default)]
pub struct Obj {
    /// Lowercased name -> (name as written, value).
    map: BTreeMap<String, (String, V)>,
}

impl Obj {
    pub fn new() -> Obj {
        Obj::default()
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        let e = if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.map.get(&key.to_ascii_lowercase())
        } else {
            self.map.get(key)
        };
        e.map(|(_, v)| v)
    }

    /// Inserts or replaces the member (a member with the same name in other casing is replaced).
    pub fn insert(&mut self, key: String, v: V) {
        self.map.insert(key.to_ascii_lowercase(), (key, v));
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Members as (name as written, value), ordered by lowercased name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.map.values().map(|(k, v)| (k.as_str(), v))
    }
}

impl V {
    pub fn str(s: &str) -> V {
        V::Str(Rc::from(s))
    }

    /// A JSON value taken literally (no expression is evaluated), e.g. a parameter value.
    pub fn from_json(v: &Value, limits: &Limits) -> V {
        from_json_at(v, limits, 0)
    }

    /// The value as JSON; holes become null and are reported as (JSON pointer under `ptr`,
    /// expression, reason).
    pub fn to_json(
        &self,
        ptr: &mut String,
        unresolved: &mut Vec<(String, String, String)>,
        limits: &Limits,
    ) -> Value {
        to_json_at(self, ptr, unresolved, limits, 0)
    }

    /// The value as JSON when it has no hole anywhere.
    pub fn to_json_complete(&self, limits: &Limits) -> Option<Value> {
        let mut un = Vec::new();
        let v = self.to_json(&mut String::new(), &mut un, limits);
        un.is_empty().then_some(v)
    }

    pub fn is_hole(&self) -> bool {
        matches!(self, V::Hole(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }
}

fn from_json_at(v: &Value, limits: &Limits, depth: usize) -> V {
    if !limits.charge(NODE_COST) {
        return V::Hole(Rc::new(Hole {
            expr: Rc::from(""),
            reason: EXHAUSTED.into(),
        }));
    }
    if depth > MAX_VALUE_DEPTH {
        return V::Hole(Rc::new(Hole {
            expr: Rc::from(""),
            reason: "the value is nested too deeply".into(),
        }));
    }
    match v {
        Value::Null => V::Null,
        Value::Bool(b) => V::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => V::Int(i),
            None => V::Num(n.clone()),
        },
        Value::String(s) => {
            limits.charge(s.len());
            V::str(s)
        }
        Value::Array(a) => V::Arr(Rc::new(
            a.iter()
                .map(|x| from_json_at(x, limits, depth + 1))
                .collect(),
        )),
        Value::Object(m) => {
            let mut o = Obj::new();
            for (k, x) in m {
                o.insert(k.clone(), from_json_at(x, limits, depth + 1));
            }
            V::Obj(Rc::new(o))
        }
    }
}

fn to_json_at(
    v: &V,
    ptr: &mut String,
    unresolved: &mut Vec<(String, String, String)>,
    limits: &Limits,
    depth: usize,
) -> Value {
    // Output has its own budget, so that values computed before the evaluation budget ran
    // out are still reported. Once it is exhausted, a whole value is reported once (not each
    // of its nodes).
    let ok = !limits.out_exhausted() && limits.charge_out(NODE_COST);
    if !ok || depth > MAX_VALUE_DEPTH {
        let reason = if ok {
            "the value is nested too deeply"
        } else {
            EXHAUSTED
        };
        unresolved.push((ptr.clone(), String::new(), reason.into()));
        return Value::Null;
    }
    match v {
        V::Null => Value::Null,
        V::Bool(b) => Value::Bool(*b),
        V::Int(i) => Value::Number((*i).into()),
        V::Num(n) => Value::Number(n.clone()),
        V::Str(s) => {
            limits.charge_out(s.len());
            Value::String(s.to_string())
        }
        V::Hole(h) => {
            unresolved.push((ptr.clone(), h.expr.to_string(), h.reason.clone()));
            Value::Null
        }
        V::Arr(a) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                if limits.out_exhausted() {
                    unresolved.push((ptr.clone(), String::new(), EXHAUSTED.into()));
                    break;
                }
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                out.push(to_json_at(x, ptr, unresolved, limits, depth + 1));
                ptr.truncate(len);
            }
            Value::Array(out)
        }
        V::Obj(o) => {
            let mut m = Map::new();
            for (k, x) in o.iter() {
                if limits.out_exhausted() {
                    unresolved.push((ptr.clone(), String::new(), EXHAUSTED.into()));
                    break;
                }
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&escape_pointer(k));
                m.insert(
                    k.to_string(),
                    to_json_at(x, ptr, unresolved, limits, depth + 1),
                );
                ptr.truncate(len);
            }
            Value::Object(m)
        }
    }
}

/// Escapes one JSON pointer segment (`~` -> `~0`, `/` -> `~1`).
pub fn escape_pointer(seg: &str) -> Cow<'_, str> {
    if seg.contains(['~', '/']) {
        Cow::Owned(seg.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(seg)
    }
}

fn type_name(v: &V) -> &'static str {
    match v {
        V::Null => "null",
        V::Bool(_) => "bool",
        V::Int(_) | V::Num(_) => "number",
        V::Str(_) => "string",
        V::Arr(_) => "array",
        V::Obj(_) => "object",
        V::Hole(_) => "unknown value",
    }
}

// ---------------------------------------------------------------------------------------------
// Limits

/// The reason given when the evaluation budget is exhausted.
pub const EXHAUSTED: &str =
    "the template is too large to evaluate (aksguard's evaluation budget is exhausted)";

/// Shared limits of one template evaluation: work budgets (evaluation, and output
/// conversion) and nesting depth.
#[derive(Debug, Default)]
pub struct Limits {
    spent: Cell<u64>,
    out_spent: Cell<u64>,
    depth: Cell<u32>,
    exhausted: Cell<bool>,
    out_exhausted: Cell<bool>,
}

/// Leaves one nesting level when dropped.
pub struct Nest<'a>(&'a Limits);

impl Drop for Nest<'_> {
    fn drop(&mut self) {
        self.0.depth.set(self.0.depth.get().saturating_sub(1));
    }
}

impl Limits {
    pub fn new() -> Limits {
        Limits::default()
    }

    /// Spends `n` work units; false once the budget is exhausted.
    pub fn charge(&self, n: usize) -> bool {
        let s = self.spent.get().saturating_add(n as u64);
        self.spent.set(s);
        if s > BUDGET {
            self.exhausted.set(true);
            false
        } else {
            true
        }
    }

    /// Spends `n` units of the output budget (values converted to JSON); false once it is
    /// exhausted.
    pub fn charge_out(&self, n: usize) -> bool {
        let s = self.out_spent.get().saturating_add(n as u64);
        self.out_spent.set(s);
        if s > BUDGET {
            self.out_exhausted.set(true);
            false
        } else {
            true
        }
    }

    /// Whether either budget is exhausted.
    pub fn exhausted(&self) -> bool {
        self.exhausted.get() || self.out_exhausted.get()
    }

    pub fn out_exhausted(&self) -> bool {
        self.out_exhausted.get()
    }

    /// Enters one nesting level, or None past [`MAX_NESTING`].
    pub fn enter(&self) -> Option<Nest<'_>> {
        let d = self.depth.get();
        if d >= MAX_NESTING {
            return None;
        }
        self.depth.set(d + 1);
        Some(Nest(self))
    }
}

// ---------------------------------------------------------------------------------------------
// Syntax

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    Str(Rc<str>),
    Int(i64),
    Call { name: String, args: Vec<Ast> },
    Access { base: Box<Ast>, path: Vec<Accessor> },
}

/// `.name` or `[expr]` after a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Accessor {
    Prop(String),
    Index(Ast),
}

/// A syntax error in an expression; `pos` is the byte offset inside the brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub pos: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.pos)
    }
}

impl std::error::Error for ParseError {}

/// What a template string is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    /// An expression; the text between the outer brackets.
    Expr(&'a str),
    /// A literal (with a leading `[[` unescaped to `[`).
    Literal(Cow<'a, str>),
}

/// Classifies a template string: `[...]` is an expression, `[[...]` a literal starting with `[`.
pub fn classify(s: &str) -> Text<'_> {
    if s.len() >= 2 && s.starts_with('[') && s.ends_with(']') {
        if s.starts_with("[[") {
            Text::Literal(Cow::Borrowed(&s[1..]))
        } else {
            Text::Expr(&s[1..s.len() - 1])
        }
    } else {
        Text::Literal(Cow::Borrowed(s))
    }
}

/// Parses the text of an expression (without the outer brackets).
pub fn parse(src: &str) -> Result<Ast, ParseError> {
    let mut p = Parser {
        s: src.as_bytes(),
        src,
        i: 0,
        depth: 0,
    };
    p.ws();
    if p.i >= p.s.len() {
        return Err(p.err("empty expression"));
    }
    let e = p.expr()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err(&format!("unexpected {}", p.describe())));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> ParseError {
        ParseError {
            pos: self.i,
            message: msg.to_string(),
        }
    }

    fn describe(&self) -> String {
        match self.src.get(self.i..).and_then(|r| r.chars().next()) {
            Some(c) => format!("character '{c}'"),
            None => "end of expression".into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn ident(&mut self) -> Option<&str> {
        let start = self.i;
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        while self.peek().is_some_and(is_ident) {
            self.i += 1;
        }
        self.src.get(start..self.i)
    }

    fn expr(&mut self) -> Result<Ast, ParseError> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(self.err(&format!(
                "the expression is nested more than {MAX_EXPR_DEPTH} levels deep"
            )));
        }
        let base = self.primary()?;
        let mut path = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b'.') => {
                    self.i += 1;
                    self.ws();
                    let Some(name) = self.ident() else {
                        return Err(self.err(&format!(
                            "expected a property name after '.', found {}",
                            self.describe()
                        )));
                    };
                    path.push(Accessor::Prop(name.to_string()));
                }
                Some(b'[') => {
                    self.i += 1;
                    self.ws();
                    let e = self.expr()?;
                    self.ws();
                    if self.peek() != Some(b']') {
                        return Err(self.err(&format!("expected ']', found {}", self.describe())));
                    }
                    self.i += 1;
                    path.push(Accessor::Index(e));
                }
                _ => break,
            }
        }
        self.depth -= 1;
        Ok(if path.is_empty() {
            base
        } else {
            Ast::Access {
                base: Box::new(base),
                path,
            }
        })
    }

    fn primary(&mut self) -> Result<Ast, ParseError> {
        self.ws();
        match self.peek() {
            Some(b'\'') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b) if is_ident_start(b) => {
                let start = self.i;
                let Some(first) = self.ident() else {
                    return Err(self.err("expected a function name"));
                };
                let mut name = first.to_string();
                self.ws();
                // `namespace.function(` (user-defined function)
                if self.peek() == Some(b'.') {
                    let save = self.i;
                    self.i += 1;
                    if let Some(second) = self.ident() {
                        let second = second.to_string();
                        self.ws();
                        if self.peek() == Some(b'(') {
                            name.push('.');
                            name.push_str(&second);
                        } else {
                            self.i = save;
                        }
                    } else {
                        self.i = save;
                    }
                }
                self.ws();
                if self.peek() != Some(b'(') {
                    // Bare true / false / null are accepted as the functions of that name.
                    if ["true", "false", "null"]
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(&name))
                    {
                        return Ok(Ast::Call {
                            name,
                            args: Vec::new(),
                        });
                    }
                    self.i = start;
                    return Err(self.err(&format!("expected '(' after function name '{name}'")));
                }
                self.i += 1;
                let mut args = Vec::new();
                self.ws();
                if self.peek() == Some(b')') {
                    self.i += 1;
                    return Ok(Ast::Call { name, args });
                }
                loop {
                    args.push(self.expr()?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b')') => {
                            self.i += 1;
                            return Ok(Ast::Call { name, args });
                        }
                        _ => {
                            return Err(self.err(&format!(
                                "expected ',' or ')' in the arguments of {name}, found {}",
                                self.describe()
                            )));
                        }
                    }
                }
            }
            _ => Err(self.err(&format!(
                "expected a function call, a string or a number, found {}",
                self.describe()
            ))),
        }
    }

    fn string(&mut self) -> Result<Ast, ParseError> {
        let open = self.i;
        self.i += 1;
        let mut out = String::new();
        let mut chunk = self.i;
        loop {
            match self.peek() {
                None => {
                    self.i = open;
                    return Err(self.err("unterminated string literal"));
                }
                Some(b'\'') => {
                    out.push_str(self.src.get(chunk..self.i).unwrap_or(""));
                    if self.s.get(self.i + 1) == Some(&b'\'') {
                        out.push('\'');
                        self.i += 2;
                        chunk = self.i;
                    } else {
                        self.i += 1;
                        return Ok(Ast::Str(Rc::from(out)));
                    }
                }
                Some(_) => self.i += 1,
            }
        }
    }

    fn number(&mut self) -> Result<Ast, ParseError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i == digits {
            self.i = start;
            return Err(self.err("expected digits after '-'"));
        }
        if self.peek() == Some(b'.') && self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit) {
            return Err(self
                .err("decimal numbers are not part of the expression language (use json('1.5'))"));
        }
        let text = self.src.get(start..self.i).unwrap_or("");
        match text.parse::<i64>() {
            Ok(n) => Ok(Ast::Int(n)),
            Err(_) => {
                self.i = start;
                Err(self.err(&format!("integer {text} is out of range")))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// The result of evaluating: a value (which may contain holes inside) or a hole.
pub type Ev = Result<V, Rc<Hole>>;

fn norm(v: V) -> Ev {
    match v {
        V::Hole(h) => Err(h),
        v => Ok(v),
    }
}

/// Where parameter and variable values come from.
pub trait Scope {
    /// The value of parameter `name` (a hole when unknown); records its provenance in `cx`.
    fn parameter(&self, name: &str, cx: &Cx<'_>) -> V;
    /// The value of variable `name` (a hole when unknown); records its provenance in `cx`.
    fn variable(&self, name: &str, cx: &Cx<'_>) -> V;
}

/// One copy loop the evaluation is inside of.
#[derive(Debug, Clone)]
pub struct Loop {
    pub name: Rc<str>,
    /// None when the loop's count could not be evaluated.
    pub index: Option<i64>,
    /// A resource loop (`copyIndex()` without a name refers to it), rather than a property or
    /// variable loop.
    pub resource: bool,
}

/// The context of evaluating one template string.
pub struct Cx<'a> {
    pub scope: &'a dyn Scope,
    pub limits: &'a Limits,
    pub loops: &'a [Loop],
    /// The template string being evaluated (holes created here name it).
    pub text: Rc<str>,
    /// Provenance notes (`parameter x (default)`, `variable y`) of the values used, in order.
    pub deps: RefCell<Vec<Rc<str>>>,
}

/// Functions whose value depends on the deployment and cannot be known from the template.
fn unknowable(lname: &str) -> Option<&'static str> {
    Some(match lname {
        "reference" => "reference() reads the state of a deployed resource",
        "resourcegroup" => "resourceGroup() depends on the resource group deployed to",
        "subscription" => "subscription() depends on the subscription deployed to",
        "tenant" => "tenant() depends on the tenant deployed to",
        "managementgroup" => "managementGroup() depends on the management group deployed to",
        "deployment" => "deployment() describes the deployment itself",
        "deployer" => "deployer() depends on who deploys",
        "environment" => "environment() depends on the Azure cloud deployed to",
        "utcnow" => "utcNow() changes at every deployment",
        "newguid" => "newGuid() changes at every deployment",
        "uniquestring" => "uniqueString() is a hash that aksguard does not reproduce",
        "guid" => "guid() is a hash that aksguard does not reproduce",
        "pickzones" | "providers" => "the function queries Azure at deployment time",
        "resourceinfo" => "resourceInfo() describes a deployed resource",
        _ if lname.starts_with("list") => "list*() reads keys or state of a deployed resource",
        _ => return None,
    })
}

/// Built-in functions the evaluator implements (lowercase; besides the lazy ones handled in
/// [`Cx::call`]).
const BUILTINS: &[&str] = &[
    "true",
    "false",
    "null",
    "not",
    "bool",
    "int",
    "float",
    "string",
    "json",
    "concat",
    "format",
    "equals",
    "greater",
    "less",
    "greaterorequals",
    "lessorequals",
    "add",
    "sub",
    "mul",
    "div",
    "mod",
    "min",
    "max",
    "range",
    "length",
    "empty",
    "contains",
    "first",
    "last",
    "take",
    "skip",
    "tolower",
    "toupper",
    "trim",
    "replace",
    "split",
    "join",
    "substring",
    "startswith",
    "endswith",
    "indexof",
    "lastindexof",
    "padleft",
    "createarray",
    "createobject",
    "array",
    "union",
    "intersection",
    "objectkeys",
    "items",
    "tryget",
    "shallowmerge",
    "flatten",
    "resourceid",
    "subscriptionresourceid",
    "tenantresourceid",
    "extensionresourceid",
    "managementgroupresourceid",
    "base64",
    "base64tostring",
    "base64tojson",
    "copyindex",
];

impl Cx<'_> {
    /// A hole at the string being evaluated.
    pub fn hole(&self, reason: impl Into<String>) -> Rc<Hole> {
        Rc::new(Hole {
            expr: self.text.clone(),
            reason: reason.into(),
        })
    }

    fn charge(&self, n: usize) -> Result<(), Rc<Hole>> {
        if self.limits.charge(n) {
            Ok(())
        } else {
            Err(self.hole(EXHAUSTED))
        }
    }

    /// Records a provenance note.
    pub fn note(&self, dep: Rc<str>) {
        self.deps.borrow_mut().push(dep);
    }

    /// Evaluates a parsed expression.
    pub fn eval(&self, ast: &Ast) -> Ev {
        let Some(_nest) = self.limits.enter() else {
            return Err(self.hole("the evaluation is nested too deeply"));
        };
        match ast {
            Ast::Str(s) => Ok(V::Str(s.clone())),
            Ast::Int(i) => Ok(V::Int(*i)),
            Ast::Call { name, args } => self.call(name, args),
            Ast::Access { base, path } => {
                let mut cur = self.eval(base)?;
                for acc in path {
                    cur = match acc {
                        Accessor::Prop(p) => self.member(&cur, p)?,
                        Accessor::Index(e) => {
                            let i = self.eval(e)?;
                            self.index(&cur, &i)?
                        }
                    };
                }
                Ok(cur)
            }
        }
    }

    fn member(&self, v: &V, p: &str) -> Ev {
        match v {
            V::Obj(o) => match o.get(p) {
                Some(x) => norm(x.clone()),
                None => Err(self.hole(format!("property '{p}' does not exist"))),
            },
            V::Hole(h) => Err(h.clone()),
            other => Err(self.hole(format!(
                "cannot read property '{p}' of a {}",
                type_name(other)
            ))),
        }
    }

    fn index(&self, v: &V, i: &V) -> Ev {
        match (v, i) {
            (V::Arr(a), V::Int(n)) => match usize::try_from(*n).ok().and_then(|n| a.get(n)) {
                Some(x) => norm(x.clone()),
                None => Err(self.hole(format!(
                    "index {n} is out of range (the array has {} items)",
                    a.len()
                ))),
            },
            (V::Obj(_), V::Str(k)) => self.member(v, k),
            (V::Hole(h), _) | (_, V::Hole(h)) => Err(h.clone()),
            (a, b) => Err(self.hole(format!(
                "cannot index a {} with a {}",
                type_name(a),
                type_name(b)
            ))),
        }
    }

    fn call(&self, name: &str, args: &[Ast]) -> Ev {
        let lname = name.to_ascii_lowercase();
        match lname.as_str() {
            "if" => return self.f_if(args),
            "and" => return self.f_and_or(args, false),
            "or" => return self.f_and_or(args, true),
            "coalesce" => return self.f_coalesce(args),
            "parameters" | "variables" => {
                if args.len() != 1 {
                    return Err(self.hole(format!("{name}() takes 1 argument")));
                }
                let n = self.eval(&args[0])?;
                let V::Str(n) = n else {
                    return Err(self.hole(format!("{name}() needs a string argument")));
                };
                let v = if lname == "parameters" {
                    self.scope.parameter(&n, self)
                } else {
                    self.scope.variable(&n, self)
                };
                return norm(v);
            }
            _ => {}
        }
        if lname.contains('.') {
            return Err(self.hole(format!("user-defined function {name} is not evaluated")));
        }
        if let Some(reason) = unknowable(&lname) {
            return Err(self.hole(reason));
        }
        if !BUILTINS.contains(&lname.as_str()) {
            return Err(self.hole(format!("function {name} is not evaluated")));
        }
        // createArray and createObject keep unknown values inside what they build.
        let embed = matches!(lname.as_str(), "createarray" | "createobject");
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            match self.eval(a) {
                Ok(v) => vals.push(v),
                Err(h) if embed => vals.push(V::Hole(h)),
                Err(h) => return Err(h),
            }
        }
        self.builtin(&lname, name, vals)
    }

    fn f_if(&self, args: &[Ast]) -> Ev {
        if args.len() != 3 {
            return Err(self.hole("if() takes 3 arguments"));
        }
        match self.eval(&args[0]) {
            Ok(V::Bool(true)) => self.eval(&args[1]),
            Ok(V::Bool(false)) => self.eval(&args[2]),
            Ok(other) => Err(self.hole(format!(
                "the condition of if() is a {}, not a bool",
                type_name(&other)
            ))),
            Err(h) => {
                // Unknown condition: the result is known only if both branches agree.
                let (Ok(a), Ok(b)) = (self.eval(&args[1]), self.eval(&args[2])) else {
                    return Err(h);
                };
                match deep_eq(&a, &b, self, 0) {
                    Ok(true) => Ok(a),
                    _ => Err(h),
                }
            }
        }
    }

    /// `and` (any false decides) or `or` (any true decides).
    fn f_and_or(&self, args: &[Ast], is_or: bool) -> Ev {
        let fname = if is_or { "or" } else { "and" };
        if args.len() < 2 {
            return Err(self.hole(format!("{fname}() takes at least 2 arguments")));
        }
        let mut unknown = None;
        for a in args {
            match self.eval(a) {
                Ok(V::Bool(b)) if b == is_or => return Ok(V::Bool(is_or)),
                Ok(V::Bool(_)) => {}
                Ok(other) => {
                    return Err(self.hole(format!(
                        "{fname}() needs bools, not a {}",
                        type_name(&other)
                    )));
                }
                Err(h) => {
                    unknown.get_or_insert(h);
                }
            }
        }
        match unknown {
            Some(h) => Err(h),
            None => Ok(V::Bool(!is_or)),
        }
    }

    fn f_coalesce(&self, args: &[Ast]) -> Ev {
        if args.is_empty() {
            return Err(self.hole("coalesce() takes at least 1 argument"));
        }
        for a in args {
            match self.eval(a)? {
                V::Null => continue,
                v => return Ok(v),
            }
        }
        Ok(V::Null)
    }

    fn arity(&self, name: &str, args: &[V], min: usize, max: usize) -> Result<(), Rc<Hole>> {
        if args.len() < min || args.len() > max {
            let want = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self.hole(format!(
                "{name}() takes {want} argument{}, not {}",
                if want == "1" { "" } else { "s" },
                args.len()
            )));
        }
        Ok(())
    }

    fn want_str<'v>(&self, name: &str, v: &'v V) -> Result<&'v Rc<str>, Rc<Hole>> {
        match v {
            V::Str(s) => Ok(s),
            V::Hole(h) => Err(h.clone()),
            other => Err(self.hole(format!(
                "{name}() needs a string, not a {}",
                type_name(other)
            ))),
        }
    }

    fn want_int(&self, name: &str, v: &V) -> Result<i64, Rc<Hole>> {
        match v {
            V::Int(i) => Ok(*i),
            V::Hole(h) => Err(h.clone()),
            other => Err(self.hole(format!(
                "{name}() needs an integer, not a {}",
                type_name(other)
            ))),
        }
    }

    fn new_str(&self, s: String) -> Ev {
        if s.len() > MAX_STRING {
            return Err(self.hole("the string would be longer than 4 MB"));
        }
        self.charge(s.len())?;
        Ok(V::Str(Rc::from(s)))
    }

    fn new_arr(&self, a: Vec<V>) -> Ev {
        if a.len() > MAX_ARRAY {
            return Err(self.hole(format!("the array would have more than {MAX_ARRAY} items")));
        }
        self.charge(a.len().saturating_mul(NODE_COST))?;
        Ok(V::Arr(Rc::new(a)))
    }

    // Not inlined: its large frame must stay off the recursive evaluation path.
    #[inline(never)]
    fn builtin(&self, lname: &str, name: &str, args: Vec<V>) -> Ev {
        // String functions read their arguments: charge that work up front.
        let text: usize = args.iter().map(|a| a.as_str().map_or(0, str::len)).sum();
        self.charge(text)?;
        match lname {
            "true" | "false" | "null" => {
                self.arity(name, &args, 0, 0)?;
                Ok(match lname {
                    "true" => V::Bool(true),
                    "false" => V::Bool(false),
                    _ => V::Null,
                })
            }
            "not" => {
                self.arity(name, &args, 1, 1)?;
                match &args[0] {
                    V::Bool(b) => Ok(V::Bool(!b)),
                    other => {
                        Err(self.hole(format!("not() needs a bool, not a {}", type_name(other))))
                    }
                }
            }
            "bool" => {
                self.arity(name, &args, 1, 1)?;
                // https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-logical#bool
                match &args[0] {
                    V::Bool(b) => Ok(V::Bool(*b)),
                    V::Int(i) => Ok(V::Bool(*i != 0)),
                    V::Str(s) => Ok(V::Bool(s.trim().eq_ignore_ascii_case("true"))),
                    other => Err(self.hole(format!(
                        "bool() needs a string or an integer, not a {}",
                        type_name(other)
                    ))),
                }
            }
            "int" => {
                self.arity(name, &args, 1, 1)?;
                match &args[0] {
                    V::Int(i) => Ok(V::Int(*i)),
                    V::Str(s) => s
                        .trim()
                        .parse::<i64>()
                        .map(V::Int)
                        .map_err(|_| self.hole(format!("int() cannot convert '{}'", clip(s)))),
                    other => Err(self.hole(format!(
                        "int() needs a string or an integer, not a {}",
                        type_name(other)
                    ))),
                }
            }
            "float" => {
                self.arity(name, &args, 1, 1)?;
                let f = match &args[0] {
                    V::Int(i) => *i as f64,
                    V::Num(n) => n.as_f64().unwrap_or(f64::NAN),
                    V::Str(s) => s.trim().parse::<f64>().unwrap_or(f64::NAN),
                    other => {
                        return Err(self.hole(format!(
                            "float() needs a string or a number, not a {}",
                            type_name(other)
                        )));
                    }
                };
                match Number::from_f64(f) {
                    Some(n) => Ok(V::Num(n)),
                    None => Err(self.hole("float() cannot convert the value")),
                }
            }
            "string" => {
                self.arity(name, &args, 1, 1)?;
                match &args[0] {
                    V::Str(s) => Ok(V::Str(s.clone())),
                    V::Arr(_) | V::Obj(_) => {
                        let s = self.json_text(&args[0])?;
                        self.new_str(s)
                    }
                    other => self.new_str(scalar_text(other).unwrap_or_default()),
                }
            }
            "json" => {
                self.arity(name, &args, 1, 1)?;
                let s = self.want_str(name, &args[0])?;
                self.charge(s.len())?;
                match serde_json::from_str::<Value>(s) {
                    Ok(v) => Ok(V::from_json(&v, self.limits)),
                    Err(e) => Err(self.hole(format!("json() cannot parse its argument: {e}"))),
                }
            }
            "concat" => self.f_concat(&args),
            "format" => self.f_format(&args),
            "equals" => {
                self.arity(name, &args, 2, 2)?;
                Ok(V::Bool(deep_eq(&args[0], &args[1], self, 0)?))
            }
            "greater" | "less" | "greaterorequals" | "lessorequals" => {
                self.arity(name, &args, 2, 2)?;
                let ord = match (&args[0], &args[1]) {
                    (V::Int(a), V::Int(b)) => a.cmp(b),
                    (V::Str(a), V::Str(b)) => a.cmp(b),
                    (a, b) => match (num(a), num(b)) {
                        (Some(x), Some(y)) => x.partial_cmp(&y).ok_or_else(|| {
                            self.hole(format!("{name}() cannot compare the numbers"))
                        })?,
                        _ => {
                            if let V::Hole(h) = a {
                                return Err(h.clone());
                            }
                            if let V::Hole(h) = b {
                                return Err(h.clone());
                            }
                            return Err(self.hole(format!(
                                "{name}() cannot compare a {} with a {}",
                                type_name(a),
                                type_name(b)
                            )));
                        }
                    },
                };
                use std::cmp::Ordering;
                Ok(V::Bool(match lname {
                    "greater" => ord == Ordering::Greater,
                    "less" => ord == Ordering::Less,
                    "greaterorequals" => ord != Ordering::Less,
                    _ => ord != Ordering::Greater,
                }))
            }
            "add" | "sub" | "mul" | "div" | "mod" => {
                self.arity(name, &args, 2, 2)?;
                let a = self.want_int(name, &args[0])?;
                let b = self.want_int(name, &args[1])?;
                let r = match lname {
                    "add" => a.checked_add(b),
                    "sub" => a.checked_sub(b),
                    "mul" => a.checked_mul(b),
                    "div" => a.checked_div(b),
                    _ => a.checked_rem(b),
                };
                r.map(V::Int).ok_or_else(|| {
                    self.hole(format!("{name}({a}, {b}) overflows or divides by zero"))
                })
            }
            "min" | "max" => {
                self.arity(name, &args, 1, usize::MAX)?;
                let mut nums = Vec::new();
                for a in &args {
                    match a {
                        V::Arr(items) => {
                            for x in items.iter() {
                                nums.push(self.want_int(name, x)?);
                            }
                        }
                        other => nums.push(self.want_int(name, other)?),
                    }
                }
                let r = if lname == "min" {
                    nums.iter().min()
                } else {
                    nums.iter().max()
                };
                r.map(|n| V::Int(*n))
                    .ok_or_else(|| self.hole(format!("{name}() of an empty array")))
            }
            "range" => {
                self.arity(name, &args, 2, 2)?;
                let start = self.want_int(name, &args[0])?;
                let count = self.want_int(name, &args[1])?;
                if !(0..=MAX_RANGE).contains(&count) || start.checked_add(count).is_none() {
                    return Err(
                        self.hole(format!("range() count {count} is outside 0..={MAX_RANGE}"))
                    );
                }
                self.new_arr((start..start + count).map(V::Int).collect())
            }
            "length" => {
                self.arity(name, &args, 1, 1)?;
                match &args[0] {
                    V::Str(s) => Ok(V::Int(s.encode_utf16().count() as i64)),
                    V::Arr(a) => Ok(V::Int(a.len() as i64)),
                    V::Obj(o) => Ok(V::Int(o.len() as i64)),
                    V::Hole(h) => Err(h.clone()),
                    other => Err(self.hole(format!(
                        "length() needs a string, array or object, not a {}",
                        type_name(other)
                    ))),
                }
            }
            "empty" => {
                self.arity(name, &args, 1, 1)?;
                Ok(V::Bool(match &args[0] {
                    V::Null => true,
                    V::Str(s) => s.is_empty(),
                    V::Arr(a) => a.is_empty(),
                    V::Obj(o) => o.is_empty(),
                    V::Hole(h) => return Err(h.clone()),
                    _ => false,
                }))
            }
            "contains" => {
                self.arity(name, &args, 2, 2)?;
                self.f_contains(&args[0], &args[1])
            }
            "first" | "last" => {
                self.arity(name, &args, 1, 1)?;
                match &args[0] {
                    V::Arr(a) => {
                        let x = if lname == "first" {
                            a.first()
                        } else {
                            a.last()
                        };
                        norm(x.cloned().unwrap_or(V::Null))
                    }
                    V::Str(s) => {
                        let c = if lname == "first" {
                            s.chars().next()
                        } else {
                            s.chars().next_back()
                        };
                        Ok(V::str(&c.map(String::from).unwrap_or_default()))
                    }
                    V::Hole(h) => Err(h.clone()),
                    other => Err(self.hole(format!(
                        "{name}() needs an array or a string, not a {}",
                        type_name(other)
                    ))),
                }
            }
            "take" | "skip" => {
                self.arity(name, &args, 2, 2)?;
                let n = self.want_int(name, &args[1])?.max(0) as usize;
                match &args[0] {
                    V::Arr(a) => {
                        let n = n.min(a.len());
                        let part = if lname == "take" { &a[..n] } else { &a[n..] };
                        self.new_arr(part.to_vec())
                    }
                    V::Str(s) => {
                        let u: Vec<u16> = s.encode_utf16().collect();
                        let n = n.min(u.len());
                        let part = if lname == "take" { &u[..n] } else { &u[n..] };
                        self.new_str(String::from_utf16_lossy(part))
                    }
                    V::Hole(h) => Err(h.clone()),
                    other => Err(self.hole(format!(
                        "{name}() needs an array or a string, not a {}",
                        type_name(other)
                    ))),
                }
            }
            "tolower" | "toupper" | "trim" => {
                self.arity(name, &args, 1, 1)?;
                let s = self.want_str(name, &args[0])?;
                self.new_str(match lname {
                    "tolower" => s.to_lowercase(),
                    "toupper" => s.to_uppercase(),
                    _ => s.trim().to_string(),
                })
            }
            "replace" => {
                self.arity(name, &args, 3, 3)?;
                let s = self.want_str(name, &args[0])?;
                let old = self.want_str(name, &args[1])?;
                let new = self.want_str(name, &args[2])?;
                if old.is_empty() {
                    return Err(self.hole("replace() cannot replace an empty string"));
                }
                let count = s.matches(&**old).count();
                let len = s.len() - count * old.len() + count * new.len();
                if len > MAX_STRING {
                    return Err(self.hole("the string would be longer than 4 MB"));
                }
                self.new_str(s.replace(&**old, new))
            }
            "split" => {
                self.arity(name, &args, 2, 2)?;
                let s = self.want_str(name, &args[0])?;
                let delims: Vec<Rc<str>> = match &args[1] {
                    V::Str(d) => vec![d.clone()],
                    V::Arr(a) => a
                        .iter()
                        .map(|d| self.want_str(name, d).cloned())
                        .collect::<Result<_, _>>()?,
                    V::Hole(h) => return Err(h.clone()),
                    other => {
                        return Err(self.hole(format!(
                            "split() needs a string or an array of strings as delimiter, not a {}",
                            type_name(other)
                        )));
                    }
                };
                self.charge(s.len().saturating_mul(delims.len()))?;
                let parts = split_any(s, &delims);
                self.new_arr(parts.into_iter().map(V::str).collect())
            }
            "join" => {
                self.arity(name, &args, 2, 2)?;
                let V::Arr(items) = &args[0] else {
                    if let V::Hole(h) = &args[0] {
                        return Err(h.clone());
                    }
                    return Err(self.hole("join() needs an array"));
                };
                let delim = self.want_str(name, &args[1])?;
                let mut out = String::new();
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(delim);
                    }
                    out.push_str(&self.display(name, x)?);
                    if out.len() > MAX_STRING {
                        return Err(self.hole("the string would be longer than 4 MB"));
                    }
                }
                self.new_str(out)
            }
            "substring" => {
                self.arity(name, &args, 2, 3)?;
                let s = self.want_str(name, &args[0])?;
                let u: Vec<u16> = s.encode_utf16().collect();
                let start = self.want_int(name, &args[1])?;
                let len = match args.get(2) {
                    Some(l) => self.want_int(name, l)?,
                    None => (u.len() as i64).saturating_sub(start),
                };
                let (Ok(a), Ok(l)) = (usize::try_from(start), usize::try_from(len)) else {
                    return Err(self.hole("substring() start and length must not be negative"));
                };
                match a.checked_add(l).filter(|e| *e <= u.len()) {
                    Some(end) => self.new_str(String::from_utf16_lossy(&u[a..end])),
                    None => Err(self.hole(format!(
                        "substring({start}, {len}) is outside the string of length {}",
                        u.len()
                    ))),
                }
            }
            "startswith" | "endswith" => {
                self.arity(name, &args, 2, 2)?;
                // Case-insensitive, as ARM compares (OrdinalIgnoreCase).
                let s = self.want_str(name, &args[0])?.to_lowercase();
                let p = self.want_str(name, &args[1])?.to_lowercase();
                Ok(V::Bool(if lname == "startswith" {
                    s.starts_with(&p)
                } else {
                    s.ends_with(&p)
                }))
            }
            "indexof" | "lastindexof" => {
                self.arity(name, &args, 2, 2)?;
                let last = lname == "lastindexof";
                match &args[0] {
                    V::Str(s) => {
                        let s = s.to_lowercase();
                        let p = self.want_str(name, &args[1])?.to_lowercase();
                        let at = if last { s.rfind(&p) } else { s.find(&p) };
                        Ok(V::Int(match at {
                            Some(b) => s[..b].encode_utf16().count() as i64,
                            None => -1,
                        }))
                    }
                    V::Arr(a) => {
                        let mut found = -1;
                        let mut unknown = None;
                        let order: Box<dyn Iterator<Item = (usize, &V)>> = if last {
                            Box::new(a.iter().enumerate().rev())
                        } else {
                            Box::new(a.iter().enumerate())
                        };
                        for (i, x) in order {
                            match deep_eq(x, &args[1], self, 0) {
                                Ok(true) => {
                                    found = i as i64;
                                    break;
                                }
                                Ok(false) => {}
                                Err(h) => {
                                    unknown = Some(h);
                                    break;
                                }
                            }
                        }
                        match unknown {
                            Some(h) => Err(h),
                            None => Ok(V::Int(found)),
                        }
                    }
                    V::Hole(h) => Err(h.clone()),
                    other => Err(self.hole(format!(
                        "{name}() needs a string or an array, not a {}",
                        type_name(other)
                    ))),
                }
            }
            "padleft" => {
                self.arity(name, &args, 2, 3)?;
                let s = match &args[0] {
                    V::Str(s) => s.to_string(),
                    V::Int(i) => i.to_string(),
                    V::Hole(h) => return Err(h.clone()),
                    other => {
                        return Err(self.hole(format!(
                            "padLeft() needs a string or an integer, not a {}",
                            type_name(other)
                        )));
                    }
                };
                let total = self.want_int(name, &args[1])?;
                let pad = match args.get(2) {
                    Some(p) => {
                        let p = self.want_str(name, p)?;
                        let mut cs = p.chars();
                        match (cs.next(), cs.next()) {
                            (Some(c), None) => c,
                            _ => {
                                return Err(self.hole("padLeft() needs a single padding character"));
                            }
                        }
                    }
                    None => ' ',
                };
                let have = s.encode_utf16().count() as i64;
                let missing = usize::try_from(total.saturating_sub(have)).unwrap_or(0);
                if missing > MAX_STRING {
                    return Err(self.hole("the string would be longer than 4 MB"));
                }
                let mut out: String = std::iter::repeat_n(pad, missing).collect();
                out.push_str(&s);
                self.new_str(out)
            }
            "createarray" => self.new_arr(args),
            "createobject" => {
                if !args.len().is_multiple_of(2) {
                    return Err(self.hole("createObject() needs key and value pairs"));
                }
                let mut o = Obj::new();
                let mut it = args.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    let k = self.want_str(name, &k)?;
                    o.insert(k.to_string(), v);
                }
                self.charge(o.len().saturating_mul(NODE_COST))?;
                Ok(V::Obj(Rc::new(o)))
            }
            "array" => {
                self.arity(name, &args, 1, 1)?;
                match &args[0] {
                    V::Arr(_) => Ok(args[0].clone()),
                    V::Hole(h) => Err(h.clone()),
                    other => self.new_arr(vec![other.clone()]),
                }
            }
            "union" => self.f_union(&args),
            "intersection" => self.f_intersection(&args),
            "objectkeys" | "items" => {
                self.arity(name, &args, 1, 1)?;
                let o = match &args[0] {
                    V::Obj(o) => o,
                    V::Hole(h) => return Err(h.clone()),
                    other => {
                        return Err(self.hole(format!(
                            "{name}() needs an object, not a {}",
                            type_name(other)
                        )));
                    }
                };
                let out = o
                    .iter()
                    .map(|(k, v)| {
                        if lname == "objectkeys" {
                            V::str(k)
                        } else {
                            let mut e = Obj::new();
                            e.insert("key".into(), V::str(k));
                            e.insert("value".into(), v.clone());
                            V::Obj(Rc::new(e))
                        }
                    })
                    .collect();
                self.new_arr(out)
            }
            "tryget" => {
                self.arity(name, &args, 2, usize::MAX)?;
                let mut cur = args[0].clone();
                for k in &args[1..] {
                    cur = match (&cur, k) {
                        (V::Hole(h), _) | (_, V::Hole(h)) => return Err(h.clone()),
                        (V::Obj(o), V::Str(k)) => o.get(k).cloned().unwrap_or(V::Null),
                        (V::Arr(a), V::Int(i)) => usize::try_from(*i)
                            .ok()
                            .and_then(|i| a.get(i))
                            .cloned()
                            .unwrap_or(V::Null),
                        _ => V::Null,
                    };
                }
                norm(cur)
            }
            "shallowmerge" => {
                self.arity(name, &args, 1, 1)?;
                let V::Arr(items) = &args[0] else {
                    if let V::Hole(h) = &args[0] {
                        return Err(h.clone());
                    }
                    return Err(self.hole("shallowMerge() needs an array of objects"));
                };
                let mut o = Obj::new();
                for x in items.iter() {
                    match x {
                        V::Obj(m) => {
                            self.charge(m.len().saturating_mul(NODE_COST))?;
                            for (k, v) in m.iter() {
                                o.insert(k.to_string(), v.clone());
                            }
                        }
                        V::Hole(h) => return Err(h.clone()),
                        _ => return Err(self.hole("shallowMerge() needs an array of objects")),
                    }
                }
                Ok(V::Obj(Rc::new(o)))
            }
            "flatten" => {
                self.arity(name, &args, 1, 1)?;
                let V::Arr(items) = &args[0] else {
                    if let V::Hole(h) = &args[0] {
                        return Err(h.clone());
                    }
                    return Err(self.hole("flatten() needs an array of arrays"));
                };
                let mut out = Vec::new();
                for x in items.iter() {
                    match x {
                        V::Arr(inner) => {
                            self.charge(inner.len().saturating_mul(NODE_COST))?;
                            out.extend(inner.iter().cloned());
                        }
                        V::Hole(h) => return Err(h.clone()),
                        _ => return Err(self.hole("flatten() needs an array of arrays")),
                    }
                }
                self.new_arr(out)
            }
            "resourceid"
            | "subscriptionresourceid"
            | "tenantresourceid"
            | "extensionresourceid"
            | "managementgroupresourceid" => self.f_resource_id(lname, name, &args),
            "base64" => {
                self.arity(name, &args, 1, 1)?;
                let s = self.want_str(name, &args[0])?;
                self.new_str(base64_encode(s.as_bytes()))
            }
            "base64tostring" | "base64tojson" => {
                self.arity(name, &args, 1, 1)?;
                let s = self.want_str(name, &args[0])?;
                let bytes = base64_decode(s)
                    .ok_or_else(|| self.hole(format!("{name}() got invalid base64")))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| self.hole(format!("{name}() decoded invalid UTF-8")))?;
                if lname == "base64tostring" {
                    self.new_str(text)
                } else {
                    match serde_json::from_str::<Value>(&text) {
                        Ok(v) => Ok(V::from_json(&v, self.limits)),
                        Err(e) => Err(self.hole(format!("base64ToJson() cannot parse JSON: {e}"))),
                    }
                }
            }
            "copyindex" => self.f_copy_index(&args),
            _ => Err(self.hole(format!("function {name} is not evaluated"))),
        }
    }

    /// Text of a scalar for concat/format/join (`True`/`False` as ARM prints bools).
    fn display(&self, name: &str, v: &V) -> Result<String, Rc<Hole>> {
        match v {
            V::Str(s) => Ok(s.to_string()),
            V::Hole(h) => Err(h.clone()),
            other => scalar_text(other).ok_or_else(|| {
                self.hole(format!(
                    "{name}() of a {} is not evaluated",
                    type_name(other)
                ))
            }),
        }
    }

    fn json_text(&self, v: &V) -> Result<String, Rc<Hole>> {
        let mut un = Vec::new();
        let j = v.to_json(&mut String::new(), &mut un, self.limits);
        if let Some((_, expr, reason)) = un.into_iter().next() {
            return Err(Rc::new(Hole {
                expr: if expr.is_empty() {
                    self.text.clone()
                } else {
                    Rc::from(expr)
                },
                reason,
            }));
        }
        let s = serde_json::to_string(&j).map_err(|e| self.hole(e.to_string()))?;
        if s.len() > MAX_STRING {
            return Err(self.hole("the string would be longer than 4 MB"));
        }
        Ok(s)
    }

    fn f_concat(&self, args: &[V]) -> Ev {
        self.arity("concat", args, 1, usize::MAX)?;
        if let Some(V::Hole(h)) = args.iter().find(|a| a.is_hole()) {
            return Err(h.clone());
        }
        if matches!(args[0], V::Arr(_)) {
            let mut out = Vec::new();
            for a in args {
                match a {
                    V::Arr(x) => {
                        self.charge(x.len().saturating_mul(NODE_COST))?;
                        out.extend(x.iter().cloned());
                    }
                    V::Null => {}
                    other => {
                        return Err(
                            self.hole(format!("concat() of arrays got a {}", type_name(other)))
                        );
                    }
                }
            }
            return self.new_arr(out);
        }
        let mut out = String::new();
        for a in args {
            out.push_str(&self.display("concat", a)?);
            if out.len() > MAX_STRING {
                return Err(self.hole("the string would be longer than 4 MB"));
            }
        }
        self.new_str(out)
    }

    /// .NET composite formatting: `{0}`, `{{` and `}}`; alignment and format specifiers are
    /// not evaluated.
    fn f_format(&self, args: &[V]) -> Ev {
        self.arity("format", args, 1, usize::MAX)?;
        let f = self.want_str("format", &args[0])?;
        let mut out = String::new();
        let mut chars = f.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|x| x.1) == Some('{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek().map(|x| x.1) == Some('}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let mut spec = String::new();
                    let mut closed = false;
                    for (_, x) in chars.by_ref() {
                        if x == '}' {
                            closed = true;
                            break;
                        }
                        spec.push(x);
                    }
                    if !closed {
                        return Err(self.hole("format() string has an unclosed '{'"));
                    }
                    let Ok(i) = spec.trim().parse::<usize>() else {
                        return Err(
                            self.hole(format!("format() placeholder {{{spec}}} is not evaluated"))
                        );
                    };
                    let Some(arg) = args.get(i + 1) else {
                        return Err(
                            self.hole(format!("format() placeholder {{{i}}} has no argument"))
                        );
                    };
                    out.push_str(&self.display("format", arg)?);
                    if out.len() > MAX_STRING {
                        return Err(self.hole("the string would be longer than 4 MB"));
                    }
                }
                '}' => return Err(self.hole("format() string has an unmatched '}'")),
                c => out.push(c),
            }
        }
        self.new_str(out)
    }

    fn f_contains(&self, container: &V, item: &V) -> Ev {
        match container {
            V::Str(s) => {
                let needle = match item {
                    V::Hole(h) => return Err(h.clone()),
                    other => self.display("contains", other)?,
                };
                Ok(V::Bool(s.contains(needle.as_str())))
            }
            V::Obj(o) => {
                let key = match item {
                    V::Hole(h) => return Err(h.clone()),
                    other => self.display("contains", other)?,
                };
                Ok(V::Bool(o.get(&key).is_some()))
            }
            V::Arr(a) => {
                let mut unknown = None;
                for x in a.iter() {
                    match deep_eq(x, item, self, 0) {
                        Ok(true) => return Ok(V::Bool(true)),
                        Ok(false) => {}
                        Err(h) => {
                            unknown.get_or_insert(h);
                        }
                    }
                }
                match unknown {
                    Some(h) => Err(h),
                    None => Ok(V::Bool(false)),
                }
            }
            V::Hole(h) => Err(h.clone()),
            other => Err(self.hole(format!(
                "contains() needs a string, array or object, not a {}",
                type_name(other)
            ))),
        }
    }

    fn f_union(&self, args: &[V]) -> Ev {
        self.arity("union", args, 1, usize::MAX)?;
        if let Some(V::Hole(h)) = args.iter().find(|a| a.is_hole()) {
            return Err(h.clone());
        }
        if args.iter().all(|a| matches!(a, V::Obj(_))) {
            // Objects merge deeply: nested objects merge, other values are replaced.
            // https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-object#union
            let mut acc = Obj::new();
            for a in args {
                if let V::Obj(o) = a {
                    acc = merge(&acc, o, self, 0)?;
                }
            }
            return Ok(V::Obj(Rc::new(acc)));
        }
        if args.iter().all(|a| matches!(a, V::Arr(_))) {
            let mut out: Vec<V> = Vec::new();
            for a in args {
                if let V::Arr(items) = a {
                    for x in items.iter() {
                        let mut seen = false;
                        for y in &out {
                            if deep_eq(x, y, self, 0)? {
                                seen = true;
                                break;
                            }
                        }
                        if !seen {
                            out.push(x.clone());
                        }
                    }
                }
            }
            return self.new_arr(out);
        }
        Err(self.hole("union() needs all objects or all arrays"))
    }

    fn f_intersection(&self, args: &[V]) -> Ev {
        self.arity("intersection", args, 2, usize::MAX)?;
        if let Some(V::Hole(h)) = args.iter().find(|a| a.is_hole()) {
            return Err(h.clone());
        }
        match &args[0] {
            V::Obj(first) => {
                let mut out = Obj::new();
                'keys: for (k, v) in first.iter() {
                    for other in &args[1..] {
                        let V::Obj(o) = other else {
                            return Err(self.hole("intersection() needs all objects or all arrays"));
                        };
                        match o.get(k) {
                            Some(x) if deep_eq(v, x, self, 0)? => {}
                            _ => continue 'keys,
                        }
                    }
                    out.insert(k.to_string(), v.clone());
                }
                Ok(V::Obj(Rc::new(out)))
            }
            V::Arr(first) => {
                let mut out: Vec<V> = Vec::new();
                'items: for x in first.iter() {
                    for other in &args[1..] {
                        let V::Arr(o) = other else {
                            return Err(self.hole("intersection() needs all objects or all arrays"));
                        };
                        let mut found = false;
                        for y in o.iter() {
                            if deep_eq(x, y, self, 0)? {
                                found = true;
                                break;
                            }
                        }
                        if !found {
                            continue 'items;
                        }
                    }
                    let mut dup = false;
                    for y in &out {
                        if deep_eq(x, y, self, 0)? {
                            dup = true;
                            break;
                        }
                    }
                    if !dup {
                        out.push(x.clone());
                    }
                }
                self.new_arr(out)
            }
            _ => Err(self.hole("intersection() needs all objects or all arrays")),
        }
    }

    fn f_copy_index(&self, args: &[V]) -> Ev {
        self.arity("copyIndex", args, 0, 2)?;
        let (name, offset) = match args {
            [] => (None, 0),
            [V::Int(o)] => (None, *o),
            [V::Str(n)] => (Some(n.clone()), 0),
            [V::Str(n), V::Int(o)] => (Some(n.clone()), *o),
            _ => {
                if let Some(V::Hole(h)) = args.iter().find(|a| a.is_hole()) {
                    return Err(h.clone());
                }
                return Err(self.hole("copyIndex() takes an optional loop name and offset"));
            }
        };
        let lp = match &name {
            Some(n) => self
                .loops
                .iter()
                .rev()
                .find(|l| l.name.eq_ignore_ascii_case(n)),
            None => self
                .loops
                .iter()
                .rev()
                .find(|l| l.resource)
                .or_else(|| self.loops.last()),
        };
        let Some(lp) = lp else {
            return Err(self.hole(match name {
                Some(n) => format!("copyIndex('{n}') is outside a copy loop of that name"),
                None => "copyIndex() is outside a copy loop".into(),
            }));
        };
        match lp.index {
            Some(i) => i
                .checked_add(offset)
                .map(V::Int)
                .ok_or_else(|| self.hole("copyIndex() offset overflows")),
            None => Err(self.hole(format!(
                "the count of copy loop '{}' could not be evaluated",
                lp.name
            ))),
        }
    }

    /// resourceId and friends: the id is built when every segment is known; an id that
    /// depends on the deployment's subscription or resource group stays unknown, with the
    /// partial id in the reason.
    /// https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-resource#resourceid
    fn f_resource_id(&self, lname: &str, name: &str, args: &[V]) -> Ev {
        let mut strs = Vec::with_capacity(args.len());
        for a in args {
            strs.push(self.want_str(name, a)?.clone());
        }
        let skip = usize::from(lname == "extensionresourceid");
        let Some(t) = strs.iter().skip(skip).position(|s| s.contains('/')) else {
            return Err(self.hole(format!("{name}() has no resource type argument")));
        };
        let t = t + skip;
        let before = &strs[skip..t];
        let rest = build_type_path(&strs[t], &strs[t + 1..]).map_err(|e| self.hole(e))?;
        let id = match (lname, before) {
            ("resourceid", [sub, rg]) => {
                format!("/subscriptions/{sub}/resourceGroups/{rg}{rest}")
            }
            ("resourceid", [rg]) => {
                return Err(self.hole(format!(
                    "the id depends on the subscription deployed to: /subscriptions/{{subscriptionId}}/resourceGroups/{rg}{rest}"
                )));
            }
            ("resourceid", []) => {
                return Err(self.hole(format!(
                    "the id depends on the subscription and resource group deployed to: /subscriptions/{{subscriptionId}}/resourceGroups/{{resourceGroupName}}{rest}"
                )));
            }
            ("subscriptionresourceid", [sub]) => format!("/subscriptions/{sub}{rest}"),
            ("subscriptionresourceid", []) => {
                return Err(self.hole(format!(
                    "the id depends on the subscription deployed to: /subscriptions/{{subscriptionId}}{rest}"
                )));
            }
            ("tenantresourceid", []) => rest,
            ("managementgroupresourceid", [mg]) => {
                format!("/providers/Microsoft.Management/managementGroups/{mg}{rest}")
            }
            ("managementgroupresourceid", []) => {
                return Err(self.hole(format!(
                    "the id depends on the management group deployed to: /providers/Microsoft.Management/managementGroups/{{managementGroupId}}{rest}"
                )));
            }
            ("extensionresourceid", []) => format!("{}{rest}", strs[0].trim_end_matches('/')),
            _ => {
                return Err(self.hole(format!(
                    "{name}() has too many arguments before the resource type"
                )));
            }
        };
        self.new_str(id)
    }
}

/// `/providers/Microsoft.X/type1/name1/type2/name2` from a resource type and its names.
fn build_type_path(type_: &str, names: &[Rc<str>]) -> Result<String, String> {
    let mut segs = type_.split('/');
    let ns = segs.next().unwrap_or("");
    let types: Vec<&str> = segs.collect();
    let names: Vec<&str> = names.iter().flat_map(|n| n.split('/')).collect();
    if ns.is_empty() || types.is_empty() || types.iter().any(|t| t.is_empty()) {
        return Err(format!("'{type_}' is not a resource type"));
    }
    if types.len() != names.len() {
        return Err(format!(
            "resource type '{type_}' needs {} name segment{}, got {}",
            types.len(),
            if types.len() == 1 { "" } else { "s" },
            names.len()
        ));
    }
    let mut s = format!("/providers/{ns}");
    for (t, n) in types.iter().zip(names) {
        s.push('/');
        s.push_str(t);
        s.push('/');
        s.push_str(n);
    }
    Ok(s)
}

/// Text of a non-string scalar as ARM prints it (`True`, `False`, numbers, null as empty).
fn scalar_text(v: &V) -> Option<String> {
    match v {
        V::Null => Some(String::new()),
        V::Bool(true) => Some("True".into()),
        V::Bool(false) => Some("False".into()),
        V::Int(i) => Some(i.to_string()),
        V::Num(n) => Some(n.to_string()),
        V::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

fn num(v: &V) -> Option<f64> {
    match v {
        V::Int(i) => Some(*i as f64),
        V::Num(n) => n.as_f64(),
        _ => None,
    }
}

fn clip(s: &str) -> Cow<'_, str> {
    if s.len() <= 60 {
        return Cow::Borrowed(s);
    }
    let mut end = 60;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}...", &s[..end]))
}

/// Deep equality; touching a hole makes the answer unknown.
fn deep_eq(a: &V, b: &V, cx: &Cx<'_>, depth: usize) -> Result<bool, Rc<Hole>> {
    cx.charge(1)?;
    if depth > MAX_VALUE_DEPTH {
        return Err(cx.hole("the value is nested too deeply"));
    }
    Ok(match (a, b) {
        (V::Hole(h), _) | (_, V::Hole(h)) => return Err(h.clone()),
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(x), V::Int(y)) => x == y,
        (V::Str(x), V::Str(y)) => {
            cx.charge(x.len().min(y.len()))?;
            x == y
        }
        (V::Int(_) | V::Num(_), V::Int(_) | V::Num(_)) => num(a) == num(b),
        (V::Arr(x), V::Arr(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !deep_eq(p, q, cx, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (V::Obj(x), V::Obj(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, p) in x.iter() {
                match y.get(k) {
                    Some(q) => {
                        if !deep_eq(p, q, cx, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    None => return Ok(false),
                }
            }
            true
        }
        _ => false,
    })
}

/// Deep merge of `b` into `a` (union of objects).
fn merge(a: &Obj, b: &Obj, cx: &Cx<'_>, depth: usize) -> Result<Obj, Rc<Hole>> {
    if depth > MAX_VALUE_DEPTH {
        return Err(cx.hole("the value is nested too deeply"));
    }
    cx.charge((a.len() + b.len()).saturating_mul(NODE_COST))?;
    let mut out = a.clone();
    for (k, v) in b.iter() {
        let merged = match (out.get(k), v) {
            (Some(V::Obj(x)), V::Obj(y)) => V::Obj(Rc::new(merge(x, y, cx, depth + 1)?)),
            // An unknown value merged with an object: the result is unknown.
            (Some(V::Hole(h)), V::Obj(_)) => V::Hole(h.clone()),
            _ => v.clone(),
        };
        out.insert(k.to_string(), merged);
    }
    Ok(out)
}

/// .NET `String.Split(string[], None)`: at each position the first delimiter that matches
/// splits.
fn split_any<'s>(s: &'s str, delims: &[Rc<str>]) -> Vec<&'s str> {
    let delims: Vec<&str> = delims
        .iter()
        .map(|d| &**d)
        .filter(|d| !d.is_empty())
        .collect();
    if delims.is_empty() {
        return vec![s];
    }
    if let [d] = delims.as_slice() {
        return s.split(d).collect();
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < bytes.len() {
        if !s.is_char_boundary(i) {
            i += 1;
            continue;
        }
        if let Some(d) = delims.iter().find(|d| s[i..].starts_with(**d)) {
            out.push(&s[start..i]);
            i += d.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&s[start..]);
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                out.push(B64[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for (ci, chunk) in clean.chunks(4).enumerate() {
        let last = ci == clean.len() / 4 - 1;
        let mut n = 0u32;
        let mut pad = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = match c {
                b'=' if last && i >= 2 => {
                    pad += 1;
                    0
                }
                _ if pad > 0 => return None,
                _ => B64.iter().position(|&x| x == c)? as u32,
            };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    /// A scope with fixed parameters and variables.
    struct Fixed {
        params: HashMap<String, V>,
        vars: HashMap<String, V>,
    }

    impl Scope for Fixed {
        fn parameter(&self, name: &str, cx: &Cx<'_>) -> V {
            cx.note(Rc::from(format!("parameter {name}")));
            self.params
                .get(name)
                .cloned()
                .unwrap_or_else(|| V::Hole(cx.hole(format!("parameter {name} has no value"))))
        }
        fn variable(&self, name: &str, cx: &Cx<'_>) -> V {
            cx.note(Rc::from(format!("variable {name}")));
            self.vars
                .get(name)
                .cloned()
                .unwrap_or_else(|| V::Hole(cx.hole(format!("variable {name} is not declared"))))
        }
    }

    fn scope() -> Fixed {
        let l = Limits::new();
        let mut params = HashMap::new();
        params.insert("env".into(), V::str("prod"));
        params.insert("count".into(), V::Int(3));
        params.insert(
            "cfg".into(),
            V::from_json(
                &json!({"network": {"plugin": "azure", "policy": "calico"}, "pools": [{"name": "sys"}, {"name": "user"}]}),
                &l,
            ),
        );
        let mut vars = HashMap::new();
        vars.insert(
            "unknownId".into(),
            V::Hole(Rc::new(Hole {
                expr: Rc::from("[reference('x').id]"),
                reason: "reference() reads the state of a deployed resource".into(),
            })),
        );
        Fixed { params, vars }
    }

    /// Evaluates a full template string: Ok(json) when completely known, Err(reason) else.
    fn ev_with(s: &str, sc: &Fixed, loops: &[Loop]) -> Result<Value, String> {
        let limits = Limits::new();
        let Text::Expr(body) = classify(s) else {
            panic!("not an expression: {s}");
        };
        let ast = parse(body).map_err(|e| format!("parse: {e}"))?;
        let cx = Cx {
            scope: sc,
            limits: &limits,
            loops,
            text: Rc::from(s),
            deps: RefCell::new(Vec::new()),
        };
        match cx.eval(&ast) {
            Ok(v) => {
                let mut un = Vec::new();
                let j = v.to_json(&mut String::new(), &mut un, &limits);
                if let Some(u) = un.first() {
                    return Err(format!("partial at {}: {}", u.0, u.2));
                }
                Ok(j)
            }
            Err(h) => Err(h.reason.clone()),
        }
    }

    fn ev(s: &str) -> Result<Value, String> {
        ev_with(s, &scope(), &[])
    }

    #[test]
    fn classifies_expressions_and_escapes() {
        assert_eq!(classify("[a()]"), Text::Expr("a()"));
        assert_eq!(classify("[[a()]"), Text::Literal(Cow::Borrowed("[a()]")));
        assert_eq!(classify("plain"), Text::Literal(Cow::Borrowed("plain")));
        assert_eq!(classify("[a() "), Text::Literal(Cow::Borrowed("[a() ")));
        assert_eq!(classify("[]"), Text::Expr(""));
        assert!(parse("").is_err());
    }

    #[test]
    fn string_literals_quotes_and_escapes() {
        assert_eq!(ev("['it''s']"), Ok(json!("it's")));
        assert_eq!(ev("['']"), Ok(json!("")));
        assert_eq!(ev("['a,b)c']"), Ok(json!("a,b)c")));
        assert_eq!(ev("[concat('[', 'x', ']')]"), Ok(json!("[x]")));
        assert_eq!(ev("['héllo ünïcode']"), Ok(json!("héllo ünïcode")));
    }

    #[test]
    fn nesting_and_property_access() {
        assert_eq!(
            ev("[parameters('cfg').network.policy]"),
            Ok(json!("calico"))
        );
        assert_eq!(
            ev("[parameters('cfg').Network['PLUGIN']]"),
            Ok(json!("azure"))
        );
        assert_eq!(ev("[parameters('cfg').pools[1].name]"), Ok(json!("user")));
        assert_eq!(
            ev("[toUpper(concat(parameters('env'), '-', string(add(parameters('count'), 1))))]"),
            Ok(json!("PROD-4"))
        );
        assert_eq!(ev("[ concat ( 'a' , 'b' ) ]"), Ok(json!("ab")));
        assert_eq!(
            ev("[json('{\"a\":[1,{\"b\":true}]}').a[1].b]"),
            Ok(json!(true))
        );
        assert!(
            ev("[parameters('cfg').nope]")
                .unwrap_err()
                .contains("'nope' does not exist")
        );
        assert!(
            ev("[parameters('cfg').pools[5]]")
                .unwrap_err()
                .contains("out of range")
        );
    }

    #[test]
    fn logic_and_comparison() {
        assert_eq!(
            ev("[if(equals(parameters('env'), 'prod'), 'Standard', 'Free')]"),
            Ok(json!("Standard"))
        );
        assert_eq!(
            ev("[if(equals(parameters('env'), 'Prod'), 'Standard', 'Free')]"),
            Ok(json!("Free"))
        );
        assert_eq!(ev("[and(true(), not(false()))]"), Ok(json!(true)));
        assert_eq!(ev("[or(false, false())]"), Ok(json!(false)));
        assert_eq!(ev("[greater(parameters('count'), 2)]"), Ok(json!(true)));
        assert_eq!(ev("[lessOrEquals('a', 'b')]"), Ok(json!(true)));
        assert_eq!(
            ev("[equals(createArray(1, 'a'), json('[1, \"a\"]'))]"),
            Ok(json!(true))
        );
        assert_eq!(ev("[bool('TRUE')]"), Ok(json!(true)));
        assert_eq!(ev("[string(true())]"), Ok(json!("True")));
        assert_eq!(ev("[string(createObject('a', 1))]"), Ok(json!("{\"a\":1}")));
        assert_eq!(ev("[int('42')]"), Ok(json!(42)));
        assert_eq!(ev("[coalesce(null(), null(), 'x')]"), Ok(json!("x")));
    }

    #[test]
    fn short_circuits_ignore_unknown_branches() {
        let unknown = "reference('x').properties.fqdn";
        assert_eq!(ev(&format!("[if(true(), 'a', {unknown})]")), Ok(json!("a")));
        assert_eq!(
            ev(&format!("[if(false(), {unknown}, 'b')]")),
            Ok(json!("b"))
        );
        assert_eq!(ev(&format!("[or(true(), {unknown})]")), Ok(json!(true)));
        assert_eq!(ev(&format!("[or({unknown}, true())]")), Ok(json!(true)));
        assert_eq!(ev(&format!("[and(false(), {unknown})]")), Ok(json!(false)));
        assert_eq!(ev(&format!("[coalesce('v', {unknown})]")), Ok(json!("v")));
        // An unknown condition with equal branches still has a value.
        assert_eq!(
            ev(&format!("[if(equals({unknown}, 'x'), 'same', 'same')]")),
            Ok(json!("same"))
        );
    }

    #[test]
    fn unknown_values_propagate() {
        let r = ev("[concat('a', reference('x').id)]").unwrap_err();
        assert!(r.contains("reference()"), "{r}");
        assert!(
            ev("[or(false(), reference('x').enabled)]")
                .unwrap_err()
                .contains("reference()")
        );
        assert!(ev("[coalesce(reference('x').a, 'b')]").is_err());
        assert!(ev("[if(reference('x').a, 'a', 'b')]").is_err());
        assert!(
            ev("[toLower(variables('unknownId'))]")
                .unwrap_err()
                .contains("reference()")
        );
        assert!(ev("[uniqueString('a')]").unwrap_err().contains("hash"));
        assert!(
            ev("[resourceGroup().location]")
                .unwrap_err()
                .contains("resource group")
        );
        assert_eq!(
            ev("[frobnicate(1)]"),
            Err("function frobnicate is not evaluated".into())
        );
        assert_eq!(
            ev("[__bicep.myFn(1)]"),
            Err("user-defined function __bicep.myFn is not evaluated".into())
        );
        assert!(
            ev("[parameters('missing')]")
                .unwrap_err()
                .contains("has no value")
        );
    }

    #[test]
    fn holes_stay_inside_built_values() {
        // The known members of an object survive an unknown one.
        let sc = scope();
        let limits = Limits::new();
        let s = "[createObject('mode', 'System', 'vnetSubnetID', variables('unknownId'))]";
        let Text::Expr(body) = classify(s) else {
            unreachable!()
        };
        let cx = Cx {
            scope: &sc,
            limits: &limits,
            loops: &[],
            text: Rc::from(s),
            deps: RefCell::new(Vec::new()),
        };
        let v = cx.eval(&parse(body).unwrap()).unwrap();
        let mut un = Vec::new();
        let j = v.to_json(&mut String::from("/p"), &mut un, &limits);
        assert_eq!(j, json!({"mode": "System", "vnetSubnetID": null}));
        assert_eq!(un.len(), 1);
        assert_eq!(un[0].0, "/p/vnetSubnetID");
        assert_eq!(un[0].1, "[reference('x').id]");
        assert_eq!(cx.deps.borrow().len(), 1);
        // length of an array with an unknown element is known
        assert_eq!(ev("[length(createArray(1, reference('x')))]"), Ok(json!(2)));
    }

    #[test]
    fn string_functions() {
        assert_eq!(
            ev("[format('{0}-{1}-{{x}}', 'aks', 3)]"),
            Ok(json!("aks-3-{x}"))
        );
        assert!(ev("[format('{0:N2}', 3)]").is_err());
        assert_eq!(ev("[replace('a-b-c', '-', '')]"), Ok(json!("abc")));
        assert_eq!(
            ev("[split('a,b;c', createArray(',', ';'))]"),
            Ok(json!(["a", "b", "c"]))
        );
        assert_eq!(ev("[split('a,,b', ',')]"), Ok(json!(["a", "", "b"])));
        assert_eq!(
            ev("[substring('Contoso.com web app', 12, 3)]"),
            Ok(json!("web"))
        );
        assert!(ev("[substring('abc', 2, 5)]").is_err());
        assert_eq!(ev("[startsWith('AbcDef', 'abc')]"), Ok(json!(true)));
        assert_eq!(ev("[endsWith('AbcDef', 'DEF')]"), Ok(json!(true)));
        assert_eq!(ev("[indexOf('abcdef', 'CD')]"), Ok(json!(2)));
        assert_eq!(ev("[lastIndexOf('test', 't')]"), Ok(json!(3)));
        assert_eq!(ev("[contains('OneTwo', 'two')]"), Ok(json!(false)));
        assert_eq!(
            ev("[contains(parameters('cfg'), 'NETWORK')]"),
            Ok(json!(true))
        );
        assert_eq!(ev("[trim('  x ')]"), Ok(json!("x")));
        assert_eq!(ev("[padLeft(7, 3, '0')]"), Ok(json!("007")));
        assert_eq!(ev("[length('héllo')]"), Ok(json!(5)));
        assert_eq!(ev("[take('abcdef', 2)]"), Ok(json!("ab")));
        assert_eq!(ev("[skip(createArray(1, 2, 3), 2)]"), Ok(json!([3])));
        assert_eq!(ev("[first('xyz')]"), Ok(json!("x")));
        assert_eq!(ev("[last(createArray(1, 2))]"), Ok(json!(2)));
        assert_eq!(
            ev("[join(createArray('a', 1, true()), '|')]"),
            Ok(json!("a|1|True"))
        );
        assert_eq!(
            ev("[base64('one, two, three')]"),
            Ok(json!("b25lLCB0d28sIHRocmVl"))
        );
        assert_eq!(
            ev("[base64ToString('b25lLCB0d28sIHRocmVl')]"),
            Ok(json!("one, two, three"))
        );
        assert_eq!(ev("[base64ToString(base64('ab'))]"), Ok(json!("ab")));
        assert!(ev("[base64ToString('!!!')]").is_err());
    }

    #[test]
    fn array_object_and_numeric_functions() {
        assert_eq!(
            ev(
                "[union(json('{\"p\":{\"one\":\"a\",\"three\":\"c1\"},\"arr\":[1,2]}'), json('{\"p\":{\"three\":\"c2\"},\"arr\":[3]}'))]"
            ),
            Ok(json!({"p": {"one": "a", "three": "c2"}, "arr": [3]}))
        );
        assert_eq!(
            ev("[union(createArray(1, 2), createArray(2, 3))]"),
            Ok(json!([1, 2, 3]))
        );
        assert_eq!(
            ev("[intersection(createArray(1, 2, 3), createArray(3, 2))]"),
            Ok(json!([2, 3]))
        );
        assert_eq!(
            ev("[concat(createArray(1), createArray(2, 3))]"),
            Ok(json!([1, 2, 3]))
        );
        assert_eq!(ev("[range(2, 3)]"), Ok(json!([2, 3, 4])));
        assert!(ev("[range(0, 100000000)]").is_err());
        assert_eq!(ev("[max(1, createArray(5, 2))]"), Ok(json!(5)));
        assert_eq!(ev("[mod(7, 3)]"), Ok(json!(1)));
        assert!(ev("[div(1, 0)]").is_err());
        assert!(ev("[add(9223372036854775807, 1)]").is_err());
        assert_eq!(ev("[empty(createObject())]"), Ok(json!(true)));
        assert_eq!(
            ev("[objectKeys(createObject('b', 1, 'a', 2))]"),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            ev("[items(createObject('k', 1))]"),
            Ok(json!([{"key": "k", "value": 1}]))
        );
        assert_eq!(
            ev("[tryGet(parameters('cfg'), 'network', 'policy')]"),
            Ok(json!("calico"))
        );
        assert_eq!(ev("[tryGet(parameters('cfg'), 'nope')]"), Ok(json!(null)));
        assert_eq!(ev("[array('x')]"), Ok(json!(["x"])));
        assert_eq!(
            ev("[flatten(createArray(createArray(1), createArray(2)))]"),
            Ok(json!([1, 2]))
        );
        assert_eq!(ev("[-3]"), Ok(json!(-3)));
    }

    #[test]
    fn resource_ids() {
        assert_eq!(
            ev(
                "[resourceId('sub1', 'rg1', 'Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')]"
            ),
            Ok(json!(
                "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet"
            ))
        );
        let r = ev("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')]")
            .unwrap_err();
        assert!(r.contains("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet"), "{r}");
        assert_eq!(
            ev("[subscriptionResourceId('s', 'Microsoft.Authorization/roleDefinitions', 'abc')]"),
            Ok(json!(
                "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/abc"
            ))
        );
        assert!(
            ev("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')]")
                .is_err()
        );
        assert_eq!(
            ev("[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p')]"),
            Ok(json!(
                "/providers/Microsoft.Authorization/policyDefinitions/p"
            ))
        );
        assert_eq!(
            ev(
                "[extensionResourceId('/subscriptions/s/resourceGroups/r', 'Microsoft.Authorization/locks', 'l')]"
            ),
            Ok(json!(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Authorization/locks/l"
            ))
        );
        assert!(
            ev("[resourceId('s', 'r', 'Microsoft.Network/virtualNetworks/subnets', 'vnet')]")
                .unwrap_err()
                .contains("needs 2 name segments")
        );
    }

    #[test]
    fn copy_index_uses_the_loop() {
        let sc = scope();
        let loops = [
            Loop {
                name: Rc::from("pools"),
                index: Some(2),
                resource: true,
            },
            Loop {
                name: Rc::from("profiles"),
                index: Some(5),
                resource: false,
            },
        ];
        assert_eq!(ev_with("[copyIndex()]", &sc, &loops), Ok(json!(2)));
        assert_eq!(ev_with("[copyIndex(1)]", &sc, &loops), Ok(json!(3)));
        assert_eq!(
            ev_with("[copyIndex('Profiles')]", &sc, &loops),
            Ok(json!(5))
        );
        assert!(ev_with("[copyIndex('other')]", &sc, &loops).is_err());
        assert!(ev_with("[copyIndex()]", &sc, &[]).is_err());
        let unknown = [Loop {
            name: Rc::from("pools"),
            index: None,
            resource: true,
        }];
        assert!(
            ev_with("[copyIndex()]", &sc, &unknown)
                .unwrap_err()
                .contains("count of copy loop 'pools'")
        );
    }

    #[test]
    fn bad_syntax_is_an_error_not_a_panic() {
        for s in [
            "concat('a'",
            "concat('a',)",
            "'unterminated",
            "concat(",
            ")",
            "a.b",
            "1.5",
            "'a''",
            "parameters('x').",
            "parameters('x')[0",
            "99999999999999999999",
            "concat('a') extra",
            "-",
            "[",
            "f(,)",
            "ns.fn",
            "é(",
            "concat('é'",
        ] {
            assert!(parse(s).is_err(), "{s} should not parse");
        }
        assert_eq!(
            parse("'a''").unwrap_err().message,
            "unterminated string literal"
        );
        assert_eq!(parse("'a'''").unwrap(), Ast::Str(Rc::from("a'")));
        assert_eq!(parse("'a'''''").unwrap(), Ast::Str(Rc::from("a''")));
    }

    #[test]
    fn deep_nesting_is_rejected_without_overflow() {
        let deep = format!("{}1{}", "string(".repeat(10_000), ")".repeat(10_000));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested more than 64"), "{e}");
        let idx = format!("createArray(1){}", "[0]".repeat(5_000));
        assert!(parse(&idx).is_ok());
        let nested_idx = format!("x(){}", "[x()".repeat(5_000));
        assert!(parse(&nested_idx).is_err());
        assert_eq!(
            ev(&format!("[{}1{}]", "string(".repeat(60), ")".repeat(60))),
            Ok(json!("1"))
        );
    }

    #[test]
    fn huge_inputs_stay_linear() {
        let big = "a".repeat(2_000_000);
        let s = format!("[concat('{big}', '{big}')]");
        let t = std::time::Instant::now();
        assert_eq!(
            ev(&s).map(|v| v.as_str().map(str::len)),
            Ok(Some(4_000_000))
        );
        let many = format!("[concat({})]", vec!["'x'"; 200_000].join(","));
        assert_eq!(
            ev(&many).map(|v| v.as_str().map(str::len)),
            Ok(Some(200_000))
        );
        let too_big = format!("[concat('{big}', '{big}', '{big}')]");
        assert!(ev(&too_big).unwrap_err().contains("4 MB"));
        assert!(t.elapsed().as_secs() < 10);
    }

    #[test]
    fn budget_stops_runaway_evaluation() {
        let limits = Limits::new();
        assert!(limits.charge(10));
        assert!(!limits.charge(BUDGET as usize));
        assert!(limits.exhausted());
        let sc = scope();
        let cx = Cx {
            scope: &sc,
            limits: &limits,
            loops: &[],
            text: Rc::from("[x]"),
            deps: RefCell::new(Vec::new()),
        };
        let e = cx.eval(&parse("concat('a', 'b')").unwrap()).unwrap_err();
        assert!(e.reason.contains("budget"), "{}", e.reason);
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,60}") {
            let _ = parse(&s);
        }

        #[test]
        fn parser_never_panics_on_expression_like_text(s in "[a-z()',.\\[\\] 0-9-]{0,80}") {
            if let Ok(ast) = parse(&s) {
                let sc = scope();
                let limits = Limits::new();
                let cx = Cx { scope: &sc, limits: &limits, loops: &[], text: Rc::from(s.as_str()), deps: RefCell::new(Vec::new()) };
                let _ = cx.eval(&ast);
            }
        }
    }
}
