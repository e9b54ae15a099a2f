//! ARM deployment templates (also what `bicep build` emits): the resources a deployment would
//! create, with template expressions evaluated wherever the template and the parameter values
//! allow.
//!
//! [`evaluate`] takes a template and parameter values and returns every resource it would
//! deploy: `condition`s are applied, `copy` loops expanded (resource, property and variable
//! loops), nested child resources get their full type and `parent/child` name, nested
//! deployments with an inline template (how `bicep build` emits modules) are evaluated with
//! the parameters they pass, and `existing` resources (references, languageVersion 2.0) are
//! left out. What cannot be worked out before deployment (`reference()`, `resourceGroup()`,
//! parameters without a value) is listed in [`Resource::unresolved`] and is null in the body;
//! where a value came from a parameter or a variable, [`Resource::notes`] says so.
//!
//! Template reference: <https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax>;
//! symbolic names (languageVersion 2.0):
//! <https://learn.microsoft.com/azure/azure-resource-manager/templates/resource-declaration>.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Value};

use super::expr::{self, Cx, Hole, Limits, Loop, Obj, Scope, Text, V, escape_pointer};

/// A parameter value from a deployment parameters file
/// (`{"$schema": ".../deploymentParameters.json#", "parameters": {"x": {"value": ...}}}`) or
/// given directly. A `reference` (Key Vault) parameter has no value and counts as unresolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamValue {
    pub value: Option<Value>,
    /// Where the value comes from (the parameters file name), for notes.
    pub source: String,
}

/// One resource a template deploys.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// `type` as written, e.g. `Microsoft.ContainerService/managedClusters` (child resources
    /// nested in a parent's `resources` get the full type `parent/child`).
    pub type_: String,
    /// The evaluated name (for child resources nested in a parent: `parent/child`, as ARM
    /// does); None when it cannot be evaluated (then `name_expr` holds the expression).
    pub name: Option<String>,
    /// The `name` as written.
    pub name_expr: String,
    pub api_version: Option<String>,
    /// JSON pointer of the resource in the template file (`/resources/3`, `/resources/aks`,
    /// `/resources/0/resources/1`, `/resources/aksModule/properties/template/resources/aks`).
    pub pointer: String,
    /// The resource object with every expression evaluated (keys as written). Nested child
    /// `resources` are left out (they are resources of their own), `dependsOn` and the inline
    /// `template` of a nested deployment are kept as written.
    pub body: Value,
    /// Values that could not be evaluated: (JSON pointer inside `body`, expression as
    /// written, reason). `body` holds null there.
    pub unresolved: Vec<(String, String, String)>,
    /// Where values came from: (JSON pointer inside `body`, note such as
    /// `from parameter clusterTier (default)` or `from parameter clusterTier (prod.parameters.json)`).
    /// A note at the empty pointer is about the whole resource (e.g. an unknown condition).
    pub notes: Vec<(String, String)>,
}

/// Whether a JSON document is a deployment template: a `$schema` naming a deployment
/// template, or `resources` together with `parameters`, `variables` or `contentVersion`.
pub fn is_template(v: &Value) -> bool {
    let Some(m) = v.as_object() else {
        return false;
    };
    if let Some(s) = m.get("$schema").and_then(Value::as_str) {
        let s = s.to_ascii_lowercase();
        if s.contains("deploymenttemplate") {
            return true;
        }
        if s.contains("deploymentparameters") {
            return false;
        }
    }
    matches!(m.get("resources"), Some(Value::Array(_) | Value::Object(_)))
        && ["parameters", "variables", "contentVersion"]
            .iter()
            .any(|k| m.contains_key(*k))
}

