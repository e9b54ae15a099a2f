//! Terraform configuration (`.tf` files of one module) to the AKS cluster model.
//!
//! The files are parsed with `hcl-edit` (through `hcl-rs`, which keeps byte spans, so every
//! value gets its line), and the attributes of `azurerm_kubernetes_cluster` and
//! `azurerm_kubernetes_cluster_node_pool` resources are evaluated by a small, partial evaluator:
//! literals, `var.x` (from the tfvars, else the variable's `default`), `local.x`, operators,
//! conditionals, `for` expressions, splats, string templates and the common functions. What
//! cannot be known without Terraform (other resources' attributes, data sources, module outputs,
//! functions reading files) becomes an [`Unresolved`] value carrying its expression text.
//! `dynamic` blocks are expanded when their `for_each` is known; `count` and `for_each` on the
//! resources themselves too (`count = 0`: the resource does not exist).
//!
//! The result goes through the same azurerm -> ARM mapping as plans
//! ([`super::terraform::cluster_from_azurerm_with`]).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use hcl::edit::Span;
use hcl::edit::expr::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey, Traversal, TraversalOperator,
    UnaryOperator,
};
use hcl::edit::parser;
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use hcl::edit::template::{Directive, Element, Template};
use serde_json::{Map, Value};

use super::model::{Cluster, Shape, Unresolved};
use super::terraform::{
    CLUSTER_TYPE, POOL_TYPE, TfResource, cluster_from_azurerm_with, major_from_constraint, num,
};

/// How deep expressions (with the locals they use) are evaluated.
const MAX_EVAL_DEPTH: u32 = 100;
/// How many evaluation steps one attribute may take (nested `for` expressions multiply).
const MAX_STEPS: u64 = 250_000;
/// How many evaluation steps one module may take.
const MAX_TOTAL_STEPS: u64 = 10_000_000;
/// How deep nested blocks are read.
const MAX_BLOCK_DEPTH: usize = 32;
/// How many instances `count` / `for_each` may create.
const MAX_INSTANCES: usize = 64;
/// Resource arguments that are not attributes of the resource.
const META_ARGS: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle"];

/// An error of one file: (file, line, message).
pub type HclError = (Arc<str>, Option<u32>, String);

/// A value being evaluated: JSON-like, with unknown parts.
#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Ev>),
    Obj(BTreeMap<String, Ev>),
    Unknown(Box<Unresolved>),
}

impl Ev {
    fn type_name(&self) -> &'static str {
        match self {
            Ev::Null => "null",
            Ev::Bool(_) => "bool",
            Ev::Num(_) => "number",
            Ev::Str(_) => "string",
            Ev::List(_) => "list",
            Ev::Obj(_) => "object",
            Ev::Unknown(_) => "unknown",
        }
    }

    /// The first unknown part, depth first.
    fn first_unknown(&self) -> Option<&Unresolved> {
        match self {
            Ev::Unknown(u) => Some(u),
            Ev::List(v) => v.iter().find_map(Ev::first_unknown),
            Ev::Obj(m) => m.values().find_map(Ev::first_unknown),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Ev::Bool(b) => Some(*b),
            Ev::Str(s) if s == "true" => Some(true),
            Ev::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    fn as_num(&self) -> Option<f64> {
        match self {
            Ev::Num(n) => Some(*n),
            Ev::Str(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            _ => None,
        }
    }

    /// The value as template text (strings, numbers and bools only).
    fn to_text(&self) -> Result<String, String> {
        match self {
            Ev::Str(s) => Ok(s.clone()),
            Ev::Num(n) => Ok(fmt_num(*n)),
            Ev::Bool(b) => Ok(b.to_string()),
            other => Err(format!("cannot use a {} as text", other.type_name())),
        }
    }

    fn from_json(v: &Value) -> Ev {
        match v {
            Value::Null => Ev::Null,
            Value::Bool(b) => Ev::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Ev::Null, Ev::Num),
            Value::String(s) => Ev::Str(s.clone()),
            Value::Array(a) => Ev::List(a.iter().map(Ev::from_json).collect()),
            Value::Object(m) => Ev::Obj(
                m.iter()
                    .map(|(k, v)| (k.clone(), Ev::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The value as JSON when it has no unknown part.
    fn to_json(&self) -> Option<Value> {
        Some(match self {
            Ev::Null => Value::Null,
            Ev::Bool(b) => Value::Bool(*b),
            Ev::Num(n) => num(*n)?,
            Ev::Str(s) => Value::String(s.clone()),
            Ev::List(v) => Value::Array(v.iter().map(Ev::to_json).collect::<Option<_>>()?),
            Ev::Obj(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect::<Option<Map<_, _>>>()?,
            ),
            Ev::Unknown(_) => return None,
        })
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        (n as i64).to_string()
    } else {
        n.to_string()
    }
}

fn unknown(expr: impl Into<String>, reason: impl Into<String>) -> Ev {
    Ev::Unknown(Box::new(Unresolved {
        expr: expr.into(),
        reason: reason.into(),
    }))
}

/// A parsed `.tf` or `.tfvars` file.
struct PFile {
    name: Arc<str>,
    text: String,
    /// Byte offset of the start of every line.
    starts: Vec<usize>,
}

impl PFile {
    fn new(name: Arc<str>, text: &str) -> PFile {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        PFile {
            name,
            text: text.to_string(),
            starts,
        }
    }

    fn line(&self, offset: usize) -> u32 {
        self.starts.partition_point(|&s| s <= offset).max(1) as u32
    }

    fn line_of(&self, span: Option<Range<usize>>) -> Option<u32> {
        span.map(|r| self.line(r.start))
    }

    /// The source text of a span, on one line and at most 200 characters long.
    fn text_of(&self, span: Option<Range<usize>>) -> String {
        let raw = span.and_then(|r| self.text.get(r)).unwrap_or("").trim();
        let mut out = String::new();
        let mut space = false;
        for ch in raw.chars() {
            if ch.is_whitespace() {
                space = true;
                continue;
            }
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(ch);
            if out.len() > 200 {
                out.push_str("...");
                break;
            }
        }
        out
    }

    fn loc(&self, span: Option<Range<usize>>) -> String {
        match self.line_of(span) {
            Some(l) => format!("{}:{l}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// Variables bound by `for` expressions, `dynamic` blocks, `count` and `for_each`.
struct Scope<'s> {
    name: &'s str,
    value: Ev,
    parent: Option<&'s Scope<'s>>,
}

fn scope_get<'s>(mut sc: Option<&'s Scope<'s>>, name: &str) -> Option<&'s Ev> {
    while let Some(s) = sc {
        if s.name == name {
            return Some(&s.value);
        }
        sc = s.parent;
    }
    None
}

/// The evaluator of one module.
struct Ctx<'a> {
    files: &'a [PFile],
    vars: HashMap<String, Ev>,
    locals: HashMap<String, (usize, &'a Expression)>,
    local_cache: RefCell<HashMap<String, Ev>>,
    local_busy: RefCell<HashSet<String>>,
    depth: Cell<u32>,
    /// Steps of the current top-level evaluation, and of the whole module.
    steps: Cell<u64>,
    total: Cell<u64>,
}

type R = Result<Ev, String>;

impl<'a> Ctx<'a> {
    fn new(files: &'a [PFile]) -> Ctx<'a> {
        Ctx {
            files,
            vars: HashMap::new(),
            locals: HashMap::new(),
            local_cache: RefCell::new(HashMap::new()),
            local_busy: RefCell::new(HashSet::new()),
            depth: Cell::new(0),
            steps: Cell::new(0),
            total: Cell::new(0),
        }
    }

    fn text(&self, f: usize, span: Option<Range<usize>>) -> String {
        self.files
            .get(f)
            .map(|p| p.text_of(span))
            .unwrap_or_default()
    }

    fn unk(&self, f: usize, e: &Expression, reason: impl Into<String>) -> Ev {
        unknown(self.text(f, e.span()), reason)
    }

    /// Evaluates an attribute, a `count` or a `for_each` (with a fresh step budget).
    fn eval_top(&self, e: &Expression, f: usize, sc: Option<&Scope>) -> R {
        self.steps.set(0);
        self.eval(e, f, sc)
    }

    fn eval(&self, e: &Expression, f: usize, sc: Option<&Scope>) -> R {
        let d = self.depth.get();
        if d >= MAX_EVAL_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        let total = self.total.get() + 1;
        self.total.set(total);
        if steps > MAX_STEPS {
            return Err("the expression takes too long to evaluate".into());
        }
        if total > MAX_TOTAL_STEPS {
            return Err("the module takes too long to evaluate".into());
        }
        self.depth.set(d + 1);
        let r = self.eval_inner(e, f, sc);
        self.depth.set(d);
        r
    }

    fn eval_inner(&self, e: &Expression, f: usize, sc: Option<&Scope>) -> R {
        match e {
            Expression::Null(_) => Ok(Ev::Null),
            Expression::Bool(b) => Ok(Ev::Bool(*b.value())),
            Expression::Number(n) => n
                .value()
                .as_f64()
                .map(Ev::Num)
                .ok_or_else(|| "invalid number".to_string()),
            Expression::String(s) => Ok(Ev::Str(s.value().clone())),
            Expression::Array(a) => a
                .iter()
                .map(|x| self.eval(x, f, sc))
                .collect::<Result<Vec<_>, _>>()
                .map(Ev::List),
            Expression::Object(o) => {
                let mut m = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.value().as_str().to_string(),
                        ObjectKey::Expression(ke) => match self.eval(ke, f, sc)? {
                            Ev::Unknown(u) => return Ok(Ev::Unknown(u)),
                            other => other.to_text()?,
                        },
                    };
                    m.insert(key, self.eval(v.expr(), f, sc)?);
                }
                Ok(Ev::Obj(m))
            }
            Expression::StringTemplate(t) => self.eval_template(t, f, sc, true),
            Expression::HeredocTemplate(h) => self.eval_template(&h.template, f, sc, true),
            Expression::Parenthesis(p) => self.eval(p.inner(), f, sc),
            Expression::Variable(v) => {
                let name = v.value().as_str();
                match scope_get(sc, name) {
                    Some(x) => Ok(x.clone()),
                    None => Err(format!("unknown variable \"{name}\"")),
                }
            }
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr, f, sc)?;
                match cond.as_bool() {
                    Some(true) => self.eval(&c.true_expr, f, sc),
                    Some(false) => self.eval(&c.false_expr, f, sc),
                    None => match cond {
                        Ev::Unknown(u) => {
                            // Both branches alike: the condition does not matter.
                            let a = self.eval(&c.true_expr, f, sc).ok();
                            let b = self.eval(&c.false_expr, f, sc).ok();
                            match (a, b) {
                                (Some(a), Some(b)) if a == b && a.first_unknown().is_none() => {
                                    Ok(a)
                                }
                                _ => Ok(self.unk(f, e, u.reason)),
                            }
                        }
                        other => Err(format!(
                            "the condition is a {}, not a bool",
                            other.type_name()
                        )),
                    },
                }
            }
            Expression::FuncCall(fc) => self.call(fc, e, f, sc),
            Expression::Traversal(t) => self.eval_traversal(t, e, f, sc),
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr, f, sc)?;
                if let Ev::Unknown(_) = v {
                    return Ok(v);
                }
                match *u.operator.value() {
                    UnaryOperator::Not => v
                        .as_bool()
                        .map(|b| Ev::Bool(!b))
                        .ok_or_else(|| format!("cannot negate a {}", v.type_name())),
                    UnaryOperator::Neg => v
                        .as_num()
                        .map(|n| Ev::Num(-n))
                        .ok_or_else(|| format!("cannot negate a {}", v.type_name())),
                }
            }
            Expression::BinaryOp(b) => {
                let l = self.eval(&b.lhs_expr, f, sc)?;
                let r = self.eval(&b.rhs_expr, f, sc)?;
                binary(*b.operator.value(), l, r)
            }
            Expression::ForExpr(fe) => self.eval_for(fe, f, sc),
        }
    }

    fn eval_traversal(&self, t: &Traversal, whole: &Expression, f: usize, sc: Option<&Scope>) -> R {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let (base, used) = match &t.expr {
            Expression::Variable(v) => self.root(v.value().as_str(), &ops, whole, f, sc)?,
            other => (self.eval(other, f, sc)?, 0),
        };
        self.apply_ops(base, ops.get(used..).unwrap_or(&[]), f, sc)
    }

    /// The value a traversal starts from, and how many of its operators that used.
    fn root(
        &self,
        name: &str,
        ops: &[&TraversalOperator],
        whole: &Expression,
        f: usize,
        sc: Option<&Scope>,
    ) -> Result<(Ev, usize), String> {
        if let Some(v) = scope_get(sc, name) {
            return Ok((v.clone(), 0));
        }
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.value().as_str()),
            _ => None,
        };
        let all = ops.len();
        let v = match name {
            "var" => {
                let Some(n) = attr(0) else {
                    return Err("\"var\" must be followed by a variable name".into());
                };
                let v = match self.vars.get(n) {
                    Some(v) => v.clone(),
                    None => unknown(
                        format!("var.{n}"),
                        format!("variable \"{n}\" is not declared"),
                    ),
                };
                return Ok((v, 1));
            }
            "local" => {
                let Some(n) = attr(0) else {
                    return Err("\"local\" must be followed by a local value name".into());
                };
                return Ok((self.local(n), 1));
            }
            "count" | "each" => self.unk(
                f,
                whole,
                format!("{name} is only known inside a resource that uses it"),
            ),
            "path" | "terraform" => self.unk(f, whole, format!("{name}.* is not evaluated")),
            "self" => self.unk(f, whole, "self is not evaluated"),
            "data" => {
                let what = match (attr(0), attr(1)) {
                    (Some(t), Some(n)) => format!("data.{t}.{n}"),
                    _ => "a data source".to_string(),
                };
                self.unk(f, whole, format!("refers to data source {what}"))
            }
            "module" => {
                let m = attr(0).unwrap_or("?");
                self.unk(f, whole, format!("refers to an output of module \"{m}\""))
            }
            _ => match attr(0) {
                Some(n) => self.unk(
                    f,
                    whole,
                    format!("refers to resource {name}.{n}, known only after apply"),
                ),
                None => return Err(format!("unknown variable \"{name}\"")),
            },
        };
        Ok((v, all))
    }

    /// The value of `local.name` (evaluated once; a cycle is unresolved).
    fn local(&self, name: &str) -> Ev {
        if let Some(v) = self.local_cache.borrow().get(name) {
            return v.clone();
        }
        let Some(&(f, e)) = self.locals.get(name) else {
            return unknown(
                format!("local.{name}"),
                format!("local value \"{name}\" is not defined"),
            );
        };
        if !self.local_busy.borrow_mut().insert(name.to_string()) {
            return unknown(
                format!("local.{name}"),
                format!("local value \"{name}\" refers to itself"),
            );
        }
        let v = match self.eval(e, f, None) {
            Ok(Ev::Unknown(u)) => unknown(format!("local.{name}"), u.reason),
            Ok(v) => v,
            Err(msg) => unknown(
                format!("local.{name}"),
                format!("local value \"{name}\" cannot be evaluated: {msg}"),
            ),
        };
        self.local_busy.borrow_mut().remove(name);
        self.local_cache
            .borrow_mut()
            .insert(name.to_string(), v.clone());
        v
    }

    fn apply_ops(&self, base: Ev, ops: &[&TraversalOperator], f: usize, sc: Option<&Scope>) -> R {
        let mut cur = base;
        for (i, op) in ops.iter().enumerate() {
            if let Ev::Unknown(_) = cur {
                return Ok(cur);
            }
            cur = match op {
                TraversalOperator::GetAttr(a) => get_attr(cur, a.value().as_str())?,
                TraversalOperator::Index(ix) => {
                    let k = self.eval(ix, f, sc)?;
                    index(cur, k)?
                }
                TraversalOperator::LegacyIndex(n) => index(cur, Ev::Num(*n.value() as f64))?,
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match cur {
                        Ev::List(v) => v,
                        Ev::Null => Vec::new(),
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::with_capacity(items.len());
                    for it in items {
                        out.push(self.apply_ops(it, rest, f, sc)?);
                    }
                    return Ok(Ev::List(out));
                }
            };
        }
        Ok(cur)
    }

    fn eval_for(&self, fe: &ForExpr, f: usize, sc: Option<&Scope>) -> R {
        let items: Vec<(Ev, Ev)> = match self.eval(&fe.intro.collection_expr, f, sc)? {
            Ev::List(v) => v
                .into_iter()
                .enumerate()
                .map(|(i, x)| (Ev::Num(i as f64), x))
                .collect(),
            Ev::Obj(m) => m.into_iter().map(|(k, v)| (Ev::Str(k), v)).collect(),
            u @ Ev::Unknown(_) => return Ok(u),
            other => return Err(format!("cannot iterate over a {}", other.type_name())),
        };
        let vname = fe.intro.value_var.value().as_str();
        let kname = fe.intro.key_var.as_ref().map(|k| k.value().as_str());
        let mut list = Vec::new();
        let mut obj: BTreeMap<String, Ev> = BTreeMap::new();
        for (k, v) in items {
            let vs = Scope {
                name: vname,
                value: v,
                parent: sc,
            };
            let ks;
            let scope = match kname {
                Some(kn) => {
                    ks = Scope {
                        name: kn,
                        value: k,
                        parent: Some(&vs),
                    };
                    &ks
                }
                None => &vs,
            };
            if let Some(c) = &fe.cond {
                match self.eval(&c.expr, f, Some(scope))? {
                    u @ Ev::Unknown(_) => return Ok(u),
                    b => match b.as_bool() {
                        Some(true) => {}
                        Some(false) => continue,
                        None => return Err("a for condition must be a bool".into()),
                    },
                }
            }
            let value = self.eval(&fe.value_expr, f, Some(scope))?;
            match &fe.key_expr {
                Some(ke) => {
                    let key = match self.eval(ke, f, Some(scope))? {
                        u @ Ev::Unknown(_) => return Ok(u),
                        other => other.to_text()?,
                    };
                    if fe.grouping {
                        match obj.entry(key).or_insert_with(|| Ev::List(Vec::new())) {
                            Ev::List(l) => l.push(value),
                            _ => return Err("grouping failed".into()),
                        }
                    } else if obj.insert(key.clone(), value).is_some() {
                        return Err(format!("duplicate key \"{key}\" in a for expression"));
                    }
                }
                None => list.push(value),
            }
        }
        Ok(if fe.key_expr.is_some() {
            Ev::Obj(obj)
        } else {
            Ev::List(list)
        })
    }

    /// A template: one interpolation alone keeps its value's type (`"${var.x}"`) unless
    /// `whole_value` is false.
    fn eval_template(&self, t: &Template, f: usize, sc: Option<&Scope>, whole_value: bool) -> R {
        let elems: Vec<&Element> = t.iter().collect();
        if whole_value
            && elems.len() == 1
            && let Some(Element::Interpolation(i)) = elems.first()
        {
            return self.eval(&i.expr, f, sc);
        }
        let mut s = String::new();
        for el in elems {
            match el {
                Element::Literal(l) => s.push_str(l.value()),
                Element::Interpolation(i) => match self.eval(&i.expr, f, sc)? {
                    u @ Ev::Unknown(_) => return Ok(u),
                    v => s.push_str(&v.to_text()?),
                },
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => {
                        let cond = self.eval(&ifd.if_expr.cond_expr, f, sc)?;
                        let part = match cond.as_bool() {
                            Some(true) => {
                                self.eval_template(&ifd.if_expr.template, f, sc, false)?
                            }
                            Some(false) => match &ifd.else_expr {
                                Some(e) => self.eval_template(&e.template, f, sc, false)?,
                                None => Ev::Str(String::new()),
                            },
                            None => match cond {
                                u @ Ev::Unknown(_) => return Ok(u),
                                _ => return Err("an if directive needs a bool".into()),
                            },
                        };
                        match part {
                            u @ Ev::Unknown(_) => return Ok(u),
                            v => s.push_str(&v.to_text()?),
                        }
                    }
                    Directive::For(fd) => {
                        let fx = &fd.for_expr;
                        let items: Vec<(Ev, Ev)> = match self.eval(&fx.collection_expr, f, sc)? {
                            Ev::List(v) => v
                                .into_iter()
                                .enumerate()
                                .map(|(i, x)| (Ev::Num(i as f64), x))
                                .collect(),
                            Ev::Obj(m) => m.into_iter().map(|(k, v)| (Ev::Str(k), v)).collect(),
                            u @ Ev::Unknown(_) => return Ok(u),
                            other => {
                                return Err(format!("cannot iterate over a {}", other.type_name()));
                            }
                        };
                        let vname = fx.value_var.value().as_str();
                        let kname = fx.key_var.as_ref().map(|k| k.value().as_str());
                        for (k, v) in items {
                            let vs = Scope {
                                name: vname,
                                value: v,
                                parent: sc,
                            };
                            let ks;
                            let scope = match kname {
                                Some(kn) => {
                                    ks = Scope {
                                        name: kn,
                                        value: k,
                                        parent: Some(&vs),
                                    };
                                    &ks
                                }
                                None => &vs,
                            };
                            match self.eval_template(&fx.template, f, Some(scope), false)? {
                                u @ Ev::Unknown(_) => return Ok(u),
                                v => s.push_str(&v.to_text()?),
                            }
                        }
                    }
                },
            }
        }
        Ok(Ev::Str(s))
    }

    fn call(&self, fc: &FuncCall, whole: &Expression, f: usize, sc: Option<&Scope>) -> R {
        let name = fc.name.name.value().as_str();
        if fc.name.is_namespaced() {
            return Ok(self.unk(
                f,
                whole,
                format!("provider function {name} is not evaluated"),
            ));
        }
        match name {
            "try" => {
                for a in fc.args.iter() {
                    if let Ok(v) = self.eval(a, f, sc) {
                        return Ok(v);
                    }
                }
                return Err("no argument of try() can be evaluated".into());
            }
            "can" => {
                return Ok(match fc.args.get(0).map(|a| self.eval(a, f, sc)) {
                    Some(Ok(u @ Ev::Unknown(_))) => u,
                    Some(Ok(_)) => Ev::Bool(true),
                    _ => Ev::Bool(false),
                });
            }
            _ => {}
        }
        let mut args = fc
            .args
            .iter()
            .map(|a| self.eval(a, f, sc))
            .collect::<Result<Vec<_>, _>>()?;
        if fc.args.expand_final() {
            match args.pop() {
                Some(Ev::List(v)) => args.extend(v),
                Some(u @ Ev::Unknown(_)) => return Ok(u),
                _ => return Err("only a list can be expanded with ...".into()),
            }
        }
        if name == "coalesce" {
            for a in args {
                match a {
                    Ev::Null => {}
                    Ev::Str(ref s) if s.is_empty() => {}
                    other => return Ok(other),
                }
            }
            return Err("coalesce() has no non-null argument".into());
        }
        // Other functions: an argument that is unknown as a whole makes the result unknown.
        if let Some(u) = args.iter().find(|a| matches!(a, Ev::Unknown(_))) {
            return Ok(u.clone());
        }
        call_pure(name, args).unwrap_or_else(|| {
            Ok(self.unk(f, whole, format!("function {name}() is not evaluated")))
        })
    }
}

fn get_attr(v: Ev, name: &str) -> R {
    match v {
        Ev::Obj(mut m) => m
            .remove(name)
            .ok_or_else(|| format!("the object has no attribute \"{name}\"")),
        Ev::Null => Err(format!("cannot read attribute \"{name}\" of null")),
        other => Err(format!(
            "cannot read attribute \"{name}\" of a {}",
            other.type_name()
        )),
    }
}

fn index(v: Ev, key: Ev) -> R {
    if let Ev::Unknown(_) = key {
        return Ok(key);
    }
    match v {
        Ev::List(mut l) => {
            let i = key
                .as_num()
                .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                .ok_or("a list index must be a whole number")?;
            let i = i as usize;
            if i < l.len() {
                Ok(l.swap_remove(i))
            } else {
                Err(format!("index {i} is out of range ({} elements)", l.len()))
            }
        }
        Ev::Obj(mut m) => {
            let k = key.to_text()?;
            m.remove(&k)
                .ok_or_else(|| format!("the map has no key \"{k}\""))
        }
        other => Err(format!("cannot index a {}", other.type_name())),
    }
}

/// Whether two values are equal (numbers by value); `None` when an unknown part decides.
fn equal(a: &Ev, b: &Ev) -> Option<bool> {
    if a.first_unknown().is_some() || b.first_unknown().is_some() {
        return None;
    }
    Some(a == b)
}

fn binary(op: BinaryOperator, l: Ev, r: Ev) -> R {
    use BinaryOperator::*;
    match op {
        And | Or => {
            let (lb, rb) = (l.as_bool(), r.as_bool());
            let short = op == Or;
            // A known operand that decides the result wins over an unknown one.
            if lb == Some(short) || rb == Some(short) {
                return Ok(Ev::Bool(short));
            }
            match (lb, rb) {
                (Some(a), Some(b)) => Ok(Ev::Bool(if short { a || b } else { a && b })),
                _ => match (l, r) {
                    (u @ Ev::Unknown(_), _) | (_, u @ Ev::Unknown(_)) => Ok(u),
                    (a, b) => Err(format!(
                        "{} needs bools, not {} and {}",
                        op.as_str(),
                        a.type_name(),
                        b.type_name()
                    )),
                },
            }
        }
        Eq | NotEq => match equal(&l, &r) {
            Some(e) => Ok(Ev::Bool(e == (op == Eq))),
            None => Ok(l
                .first_unknown()
                .or(r.first_unknown())
                .map(|u| Ev::Unknown(Box::new(u.clone())))
                .unwrap_or(Ev::Null)),
        },
        _ => {
            if let Ev::Unknown(_) = l {
                return Ok(l);
            }
            if let Ev::Unknown(_) = r {
                return Ok(r);
            }
            let (Some(a), Some(b)) = (l.as_num(), r.as_num()) else {
                return Err(format!(
                    "{} needs numbers, not {} and {}",
                    op.as_str(),
                    l.type_name(),
                    r.type_name()
                ));
            };
            Ok(match op {
                Less => Ev::Bool(a < b),
                LessEq => Ev::Bool(a <= b),
                Greater => Ev::Bool(a > b),
                GreaterEq => Ev::Bool(a >= b),
                Plus => Ev::Num(a + b),
                Minus => Ev::Num(a - b),
                Mul => Ev::Num(a * b),
                Div if b == 0.0 => return Err("division by zero".into()),
                Div => Ev::Num(a / b),
                Mod if b == 0.0 => return Err("modulo by zero".into()),
                Mod => Ev::Num(a % b),
                _ => return Err(format!("unsupported operator {}", op.as_str())),
            })
        }
    }
}

fn want_str(v: &Ev, func: &str) -> Result<String, String> {
    match v {
        Ev::Str(s) => Ok(s.clone()),
        Ev::Num(_) | Ev::Bool(_) => v.to_text(),
        other => Err(format!(
            "{func}() needs a string, not a {}",
            other.type_name()
        )),
    }
}

fn want_list(v: Ev, func: &str) -> Result<Vec<Ev>, String> {
    match v {
        Ev::List(l) => Ok(l),
        other => Err(format!(
            "{func}() needs a list, not a {}",
            other.type_name()
        )),
    }
}

fn flatten_into(v: Ev, out: &mut Vec<Ev>, depth: usize) -> Result<(), String> {
    match v {
        Ev::List(l) if depth < 32 => {
            for x in l {
                flatten_into(x, out, depth + 1)?;
            }
            Ok(())
        }
        Ev::List(_) => Err("flatten(): lists nested too deeply".into()),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

/// The functions [`call_pure`] evaluates.
const PURE_FUNCTIONS: &[&str] = &[
    "lower",
    "upper",
    "trimspace",
    "tobool",
    "tostring",
    "tonumber",
    "tolist",
    "toset",
    "tomap",
    "length",
    "lookup",
    "contains",
    "concat",
    "merge",
    "join",
    "split",
    "replace",
    "keys",
    "values",
    "element",
    "flatten",
    "distinct",
    "compact",
    "min",
    "max",
    "abs",
    "jsonencode",
];

/// The functions evaluated on known arguments; `None` for the others.
fn call_pure(name: &str, args: Vec<Ev>) -> Option<R> {
    PURE_FUNCTIONS.contains(&name).then(|| pure(name, args))
}

fn pure(name: &str, args: Vec<Ev>) -> R {
    let given = args.len();
    let arity = |n: usize| -> Result<(), String> {
        if given == n {
            Ok(())
        } else {
            Err(format!("{name}() takes {n} argument(s), not {given}"))
        }
    };
    match name {
        "lower" | "upper" | "trimspace" => {
            arity(1)?;
            let s = want_str(&args[0], name)?;
            Ok(Ev::Str(match name {
                "lower" => s.to_lowercase(),
                "upper" => s.to_uppercase(),
                _ => s.trim().to_string(),
            }))
        }
        "tobool" => {
            arity(1)?;
            match &args[0] {
                Ev::Null => Ok(Ev::Null),
                v => v
                    .as_bool()
                    .map(Ev::Bool)
                    .ok_or_else(|| format!("tobool() cannot convert a {}", v.type_name())),
            }
        }
        "tostring" => {
            arity(1)?;
            match &args[0] {
                Ev::Null => Ok(Ev::Null),
                v => want_str(v, name).map(Ev::Str),
            }
        }
        "tonumber" => {
            arity(1)?;
            match &args[0] {
                Ev::Null => Ok(Ev::Null),
                v => v
                    .as_num()
                    .map(Ev::Num)
                    .ok_or_else(|| "tonumber() cannot convert the value".to_string()),
            }
        }
        "tolist" | "toset" | "tomap" => {
            arity(1)?;
            let v = args.into_iter().next().unwrap_or(Ev::Null);
            match (name, v) {
                ("toset", Ev::List(l)) => {
                    let mut out: Vec<Ev> = Vec::new();
                    for x in l {
                        if !out.contains(&x) {
                            out.push(x);
                        }
                    }
                    Ok(Ev::List(out))
                }
                (_, v) => Ok(v),
            }
        }
        "length" => {
            arity(1)?;
            match &args[0] {
                Ev::List(l) => Ok(Ev::Num(l.len() as f64)),
                Ev::Obj(m) => Ok(Ev::Num(m.len() as f64)),
                Ev::Str(s) => Ok(Ev::Num(s.chars().count() as f64)),
                v => Err(format!("length() of a {}", v.type_name())),
            }
        }
        "lookup" => {
            if !(2..=3).contains(&args.len()) {
                return Err("lookup() takes 2 or 3 arguments".into());
            }
            let mut it = args.into_iter();
            let (m, k, d) = (it.next(), it.next(), it.next());
            let key = want_str(k.as_ref().unwrap_or(&Ev::Null), "lookup")?;
            match m {
                Some(Ev::Obj(mut m)) => match m.remove(&key) {
                    Some(v) => Ok(v),
                    None => d.ok_or_else(|| format!("lookup(): no key \"{key}\"")),
                },
                _ => Err("lookup() needs a map".into()),
            }
        }
        "contains" => {
            arity(2)?;
            let mut it = args.into_iter();
            let (l, v) = (it.next().unwrap_or(Ev::Null), it.next().unwrap_or(Ev::Null));
            let l = want_list(l, name)?;
            let mut undecided = None;
            for x in &l {
                match equal(x, &v) {
                    Some(true) => return Ok(Ev::Bool(true)),
                    Some(false) => {}
                    None => undecided = x.first_unknown().or(v.first_unknown()).cloned(),
                }
            }
            Ok(match undecided {
                Some(u) => Ev::Unknown(Box::new(u)),
                None => Ev::Bool(false),
            })
        }
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                out.extend(want_list(a, name)?);
            }
            Ok(Ev::List(out))
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for a in args {
                match a {
                    Ev::Null => {}
                    Ev::Obj(m) => out.extend(m),
                    other => return Err(format!("merge() of a {}", other.type_name())),
                }
            }
            Ok(Ev::Obj(out))
        }
        "join" => {
            arity(2)?;
            let sep = want_str(&args[0], name)?;
            let mut it = args.into_iter().skip(1);
            let l = want_list(it.next().unwrap_or(Ev::Null), name)?;
            if let Some(u) = l.iter().find_map(Ev::first_unknown) {
                return Ok(Ev::Unknown(Box::new(u.clone())));
            }
            let parts = l.iter().map(Ev::to_text).collect::<Result<Vec<_>, _>>()?;
            Ok(Ev::Str(parts.join(&sep)))
        }
        "split" => {
            arity(2)?;
            let sep = want_str(&args[0], name)?;
            let s = want_str(&args[1], name)?;
            if sep.is_empty() {
                return Err("split() needs a separator".into());
            }
            Ok(Ev::List(
                s.split(sep.as_str())
                    .map(|x| Ev::Str(x.to_string()))
                    .collect(),
            ))
        }
        "replace" => {
            arity(3)?;
            let s = want_str(&args[0], name)?;
            let from = want_str(&args[1], name)?;
            let to = want_str(&args[2], name)?;
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return Err("replace() with a regular expression is not evaluated".into());
            }
            if from.is_empty() {
                return Ok(Ev::Str(s));
            }
            Ok(Ev::Str(s.replace(&from, &to)))
        }
        "keys" | "values" => {
            arity(1)?;
            match args.into_iter().next() {
                Some(Ev::Obj(m)) => Ok(Ev::List(if name == "keys" {
                    m.into_keys().map(Ev::Str).collect()
                } else {
                    m.into_values().collect()
                })),
                _ => Err(format!("{name}() needs a map")),
            }
        }
        "element" => {
            arity(2)?;
            let i = args[1].as_num().ok_or("element() needs a number")?;
            let mut it = args.into_iter();
            let l = want_list(it.next().unwrap_or(Ev::Null), name)?;
            if l.is_empty() || i < 0.0 {
                return Err("element() of an empty list or with a negative index".into());
            }
            let n = l.len();
            l.into_iter()
                .nth((i as usize) % n)
                .ok_or_else(|| "element(): index out of range".to_string())
        }
        "flatten" => {
            arity(1)?;
            let mut out = Vec::new();
            flatten_into(args.into_iter().next().unwrap_or(Ev::Null), &mut out, 0)?;
            Ok(Ev::List(out))
        }
        "distinct" => {
            arity(1)?;
            let l = want_list(args.into_iter().next().unwrap_or(Ev::Null), name)?;
            let mut out: Vec<Ev> = Vec::new();
            for x in l {
                if !out.contains(&x) {
                    out.push(x);
                }
            }
            Ok(Ev::List(out))
        }
        "compact" => {
            arity(1)?;
            let l = want_list(args.into_iter().next().unwrap_or(Ev::Null), name)?;
            Ok(Ev::List(
                l.into_iter()
                    .filter(|x| !matches!(x, Ev::Null) && !matches!(x, Ev::Str(s) if s.is_empty()))
                    .collect(),
            ))
        }
        "min" | "max" | "abs" => {
            let nums = args
                .iter()
                .map(|a| a.as_num().ok_or(format!("{name}() needs numbers")))
                .collect::<Result<Vec<_>, _>>()?;
            if name == "abs" {
                arity(1)?;
                return Ok(Ev::Num(nums[0].abs()));
            }
            let it = nums.into_iter();
            let v = if name == "min" {
                it.reduce(f64::min)
            } else {
                it.reduce(f64::max)
            };
            v.map(Ev::Num)
                .ok_or_else(|| format!("{name}() needs at least one number"))
        }
        "jsonencode" => {
            arity(1)?;
            args[0]
                .to_json()
                .map(|v| Ev::Str(v.to_string()))
                .ok_or_else(|| "jsonencode() of a value that cannot be encoded".to_string())
        }
        _ => Err(format!("function {name}() is not evaluated")),
    }
}