/// Whether a JSON document is a deployment parameters file (its `$schema`).
pub fn is_parameters_file(v: &Value) -> bool {
    v.get("$schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.to_ascii_lowercase().contains("deploymentparameters"))
}

/// The values of a parameters file (`parameters.x.value`). Key Vault `reference` parameters
/// have no value and are left out; [`param_values`] keeps them as unresolved.
pub fn parameters_of(v: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Some(ps) = v.get("parameters").and_then(Value::as_object) {
        for (k, p) in ps {
            if let Some(x) = p.get("value") {
                out.insert(k.clone(), x.clone());
            }
        }
    }
    out
}

/// The parameters of a parameters file as [`ParamValue`]s from `source` (the file name);
/// Key Vault `reference` parameters are included without a value.
pub fn param_values(v: &Value, source: &str) -> BTreeMap<String, ParamValue> {
    let mut out = BTreeMap::new();
    if let Some(ps) = v.get("parameters").and_then(Value::as_object) {
        for (k, p) in ps {
            let value = p.get("value").cloned();
            if value.is_some() || p.get("reference").is_some() {
                out.insert(
                    k.clone(),
                    ParamValue {
                        value,
                        source: source.to_string(),
                    },
                );
            }
        }
    }
    out
}

/// Evaluates a template with parameter values: the resources it deploys and warnings
/// (template errors, values outside `allowedValues`, parts not followed). Never fails: what
/// cannot be evaluated is reported in each resource's `unresolved`.
pub fn evaluate(
    template: &Value,
    params: &BTreeMap<String, ParamValue>,
) -> (Vec<Resource>, Vec<String>) {
    let shared = Shared::default();
    let mut out = Vec::new();
    let Some(doc) = template.as_object() else {
        return (out, vec!["the template is not a JSON object".into()]);
    };
    let given = params
        .iter()
        .map(|(k, p)| {
            let g = match &p.value {
                Some(v) => Given::Value {
                    v: V::from_json(v, &shared.limits),
                    source: p.source.clone(),
                },
                None => Given::Unknown {
                    reason: "no value is given (a Key Vault reference is read at deployment)"
                        .into(),
                    source: p.source.clone(),
                },
            };
            (k.clone(), g)
        })
        .collect();
    let tpl = Tpl::new(doc, String::new(), given, &shared, 0);
    tpl.run(&mut out);
    let mut warnings = shared.warnings.into_inner();
    if shared.limits.exhausted() {
        warnings.push(format!("evaluation stopped early: {}", expr::EXHAUSTED));
    }
    let mut seen = HashSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    (out, warnings)
}

// ---------------------------------------------------------------------------------------------

/// ARM's limit on copy loop counts.
/// https://learn.microsoft.com/azure/azure-resource-manager/templates/copy-resources
const MAX_COPY: i64 = 800;
/// Deepest chain of nested deployments followed.
const MAX_DEPLOYMENT_DEPTH: u32 = 8;

#[derive(Default)]
struct Shared {
    limits: Limits,
    warnings: RefCell<Vec<String>>,
}

/// A parameter value passed to a template.
enum Given {
    Value { v: V, source: String },
    Unknown { reason: String, source: String },
}

enum VarDecl<'t> {
    Plain(&'t Value),
    /// A variable defined by a `copy` entry of `variables`.
    Copy {
        count: &'t Value,
        input: &'t Value,
    },
}

enum Slot {
    Busy,
    Done(V, Rc<[Rc<str>]>),
}

/// Provenance and notes collected while walking a value.
struct Sink {
    /// Pointer of the walked value in the template file (for warnings).
    at: String,
    notes: Vec<(String, String)>,
    deps: Vec<Rc<str>>,
}

impl Sink {
    fn new(at: String) -> Sink {
        Sink {
            at,
            notes: Vec::new(),
            deps: Vec::new(),
        }
    }
}

/// The parent of a nested child resource.
struct Parent {
    type_: String,
    name: Option<String>,
}

/// One template being evaluated (the file's, or an inner one of a nested deployment).
struct Tpl<'t, 's> {
    shared: &'s Shared,
    doc: &'t Map<String, Value>,
    /// Pointer of this template in the file (empty for the file's own).
    base: String,
    /// Declared parameters by lowercased name: (name as declared, declaration).
    params: HashMap<String, (&'t str, &'t Value)>,
    /// Values passed, by lowercased name.
    given: HashMap<String, Given>,
    vars: HashMap<String, (&'t str, VarDecl<'t>)>,
    pcache: RefCell<HashMap<String, Slot>>,
    vcache: RefCell<HashMap<String, Slot>>,
    nest: u32,
}

fn hole(expr: &str, reason: impl Into<String>) -> Rc<Hole> {
    Rc::new(Hole {
        expr: Rc::from(expr),
        reason: reason.into(),
    })
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn clip(s: &str) -> String {
    if s.len() <= 120 {
        return s.to_string();
    }
    let mut end = 120;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
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

/// The entries of a property or variable `copy` array: (name, count, input). None when the
/// value is not shaped like one (a property that happens to be called `copy`).
fn property_copy(v: &Value) -> Option<Vec<(&str, &Value, &Value)>> {
    let a = v.as_array()?;
    if a.is_empty() {
        return None;
    }
    a.iter()
        .map(|e| {
            let m = e.as_object()?;
            Some((
                m.get("name")?.as_str()?,
                m.get("count").unwrap_or(&Value::Null),
                m.get("input")?,
            ))
        })
        .collect()
}

fn get_ci<'a>(m: &'a Map<String, Value>, key: &str) -> Option<(&'a String, &'a Value)> {
    m.get_key_value(key)
        .or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
}

/// The full type of a resource nested in `parent`.
fn full_type(t: &str, parent: Option<&Parent>) -> String {
    let Some(p) = parent else {
        return t.to_string();
    };
    let ns = p.type_.split('/').next().unwrap_or("");
    if t.split('/')
        .next()
        .is_some_and(|x| x.eq_ignore_ascii_case(ns))
        && t.contains('/')
    {
        t.to_string()
    } else {
        format!("{}/{t}", p.type_)
    }
}

impl<'t, 's> Tpl<'t, 's> {
    fn new(
        doc: &'t Map<String, Value>,
        base: String,
        given: BTreeMap<String, Given>,
        shared: &'s Shared,
        nest: u32,
    ) -> Tpl<'t, 's> {
        let mut params = HashMap::new();
        if let Some(Value::Object(ps)) = doc.get("parameters") {
            for (k, d) in ps {
                params.insert(k.to_ascii_lowercase(), (k.as_str(), d));
            }
        }
        let mut vars = HashMap::new();
        if let Some(Value::Object(vs)) = doc.get("variables") {
            for (k, v) in vs {
                if k.eq_ignore_ascii_case("copy")
                    && let Some(entries) = property_copy(v)
                {
                    for (name, count, input) in entries {
                        vars.insert(
                            name.to_ascii_lowercase(),
                            (name, VarDecl::Copy { count, input }),
                        );
                    }
                    continue;
                }
                vars.insert(k.to_ascii_lowercase(), (k.as_str(), VarDecl::Plain(v)));
            }
        }
        let tpl = Tpl {
            shared,
            doc,
            base,
            params,
            given: HashMap::new(),
            vars,
            pcache: RefCell::new(HashMap::new()),
            vcache: RefCell::new(HashMap::new()),
            nest,
        };
        let mut checked = HashMap::new();
        for (k, g) in given {
            tpl.check_given(&k, &g);
            checked.insert(k.to_ascii_lowercase(), g);
        }
        Tpl {
            given: checked,
            ..tpl
        }
    }

    fn warn(&self, w: String) {
        self.shared.warnings.borrow_mut().push(w);
    }

    /// Warns about a value passed for a parameter that is not declared, or that is not one of
    /// its `allowedValues`.
    fn check_given(&self, name: &str, g: &Given) {
        let (source, v) = match g {
            Given::Value { v, source } => (source, Some(v)),
            Given::Unknown { source, .. } => (source, None),
        };
        let Some((decl_name, decl)) = self.params.get(&name.to_ascii_lowercase()) else {
            self.warn(format!(
                "{}/parameters: parameter '{name}' is given ({source}) but the template does not declare it",
                self.base
            ));
            return;
        };
        let (Some(v), Some(Value::Array(allowed))) = (v, decl.get("allowedValues")) else {
            return;
        };
        let Some(j) = v.to_json_complete(&self.shared.limits) else {
            return;
        };
        let is_allowed = |x: &Value| {
            allowed.iter().any(|a| match (a, x) {
                (Value::String(a), Value::String(x)) => a.eq_ignore_ascii_case(x),
                (a, x) => a == x,
            })
        };
        let is_array = decl
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("array"));
        let ok = match (&j, is_array) {
            (Value::Array(items), true) => items.iter().all(is_allowed),
            (x, _) => is_allowed(x),
        };
        if !ok {
            self.warn(format!(
                "{}/parameters/{}: value {} ({source}) is not one of the allowedValues {}",
                self.base,
                escape_pointer(decl_name),
                clip(&j.to_string()),
                clip(&Value::Array(allowed.clone()).to_string())
            ));
        }
    }

    fn run(&self, out: &mut Vec<Resource>) {
        if let Some(list) = self.doc.get("resources") {
            self.resources(list, "/resources", None, &[], out);
        }
    }

    // ---- values

    /// Walks a JSON value of the template, evaluating its expressions.
    fn walk(&self, v: &Value, loops: &[Loop], ptr: &mut String, sink: &mut Sink) -> V {
        let limits = &self.shared.limits;
        let Some(_nest) = limits.enter() else {
            return V::Hole(hole("", "the template is nested too deeply"));
        };
        if !limits.charge(expr::NODE_COST) {
            return V::Hole(hole("", expr::EXHAUSTED));
        }
        match v {
            Value::String(s) => self.leaf(s, loops, ptr, sink),
            Value::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                for (i, x) in a.iter().enumerate() {
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&i.to_string());
                    items.push(self.walk(x, loops, ptr, sink));
                    ptr.truncate(len);
                }
                V::Arr(Rc::new(items))
            }
            Value::Object(m) => V::Obj(Rc::new(self.walk_object(m, loops, ptr, sink))),
            other => V::from_json(other, limits),
        }
    }

    fn walk_object(
        &self,
        m: &Map<String, Value>,
        loops: &[Loop],
        ptr: &mut String,
        sink: &mut Sink,
    ) -> Obj {
        let mut o = Obj::new();
        let copies = get_ci(m, "copy").and_then(|(k, v)| Some((k, property_copy(v)?)));
        for (k, v) in m {
            if copies.as_ref().is_some_and(|(ck, _)| *ck == k) {
                continue;
            }
            let len = ptr.len();
            ptr.push('/');
            ptr.push_str(&escape_pointer(k));
            o.insert(k.clone(), self.walk(v, loops, ptr, sink));
            ptr.truncate(len);
        }
        // Property loops: `"copy": [{"name": "x", "count": n, "input": {...}}]` makes `x` an
        // array of n inputs.
        for (name, count, input) in copies.map(|(_, c)| c).unwrap_or_default() {
            let len = ptr.len();
            ptr.push('/');
            ptr.push_str(&escape_pointer(name));
            let arr = self.copy_array(name, count, input, loops, ptr, sink);
            o.insert(name.to_string(), arr);
            ptr.truncate(len);
        }
        o
    }

    /// The array made by a property or variable copy loop.
    fn copy_array(
        &self,
        name: &str,
        count: &Value,
        input: &Value,
        loops: &[Loop],
        ptr: &mut String,
        sink: &mut Sink,
    ) -> V {
        let n = match self.count(count, loops, ptr, sink) {
            Ok(n) => n,
            Err(h) => return V::Hole(h),
        };
        let mut inner = loops.to_vec();
        inner.push(Loop {
            name: Rc::from(name),
            index: None,
            resource: false,
        });
        let mut items = Vec::with_capacity(n as usize);
        for i in 0..n {
            if let Some(l) = inner.last_mut() {
                l.index = Some(i);
            }
            let len = ptr.len();
            ptr.push('/');
            ptr.push_str(&i.to_string());
            items.push(self.walk(input, &inner, ptr, sink));
            ptr.truncate(len);
        }
        V::Arr(Rc::new(items))
    }

    /// The count of a copy loop (0..=800).
    fn count(
        &self,
        count: &Value,
        loops: &[Loop],
        ptr: &mut String,
        sink: &mut Sink,
    ) -> Result<i64, Rc<Hole>> {
        let text = text_of(count);
        match self.walk(count, loops, ptr, sink) {
            V::Int(n) if (0..=MAX_COPY).contains(&n) => Ok(n),
            V::Int(n) => {
                self.warn(format!(
                    "{}{ptr}: copy count {n} is outside ARM's limit of 0 to {MAX_COPY}",
                    sink.at
                ));
                Err(hole(
                    &text,
                    format!("copy count {n} is outside 0 to {MAX_COPY}"),
                ))
            }
            V::Hole(h) => Err(h),
            other => Err(hole(
                &text,
                format!("the copy count is a {}, not an integer", type_name(&other)),
            )),
        }
    }

    /// Evaluates one template string.
    fn leaf(&self, s: &str, loops: &[Loop], ptr: &str, sink: &mut Sink) -> V {
        let body = match expr::classify(s) {
            Text::Literal(l) => return V::str(&l),
            Text::Expr(body) => body,
        };
        let limits = &self.shared.limits;
        if !limits.charge(s.len()) {
            return V::Hole(hole(&clip(s), expr::EXHAUSTED));
        }
        let ast = match expr::parse(body) {
            Ok(a) => a,
            Err(e) => {
                self.warn(format!(
                    "{}{ptr}: invalid expression {}: {e}",
                    sink.at,
                    clip(s)
                ));
                return V::Hole(hole(s, format!("invalid expression: {e}")));
            }
        };
        let cx = Cx {
            scope: self,
            limits,
            loops,
            text: Rc::from(s),
            deps: RefCell::new(Vec::new()),
        };
        let r = cx.eval(&ast);
        let mut deps = cx.deps.into_inner();
        if !deps.is_empty() {
            let mut seen = HashSet::new();
            deps.retain(|d| seen.insert(d.clone()));
            let text: Vec<&str> = deps.iter().map(|d| &**d).collect();
            sink.notes
                .push((ptr.to_string(), format!("from {}", text.join(", "))));
            sink.deps.extend(deps);
        }
        match r {
            Ok(v) => v,
            Err(h) => V::Hole(h),
        }
    }

    fn compute_param(&self, key: &str, name: &str, cx: &Cx<'_>) -> (V, Vec<Rc<str>>) {
        let Some((decl_name, decl)) = self.params.get(key) else {
            return (
                V::Hole(cx.hole(format!(
                    "parameter '{name}' is not declared in the template"
                ))),
                Vec::new(),
            );
        };
        let mut deps = Vec::new();
        let (v, source): (V, &str) = match self.given.get(key) {
            Some(Given::Value { v, source }) => (v.clone(), source),
            Some(Given::Unknown { reason, source }) => (
                V::Hole(cx.hole(format!("parameter {decl_name} ({source}): {reason}"))),
                source,
            ),
            None => match decl.get("defaultValue") {
                Some(d) => {
                    let mut sink = Sink::new(format!(
                        "{}/parameters/{}/defaultValue",
                        self.base,
                        escape_pointer(decl_name)
                    ));
                    let v = self.walk(d, &[], &mut String::new(), &mut sink);
                    deps = sink.deps;
                    (v, "default")
                }
                None if decl.get("nullable") == Some(&Value::Bool(true)) => (V::Null, "not set"),
                None => (
                    V::Hole(cx.hole(format!("parameter {decl_name} has no value"))),
                    "no value",
                ),
            },
        };
        deps.insert(0, Rc::from(format!("parameter {decl_name} ({source})")));
        (v, deps)
    }

    fn compute_var(&self, key: &str, name: &str, cx: &Cx<'_>) -> (V, Vec<Rc<str>>) {
        let Some((decl_name, decl)) = self.vars.get(key) else {
            return (
                V::Hole(cx.hole(format!("variable '{name}' is not declared in the template"))),
                Vec::new(),
            );
        };
        let mut sink = Sink::new(format!(
            "{}/variables/{}",
            self.base,
            escape_pointer(decl_name)
        ));
        let v = match decl {
            VarDecl::Plain(v) => self.walk(v, &[], &mut String::new(), &mut sink),
            VarDecl::Copy { count, input } => {
                self.copy_array(decl_name, count, input, &[], &mut String::new(), &mut sink)
            }
        };
        let mut deps = sink.deps;
        deps.insert(0, Rc::from(format!("variable {decl_name}")));
        (v, deps)
    }

    /// Looks up a parameter or variable in `cache`, computing it once (with cycle detection).
    fn cached(
        &self,
        cache: &RefCell<HashMap<String, Slot>>,
        kind: &str,
        name: &str,
        cx: &Cx<'_>,
        compute: impl FnOnce(&str) -> (V, Vec<Rc<str>>),
    ) -> V {
        let key = name.to_ascii_lowercase();
        let found = match cache.borrow().get(&key) {
            Some(Slot::Busy) => Some(None),
            Some(Slot::Done(v, deps)) => Some(Some((v.clone(), deps.clone()))),
            None => None,
        };
        let (v, deps) = match found {
            Some(None) => {
                return V::Hole(cx.hole(format!("{kind} '{name}' depends on itself")));
            }
            Some(Some(done)) => done,
            None => {
                cache.borrow_mut().insert(key.clone(), Slot::Busy);
                let (v, deps) = compute(&key);
                let deps: Rc<[Rc<str>]> = deps.into();
                cache
                    .borrow_mut()
                    .insert(key, Slot::Done(v.clone(), deps.clone()));
                (v, deps)
            }
        };
        for d in deps.iter() {
            cx.note(d.clone());
        }
        match v {
            // A wholly unknown value is reported where it is used.
            V::Hole(h) => V::Hole(cx.hole(h.reason.clone())),
            v => v,
        }
    }

    // ---- resources

    fn resources(
        &self,
        list: &Value,
        at: &str,
        parent: Option<&Parent>,
        loops: &[Loop],
        out: &mut Vec<Resource>,
    ) {
        let Some(_nest) = self.shared.limits.enter() else {
            self.warn(format!(
                "{}{at}: resources are nested too deeply to follow",
                self.base
            ));
            return;
        };
        match list {
            Value::Array(a) => {
                for (i, r) in a.iter().enumerate() {
                    self.resource(r, format!("{at}/{i}"), parent, loops, out);
                }
            }
            Value::Object(m) => {
                for (k, r) in m {
                    self.resource(r, format!("{at}/{}", escape_pointer(k)), parent, loops, out);
                }
            }
            Value::Null => {}
            _ => self.warn(format!(
                "{}{at}: resources must be an array or an object",
                self.base
            )),
        }
    }

    fn resource(
        &self,
        r: &Value,
        ptr: String,
        parent: Option<&Parent>,
        loops: &[Loop],
        out: &mut Vec<Resource>,
    ) {
        if self.shared.limits.exhausted() {
            return;
        }
        let Some(m) = r.as_object() else {
            self.warn(format!("{}{ptr}: a resource must be an object", self.base));
            return;
        };
        // A reference to a resource that exists already (languageVersion 2.0), not deployed.
        if get_ci(m, "existing").map(|(_, v)| v) == Some(&Value::Bool(true)) {
            return;
        }
        let Some(t) = get_ci(m, "type").and_then(|(_, v)| v.as_str()) else {
            self.warn(format!("{}{ptr}: the resource has no type", self.base));
            return;
        };
        let type_ = full_type(t, parent);
        match get_ci(m, "copy").map(|(_, v)| v) {
            Some(Value::Object(c)) => {
                let loop_name: Rc<str> =
                    Rc::from(c.get("name").and_then(Value::as_str).unwrap_or("copy"));
                let mut sink = Sink::new(format!("{}{ptr}", self.base));
                let count = match c.get("count") {
                    Some(cv) => self.count(cv, loops, &mut String::from("/copy/count"), &mut sink),
                    None => Err(hole("", "the copy loop has no count")),
                };
                let mut inner = loops.to_vec();
                inner.push(Loop {
                    name: loop_name,
                    index: None,
                    resource: true,
                });
                match count {
                    Ok(n) => {
                        for i in 0..n {
                            if let Some(l) = inner.last_mut() {
                                l.index = Some(i);
                            }
                            self.instance(m, &ptr, &type_, parent, &inner, None, out);
                        }
                    }
                    Err(h) => self.instance(m, &ptr, &type_, parent, &inner, Some(h), out),
                }
            }
            _ => self.instance(m, &ptr, &type_, parent, loops, None, out),
        }
    }

    /// One deployed instance of a resource (one iteration of its copy loop).
    #[allow(clippy::too_many_arguments)]
    fn instance(
        &self,
        m: &Map<String, Value>,
        ptr: &str,
        type_: &str,
        parent: Option<&Parent>,
        loops: &[Loop],
        unknown_count: Option<Rc<Hole>>,
        out: &mut Vec<Resource>,
    ) {
        let mut sink = Sink::new(format!("{}{ptr}", self.base));
        let mut notes = Vec::new();
        let condition = get_ci(m, "condition").map(|(k, c)| {
            let v = self.walk(c, loops, &mut format!("/{k}"), &mut sink);
            (k, v)
        });
        match condition.as_ref().map(|(_, v)| v) {
            Some(V::Bool(false)) => return,
            Some(V::Bool(true)) | None => {}
            Some(V::Hole(h)) => notes.push((
                String::new(),
                format!(
                    "the condition {} could not be evaluated ({}); the resource is kept",
                    clip(&h.expr),
                    h.reason
                ),
            )),
            Some(other) => self.warn(format!(
                "{}{ptr}/condition: the condition is a {}, not a bool; the resource is kept",
                self.base,
                type_name(other)
            )),
        }
        let is_deployment = type_.eq_ignore_ascii_case("Microsoft.Resources/deployments");
        let mut obj = Obj::new();
        for (k, v) in m {
            if k.eq_ignore_ascii_case("resources") {
                continue; // nested children are resources of their own
            }
            if let Some((ck, cv)) = &condition
                && *ck == k
            {
                obj.insert(k.clone(), cv.clone());
                continue;
            }
            if k.eq_ignore_ascii_case("dependsOn") {
                obj.insert(k.clone(), V::from_json(v, &self.shared.limits));
                continue;
            }
            let mut rel = format!("/{}", escape_pointer(k));
            let ev = match v {
                Value::Object(props) if is_deployment && k.eq_ignore_ascii_case("properties") => {
                    // The inline template is evaluated on its own (below), not here.
                    let mut o = Obj::new();
                    for (pk, pv) in props {
                        let len = rel.len();
                        rel.push('/');
                        rel.push_str(&escape_pointer(pk));
                        let x = if pk.eq_ignore_ascii_case("template") {
                            V::from_json(pv, &self.shared.limits)
                        } else {
                            self.walk(pv, loops, &mut rel, &mut sink)
                        };
                        o.insert(pk.clone(), x);
                        rel.truncate(len);
                    }
                    V::Obj(Rc::new(o))
                }
                _ => self.walk(v, loops, &mut rel, &mut sink),
            };
            obj.insert(k.clone(), ev);
        }
        let name_key = get_ci(m, "name").map(|(k, _)| k.clone());
        let name_expr = get_ci(m, "name")
            .map(|(_, v)| text_of(v))
            .unwrap_or_default();
        if let Some(h) = &unknown_count {
            obj.insert(
                name_key.clone().unwrap_or_else(|| "name".into()),
                V::Hole(hole(
                    &name_expr,
                    format!(
                        "the resource is in a copy loop whose count is unknown: {}",
                        h.reason
                    ),
                )),
            );
        }
        let short = match obj.get("name") {
            Some(V::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        let name = match (short, parent) {
            (Some(s), Some(p)) => {
                // A nested child's name is its own segment; ARM prefixes the parent's name.
                let want = type_.split('/').count().saturating_sub(1);
                if s.split('/').count() == want {
                    Some(s)
                } else {
                    p.name.as_ref().map(|pn| format!("{pn}/{s}"))
                }
            }
            (s, None) => s,
            (None, Some(_)) => None,
        };
        let api_version = obj
            .get("apiVersion")
            .and_then(V::as_str)
            .map(str::to_string);
        let body_v = V::Obj(Rc::new(obj));
        let mut unresolved = Vec::new();
        let body = body_v.to_json(&mut String::new(), &mut unresolved, &self.shared.limits);
        notes.extend(sink.notes);
        out.push(Resource {
            type_: type_.to_string(),
            name: name.clone(),
            name_expr: name_expr.clone(),
            api_version,
            pointer: format!("{}{ptr}", self.base),
            body,
            unresolved,
            notes: notes.clone(),
        });
        if let Some((k, children)) = get_ci(m, "resources") {
            let me = Parent {
                type_: type_.to_string(),
                name: name.clone(),
            };
            self.resources(children, &format!("{ptr}/{k}"), Some(&me), loops, out);
        }
        if is_deployment {
            let label = name.unwrap_or(name_expr);
            self.nested(m, &body_v, ptr, &label, &notes, loops, out);
        }
    }

    /// A nested deployment with an inline template: its resources are deployed too.
    #[allow(clippy::too_many_arguments)]
    fn nested(
        &self,
        m: &Map<String, Value>,
        body: &V,
        ptr: &str,
        label: &str,
        notes: &[(String, String)],
        loops: &[Loop],
        out: &mut Vec<Resource>,
    ) {
        let Some((pk, Value::Object(props))) = get_ci(m, "properties") else {
            return;
        };
        if get_ci(props, "templateLink").is_some() {
            self.warn(format!(
                "{}{ptr}: deployment {label} links its template (templateLink), which is not followed",
                self.base
            ));
            return;
        }
        let Some((tk, Value::Object(inner))) = get_ci(props, "template") else {
            return;
        };
        if self.nest + 1 > MAX_DEPLOYMENT_DEPTH {
            self.warn(format!(
                "{}{ptr}: nested deployments deeper than {MAX_DEPLOYMENT_DEPTH} are not followed",
                self.base
            ));
            return;
        }
        let inner_ptr = format!("{ptr}/{}/{}", escape_pointer(pk), escape_pointer(tk));
        let V::Obj(body) = body else {
            return;
        };
        let props_v = match body.get("properties") {
            Some(V::Obj(p)) => p.clone(),
            _ => Rc::new(Obj::new()),
        };
        let scope_inner = match props_v.get("expressionEvaluationOptions") {
            Some(V::Obj(o)) => o
                .get("scope")
                .and_then(V::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("inner")),
            _ => false,
        };
        if !scope_inner {
            // Outer scope (the default): the inline template's expressions use this
            // template's parameters and variables.
            if let Some((rk, list)) = get_ci(inner, "resources") {
                self.resources(list, &format!("{inner_ptr}/{rk}"), None, loops, out);
            }
            return;
        }
        // Inner scope: the inline template is evaluated with the parameters the deployment
        // passes (already evaluated here, in this template's scope).
        let mut given = BTreeMap::new();
        if let Some(V::Obj(ps)) = props_v.get("parameters") {
            for (k, p) in ps.iter() {
                let at = format!("/{pk}/parameters/{}/value", escape_pointer(k));
                let mut source = format!("deployment {label}");
                // The note of the value, or of the nearest enclosing value that has one
                // (`"x": "[if(c, createObject('value', a), ...)]"`).
                let note = notes
                    .iter()
                    .filter(|(p, _)| {
                        at.get(..p.len())
                            .is_some_and(|pre| pre.eq_ignore_ascii_case(p))
                            && (at.len() == p.len() || at.as_bytes().get(p.len()) == Some(&b'/'))
                    })
                    .max_by_key(|(p, _)| p.len());
                if let Some((_, n)) = note {
                    source.push_str(", ");
                    source.push_str(n);
                }
                let g = match p {
                    V::Obj(po) => match po.get("value") {
                        Some(v) => Given::Value {
                            v: v.clone(),
                            source,
                        },
                        None if po.get("reference").is_some() => Given::Unknown {
                            reason: "a Key Vault reference is read at deployment".into(),
                            source,
                        },
                        None => Given::Unknown {
                            reason: "the deployment passes no value".into(),
                            source,
                        },
                    },
                    V::Hole(h) => Given::Unknown {
                        reason: h.reason.clone(),
                        source,
                    },
                    _ => Given::Unknown {
                        reason: "the deployment passes a malformed parameter".into(),
                        source,
                    },
                };
                given.insert(k.to_string(), g);
            }
        }
        let tpl = Tpl::new(
            inner,
            format!("{}{inner_ptr}", self.base),
            given,
            self.shared,
            self.nest + 1,
        );
        tpl.run(out);
    }
}

impl Scope for Tpl<'_, '_> {
    fn parameter(&self, name: &str, cx: &Cx<'_>) -> V {
        self.cached(&self.pcache, "parameter", name, cx, |key| {
            self.compute_param(key, name, cx)
        })
    }

    fn variable(&self, name: &str, cx: &Cx<'_>) -> V {
        self.cached(&self.vcache, "variable", name, cx, |key| {
            self.compute_var(key, name, cx)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn fixture(name: &str) -> Value {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/aks/templates")
            .join(name);
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn given(pairs: &[(&str, Value)], source: &str) -> BTreeMap<String, ParamValue> {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    ParamValue {
                        value: Some(v.clone()),
                        source: source.into(),
                    },
                )
            })
            .collect()
    }

    fn at<'a>(r: &'a Resource, ptr: &str) -> &'a Value {
        r.body.pointer(ptr).unwrap_or(&Value::Null)
    }

    fn unresolved<'a>(r: &'a Resource, ptr: &str) -> Option<&'a (String, String, String)> {
        r.unresolved.iter().find(|u| u.0 == ptr)
    }

    fn note<'a>(r: &'a Resource, ptr: &str) -> Option<&'a str> {
        r.notes.iter().find(|n| n.0 == ptr).map(|n| n.1.as_str())
    }

    fn eval_json(t: Value) -> (Vec<Resource>, Vec<String>) {
        evaluate(&t, &BTreeMap::new())
    }

    #[test]
    fn detects_templates_and_parameter_files() {
        let t = fixture("aks-quickstart.json");
        let p = fixture("aks-quickstart.parameters.json");
        assert!(is_template(&t));
        assert!(!is_parameters_file(&t));
        assert!(is_parameters_file(&p));
        assert!(!is_template(&p));
        assert!(is_template(
            &json!({"contentVersion": "1.0.0.0", "resources": {}})
        ));
        assert!(!is_template(&json!({"resources": []})));
        assert!(!is_template(&json!({"apiVersion": "v1", "kind": "Pod"})));
        assert!(!is_template(&json!([1, 2])));
        let kv = json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "parameters": {"a": {"value": 1}, "secret": {"reference": {"keyVault": {"id": "/x"}, "secretName": "s"}}}});
        assert_eq!(
            parameters_of(&kv),
            BTreeMap::from([("a".to_string(), json!(1))])
        );
        let pv = param_values(&kv, "p.json");
        assert_eq!(pv.len(), 2);
        assert_eq!(pv["secret"].value, None);
        assert_eq!(pv["a"].source, "p.json");
    }

    #[test]
    fn aks_quickstart_with_defaults() {
        let (rs, warnings) = evaluate(&fixture("aks-quickstart.json"), &BTreeMap::new());
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(rs.len(), 1);
        let aks = &rs[0];
        assert_eq!(aks.type_, "Microsoft.ContainerService/managedClusters");
        assert_eq!(aks.name.as_deref(), Some("aks101cluster"));
        assert_eq!(aks.name_expr, "[parameters('clusterName')]");
        assert_eq!(aks.api_version.as_deref(), Some("2024-02-01"));
        assert_eq!(aks.pointer, "/resources/0");
        assert_eq!(at(aks, "/identity/type"), &json!("SystemAssigned"));
        assert_eq!(at(aks, "/properties/agentPoolProfiles/0/count"), &json!(3));
        assert_eq!(
            at(aks, "/properties/agentPoolProfiles/0/vmSize"),
            &json!("standard_d2s_v3")
        );
        assert_eq!(
            at(aks, "/properties/agentPoolProfiles/0/mode"),
            &json!("System")
        );
        assert_eq!(
            note(aks, "/properties/agentPoolProfiles/0/count"),
            Some("from parameter agentCount (default)")
        );
        // No value and no default: unresolved, with the expression and why.
        let dns = unresolved(aks, "/properties/dnsPrefix").expect("dnsPrefix unresolved");
        assert_eq!(dns.1, "[parameters('dnsPrefix')]");
        assert_eq!(dns.2, "parameter dnsPrefix has no value");
        assert_eq!(at(aks, "/properties/dnsPrefix"), &Value::Null);
        // The default of location is resourceGroup().location: unknown before deployment.
        let loc = unresolved(aks, "/location").expect("location unresolved");
        assert!(loc.2.contains("resourceGroup()"), "{loc:?}");
        assert_eq!(
            rs[0]
                .unresolved
                .iter()
                .map(|u| u.0.as_str())
                .collect::<Vec<_>>(),
            [
                "/location",
                "/properties/dnsPrefix",
                "/properties/linuxProfile/adminUsername",
                "/properties/linuxProfile/ssh/publicKeys/0/keyData"
            ]
        );
    }

    #[test]
    fn aks_quickstart_with_parameters_file() {
        let pfile = fixture("aks-quickstart.parameters.json");
        let params = param_values(&pfile, "azuredeploy.parameters.json");
        let (rs, warnings) = evaluate(&fixture("aks-quickstart.json"), &params);
        assert!(warnings.is_empty(), "{warnings:?}");
        let aks = &rs[0];
        assert_eq!(at(aks, "/properties/dnsPrefix"), &json!("contoso-aks"));
        assert_eq!(
            note(aks, "/properties/dnsPrefix"),
            Some("from parameter dnsPrefix (azuredeploy.parameters.json)")
        );
        assert_eq!(at(aks, "/properties/agentPoolProfiles/0/count"), &json!(5));
        assert_eq!(
            at(aks, "/properties/linuxProfile/adminUsername"),
            &json!("azureuser")
        );
        // The Key Vault reference stays unresolved.
        let key = unresolved(aks, "/properties/linuxProfile/ssh/publicKeys/0/keyData").unwrap();
        assert!(key.2.contains("Key Vault"), "{key:?}");
        assert!(unresolved(aks, "/properties/dnsPrefix").is_none());
    }

    #[test]
    fn bicep_build_with_module() {
        let t = fixture("bicep-module/main.json");
        let params = given(&[("env", json!("prod"))], "prod.parameters.json");
        let (rs, warnings) = evaluate(&t, &params);
        assert!(warnings.is_empty(), "{warnings:?}");
        let summary: Vec<(&str, Option<&str>, &str)> = rs
            .iter()
            .map(|r| (r.type_.as_str(), r.name.as_deref(), r.pointer.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "Microsoft.Insights/diagnosticSettings",
                    Some("aks-audit"),
                    "/resources/aksDiagnostics"
                ),
                (
                    "Microsoft.Resources/deployments",
                    Some("aks-prod"),
                    "/resources/aksModule"
                ),
                (
                    "Microsoft.ContainerService/managedClusters",
                    Some("aks-prod"),
                    "/resources/aksModule/properties/template/resources/aks"
                ),
                (
                    "Microsoft.ContainerService/managedClusters/agentPools",
                    Some("aks-prod/user1"),
                    "/resources/aksModule/properties/template/resources/userPools"
                ),
                (
                    "Microsoft.ContainerService/managedClusters/agentPools",
                    Some("aks-prod/user2"),
                    "/resources/aksModule/properties/template/resources/userPools"
                ),
                (
                    "Microsoft.Network/virtualNetworks",
                    Some("vnet-prod"),
                    "/resources/vnet"
                ),
            ]
        );
        // The `existing` workspace and the disabled resource (condition false) are left out.
        let aks = &rs[2];
        assert_eq!(aks.api_version.as_deref(), Some("2024-05-01"));
        assert_eq!(at(aks, "/sku/tier"), &json!("Standard"));
        assert_eq!(
            note(aks, "/sku/tier"),
            Some(
                "from parameter skuTier (deployment aks-prod, from parameter env (prod.parameters.json))"
            )
        );
        assert_eq!(
            at(
                aks,
                "/properties/apiServerAccessProfile/enablePrivateCluster"
            ),
            &json!(true)
        );
        assert_eq!(at(aks, "/properties/disableLocalAccounts"), &json!(true));
        assert_eq!(
            at(aks, "/properties/networkProfile/networkPolicy"),
            &json!("cilium")
        );
        assert_eq!(
            note(aks, "/properties/networkProfile"),
            Some("from variable networkProfile, parameter networkPolicy (default)")
        );
        // Property loop over the system pools parameter.
        assert_eq!(
            at(aks, "/properties/agentPoolProfiles/0/name"),
            &json!("system")
        );
        assert_eq!(at(aks, "/properties/agentPoolProfiles/0/count"), &json!(3));
        assert_eq!(
            at(aks, "/properties/agentPoolProfiles/0/mode"),
            &json!("System")
        );
        assert_eq!(
            at(aks, "/properties/agentPoolProfiles/0/enableNodePublicIP"),
            &json!(false)
        );
        // The subnet id depends on the subscription and resource group: unresolved, the
        // rest of the pool is known.
        let sn = unresolved(aks, "/properties/agentPoolProfiles/0/vnetSubnetID").unwrap();
        assert!(
            sn.2.contains("/providers/Microsoft.Network/virtualNetworks/vnet-prod/subnets/aks"),
            "{sn:?}"
        );
        // reference() to the existing workspace: unresolved.
        let ws = unresolved(
            aks,
            "/properties/addonProfiles/omsagent/config/logAnalyticsWorkspaceResourceID",
        )
        .unwrap();
        assert!(
            ws.2.contains("reference()") || ws.2.contains("subscription"),
            "{ws:?}"
        );
        assert_eq!(
            at(aks, "/properties/addonProfiles/omsagent/enabled"),
            &json!(true)
        );
        // [[ escapes a literal bracket.
        assert_eq!(at(aks, "/tags/note"), &json!("[not an expression]"));
        // Resource loop in the module.
        let pool2 = &rs[4];
        assert_eq!(at(pool2, "/properties/maxPods"), &json!(50));
        assert_eq!(at(pool2, "/properties/osSKU"), &json!("AzureLinux"));
        assert_eq!(at(pool2, "/dependsOn/0"), &json!("aks"));
        // Parameters given in the outer file reached the vnet.
        assert_eq!(
            at(&rs[5], "/properties/addressSpace/addressPrefixes/0"),
            &json!("10.10.0.0/16")
        );
        assert!(
            unresolved(&rs[5], "/properties/subnets/0/properties/addressPrefix")
                .unwrap()
                .2
                .contains("function cidrSubnet is not evaluated")
        );
    }

    #[test]
    fn bicep_build_module_in_dev() {
        // dev: the module gets the Free tier and the audit logs (condition) are not deployed.
        let t = fixture("bicep-module/main.json");
        let params = given(&[("env", json!("dev"))], "dev.parameters.json");
        let (rs, _) = evaluate(&t, &params);
        let aks = rs
            .iter()
            .find(|r| r.type_ == "Microsoft.ContainerService/managedClusters")
            .unwrap();
        assert_eq!(at(aks, "/sku/tier"), &json!("Free"));
        assert_eq!(aks.name.as_deref(), Some("aks-dev"));
        assert!(
            !rs.iter()
                .any(|r| r.type_ == "Microsoft.Insights/diagnosticSettings")
        );
        assert_eq!(
            at(
                aks,
                "/properties/apiServerAccessProfile/enablePrivateCluster"
            ),
            &json!(false)
        );
    }

    #[test]
    fn conditions_skip_keep_and_note() {
        let (rs, _) = eval_json(json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "parameters": {"deploy": {"type": "bool", "defaultValue": false}},
            "resources": [
                {"condition": "[parameters('deploy')]", "type": "A/b", "name": "skipped"},
                {"condition": "[not(parameters('deploy'))]", "type": "A/b", "name": "kept"},
                {"condition": "[equals(reference('x').state, 'on')]", "type": "A/b", "name": "unknown"}
            ]
        }));
        let names: Vec<_> = rs.iter().map(|r| r.name.as_deref()).collect();
        assert_eq!(names, [Some("kept"), Some("unknown")]);
        assert_eq!(at(&rs[0], "/condition"), &json!(true));
        let n = note(&rs[1], "").unwrap();
        assert!(
            n.contains("could not be evaluated") && n.contains("kept"),
            "{n}"
        );
        assert!(unresolved(&rs[1], "/condition").is_some());
    }

    #[test]
    fn copy_loops_expand_or_stay_unresolved() {
        let (rs, warnings) = eval_json(json!({
            "contentVersion": "1.0.0.0",
            "parameters": {"n": {"type": "int", "defaultValue": 2}},
            "variables": {
                "copy": [{"name": "zones", "count": 3, "input": "[string(add(copyIndex('zones'), 1))]"}]
            },
            "resources": [
                {"type": "Microsoft.ContainerService/managedClusters/agentPools", "apiVersion": "2024-05-01",
                 "name": "[format('aks/pool{0}', copyIndex(1))]",
                 "copy": {"name": "pools", "count": "[parameters('n')]"},
                 "properties": {"availabilityZones": "[variables('zones')]", "index": "[copyIndex()]"}},
                {"type": "A/b", "name": "[concat('x', copyIndex())]",
                 "copy": {"name": "unknownLoop", "count": "[length(reference('x').items)]"},
                 "properties": {"fixed": "yes", "i": "[copyIndex()]"}},
                {"type": "A/b", "name": "static", "copy": {"name": "static", "count": "[length(reference('x').items)]"}},
                {"type": "A/b", "name": "[concat('big', copyIndex())]", "copy": {"name": "big", "count": 900}}
            ]
        }));
        assert_eq!(rs.len(), 5, "{rs:#?}");
        assert_eq!(rs[0].name.as_deref(), Some("aks/pool1"));
        assert_eq!(rs[1].name.as_deref(), Some("aks/pool2"));
        assert_eq!(at(&rs[1], "/properties/index"), &json!(1));
        assert_eq!(
            at(&rs[1], "/properties/availabilityZones"),
            &json!(["1", "2", "3"])
        );
        assert_eq!(
            note(&rs[1], "/properties/availabilityZones"),
            Some("from variable zones")
        );
        // Unknown count: one resource, name unresolved, loop-independent values known.
        assert_eq!(rs[2].name, None);
        assert_eq!(rs[2].name_expr, "[concat('x', copyIndex())]");
        assert_eq!(at(&rs[2], "/properties/fixed"), &json!("yes"));
        assert!(
            unresolved(&rs[2], "/properties/i")
                .unwrap()
                .2
                .contains("count of copy loop 'unknownLoop'")
        );
        assert!(unresolved(&rs[2], "/name").is_some());
        assert_eq!(
            rs[3].name, None,
            "a name that does not use copyIndex is still unknown"
        );
        assert_eq!(rs[4].name, None);
        assert!(
            warnings.iter().any(|w| w.contains("copy count 900")),
            "{warnings:?}"
        );
    }

    #[test]
    fn property_copy_with_unknown_count_is_unresolved() {
        let (rs, _) = eval_json(json!({
            "contentVersion": "1.0.0.0",
            "resources": [{"type": "Microsoft.ContainerService/managedClusters", "name": "c",
                "properties": {"copy": [{"name": "agentPoolProfiles", "count": "[length(reference('p').pools)]",
                    "input": {"name": "[concat('p', copyIndex('agentPoolProfiles'))]"}}],
                    "dnsPrefix": "c"}}]
        }));
        let u = unresolved(&rs[0], "/properties/agentPoolProfiles").unwrap();
        assert_eq!(u.1, "[length(reference('p').pools)]");
        assert_eq!(at(&rs[0], "/properties/dnsPrefix"), &json!("c"));
    }

    #[test]
    fn nested_children_get_full_type_and_name() {
        let (rs, _) = eval_json(json!({
            "contentVersion": "1.0.0.0",
            "parameters": {"cluster": {"type": "string", "defaultValue": "aks1"}},
            "resources": [{
                "type": "Microsoft.ContainerService/managedClusters", "name": "[parameters('cluster')]",
                "properties": {},
                "resources": [
                    {"type": "agentPools", "name": "user", "properties": {"mode": "User"}},
                    {"type": "Microsoft.ContainerService/managedClusters/maintenanceConfigurations", "name": "[concat(parameters('cluster'), '/default')]"},
                    {"type": "agentPools", "name": "[concat('p', '2')]", "resources": [{"type": "machines", "name": "m0"}]}
                ]
            }]
        }));
        let got: Vec<(&str, Option<&str>, &str)> = rs
            .iter()
            .map(|r| (r.type_.as_str(), r.name.as_deref(), r.pointer.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Microsoft.ContainerService/managedClusters",
                    Some("aks1"),
                    "/resources/0"
                ),
                (
                    "Microsoft.ContainerService/managedClusters/agentPools",
                    Some("aks1/user"),
                    "/resources/0/resources/0"
                ),
                (
                    "Microsoft.ContainerService/managedClusters/maintenanceConfigurations",
                    Some("aks1/default"),
                    "/resources/0/resources/1"
                ),
                (
                    "Microsoft.ContainerService/managedClusters/agentPools",
                    Some("aks1/p2"),
                    "/resources/0/resources/2"
                ),
                (
                    "Microsoft.ContainerService/managedClusters/agentPools/machines",
                    Some("aks1/p2/m0"),
                    "/resources/0/resources/2/resources/0"
                ),
            ]
        );
        assert!(rs[0].body.get("resources").is_none());
    }

    #[test]
    fn outer_scope_nested_deployment_uses_outer_parameters() {
        let (rs, _) = eval_json(json!({
            "contentVersion": "1.0.0.0",
            "parameters": {"tier": {"type": "string", "defaultValue": "Premium"}},
            "resources": [{
                "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "nested",
                "properties": {"mode": "Incremental", "template": {
                    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                    "resources": [{"type": "Microsoft.ContainerService/managedClusters", "name": "c", "sku": {"tier": "[parameters('tier')]"}}]
                }}
            }]
        }));
        assert_eq!(rs.len(), 2);
        assert_eq!(
            rs[1].pointer,
            "/resources/0/properties/template/resources/0"
        );
        assert_eq!(at(&rs[1], "/sku/tier"), &json!("Premium"));
        // The deployment's own body keeps the inline template as written.
        assert_eq!(
            at(&rs[0], "/properties/template/resources/0/sku/tier"),
            &json!("[parameters('tier')]")
        );
    }

    #[test]
    fn inner_scope_parameters_unresolved_and_linked_templates() {
        let (rs, warnings) = eval_json(json!({
            "contentVersion": "1.0.0.0",
            "resources": [
                {"type": "Microsoft.Resources/deployments", "name": "m",
                 "properties": {"expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"id": {"value": "[reference('x').id]"}, "kv": {"reference": {"keyVault": {"id": "/k"}, "secretName": "s"}}},
                    "template": {"contentVersion": "1.0.0.0",
                        "parameters": {"id": {"type": "string"}, "kv": {"type": "securestring"}},
                        "resources": [{"type": "A/b", "name": "inner", "properties": {"id": "[parameters('id')]", "kv": "[parameters('kv')]"}}]}}},
                {"type": "Microsoft.Resources/deployments", "name": "linked",
                 "properties": {"templateLink": {"uri": "https://example.com/t.json"}}}
            ]
        }));
        let inner = rs
            .iter()
            .find(|r| r.name.as_deref() == Some("inner"))
            .unwrap();
        assert!(
            unresolved(inner, "/properties/id")
                .unwrap()
                .2
                .contains("reference()")
        );
        assert!(
            unresolved(inner, "/properties/kv")
                .unwrap()
                .2
                .contains("Key Vault")
        );
        assert!(
            warnings.iter().any(|w| w.contains("templateLink")),
            "{warnings:?}"
        );
    }

    #[test]
    fn variables_cycles_and_undeclared_names() {
        let (rs, _) = eval_json(json!({
            "contentVersion": "1.0.0.0",
            "variables": {"a": "[variables('b')]", "b": "[concat(variables('a'), 'x')]", "ok": "[toUpper('y')]"},
            "resources": [{"type": "A/b", "name": "r", "properties": {
                "cycle": "[variables('a')]", "ok": "[variables('OK')]",
                "missing": "[variables('nope')]", "p": "[parameters('nope')]"}}]
        }));
        let r = &rs[0];
        assert!(
            unresolved(r, "/properties/cycle")
                .unwrap()
                .2
                .contains("depends on itself")
        );
        assert_eq!(at(r, "/properties/ok"), &json!("Y"));
        assert!(
            unresolved(r, "/properties/missing")
                .unwrap()
                .2
                .contains("not declared")
        );
        assert!(
            unresolved(r, "/properties/p")
                .unwrap()
                .2
                .contains("not declared")
        );
    }

    #[test]
    fn parameter_warnings() {
        let t = json!({
            "contentVersion": "1.0.0.0",
            "parameters": {
                "tier": {"type": "string", "allowedValues": ["Free", "Standard"]},
                "zones": {"type": "array", "allowedValues": ["1", "2", "3"]},
                "maybe": {"type": "string", "nullable": true}
            },
            "resources": [{"type": "A/b", "name": "r", "properties": {"tier": "[parameters('tier')]", "maybe": "[parameters('maybe')]"}}]
        });
        let params = given(
            &[
                ("tier", json!("Premium")),
                ("zones", json!(["1", "4"])),
                ("typo", json!(1)),
            ],
            "p.json",
        );
        let (rs, warnings) = evaluate(&t, &params);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings[0].contains("/parameters/tier") && warnings[0].contains("\"Premium\""),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("typo") && w.contains("does not declare"))
        );
        assert!(warnings.iter().any(|w| w.contains("/parameters/zones")));
        // The value is still used as given.
        assert_eq!(at(&rs[0], "/properties/tier"), &json!("Premium"));
        assert_eq!(at(&rs[0], "/properties/maybe"), &Value::Null);
        assert!(unresolved(&rs[0], "/properties/maybe").is_none());
        let ok = given(
            &[("tier", json!("standard")), ("zones", json!(["1", "3"]))],
            "p.json",
        );
        assert!(evaluate(&t, &ok).1.is_empty());
    }

    #[test]
    fn invalid_expressions_warn_and_do_not_panic() {
        let (rs, warnings) = eval_json(json!({
            "contentVersion": "1.0.0.0",
            "resources": [{"type": "A/b", "name": "[concat('a']", "properties": {"x": "[if(true(), 'a')]"}},
                          "not an object", {"name": "no type"}]
        }));
        assert_eq!(rs.len(), 1);
        assert_eq!(rs[0].name, None);
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("/resources/0/name: invalid expression")),
            "{warnings:?}"
        );
        assert!(
            unresolved(&rs[0], "/properties/x")
                .unwrap()
                .2
                .contains("takes 3 arguments")
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("/resources/1: a resource must be an object"))
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("/resources/2: the resource has no type"))
        );
        assert_eq!(
            evaluate(&json!("x"), &BTreeMap::new()).1,
            ["the template is not a JSON object"]
        );
    }

    #[test]
    fn hostile_variable_chains_do_not_overflow() {
        // 5000 variables each using the next: evaluation stops at the nesting limit.
        let mut vars = Map::new();
        for i in 0..5000 {
            vars.insert(format!("v{i}"), json!(format!("[variables('v{}')]", i + 1)));
        }
        vars.insert("v5000".into(), json!("end"));
        let (rs, _) = eval_json(json!({"contentVersion": "1.0.0.0", "variables": vars,
            "resources": [{"type": "A/b", "name": "r", "properties": {"x": "[variables('v0')]", "y": "[variables('v4990')]"}}]}));
        assert!(
            unresolved(&rs[0], "/properties/x")
                .unwrap()
                .2
                .contains("nested too deeply")
        );
        assert_eq!(at(&rs[0], "/properties/y"), &json!("end"));
    }

    #[test]
    fn hostile_doubling_is_bounded() {
        // Each variable doubles the previous one: sizes grow as 2^n.
        let mut vars = Map::new();
        vars.insert("s0".into(), json!("abcdefgh"));
        vars.insert("a0".into(), json!([1, 2, 3, 4, 5, 6, 7, 8]));
        for i in 1..60 {
            vars.insert(
                format!("s{i}"),
                json!(format!(
                    "[concat(variables('s{0}'), variables('s{0}'))]",
                    i - 1
                )),
            );
            vars.insert(
                format!("a{i}"),
                json!(format!(
                    "[concat(variables('a{0}'), variables('a{0}'))]",
                    i - 1
                )),
            );
        }
        // a13 has 65536 items (below the array limit); 200 copies of it exceed the budget.
        let props: Map<String, Value> = (0..200)
            .map(|i| (format!("p{i:03}"), json!("[variables('a13')]")))
            .collect();
        let t0 = std::time::Instant::now();
        let (rs, warnings) = eval_json(json!({"contentVersion": "1.0.0.0", "variables": vars,
            "resources": [{"type": "A/b", "name": "r", "properties": {
                "b": "[variables('s59')]", "a": "[variables('a59')]", "more": props}}]}));
        assert!(t0.elapsed().as_secs() < 20, "took {:?}", t0.elapsed());
        assert!(
            unresolved(&rs[0], "/properties/b")
                .unwrap()
                .2
                .contains("4 MB")
        );
        assert!(
            unresolved(&rs[0], "/properties/a")
                .unwrap()
                .2
                .contains("more than 100000 items")
        );
        assert_eq!(
            at(&rs[0], "/properties/more/p000").as_array().map(Vec::len),
            Some(65536)
        );
        assert!(rs[0].unresolved.iter().any(|u| u.2 == expr::EXHAUSTED));
        assert!(rs[0].unresolved.len() < 1000, "{}", rs[0].unresolved.len());
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("evaluation stopped early")),
            "{warnings:?}"
        );
    }

    #[test]
    fn repeated_work_on_a_big_string_is_bounded() {
        // 5000 leaves each scanning a 1 MB string would be 5 GB of work.
        let props: Map<String, Value> = (0..5000)
            .map(|i| {
                (
                    format!("p{i:04}"),
                    json!("[indexOf(variables('big'), 'needle')]"),
                )
            })
            .collect();
        let t = json!({"contentVersion": "1.0.0.0", "variables": {"big": "a".repeat(1 << 20)},
            "resources": [{"type": "A/b", "name": "r", "properties": props}]});
        let t0 = std::time::Instant::now();
        let (rs, warnings) = eval_json(t);
        assert!(t0.elapsed().as_secs() < 10, "took {:?}", t0.elapsed());
        assert_eq!(at(&rs[0], "/properties/p0000"), &json!(-1));
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("evaluation stopped early")),
            "{warnings:?}"
        );
    }

    #[test]
    fn deep_json_and_nested_deployments_are_bounded() {
        let mut deep = json!("leaf");
        for _ in 0..100 {
            deep = json!({"a": deep});
        }
        let mut t = json!({"contentVersion": "1.0.0.0", "resources": [{"type": "A/b", "name": "bottom", "properties": deep}]});
        for i in 0..12 {
            t = json!({"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Resources/deployments", "name": format!("d{i}"),
                "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "template": t}}]});
        }
        let (rs, warnings) = eval_json(t);
        assert_eq!(rs.len(), 9, "the file's deployment and 8 nested levels");
        assert!(
            warnings.iter().any(|w| w.contains("deeper than 8")),
            "{warnings:?}"
        );
    }
}