/// Converts a value to a variable's primitive type constraint, as Terraform does.
fn convert_to_type(v: Ev, ty: Option<&str>) -> Ev {
    match (ty, &v) {
        (Some("bool"), Ev::Str(_)) => v.as_bool().map_or(v, Ev::Bool),
        (Some("number"), Ev::Str(_)) => v.as_num().map_or(v, Ev::Num),
        (Some("string"), Ev::Num(_) | Ev::Bool(_)) => v.to_text().map_or(v, Ev::Str),
        _ => v,
    }
}

/// The values of one resource body in the plan's shape, with unresolved paths and lines.
#[derive(Default)]
struct Collected {
    unresolved: Vec<(String, Unresolved)>,
    lines: Vec<(String, u32)>,
    notes: Vec<String>,
}

fn join_path(prefix: &str, seg: &str) -> String {
    if prefix.is_empty() {
        seg.to_string()
    } else {
        format!("{prefix}.{seg}")
    }
}

/// A value as JSON, recording its unknown parts (`root_expr` names the whole attribute).
fn ev_to_value(ev: Ev, path: &str, root_expr: Option<&str>, out: &mut Collected) -> Value {
    match ev {
        Ev::Null => Value::Null,
        Ev::Bool(b) => Value::Bool(b),
        Ev::Num(n) => num(n).unwrap_or(Value::Null),
        Ev::Str(s) => Value::String(s),
        Ev::List(l) => Value::Array(
            l.into_iter()
                .enumerate()
                .map(|(i, x)| ev_to_value(x, &join_path(path, &i.to_string()), None, out))
                .collect(),
        ),
        Ev::Obj(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| {
                    let v = ev_to_value(x, &join_path(path, &k), None, out);
                    (k, v)
                })
                .collect(),
        ),
        Ev::Unknown(u) => {
            let u = match root_expr {
                Some(e) if !e.is_empty() => Unresolved {
                    expr: e.to_string(),
                    reason: u.reason,
                },
                _ => *u,
            };
            out.unresolved.push((path.to_string(), u));
            Value::Null
        }
    }
}

impl Ctx<'_> {
    /// The attributes and blocks of a resource body (blocks become lists of objects).
    fn body_values(
        &self,
        body: &Body,
        f: usize,
        sc: Option<&Scope>,
        prefix: &str,
        depth: usize,
        out: &mut Collected,
    ) -> Map<String, Value> {
        let file = &self.files[f];
        let mut map = Map::new();
        if depth > MAX_BLOCK_DEPTH {
            out.notes.push(format!(
                "{}: blocks nested too deeply; not read",
                file.loc(body.span())
            ));
            return map;
        }
        for st in body.iter() {
            match st {
                Structure::Attribute(a) => {
                    let key = a.key.value().as_str();
                    if depth == 0 && META_ARGS.contains(&key) {
                        continue;
                    }
                    let path = join_path(prefix, key);
                    if let Some(l) = file.line_of(a.span()) {
                        out.lines.push((path.clone(), l));
                    }
                    let v = self.attribute_value(a, f, sc, &path, out);
                    map.insert(key.to_string(), v);
                }
                Structure::Block(b) => {
                    let ident = b.ident.value().as_str();
                    if depth == 0 && matches!(ident, "lifecycle" | "provisioner" | "connection") {
                        continue;
                    }
                    if ident == "dynamic" {
                        self.dynamic_block(b, f, sc, prefix, depth, &mut map, out);
                        continue;
                    }
                    let list = map
                        .entry(ident.to_string())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    let i = list.as_array().map_or(0, Vec::len);
                    let path = join_path(prefix, &format!("{ident}.{i}"));
                    if let Some(l) = file.line_of(b.span()) {
                        out.lines.push((path.clone(), l));
                    }
                    let child = self.body_values(&b.body, f, sc, &path, depth + 1, out);
                    if let Some(Value::Array(list)) = map.get_mut(ident) {
                        list.push(Value::Object(child));
                    }
                }
            }
        }
        map
    }

    fn attribute_value(
        &self,
        a: &Attribute,
        f: usize,
        sc: Option<&Scope>,
        path: &str,
        out: &mut Collected,
    ) -> Value {
        let text = self.text(f, a.value.span());
        match self.eval_top(&a.value, f, sc) {
            Ok(ev) => ev_to_value(ev, path, Some(&text), out),
            Err(msg) => {
                out.unresolved.push((
                    path.to_string(),
                    Unresolved {
                        expr: text,
                        reason: format!("cannot be evaluated: {msg}"),
                    },
                ));
                Value::Null
            }
        }
    }

    /// `dynamic "x" { for_each = ..., content { ... } }`: one `x` block per element when the
    /// collection is known; otherwise `x` is unresolved.
    #[allow(clippy::too_many_arguments)]
    fn dynamic_block(
        &self,
        b: &Block,
        f: usize,
        sc: Option<&Scope>,
        prefix: &str,
        depth: usize,
        map: &mut Map<String, Value>,
        out: &mut Collected,
    ) {
        let file = &self.files[f];
        let Some(label) = b.labels.first().map(|l| l.as_str().to_string()) else {
            out.notes.push(format!(
                "{}: dynamic block without a label; ignored",
                file.loc(b.span())
            ));
            return;
        };
        let path = join_path(prefix, &label);
        let iter_name = match b.body.get_attribute("iterator").map(|a| &a.value) {
            Some(Expression::Variable(v)) => v.value().as_str().to_string(),
            _ => label.clone(),
        };
        let content = b.body.get_blocks("content").next();
        let for_each = b.body.get_attribute("for_each");
        let (Some(content), Some(fe)) = (content, for_each) else {
            out.notes.push(format!(
                "{}: dynamic \"{label}\" block without for_each or content; ignored",
                file.loc(b.span())
            ));
            return;
        };
        let fe_text = self.text(f, fe.value.span());
        let items: Vec<(Ev, Ev)> = match self.eval_top(&fe.value, f, sc) {
            Ok(Ev::List(l)) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Ev::Num(i as f64), v))
                .collect(),
            Ok(Ev::Obj(m)) => m.into_iter().map(|(k, v)| (Ev::Str(k), v)).collect(),
            Ok(Ev::Null) => Vec::new(),
            other => {
                let reason = match other {
                    Ok(Ev::Unknown(u)) => u.reason,
                    Ok(v) => format!("for_each is a {}", v.type_name()),
                    Err(e) => e,
                };
                out.notes.push(format!(
                    "{}: dynamic \"{label}\" block not expanded: {reason}",
                    file.loc(b.span())
                ));
                out.unresolved.push((
                    path.clone(),
                    Unresolved {
                        expr: format!("dynamic \"{label}\" (for_each = {fe_text})"),
                        reason,
                    },
                ));
                if let Some(l) = file.line_of(b.span()) {
                    out.lines.push((path, l));
                }
                return;
            }
        };
        let list = map
            .entry(label.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        let first = list.as_array().map_or(0, Vec::len);
        for (next, (k, v)) in (first..).zip(items) {
            let mut it = BTreeMap::new();
            it.insert("key".to_string(), k);
            it.insert("value".to_string(), v);
            let scope = Scope {
                name: &iter_name,
                value: Ev::Obj(it),
                parent: sc,
            };
            let ipath = format!("{path}.{next}");
            if let Some(l) = file.line_of(content.span().or(b.span())) {
                out.lines.push((ipath.clone(), l));
            }
            let child = self.body_values(&content.body, f, Some(&scope), &ipath, depth + 1, out);
            if let Some(Value::Array(list)) = map.get_mut(&label) {
                list.push(Value::Object(child));
            }
        }
    }
}

/// A resource block found in the module.
struct ResBlock<'a> {
    f: usize,
    typ: String,
    name: String,
    block: &'a Block,
}

/// One instance of a resource, evaluated.
struct Instance {
    name: String,
    /// `file:line` of the resource block.
    loc: String,
    /// The instance key as written in the address (`[0]`, `["a"]`), empty without count.
    key: String,
    res: TfResource,
    /// The text of `kubernetes_cluster_id` (node pools).
    cluster_ref: Option<String>,
}

/// Clusters defined in the `.tf` files of one directory (one Terraform module): `files` are
/// (name, text) of the module's `.tf` files, `tfvars` of `terraform.tfvars` / `*.auto.tfvars` /
/// files the user named (later files win; `.tfvars.json` content is accepted too). Evaluates
/// `var.x` (tfvars value, else `default`, else unresolved "variable x has no value"), `local.x`,
/// literals, operators, conditionals, `for` expressions, string templates and common functions;
/// references to other resources, data sources and module outputs are unresolved with the
/// expression text. `count = 0` means the resource does not exist. Parse errors name the file
/// and line.
pub fn clusters_from_hcl(
    files: &[(Arc<str>, String)],
    tfvars: &[(Arc<str>, String)],
) -> (Vec<Cluster>, Vec<HclError>, Vec<String>) {
    let mut errors: Vec<HclError> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    // Parse everything first (the evaluator borrows the bodies).
    let mut pfiles: Vec<PFile> = Vec::new();
    let mut bodies: Vec<Body> = Vec::new();
    for (name, text) in files {
        let pf = PFile::new(name.clone(), text);
        match parser::parse_body(text) {
            Ok(b) => {
                pfiles.push(pf);
                bodies.push(b);
            }
            Err(e) => errors.push((
                name.clone(),
                Some(line_u32(e.location().line())),
                parse_message(&e),
            )),
        }
    }
    let n_tf = pfiles.len();
    let mut var_bodies: Vec<Option<Body>> = Vec::new();
    let mut var_json: Vec<Option<Value>> = Vec::new();
    for (name, text) in tfvars {
        pfiles.push(PFile::new(name.clone(), text));
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if trimmed.starts_with('{') {
            match serde_json::from_str::<Value>(trimmed) {
                Ok(v) if v.is_object() => {
                    var_json.push(Some(v));
                    var_bodies.push(None);
                }
                Ok(_) => {
                    errors.push((
                        name.clone(),
                        Some(1),
                        "a JSON tfvars file must hold an object".into(),
                    ));
                    var_json.push(None);
                    var_bodies.push(None);
                }
                Err(e) => {
                    errors.push((
                        name.clone(),
                        Some(line_u32(e.line())),
                        format!("invalid JSON: {e}"),
                    ));
                    var_json.push(None);
                    var_bodies.push(None);
                }
            }
            continue;
        }
        var_json.push(None);
        match parser::parse_body(text) {
            Ok(b) => var_bodies.push(Some(b)),
            Err(e) => {
                errors.push((
                    name.clone(),
                    Some(line_u32(e.location().line())),
                    parse_message(&e),
                ));
                var_bodies.push(None);
            }
        }
    }

    // Definitions.
    let mut variables: BTreeMap<String, (usize, &Block)> = BTreeMap::new();
    let mut locals: HashMap<String, (usize, &Expression)> = HashMap::new();
    let mut resources: Vec<ResBlock> = Vec::new();
    let mut modules: Vec<(usize, &Block)> = Vec::new();
    let mut version: Option<(usize, &Expression)> = None;
    for (f, body) in bodies.iter().enumerate() {
        let pf = &pfiles[f];
        for b in body.blocks() {
            let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
            match (b.ident.value().as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    if variables.contains_key(*name) {
                        notes.push(format!(
                            "{}: variable \"{name}\" is declared twice; the first declaration is used",
                            pf.loc(b.span())
                        ));
                    } else {
                        variables.insert(name.to_string(), (f, b));
                    }
                }
                ("locals", []) => {
                    for a in b.body.attributes() {
                        let k = a.key.value().as_str().to_string();
                        match locals.entry(k) {
                            std::collections::hash_map::Entry::Occupied(e) => notes.push(format!(
                                "{}: local value \"{}\" is defined twice; the first definition is used",
                                pf.loc(a.span()),
                                e.key()
                            )),
                            std::collections::hash_map::Entry::Vacant(e) => {
                                e.insert((f, &a.value));
                            }
                        }
                    }
                }
                ("resource", [typ, name]) => resources.push(ResBlock {
                    f,
                    typ: typ.to_string(),
                    name: name.to_string(),
                    block: b,
                }),
                ("module", [_]) => modules.push((f, b)),
                ("terraform", []) => {
                    for rp in b.body.get_blocks("required_providers") {
                        if let Some(a) = rp.body.get_attribute("azurerm") {
                            version.get_or_insert((f, &a.value));
                        }
                    }
                }
                ("provider", ["azurerm"]) => {
                    if let Some(a) = b.body.get_attribute("version") {
                        version.get_or_insert((f, &a.value));
                    }
                }
                _ => {}
            }
        }
    }

    // Variables: tfvars (later files win), else the default.
    let plain = Ctx::new(&pfiles);
    let mut given: HashMap<String, Ev> = HashMap::new();
    for (i, vb) in var_bodies.iter().enumerate() {
        let f = n_tf + i;
        if let Some(Some(json)) = var_json.get(i) {
            if let Some(m) = json.as_object() {
                for (k, v) in m {
                    given.insert(k.clone(), Ev::from_json(v));
                }
            }
            continue;
        }
        let Some(body) = vb else { continue };
        for a in body.attributes() {
            let k = a.key.value().as_str().to_string();
            let v = match plain.eval_top(&a.value, f, None) {
                Ok(v) => v,
                Err(msg) => {
                    errors.push((
                        pfiles[f].name.clone(),
                        pfiles[f].line_of(a.span()),
                        format!("variable \"{k}\": {msg}"),
                    ));
                    continue;
                }
            };
            given.insert(k, v);
        }
    }
    let mut ctx = Ctx::new(&pfiles);
    for (name, (f, b)) in &variables {
        let ty = match b.body.get_attribute("type").map(|a| &a.value) {
            Some(Expression::Variable(v)) => Some(v.value().as_str()),
            _ => None,
        };
        let v = match given.get(name) {
            Some(v) => v.clone(),
            None => match b.body.get_attribute("default") {
                Some(d) => match plain.eval_top(&d.value, *f, None) {
                    Ok(v) => v,
                    Err(msg) => unknown(
                        format!("var.{name}"),
                        format!("the default of variable \"{name}\" cannot be evaluated: {msg}"),
                    ),
                },
                None => unknown(
                    format!("var.{name}"),
                    format!("variable \"{name}\" has no value"),
                ),
            },
        };
        ctx.vars.insert(name.clone(), convert_to_type(v, ty));
    }
    ctx.locals = locals;

    let major = version.and_then(|(f, e)| match ctx.eval_top(e, f, None) {
        Ok(Ev::Str(s)) => major_from_constraint(&s),
        Ok(Ev::Obj(m)) => match m.get("version") {
            Some(Ev::Str(s)) => major_from_constraint(s),
            _ => None,
        },
        _ => None,
    });

    // Resource instances.
    let mut clusters: Vec<Instance> = Vec::new();
    let mut pools: Vec<Instance> = Vec::new();
    for rb in &resources {
        if rb.typ != CLUSTER_TYPE && rb.typ != POOL_TYPE {
            continue;
        }
        for inst in instances(&ctx, rb, &mut notes) {
            if rb.typ == CLUSTER_TYPE {
                clusters.push(inst);
            } else {
                pools.push(inst);
            }
        }
    }

    // Pools to clusters.
    let mut attached: Vec<Vec<usize>> = vec![Vec::new(); clusters.len()];
    let mut orphans = Vec::new();
    for (pi, p) in pools.iter().enumerate() {
        let named = p
            .cluster_ref
            .as_deref()
            .map(cluster_names)
            .unwrap_or_default();
        let mut target = None;
        for n in &named {
            let hits: Vec<usize> = clusters
                .iter()
                .enumerate()
                .filter(|(_, c)| &c.name == n)
                .map(|(i, _)| i)
                .collect();
            target = match hits.as_slice() {
                [one] => Some(*one),
                [] => None,
                many => many.iter().copied().find(|&i| clusters[i].key == p.key),
            };
            if target.is_some() {
                break;
            }
        }
        match target {
            Some(ci) => attached[ci].push(pi),
            None if clusters.len() == 1 => {
                notes.push(format!(
                    "{}: node pool {} is attached to {}, the only cluster of the module (its kubernetes_cluster_id does not name it)",
                    p.loc, p.res.addr, clusters[0].res.addr
                ));
                attached[0].push(pi);
            }
            None => {
                notes.push(format!(
                    "{}: node pool {} belongs to no cluster defined in this module; its own settings are checked",
                    p.loc, p.res.addr
                ));
                orphans.push(pi);
            }
        }
    }

    for (f, b) in &modules {
        let name = b.labels.first().map(|l| l.as_str()).unwrap_or("?");
        let source = b
            .body
            .get_attribute("source")
            .and_then(|a| a.value.as_str())
            .unwrap_or("?");
        let aks_like = ["aks", "kubernetes"].iter().any(|w| {
            source.to_ascii_lowercase().contains(w) || name.to_ascii_lowercase().contains(w)
        });
        if clusters.is_empty() || aks_like {
            notes.push(format!(
                "{}: module \"{name}\" (source \"{source}\") is not followed; clusters it defines are not scanned",
                pfiles[*f].loc(b.span())
            ));
        }
    }

    let mut out = Vec::new();
    for (ci, c) in clusters.iter().enumerate() {
        let pres: Vec<TfResource> = attached[ci]
            .iter()
            .map(|&pi| pools[pi].res.clone())
            .collect();
        out.push(cluster_from_azurerm_with(
            Shape::TerraformHcl,
            &c.res,
            &pres,
            major,
        ));
    }
    for pi in orphans {
        out.push(crate::aks::terraform::pools_only_cluster(
            Shape::TerraformHcl,
            pools[pi].res.clone(),
            major,
        ));
    }
    (out, errors, notes)
}

fn line_u32(l: usize) -> u32 {
    u32::try_from(l).unwrap_or(u32::MAX)
}

fn parse_message(e: &parser::Error) -> String {
    format!(
        "HCL syntax error at column {}: {}",
        e.location().column(),
        e.message()
    )
}

/// The names `x` of `azurerm_kubernetes_cluster.x` references in an expression's text.
fn cluster_names(text: &str) -> Vec<String> {
    let needle = format!("{CLUSTER_TYPE}.");
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        from = at + needle.len();
        let before = at.checked_sub(1).map(|j| bytes[j]);
        if before.is_some_and(|b| b == b'.' || b == b'_' || b.is_ascii_alphanumeric()) {
            continue; // data.azurerm_kubernetes_cluster.x, or a longer name
        }
        let name: String = text[from..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The instances of a resource (`count`, `for_each`), evaluated.
fn instances(ctx: &Ctx, rb: &ResBlock, notes: &mut Vec<String>) -> Vec<Instance> {
    let pf = &ctx.files[rb.f];
    let body = &rb.block.body;
    let addr = format!("{}.{}", rb.typ, rb.name);
    let loc = pf.loc(rb.block.span());
    // (instance key, scope binding name, scope value)
    let mut keys: Vec<(String, Option<(&str, Ev)>)> = Vec::new();
    if let Some(c) = body.get_attribute("count") {
        let text = pf.text_of(c.value.span());
        match ctx.eval_top(&c.value, rb.f, None) {
            Ok(v) if v.as_num().is_some() => {
                let n = v.as_num().unwrap_or(0.0).max(0.0) as usize;
                if n == 0 {
                    notes.push(format!(
                        "{loc}: {addr} has count = 0 ({text}) and does not exist"
                    ));
                    return Vec::new();
                }
                if n > MAX_INSTANCES {
                    notes.push(format!(
                        "{loc}: {addr} has count = {n}; the first {MAX_INSTANCES} instances are scanned"
                    ));
                }
                for i in 0..n.min(MAX_INSTANCES) {
                    let mut m = BTreeMap::new();
                    m.insert("index".to_string(), Ev::Num(i as f64));
                    keys.push((format!("[{i}]"), Some(("count", Ev::Obj(m)))));
                }
            }
            other => {
                let reason = match other {
                    Ok(Ev::Unknown(u)) => u.reason,
                    Ok(v) => format!("count is a {}", v.type_name()),
                    Err(e) => e,
                };
                notes.push(format!(
                    "{loc}: the count of {addr} ({text}) is not known ({reason}); it is scanned as one instance"
                ));
                let mut m = BTreeMap::new();
                m.insert(
                    "index".to_string(),
                    unknown("count.index", "count is not known"),
                );
                keys.push((String::new(), Some(("count", Ev::Obj(m)))));
            }
        }
    } else if let Some(fe) = body.get_attribute("for_each") {
        let text = pf.text_of(fe.value.span());
        let items: Option<Vec<(String, Ev)>> = match ctx.eval_top(&fe.value, rb.f, None) {
            Ok(Ev::Obj(m)) => Some(m.into_iter().collect()),
            Ok(Ev::List(l)) => l
                .into_iter()
                .map(|v| match &v {
                    Ev::Str(s) => Some((s.clone(), v.clone())),
                    _ => None,
                })
                .collect(),
            Ok(Ev::Null) => Some(Vec::new()),
            other => {
                let reason = match other {
                    Ok(Ev::Unknown(u)) => u.reason,
                    Ok(v) => format!("for_each is a {}", v.type_name()),
                    Err(e) => e,
                };
                notes.push(format!(
                    "{loc}: the for_each of {addr} ({text}) is not known ({reason}); it is scanned as one instance"
                ));
                None
            }
        };
        match items {
            Some(items) if items.is_empty() => {
                notes.push(format!(
                    "{loc}: {addr} has an empty for_each ({text}) and does not exist"
                ));
                return Vec::new();
            }
            Some(items) => {
                if items.len() > MAX_INSTANCES {
                    notes.push(format!(
                        "{loc}: {addr} has {} for_each instances; the first {MAX_INSTANCES} are scanned",
                        items.len()
                    ));
                }
                for (k, v) in items.into_iter().take(MAX_INSTANCES) {
                    let mut m = BTreeMap::new();
                    m.insert("key".to_string(), Ev::Str(k.clone()));
                    m.insert("value".to_string(), v);
                    let key = serde_json::to_string(&k).unwrap_or_default();
                    keys.push((format!("[{key}]"), Some(("each", Ev::Obj(m)))));
                }
            }
            None => {
                let mut m = BTreeMap::new();
                m.insert(
                    "key".to_string(),
                    unknown("each.key", "for_each is not known"),
                );
                m.insert(
                    "value".to_string(),
                    unknown("each.value", "for_each is not known"),
                );
                keys.push((String::new(), Some(("each", Ev::Obj(m)))));
            }
        }
    } else {
        keys.push((String::new(), None));
    }

    let mut out = Vec::new();
    for (key, bind) in keys {
        let scope = bind.map(|(name, value)| Scope {
            name,
            value,
            parent: None,
        });
        let mut col = Collected::default();
        if let Some(l) = pf.line_of(rb.block.span()) {
            col.lines.push((String::new(), l));
        }
        let values = ctx.body_values(body, rb.f, scope.as_ref(), "", 0, &mut col);
        notes.append(&mut col.notes);
        let cluster_ref = body
            .get_attribute("kubernetes_cluster_id")
            .map(|a| pf.text_of(a.value.span()));
        out.push(Instance {
            name: rb.name.clone(),
            loc: loc.clone(),
            key: key.clone(),
            res: TfResource {
                addr: format!("{addr}{key}"),
                values: Value::Object(values),
                unresolved: col.unresolved,
                lines: col.lines,
                file: pf.name.clone(),
            },
            cluster_ref,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aks::model::{Prop, Seg};
    use serde_json::json;

    const MAIN_TF: &str = include_str!("../../tests/fixtures/aks/terraform/module/main.tf");
    const VARIABLES_TF: &str =
        include_str!("../../tests/fixtures/aks/terraform/module/variables.tf");
    const PROVIDERS_TF: &str =
        include_str!("../../tests/fixtures/aks/terraform/module/providers.tf");
    const SSH_TF: &str = include_str!("../../tests/fixtures/aks/terraform/module/ssh.tf");
    const OUTPUTS_TF: &str = include_str!("../../tests/fixtures/aks/terraform/module/outputs.tf");
    const TFVARS: &str = include_str!("../../tests/fixtures/aks/terraform/module/terraform.tfvars");

    fn files(list: &[(&str, &str)]) -> Vec<(Arc<str>, String)> {
        list.iter()
            .map(|(n, t)| (Arc::from(*n), t.to_string()))
            .collect()
    }

    fn run(
        tf: &[(&str, &str)],
        vars: &[(&str, &str)],
    ) -> (Vec<Cluster>, Vec<HclError>, Vec<String>) {
        clusters_from_hcl(&files(tf), &files(vars))
    }

    fn segs(ptr: &str) -> Vec<Seg<'_>> {
        ptr.trim_start_matches('/')
            .split('/')
            .map(|s| match s.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(s),
            })
            .collect()
    }

    fn at(c: &Cluster, ptr: &str) -> Option<Value> {
        c.prop(&segs(ptr)).value().cloned()
    }

    fn unresolved_at(c: &Cluster, ptr: &str) -> Option<Unresolved> {
        match c.prop(&segs(ptr)) {
            Prop::Unresolved(u) => Some(u.clone()),
            _ => None,
        }
    }

    fn line_of_text(text: &str, needle: &str) -> u32 {
        let at = text.find(needle).expect("needle in fixture");
        text[..at].matches('\n').count() as u32 + 1
    }

    /// Evaluates `expr` with the given variables and `locals { ... }` source.
    fn eval_with(expr: &str, vars: &[(&str, Ev)], locals_src: &str) -> Result<Ev, String> {
        let text = format!("{locals_src}\nv = {expr}\n");
        let body = parser::parse_body(&text).expect("test source parses");
        let pf = vec![PFile::new(Arc::from("t.tf"), &text)];
        let mut ctx = Ctx::new(&pf);
        for (k, v) in vars {
            ctx.vars.insert(k.to_string(), v.clone());
        }
        for b in body.blocks() {
            for a in b.body.attributes() {
                ctx.locals
                    .insert(a.key.value().as_str().to_string(), (0, &a.value));
            }
        }
        let a = body.get_attribute("v").expect("v");
        ctx.eval(&a.value, 0, None)
    }

    fn ev(expr: &str) -> Result<Ev, String> {
        eval_with(expr, &[], "")
    }

    fn s(x: &str) -> Ev {
        Ev::Str(x.to_string())
    }

    #[test]
    fn fixture_module_becomes_one_cluster() {
        let (cs, errors, notes) = run(
            &[
                ("main.tf", MAIN_TF),
                ("outputs.tf", OUTPUTS_TF),
                ("providers.tf", PROVIDERS_TF),
                ("ssh.tf", SSH_TF),
                ("variables.tf", VARIABLES_TF),
            ],
            &[("terraform.tfvars", TFVARS)],
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(cs.len(), 1);
        let c = &cs[0];
        assert_eq!(c.shape, Shape::TerraformHcl);
        assert_eq!(c.provider.as_deref(), Some("azurerm 4.x"));
        assert_eq!(&*c.file, "main.tf");
        for (ptr, want) in [
            ("/name", json!("aks-prod")),
            ("/sku/tier", json!("Standard")),
            ("/tags", json!({"environment": "prod", "owner": "platform"})),
            ("/properties/kubernetesVersion", json!("1.30")),
            (
                "/properties/apiServerAccessProfile/authorizedIPRanges",
                json!(["203.0.113.0/24", "198.51.100.10/32"]),
            ),
            (
                "/properties/apiServerAccessProfile/disableRunCommand",
                json!(true),
            ),
            ("/properties/disableLocalAccounts", json!(true)),
            ("/properties/aadProfile/managed", json!(true)),
            ("/properties/aadProfile/enableAzureRBAC", json!(true)),
            ("/identity/type", json!("UserAssigned")),
            ("/properties/networkProfile/networkPolicy", json!("cilium")),
            (
                "/properties/networkProfile/networkDataplane",
                json!("cilium"),
            ),
            (
                "/properties/securityProfile/defender/securityMonitoring/enabled",
                json!(true),
            ),
            (
                "/properties/securityProfile/imageCleaner/intervalHours",
                json!(48),
            ),
            ("/properties/addonProfiles/omsagent/enabled", json!(true)),
            (
                "/properties/addonProfiles/omsagent/config/useAADAuth",
                json!("true"),
            ),
            (
                "/properties/addonProfiles/azureKeyvaultSecretsProvider/config/rotationPollInterval",
                json!("2m"),
            ),
            (
                "/properties/linuxProfile/adminUsername",
                json!("azureadmin"),
            ),
            (
                "/maintenanceConfigurations/0/name",
                json!("aksManagedAutoUpgradeSchedule"),
            ),
            ("/properties/agentPoolProfiles/0/mode", json!("System")),
            ("/properties/agentPoolProfiles/0/count", json!(2)),
            (
                "/properties/agentPoolProfiles/0/vmSize",
                json!("Standard_D2_v2"),
            ),
            (
                "/properties/agentPoolProfiles/0/availabilityZones",
                json!(["1", "2", "3"]),
            ),
            (
                "/properties/agentPoolProfiles/0/nodeTaints",
                json!(["CriticalAddonsOnly=true:NoSchedule"]),
            ),
            ("/properties/agentPoolProfiles/1/name", json!("user")),
            ("/properties/agentPoolProfiles/1/mode", json!("User")),
            ("/properties/agentPoolProfiles/1/minCount", json!(1)),
            (
                "/properties/agentPoolProfiles/1/nodeLabels",
                json!({"workload": "apps"}),
            ),
        ] {
            assert_eq!(at(c, ptr), Some(want), "{ptr}");
        }
        // count = 0: the gpu pool does not exist.
        assert_eq!(c.pools().len(), 2);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("azurerm_kubernetes_cluster_node_pool.gpu")
                    && n.contains("count = 0")),
            "{notes:?}"
        );
        // What only Terraform knows stays unresolved, with the expression as written.
        let u = unresolved_at(c, "/properties/aadProfile/adminGroupObjectIDs").expect("unresolved");
        assert_eq!(
            u.expr, "var.admin_group_object_id",
            "the item that is unknown"
        );
        assert_eq!(u.reason, "variable \"admin_group_object_id\" has no value");
        let u = unresolved_at(
            c,
            "/properties/securityProfile/defender/logAnalyticsWorkspaceResourceId",
        )
        .expect("unresolved");
        assert_eq!(u.expr, "azurerm_log_analytics_workspace.aks.id");
        assert!(
            u.reason.contains("azurerm_log_analytics_workspace.aks"),
            "{}",
            u.reason
        );
        let u = unresolved_at(c, "/identity/userAssignedIdentities").expect("unresolved");
        assert_eq!(u.expr, "azurerm_user_assigned_identity.aks.id");
        assert!(unresolved_at(c, "/location").is_some());
        assert!(unresolved_at(c, "/properties/dnsPrefix").is_some());
        assert!(unresolved_at(c, "/properties/linuxProfile/ssh/publicKeys/0/keyData").is_some());
        // Origins: address, file and line.
        let o = c
            .origin(&segs("/properties/networkProfile/networkPolicy"))
            .expect("origin");
        assert_eq!(
            o.pointer,
            "azurerm_kubernetes_cluster.k8s.network_profile[0].network_policy"
        );
        assert_eq!(&*o.file, "main.tf");
        assert_eq!(
            o.line,
            Some(line_of_text(MAIN_TF, "network_policy      = \"cilium\""))
        );
        let o = c
            .origin(&segs("/properties/agentPoolProfiles/1/osDiskType"))
            .expect("origin");
        assert_eq!(
            o.pointer,
            "azurerm_kubernetes_cluster_node_pool.user.os_disk_type"
        );
        assert_eq!(
            o.line,
            Some(line_of_text(
                MAIN_TF,
                "os_disk_type            = \"Ephemeral\""
            ))
        );
        let o = c
            .origin(&segs(
                "/properties/securityProfile/defender/securityMonitoring/enabled",
            ))
            .expect("origin");
        assert_eq!(
            o.pointer,
            "azurerm_kubernetes_cluster.k8s.microsoft_defender[0]"
        );
        assert_eq!(o.line, Some(line_of_text(MAIN_TF, "    content {")));
        // Without tfvars, the variables without default are unresolved.
        let (cs, _, _) = run(&[("main.tf", MAIN_TF), ("variables.tf", VARIABLES_TF)], &[]);
        let u = unresolved_at(&cs[0], "/name").expect("name unresolved");
        assert_eq!(u.expr, "local.cluster_name");
        assert!(
            u.reason.contains("\"environment\" has no value"),
            "{}",
            u.reason
        );
        assert_eq!(
            at(&cs[0], "/properties/agentPoolProfiles/0/count"),
            Some(json!(3))
        );
        assert_eq!(cs[0].provider.as_deref(), Some("azurerm 4.x"), "inferred");
    }

    #[test]
    fn v3_configuration_is_told_by_its_names() {
        let tf = r#"
resource "azurerm_kubernetes_cluster" "old" {
  name                            = "old"
  api_server_authorized_ip_ranges = ["192.0.2.0/24"]
  automatic_channel_upgrade       = "stable"
  default_node_pool {
    name                   = "default"
    enable_host_encryption = true
    enable_node_public_ip  = false
  }
  azure_active_directory_role_based_access_control {
    managed            = true
    azure_rbac_enabled = true
  }
}
"#;
        let (cs, errors, _) = run(&[("main.tf", tf)], &[]);
        assert!(errors.is_empty());
        let c = &cs[0];
        assert_eq!(c.provider.as_deref(), Some("azurerm 3.x"));
        assert_eq!(
            at(c, "/properties/apiServerAccessProfile/authorizedIPRanges"),
            Some(json!(["192.0.2.0/24"]))
        );
        assert_eq!(
            at(c, "/properties/autoUpgradeProfile/upgradeChannel"),
            Some(json!("stable"))
        );
        assert_eq!(
            at(c, "/properties/agentPoolProfiles/0/enableEncryptionAtHost"),
            Some(json!(true))
        );
        assert_eq!(
            at(c, "/properties/agentPoolProfiles/0/enableNodePublicIP"),
            Some(json!(false))
        );
        assert_eq!(at(c, "/properties/aadProfile/managed"), Some(json!(true)));
        // A pinned version wins over the names.
        let pin = "terraform {\n  required_providers {\n    azurerm = {\n      source  = \"hashicorp/azurerm\"\n      version = \"=3.116.0\"\n    }\n  }\n}\n";
        let v4 = "resource \"azurerm_kubernetes_cluster\" \"x\" {\n  azure_active_directory_role_based_access_control {\n    azure_rbac_enabled = true\n  }\n}\n";
        let (cs, _, _) = run(&[("main.tf", v4), ("versions.tf", pin)], &[]);
        assert_eq!(cs[0].provider.as_deref(), Some("azurerm 3.x"));
        assert_eq!(at(&cs[0], "/properties/aadProfile/managed"), None);
    }

    #[test]
    fn parse_errors_name_file_and_line() {
        let good = "resource \"azurerm_kubernetes_cluster\" \"a\" {\n  name = \"a\"\n}\n";
        let bad = "locals {\n  x = 1\n  y = \n}\n";
        let (cs, errors, _) = run(
            &[("good.tf", good), ("bad.tf", bad)],
            &[("terraform.tfvars", "a = [\n")],
        );
        assert_eq!(cs.len(), 1, "the other files are still read");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(&*errors[0].0, "bad.tf");
        assert_eq!(errors[0].1, Some(3));
        assert!(errors[0].2.contains("HCL syntax error"), "{}", errors[0].2);
        assert_eq!(&*errors[1].0, "terraform.tfvars");
        let (_, errors, _) = run(&[("a.tf", good)], &[("x.tfvars.json", "{\"a\": \n")]);
        assert_eq!(errors.len(), 1);
        assert_eq!(&*errors[0].0, "x.tfvars.json");
    }

    #[test]
    fn tfvars_in_json_and_type_conversion() {
        let tf = r#"
variable "private" { type = bool }
variable "tier" {}
variable "pods" { type = number }
resource "azurerm_kubernetes_cluster" "a" {
  private_cluster_enabled = var.private
  sku_tier                = var.tier
  default_node_pool {
    name     = "d"
    max_pods = var.pods
  }
}
"#;
        let (cs, errors, _) = run(
            &[("main.tf", tf)],
            &[
                (
                    "terraform.tfvars",
                    "private = \"true\"\ntier = \"Free\"\npods = \"30\"\n",
                ),
                ("prod.auto.tfvars.json", "{\"tier\": \"Premium\"}"),
            ],
        );
        assert!(errors.is_empty(), "{errors:?}");
        let c = &cs[0];
        assert_eq!(
            at(c, "/properties/apiServerAccessProfile/enablePrivateCluster"),
            Some(json!(true))
        );
        assert_eq!(
            at(c, "/sku/tier"),
            Some(json!("Premium")),
            "later files win"
        );
        assert_eq!(
            at(c, "/properties/agentPoolProfiles/0/maxPods"),
            Some(json!(30))
        );
    }

    #[test]
    fn evaluates_literals_operators_and_conditionals() {
        assert_eq!(ev("null"), Ok(Ev::Null));
        assert_eq!(ev("1 + 2 * 3"), Ok(Ev::Num(7.0)));
        assert_eq!(ev("(10 - 4) / 4 % 1"), Ok(Ev::Num(0.5)));
        assert_eq!(ev("-3 < 2 && !false"), Ok(Ev::Bool(true)));
        assert_eq!(ev("\"a\" == \"a\" || 1 > 2"), Ok(Ev::Bool(true)));
        assert_eq!(ev("1 == \"1\""), Ok(Ev::Bool(false)));
        assert_eq!(ev("[1, 2] != [1, 2]"), Ok(Ev::Bool(false)));
        assert_eq!(ev("true ? \"y\" : \"n\""), Ok(s("y")));
        assert_eq!(ev("{ a = 1, \"b\" = 2 }.b"), Ok(Ev::Num(2.0)));
        assert_eq!(ev("[\"x\", \"y\"][1]"), Ok(s("y")));
        assert_eq!(ev("{ a = { b = [1, 2] } }[\"a\"].b.1"), Ok(Ev::Num(2.0)));
        assert!(ev("1 / 0").is_err());
        assert!(ev("[1][3]").is_err());
        assert!(ev("{ a = 1 }.b").is_err());
        assert!(ev("1 ? 2 : 3").is_err());
    }

    #[test]
    fn evaluates_templates_for_expressions_and_splats() {
        let vars = [
            ("env", s("prod")),
            ("n", Ev::Num(3.0)),
            (
                "pools",
                Ev::List(vec![
                    Ev::Obj(BTreeMap::from([("name".to_string(), s("a"))])),
                    Ev::Obj(BTreeMap::from([("name".to_string(), s("b"))])),
                ]),
            ),
        ];
        let e = |x: &str| eval_with(x, &vars, "");
        assert_eq!(e("\"aks-${var.env}-${var.n}\""), Ok(s("aks-prod-3")));
        assert_eq!(
            e("\"${var.n}\""),
            Ok(Ev::Num(3.0)),
            "a lone interpolation keeps its type"
        );
        assert_eq!(
            e("\"%{ if var.env == \"prod\" }p%{ else }d%{ endif }\""),
            Ok(s("p"))
        );
        assert_eq!(
            e("\"%{ for p in var.pools }${p.name}%{ endfor }\""),
            Ok(s("ab"))
        );
        assert_eq!(e("<<EOT\nhello ${var.env}\nEOT\n"), Ok(s("hello prod\n")));
        assert_eq!(e("var.pools[*].name"), Ok(Ev::List(vec![s("a"), s("b")])));
        assert_eq!(
            e("[for p in var.pools : upper(p.name)]"),
            Ok(Ev::List(vec![s("A"), s("B")]))
        );
        assert_eq!(
            e("{ for i, p in var.pools : p.name => i if i > 0 }"),
            Ok(Ev::Obj(BTreeMap::from([("b".to_string(), Ev::Num(1.0))])))
        );
        assert_eq!(
            e("{ for p in var.pools : \"k\" => p.name... }"),
            Ok(Ev::Obj(BTreeMap::from([(
                "k".to_string(),
                Ev::List(vec![s("a"), s("b")])
            )])))
        );
    }

    #[test]
    fn evaluates_common_functions() {
        let vars = [("m", Ev::Obj(BTreeMap::from([("k".to_string(), s("v"))])))];
        let e = |x: &str| eval_with(x, &vars, "");
        for (expr, want) in [
            ("lower(\"AbC\")", s("abc")),
            ("upper(\"AbC\")", s("ABC")),
            ("tobool(\"true\")", Ev::Bool(true)),
            ("tostring(12)", s("12")),
            ("tonumber(\"4.5\")", Ev::Num(4.5)),
            ("coalesce(null, \"\", \"x\", \"y\")", s("x")),
            ("lookup(var.m, \"k\", \"d\")", s("v")),
            ("lookup(var.m, \"z\", \"d\")", s("d")),
            ("try(var.m.z, \"fallback\")", s("fallback")),
            ("try(var.m.k, \"fallback\")", s("v")),
            ("can(var.m.z)", Ev::Bool(false)),
            ("contains([\"a\", \"b\"], \"b\")", Ev::Bool(true)),
            ("contains([\"a\"], \"c\")", Ev::Bool(false)),
            ("length([1, 2, 3])", Ev::Num(3.0)),
            ("length(var.m)", Ev::Num(1.0)),
            ("length(\"héllo\")", Ev::Num(5.0)),
            (
                "concat([1], [2, 3])",
                Ev::List(vec![Ev::Num(1.0), Ev::Num(2.0), Ev::Num(3.0)]),
            ),
            (
                "merge({ a = 1 }, null, { a = 2, b = 3 })",
                Ev::Obj(BTreeMap::from([
                    ("a".to_string(), Ev::Num(2.0)),
                    ("b".to_string(), Ev::Num(3.0)),
                ])),
            ),
            ("join(\",\", [\"a\", 1])", s("a,1")),
            ("split(\",\", \"a,b\")", Ev::List(vec![s("a"), s("b")])),
            ("replace(\"a-b\", \"-\", \"_\")", s("a_b")),
            ("keys({ b = 1, a = 2 })", Ev::List(vec![s("a"), s("b")])),
            ("element([\"a\", \"b\"], 3)", s("b")),
            (
                "flatten([[1], [[2]]])",
                Ev::List(vec![Ev::Num(1.0), Ev::Num(2.0)]),
            ),
            (
                "distinct([1, 1, 2])",
                Ev::List(vec![Ev::Num(1.0), Ev::Num(2.0)]),
            ),
            ("compact([\"a\", \"\", null])", Ev::List(vec![s("a")])),
            ("max(1, 5, 2)", Ev::Num(5.0)),
            ("toset([\"a\", \"a\"])", Ev::List(vec![s("a")])),
            ("trimspace(\"  x \")", s("x")),
            ("jsonencode({ a = [true] })", s("{\"a\":[true]}")),
            (
                "concat(tolist([1]), [for x in [2] : x])",
                Ev::List(vec![Ev::Num(1.0), Ev::Num(2.0)]),
            ),
        ] {
            assert_eq!(e(expr), Ok(want), "{expr}");
        }
        assert!(e("lower(1, 2)").is_err());
        assert!(e("coalesce(null, \"\")").is_err());
        assert!(e("try(var.m.z, var.m.y)").is_err());
        match e("file(\"x.txt\")") {
            Ok(Ev::Unknown(u)) => {
                assert_eq!(u.expr, "file(\"x.txt\")");
                assert!(u.reason.contains("file() is not evaluated"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            e("provider::azurerm::normalise_resource_id(\"x\")"),
            Ok(Ev::Unknown(_))
        ));
    }

    #[test]
    fn unknowns_propagate_with_their_reason() {
        let vars = [("env", unknown("var.env", "variable \"env\" has no value"))];
        let e = |x: &str| {
            eval_with(
                x,
                &vars,
                "locals {\n  a = local.b\n  b = local.a\n  c = var.env\n}",
            )
        };
        let reason = |r: Result<Ev, String>| match r {
            Ok(Ev::Unknown(u)) => u.reason,
            other => panic!("not unknown: {other:?}"),
        };
        assert!(reason(e("var.env == \"prod\"")).contains("\"env\" has no value"));
        assert!(reason(e("\"x-${var.env}\"")).contains("\"env\" has no value"));
        assert!(reason(e("lower(var.env)")).contains("\"env\" has no value"));
        assert!(reason(e("local.c")).contains("\"env\" has no value"));
        assert!(reason(e("local.a")).contains("refers to itself"));
        assert!(reason(e("var.missing")).contains("not declared"));
        assert!(reason(e("local.nope")).contains("not defined"));
        assert!(
            reason(e("data.azurerm_client_config.current.tenant_id"))
                .contains("data source data.azurerm_client_config.current")
        );
        assert!(reason(e("module.net.subnet_id")).contains("module \"net\""));
        assert!(reason(e("azurerm_subnet.a.id")).contains("resource azurerm_subnet.a"));
        assert!(reason(e("path.module")).contains("path"));
        assert!(reason(e("count.index")).contains("count"));
        // A condition that is unknown does not matter when both branches agree.
        assert_eq!(
            e("var.env == \"prod\" ? \"Standard\" : \"Standard\""),
            Ok(s("Standard"))
        );
        assert!(matches!(
            e("var.env == \"prod\" ? \"Standard\" : \"Free\""),
            Ok(Ev::Unknown(_))
        ));
        // A known operand decides a logical operator.
        assert_eq!(e("false && var.env == \"x\""), Ok(Ev::Bool(false)));
        assert_eq!(e("var.env == \"x\" || true"), Ok(Ev::Bool(true)));
        assert_eq!(e("coalesce(\"a\", var.env)"), Ok(s("a")));
        assert!(matches!(e("coalesce(null, var.env)"), Ok(Ev::Unknown(_))));
        assert!(matches!(
            e("contains([var.env], \"x\")"),
            Ok(Ev::Unknown(_))
        ));
        assert_eq!(e("contains([var.env, \"x\"], \"x\")"), Ok(Ev::Bool(true)));
        assert_eq!(e("length([var.env, 1])"), Ok(Ev::Num(2.0)));
        // At the attribute level the expression as written is kept.
        let tf = "variable \"env\" {}\nresource \"azurerm_kubernetes_cluster\" \"a\" {\n  private_cluster_enabled = var.env == \"prod\"\n  tags = { env = var.env, team = \"x\" }\n}\n";
        let (cs, _, _) = run(&[("main.tf", tf)], &[]);
        let u = unresolved_at(
            &cs[0],
            "/properties/apiServerAccessProfile/enablePrivateCluster",
        )
        .expect("unresolved");
        assert_eq!(u.expr, "var.env == \"prod\"");
        assert_eq!(u.reason, "variable \"env\" has no value");
        let u = unresolved_at(&cs[0], "/tags").expect("a map with an unknown member");
        assert_eq!(u.expr, "var.env");
        let o = cs[0].origin(&segs("/tags")).expect("origin");
        assert_eq!(o.line, Some(4));
    }

    #[test]
    fn count_for_each_and_dynamic_blocks() {
        let tf = r#"
variable "zones" { default = ["1", "2"] }
variable "clusters" {
  default = {
    blue  = { tier = "Free" }
    green = { tier = "Standard" }
  }
}
variable "oms" {}
resource "azurerm_kubernetes_cluster" "by_count" {
  count = 2
  name  = "c-${count.index}"
  default_node_pool {
    name  = "d"
    zones = var.zones
  }
  dynamic "api_server_access_profile" {
    for_each = { main = ["10.0.0.0/8"] }
    iterator = prof
    content {
      authorized_ip_ranges = prof.value
    }
  }
  dynamic "oms_agent" {
    for_each = var.oms
    content {
      log_analytics_workspace_id = oms_agent.value
    }
  }
}
resource "azurerm_kubernetes_cluster" "by_each" {
  for_each = var.clusters
  name     = each.key
  sku_tier = each.value.tier
}
resource "azurerm_kubernetes_cluster" "none" {
  for_each = toset([])
  name     = "none"
}
resource "azurerm_kubernetes_cluster" "maybe" {
  count = var.oms == null ? 0 : 1
  name  = "maybe-${count.index}"
}
"#;
        let (cs, errors, notes) = run(&[("main.tf", tf)], &[]);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<&str> = cs.iter().map(Cluster::name).collect();
        assert_eq!(names, ["c-0", "c-1", "blue", "green", ""]);
        assert_eq!(
            cs[1].origin(&segs("/name")).map(|o| o.pointer),
            Some("azurerm_kubernetes_cluster.by_count[1].name".to_string())
        );
        assert_eq!(
            cs[3].origin(&segs("/sku/tier")).map(|o| o.pointer),
            Some("azurerm_kubernetes_cluster.by_each[\"green\"].sku_tier".to_string())
        );
        assert_eq!(at(&cs[3], "/sku/tier"), Some(json!("Standard")));
        assert_eq!(
            at(
                &cs[0],
                "/properties/apiServerAccessProfile/authorizedIPRanges"
            ),
            Some(json!(["10.0.0.0/8"]))
        );
        assert_eq!(
            at(&cs[0], "/properties/agentPoolProfiles/0/availabilityZones"),
            Some(json!(["1", "2"]))
        );
        let u = unresolved_at(&cs[0], "/properties/addonProfiles/omsagent/enabled")
            .expect("dynamic unresolved");
        assert!(u.expr.contains("dynamic \"oms_agent\""), "{}", u.expr);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("dynamic \"oms_agent\" block not expanded")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("azurerm_kubernetes_cluster.none has an empty for_each")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("count of azurerm_kubernetes_cluster.maybe")),
            "{notes:?}"
        );
        // count unknown: one instance whose count.index is unknown.
        assert!(unresolved_at(&cs[4], "/name").is_some());
    }

    #[test]
    fn pools_attach_to_the_cluster_they_name() {
        let tf = r#"
variable "cluster_id" {}
resource "azurerm_kubernetes_cluster" "a" { name = "a" }
resource "azurerm_kubernetes_cluster" "b" { name = "b" }
resource "azurerm_kubernetes_cluster_node_pool" "on_b" {
  name                  = "onb"
  kubernetes_cluster_id = azurerm_kubernetes_cluster.b.id
}
resource "azurerm_kubernetes_cluster_node_pool" "lost" {
  name                  = "lost"
  kubernetes_cluster_id = var.cluster_id
}
resource "azurerm_kubernetes_cluster_node_pool" "data" {
  name                  = "data"
  kubernetes_cluster_id = data.azurerm_kubernetes_cluster.b.id
}
"#;
        let (all, _, notes) = run(&[("main.tf", tf)], &[]);
        // Pools of no cluster of the module are clusters of their own, judged per pool.
        let lost: Vec<&Cluster> = all.iter().filter(|c| c.pools_only).collect();
        assert_eq!(lost.len(), 2, "lost and data");
        assert!(lost.iter().all(|c| c.pools().len() == 1));
        assert_eq!(lost[1].name(), "data.azurerm_kubernetes_cluster.b");
        let cs: Vec<Cluster> = all.into_iter().filter(|c| !c.pools_only).collect();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].pools().len(), 0);
        assert_eq!(cs[1].pools().len(), 1);
        assert_eq!(
            at(&cs[1], "/properties/agentPoolProfiles/0/name"),
            Some(json!("onb"))
        );
        assert_eq!(
            notes
                .iter()
                .filter(|n| n.contains("belongs to no cluster"))
                .count(),
            2,
            "{notes:?}"
        );
        // With one cluster, an unnamed pool joins it (with a note).
        let one = "resource \"azurerm_kubernetes_cluster\" \"a\" { name = \"a\" }\nresource \"azurerm_kubernetes_cluster_node_pool\" \"p\" {\n  name = \"p\"\n  kubernetes_cluster_id = module.aks.id\n}\nmodule \"aks\" { source = \"Azure/aks/azurerm\" }\n";
        let (cs, _, notes) = run(&[("main.tf", one)], &[]);
        assert_eq!(cs[0].pools().len(), 1);
        assert!(
            notes.iter().any(|n| n.contains("only cluster")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("module \"aks\"")),
            "{notes:?}"
        );
    }

    #[test]
    fn cluster_reference_names() {
        assert_eq!(
            cluster_names("azurerm_kubernetes_cluster.main.id"),
            ["main"]
        );
        assert_eq!(
            cluster_names("azurerm_kubernetes_cluster.main[0].id"),
            ["main"]
        );
        assert!(cluster_names("data.azurerm_kubernetes_cluster.main.id").is_empty());
        assert!(cluster_names("azurerm_kubernetes_cluster_node_pool.p.id").is_empty());
        assert!(cluster_names("my_azurerm_kubernetes_cluster.x").is_empty());
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let deep = format!(
            "locals {{\n  x = {}1{}\n}}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let (_, errors, _) = run(&[("deep.tf", &deep)], &[]);
        assert_eq!(
            errors.len(),
            1,
            "nesting beyond the parser's limit is an error"
        );
        let blocks = format!("{}{}", "a {\n".repeat(3000), "}\n".repeat(3000));
        let (_, errors, _) = run(&[("blocks.tf", &blocks)], &[]);
        assert_eq!(errors.len(), 1);
        // A long chain of locals, a cycle, and a combinatorial for expression.
        let mut chain = String::from("locals {\n");
        for i in 0..400 {
            chain.push_str(&format!("  l{i} = local.l{}\n", i + 1));
        }
        chain.push_str("  l400 = \"end\"\n  big = [for i in range(0) : i]\n");
        chain.push_str(&format!("  ten = [{}]\n", vec!["1"; 40].join(", ")));
        chain.push_str("  boom = [for a in local.ten : [for b in local.ten : [for c in local.ten : [for d in local.ten : [for e in local.ten : e]]]]]\n}\n");
        chain.push_str("resource \"azurerm_kubernetes_cluster\" \"x\" {\n  name = local.l0\n  sku_tier = local.boom\n  kubernetes_version = \"${local.cyc}\"\n  dns_prefix = \"${\"a\"}${1 + 1}\"\n}\nlocals {\n  cyc = local.cyc\n}\n");
        let (cs, errors, _) = run(&[("chain.tf", &chain)], &[]);
        assert!(errors.is_empty(), "{errors:?}");
        let c = &cs[0];
        assert!(unresolved_at(c, "/name").is_some(), "the chain is too deep");
        assert!(
            unresolved_at(c, "/sku/tier").is_some(),
            "the budget stops the for expression"
        );
        assert!(unresolved_at(c, "/properties/kubernetesVersion").is_some());
        assert_eq!(at(c, "/properties/dnsPrefix"), Some(json!("a2")));
        // Odd shapes: labels missing, attributes where blocks are expected, wrong types.
        let odd = "resource \"azurerm_kubernetes_cluster\" {}\nresource \"azurerm_kubernetes_cluster\" \"o\" {\n  network_profile = \"x\"\n  default_node_pool = [1]\n  identity = { type = 1 }\n  dynamic { }\n  dynamic \"x\" {\n    content {}\n  }\n  count = \"many\"\n}\n";
        let (cs, errors, notes) = run(&[("odd.tf", odd)], &[("v.tfvars", "x = local.y\n")]);
        assert_eq!(cs.len(), 1, "{errors:?} {notes:?}");
        assert!(errors.is_empty(), "{errors:?}");
        assert!(!notes.is_empty());
    }
}
