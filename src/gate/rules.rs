//! User rules and waivers in CEL.
//!
//! Every expression is compiled when the contract is loaded ([`compile`]),
//! and every variable it names is checked against the facts' top-level
//! names, so a typo fails before any build work. Evaluation errors are
//! errors (exit 2), never a pass: an `assert` must evaluate to a boolean, an
//! `each` to a list, a `message` to a string.
//!
//! Host functions: `spdx_allowed(expr, list)`, `semver_bump(a, b)`,
//! `bump_rank(level)`.

use std::collections::HashMap;
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::{Context, ExecutionError, Program, Value};

use crate::config::contract::{Contract, Severity};
use crate::gate::facts::VARIABLES;

/// A compiled expression with its source.
pub struct Expr {
    /// The CEL source.
    pub source: String,
    program: Program,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

/// A compiled user rule.
#[derive(Debug)]
pub struct CompiledRule {
    /// Id.
    pub id: String,
    /// Severity.
    pub severity: Severity,
    /// Description.
    pub description: Option<String>,
    /// `each`.
    pub each: Option<Expr>,
    /// `assert`.
    pub assert: Expr,
    /// `message`.
    pub message: Option<Expr>,
}

/// A compiled waiver.
#[derive(Debug)]
pub struct CompiledWaiver {
    /// Rule id.
    pub rule: String,
    /// `match`.
    pub matches: Option<Expr>,
    /// Reason.
    pub reason: String,
    /// Last day, `YYYY-MM-DD`.
    pub until: String,
    /// End of that day, Unix seconds.
    pub until_ts: i64,
    /// The OpenVEX justification label, if any.
    pub justification: Option<String>,
}

/// Every rule and waiver of a contract, compiled.
#[derive(Debug)]
pub struct Compiled {
    /// User rules, in contract order.
    pub rules: Vec<CompiledRule>,
    /// Waivers, in contract order.
    pub waivers: Vec<CompiledWaiver>,
}

/// Why a rule could not be compiled or evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The rule (or `waiver for <rule>`).
    pub rule: String,
    /// Which expression: `each`, `assert`, `message`, `match`.
    pub field: &'static str,
    /// What went wrong.
    pub reason: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule `{}`, `{}`: {}", self.rule, self.field, self.reason)
    }
}

fn compile_one(rule: &str, field: &'static str, source: &str, it_bound: bool) -> Result<Expr, RuleError> {
    let err = |reason: String| RuleError {
        rule: rule.to_owned(),
        field,
        reason,
    };
    check_bounds(source).map_err(err)?;
    let program = Program::compile(source).map_err(|e| err(format!("does not parse: {e}")))?;
    let bound = comprehension_vars(source);
    for var in program.references().variables() {
        let known = VARIABLES.contains(&var) || (it_bound && var == "it") || bound.iter().any(|b| b == var);
        if !known {
            let hint = if var == "it" {
                "`it` is only bound in rules with `each` (and in their waivers' `match`)".to_owned()
            } else {
                format!("known names: {}", VARIABLES.join(", "))
            };
            return Err(err(format!("unknown name `{var}` ({hint})")));
        }
    }
    Ok(Expr {
        source: source.to_owned(),
        program,
    })
}

/// The longest rule expression relgate compiles, in bytes.
pub const MAX_SOURCE: usize = 4096;
/// The deepest nesting of brackets in a rule expression.
pub const MAX_NESTING: usize = 32;
/// The most macros (`all`, `exists`, `map`, ...) nested in one another: each
/// level multiplies the work by a list's length.
pub const MAX_MACRO_NESTING: usize = 2;
/// The most operators in one expression — binary and unary operators,
/// member accesses (`.`) and indexes (`[`): each can be a level of the
/// parser's and the evaluator's recursion (`x.size().size()…`).
pub const MAX_OPERATORS: usize = 256;

/// Bounds checked before parsing, so that no expression can overflow the
/// parser's or the evaluator's stack or run for hours.
fn check_bounds(source: &str) -> Result<(), String> {
    if source.len() > MAX_SOURCE {
        return Err(format!(
            "is {} bytes long; relgate compiles at most {MAX_SOURCE}",
            source.len()
        ));
    }
    let bytes = source.as_bytes();
    // Open brackets; `true` where the bracket opened a macro call.
    let mut open: Vec<bool> = Vec::new();
    let mut operators = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' | b'\'' => quote = Some(c),
            b'(' | b'[' | b'{' => {
                if c == b'[' {
                    operators += 1;
                    if operators > MAX_OPERATORS {
                        return Err(format!("has more than {MAX_OPERATORS} operators"));
                    }
                }
                let is_macro = c == b'(' && follows_macro_name(&source[..i]);
                open.push(is_macro);
                if open.len() > MAX_NESTING {
                    return Err(format!("nests brackets deeper than {MAX_NESTING}"));
                }
                if open.iter().filter(|m| **m).count() > MAX_MACRO_NESTING {
                    return Err(format!(
                        "nests macros (all, exists, map, filter) deeper than {MAX_MACRO_NESTING}"
                    ));
                }
            }
            b')' | b']' | b'}' => {
                open.pop();
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'<' | b'>' | b'=' | b'!' | b'&' | b'|' | b'?' | b'.' => {
                operators += 1;
                if operators > MAX_OPERATORS {
                    return Err(format!("has more than {MAX_OPERATORS} operators"));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Whether `before` ends with `. NAME` (spaces allowed) for a macro NAME.
fn follows_macro_name(before: &str) -> bool {
    let before = before.trim_end();
    // The name is ASCII, so this is a char boundary even after multibyte text.
    let name_len: usize = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum();
    let name_start = before.len() - name_len;
    let name = &before[name_start..];
    ["all", "exists", "exists_one", "map", "filter"].contains(&name)
        && before[..name_start].trim_end().ends_with('.')
}

/// Names bound by macros (`list.all(x, ...)`, `exists`, `exists_one`, `map`, `filter`).
fn comprehension_vars(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for m in ["all", "exists", "exists_one", "map", "filter"] {
        let pat = format!(".{m}(");
        let mut rest = source;
        while let Some(at) = rest.find(&pat) {
            rest = &rest[at + pat.len()..];
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let after = rest.trim_start()[name.len()..].trim_start();
            if !name.is_empty() && after.starts_with(',') {
                out.push(name);
            }
        }
    }
    out
}

/// Compiles every rule and waiver of the contract.
pub fn compile(contract: &Contract) -> Result<Compiled, RuleError> {
    let mut rules = Vec::new();
    for r in &contract.rules {
        let each = r
            .each
            .as_deref()
            .map(|s| compile_one(&r.id, "each", s, false))
            .transpose()?;
        let it = each.is_some();
        rules.push(CompiledRule {
            id: r.id.clone(),
            severity: r.severity,
            description: r.description.clone(),
            assert: compile_one(&r.id, "assert", &r.assert, it)?,
            message: r
                .message
                .as_deref()
                .map(|s| compile_one(&r.id, "message", s, it))
                .transpose()?,
            each,
        });
    }
    let mut waivers = Vec::new();
    for w in &contract.waivers {
        let name = format!("waiver for {}", w.rule);
        let until_ts = crate::config::contract::parse_day(&w.until).map_err(|reason| RuleError {
            rule: name.clone(),
            field: "until",
            reason,
        })?;
        waivers.push(CompiledWaiver {
            rule: w.rule.clone(),
            matches: w
                .matches
                .as_deref()
                .map(|s| compile_one(&name, "match", s, true))
                .transpose()?,
            reason: w.reason.clone(),
            until: w.until.clone(),
            until_ts,
            justification: w.justification.clone(),
        });
    }
    let compiled = Compiled { rules, waivers };
    type_check(&compiled)?;
    Ok(compiled)
}

/// Evaluates every rule on [`crate::gate::facts::Facts::specimen`], where
/// every list has an element and every field a value: a field that does
/// not exist, a value of the wrong type, or an `assert` that is not a
/// boolean fails here, before any work, and also for a rule whose `each`
/// is empty in the real facts. Errors that depend on values (a host
/// function refusing an argument, a division by zero) are left to the gate.
fn type_check(compiled: &Compiled) -> Result<(), RuleError> {
    let value = crate::gate::facts::Facts::specimen().to_value();
    let ctx = context(&value);
    let check =
        |ctx: &Context, e: &Expr, rule: &str, field: &'static str, want: &str| -> Result<(), RuleError> {
            let got = match e.program.execute(ctx) {
                Ok(v) => v,
                Err(
                    ExecutionError::FunctionError { .. }
                    | ExecutionError::DivisionByZero(_)
                    | ExecutionError::RemainderByZero(_),
                ) => return Ok(()),
                Err(err) => {
                    return Err(RuleError {
                        rule: rule.to_owned(),
                        field,
                        reason: format!(
                        "`{}` does not fit the facts: {err} (the README lists the facts and their fields)",
                        e.source
                    ),
                    })
                }
            };
            let ok = matches!(
                (want, &got),
                ("bool", Value::Bool(_)) | ("string", Value::String(_)) | ("list", Value::List(_))
            );
            if ok {
                return Ok(());
            }
            Err(RuleError {
                rule: rule.to_owned(),
                field,
                reason: format!("`{}` gives {got:?}, not a {want}", e.source),
            })
        };
    // Every list element of the specimen, for an `each` that filters the
    // specimen's one element away: `it` is then one of these.
    let mut elements = Vec::new();
    collect_elements(&value, &mut elements);
    for r in &compiled.rules {
        super::bounded::note_rule(&r.id);
        let check_with = |it: Option<&serde_json::Value>| -> Result<(), RuleError> {
            let mut scope = ctx.new_inner_scope();
            if let Some(it) = it {
                scope.add_variable_from_value("it", to_cel(it));
            }
            check(&scope, &r.assert, &r.id, "assert", "bool")?;
            if let Some(m) = &r.message {
                check(&scope, m, &r.id, "message", "string")?;
            }
            Ok(())
        };
        let Some(each) = &r.each else {
            check_with(None)?;
            continue;
        };
        check(&ctx, each, &r.id, "each", "list")?;
        let first = match each.program.execute(&ctx) {
            Ok(Value::List(items)) => items.first().map(cel_to_json),
            _ => None,
        };
        match first {
            Some(it) => check_with(Some(&it))?,
            None => {
                let mut first_err = None;
                let fits = elements.iter().any(|e| match check_with(Some(e)) {
                    Ok(()) => true,
                    Err(err) => {
                        first_err.get_or_insert(err);
                        false
                    }
                });
                if let (false, Some(err)) = (fits, first_err) {
                    return Err(err);
                }
            }
        }
    }
    check_waivers(compiled, &value, &ctx, &elements)
}

/// Every element of every list in `v`, depth first.
fn collect_elements<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
    match v {
        serde_json::Value::Array(items) => {
            for i in items {
                out.push(i);
                collect_elements(i, out);
            }
        }
        serde_json::Value::Object(map) => map.values().for_each(|x| collect_elements(x, out)),
        _ => {}
    }
}

/// A waiver's `match` sees one failing item of its rule: an element of a
/// user rule's `each`, or a built-in's failure data (a fact object, a list
/// element, or a metric with its budget). It must give a boolean for at
/// least one such item of the specimen, so a misspelt field or a
/// non-boolean `match` is exit 2 at preflight, like the rules.
fn check_waivers(
    compiled: &Compiled,
    value: &serde_json::Value,
    ctx: &Context,
    elements: &[&serde_json::Value],
) -> Result<(), RuleError> {
    let metric = serde_json::json!({
        "name": "m", "value": 1.0, "budget": 1.0, "previous": 1.0, "attributes": {}
    });
    let mut candidates: Vec<&serde_json::Value> = elements.to_vec();
    if let serde_json::Value::Object(map) = value {
        candidates.extend(map.values().filter(|v| v.is_object()));
    }
    candidates.push(&metric);
    for w in &compiled.waivers {
        let Some(m) = &w.matches else { continue };
        let name = format!("waiver for {}", w.rule);
        super::bounded::note_rule(&name);
        let (mut first_err, mut not_bool) = (None, None);
        let fits = candidates.iter().any(|it| {
            let mut scope = ctx.new_inner_scope();
            scope.add_variable_from_value("it", to_cel(it));
            let got = m.program.execute(&scope);
            let ok = match got {
                Ok(Value::Bool(_))
                | Err(
                    ExecutionError::FunctionError { .. }
                    | ExecutionError::DivisionByZero(_)
                    | ExecutionError::RemainderByZero(_),
                ) => true,
                Ok(other) => {
                    // An item it fits but gives no bool says more than one it does not fit.
                    not_bool.get_or_insert(format!("`{}` gives {other:?}, not a bool", m.source));
                    false
                }
                Err(e) => {
                    first_err.get_or_insert(format!(
                        "`{}` does not fit the items of `{}`: {e} (the README lists the facts and their fields)",
                        m.source, w.rule
                    ));
                    false
                }
            };
            ok
        });
        if !fits {
            return Err(RuleError {
                rule: name,
                field: "match",
                reason: not_bool.or(first_err).unwrap_or_default(),
            });
        }
    }
    Ok(())
}

/// CEL → JSON for the specimen's values (maps with string keys, lists, scalars).
fn cel_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::UInt(u) => (*u).into(),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
        Value::String(s) => s.to_string().into(),
        Value::List(items) => items.iter().map(cel_to_json).collect(),
        Value::Map(m) => m
            .map
            .iter()
            .map(|(k, v)| {
                let key = match k {
                    Key::String(s) => s.to_string(),
                    other => format!("{other:?}"),
                };
                (key, cel_to_json(v))
            })
            .collect::<serde_json::Map<_, _>>()
            .into(),
        _ => serde_json::Value::Null,
    }
}

/// JSON → CEL, numbers as `int` when integral (so `x.size_bytes < 1024` works).
pub fn to_cel(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Int(i),
            (None, Some(u), _) => Value::UInt(u),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Int(f as i64),
            (_, _, Some(f)) => Value::Float(f),
            _ => Value::Null,
        },
        J::String(s) => Value::String(Arc::new(s.clone())),
        J::Array(a) => Value::List(Arc::new(a.iter().map(to_cel).collect())),
        J::Object(o) => {
            let map: HashMap<Key, Value> = o
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

/// A short label for a failing item: `name@version`, `name`, or its CEL text.
pub fn item_label(v: &Value) -> String {
    if let Value::Map(m) = v {
        let get = |k: &str| match m.map.get(&Key::String(Arc::new(k.to_owned()))) {
            Some(Value::String(s)) => Some(s.to_string()),
            _ => None,
        };
        if let Some(name) = get("name").or_else(|| get("schema")).or_else(|| get("artifact")) {
            return match get("version") {
                Some(v) => format!("{name}@{v}"),
                None => name,
            };
        }
    }
    match v {
        Value::String(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

/// A root evaluation context: the facts as variables, plus host functions.
pub fn context(facts: &serde_json::Value) -> Context<'static, 'static> {
    let mut ctx = Context::default();
    for name in VARIABLES {
        ctx.add_variable_from_value(name, to_cel(&facts[name]));
    }
    // Names are ours and not in the standard library, so these cannot fail.
    let _ = ctx.add_function("spdx_allowed", spdx_allowed);
    let _ = ctx.add_function("semver_bump", semver_bump);
    let _ = ctx.add_function("bump_rank", bump_rank);
    ctx
}

fn spdx_allowed(expr: Arc<String>, allowed: Arc<Vec<Value>>) -> Result<Value, ExecutionError> {
    let list: Vec<String> = allowed
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.to_string()),
            other => Err(ExecutionError::function_error(
                "spdx_allowed",
                format!("the allow list must hold strings, found {other:?}"),
            )),
        })
        .collect::<Result<_, _>>()?;
    Ok(Value::Bool(license_allowed(&expr, &list)))
}

/// Whether an SPDX expression can be satisfied using only licenses in
/// `allowed` (`MIT OR GPL-3.0` is allowed by `["MIT"]`; `NOASSERTION` only
/// when listed). An expression that does not parse is not allowed.
pub fn license_allowed(expr: &str, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a == expr) {
        return true;
    }
    match spdx::Expression::parse_mode(expr, spdx::ParseMode::LAX) {
        Ok(parsed) => parsed.evaluate(|req| {
            let id = req.license.to_string();
            let with = req.exception.map(|e| format!("{id} WITH {}", e.name));
            allowed
                .iter()
                .any(|a| *a == id || with.as_deref() == Some(a.as_str()))
        }),
        Err(_) => false,
    }
}

fn semver_bump(a: Arc<String>, b: Arc<String>) -> Result<Value, ExecutionError> {
    let parse = |s: &str| {
        cargo_metadata::semver::Version::parse(s)
            .map_err(|e| ExecutionError::function_error("semver_bump", format!("`{s}` is not semver: {e}")))
    };
    let (old, new) = (parse(&a)?, parse(&b)?);
    if new < old {
        return Ok(Value::String(Arc::new("downgrade".into())));
    }
    Ok(Value::String(Arc::new(
        crate::analyze::compat::declared_bump(&old, &new)
            .name()
            .to_owned(),
    )))
}

fn bump_rank(level: Arc<String>) -> Result<Value, ExecutionError> {
    let rank = match level.as_str() {
        "downgrade" => -1,
        "none" => 0,
        "patch" => 1,
        "minor" => 2,
        "major" => 3,
        other => {
            return Err(ExecutionError::function_error(
                "bump_rank",
                format!("`{other}` is not one of none, patch, minor, major"),
            ))
        }
    };
    Ok(Value::Int(rank))
}

/// Evaluates a boolean expression.
pub fn eval_bool(ctx: &Context, e: &Expr, rule: &str, field: &'static str) -> Result<bool, RuleError> {
    match e.program.execute(ctx) {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(other) => Err(RuleError {
            rule: rule.to_owned(),
            field,
            reason: format!("`{}` gave {other:?}, not a boolean", e.source),
        }),
        Err(err) => Err(RuleError {
            rule: rule.to_owned(),
            field,
            reason: format!("`{}` failed: {err}", e.source),
        }),
    }
}

/// Evaluates a string expression (messages).
pub fn eval_string(ctx: &Context, e: &Expr, rule: &str) -> Result<String, RuleError> {
    match e.program.execute(ctx) {
        Ok(Value::String(s)) => Ok(s.to_string()),
        Ok(other) => Err(RuleError {
            rule: rule.to_owned(),
            field: "message",
            reason: format!("`{}` gave {other:?}, not a string", e.source),
        }),
        Err(err) => Err(RuleError {
            rule: rule.to_owned(),
            field: "message",
            reason: format!("`{}` failed: {err}", e.source),
        }),
    }
}

/// Evaluates a list expression (`each`).
pub fn eval_list(ctx: &Context, e: &Expr, rule: &str) -> Result<Arc<Vec<Value>>, RuleError> {
    match e.program.execute(ctx) {
        Ok(Value::List(l)) => Ok(l),
        Ok(other) => Err(RuleError {
            rule: rule.to_owned(),
            field: "each",
            reason: format!("`{}` gave {other:?}, not a list", e.source),
        }),
        Err(err) => Err(RuleError {
            rule: rule.to_owned(),
            field: "each",
            reason: format!("`{}` failed: {err}", e.source),
        }),
    }
}

/// Compiles one `assert` expression as a rule without `each` and
/// type-checks it on the specimen facts (what `relgate explain` and the
/// fuzzer exercise): every failure is a [`RuleError`], never a panic.
pub fn compile_assert(source: &str) -> Result<(), RuleError> {
    let assert = compile_one("expression", "assert", source, false)?;
    type_check(&Compiled {
        rules: vec![CompiledRule {
            id: "expression".into(),
            severity: Default::default(),
            description: None,
            assert,
            message: None,
            each: None,
        }],
        waivers: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiver_matches_are_type_checked_at_compile() {
        let contract = |m: &str| {
            let toml = format!(
                "[invariants.license-allowlist]\nallow = [\"MIT\"]\n[[waiver]]\nrule = \"license-allowlist\"\nmatch = '{m}'\nreason = \"r\"\nuntil = \"2099-01-01\"\n"
            );
            Contract::from_toml(&toml, "relgate.toml").unwrap()
        };
        compile(&contract("it.name == \"openssl\"")).unwrap();
        compile(&contract("it.budget > 10.0")).unwrap();
        // Found by an adversarial pass: these passed preflight.
        let err = compile(&contract("it.nmae == \"demo\"")).unwrap_err();
        assert_eq!(err.field, "match", "{err}");
        let err = compile(&contract("it.name")).unwrap_err();
        assert!(err.reason.contains("not a bool"), "{err}");
    }

    #[test]
    fn pathological_expressions_are_refused_before_parsing() {
        // The CEL parser panicked past column 65535 and on 100,000 parentheses;
        // `1 + 1 + …` with 10,000 terms overflowed the evaluator's stack.
        let long = format!("{}true", " ".repeat(70_000));
        let deep = format!("{}true{}", "(".repeat(100_000), ")".repeat(100_000));
        let huge_sum = vec!["1"; 10_000].join(" + ");
        for source in [&deep, &huge_sum] {
            assert!(compile_assert(source).is_err());
        }
        let parens = format!("{}true{}", "(".repeat(1000), ")".repeat(1000));
        let sum = format!("{} == 10000", vec!["1"; 300].join(" + "));
        let nested = "[1,2].all(a, [1,2].all(b, [1,2].all(c, [1,2].all(d, true))))".to_owned();
        let spaced = "[1] . all (a, [1].exists( b, [1] .map(c, true).size() > 0))".to_owned();
        // Found by an adversarial pass: postfix chains overflowed the stack.
        let chain = format!("\"x\"{} > 0", ".size()".repeat(300));
        let index = format!("[[1]]{} == 1", "[0]".repeat(300));
        for (source, why) in [
            (long, "bytes long"),
            (parens, "nests brackets"),
            (sum, "operators"),
            (nested, "nests macros"),
            (spaced, "nests macros"),
            (chain, "operators"),
            (index, "operators"),
        ] {
            let err = compile_assert(&source).unwrap_err();
            assert!(err.reason.contains(why), "{why}: {err}");
        }
        // Within the bounds, strings may hold anything.
        compile_assert(r#""((((((((((((((((((((((((((((((((((((((" != "a\"b(""#).unwrap();
        compile_assert("[1,2].all(a, [3].exists(b, a < b))").unwrap();
        // Found by the `rules` fuzz target: a multibyte character before `ll(`.
        assert!(compile_assert("ars\u{29e}ll(a, a.size > 1)").is_err());
    }

    fn facts() -> serde_json::Value {
        serde_json::json!({
            "release": {"version": "1.2.0", "previous_version": "1.1.0"},
            "packages": [{"name": "a", "version": "1.0.0", "license": "MIT OR GPL-3.0-only"},
                         {"name": "b", "version": "2.0.0", "license": "GPL-3.0-only"}],
            "artifacts": [{"name": "tool", "size_bytes": 9000000}],
            "compat": {"required_bump": "minor"},
            "now": "2026-11-22T10:00:00Z"
        })
    }

    fn run(src: &str) -> Result<bool, RuleError> {
        let ctx = context(&facts());
        let e = compile_one("t", "assert", src, false)?;
        eval_bool(&ctx, &e, "t", "assert")
    }

    #[test]
    fn host_functions() {
        assert_eq!(run("bump_rank(semver_bump(release.previous_version, release.version)) >= bump_rank(compat.required_bump)"), Ok(true));
        assert_eq!(run("semver_bump('0.1.0', '0.1.1') == 'major'"), Ok(false));
        assert_eq!(run("semver_bump('0.1.0', '0.2.0') == 'major'"), Ok(true));
        assert_eq!(run("semver_bump('2.0.0', '1.0.0') == 'downgrade'"), Ok(true));
        assert_eq!(
            run("packages.all(p, spdx_allowed(p.license, ['MIT']))"),
            Ok(false)
        );
        assert_eq!(
            run("packages.exists(p, spdx_allowed(p.license, ['MIT']))"),
            Ok(true)
        );
        assert_eq!(run("artifacts[0].size_bytes <= 8 * 1024 * 1024"), Ok(false));
        assert_eq!(
            run("timestamp(now) - timestamp('2026-11-21T09:00:00Z') <= duration('24h')"),
            Ok(false)
        );
    }

    #[test]
    fn errors_are_errors() {
        assert!(compile_one("t", "assert", "release.version ==", false).is_err());
        assert!(compile_one("t", "assert", "relase.version == '1'", false).is_err());
        assert!(compile_one("t", "assert", "it.name == 'a'", false).is_err());
        assert!(run("release.nope == 'x'").is_err());
        assert!(run("release.version").is_err());
        assert!(run("bump_rank('huge') > 0").is_err());
        assert!(run("semver_bump('x', '1.0.0') == 'none'").is_err());
    }

    #[test]
    fn licenses() {
        let allow = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(license_allowed("MIT OR Apache-2.0", &allow(&["Apache-2.0"])));
        assert!(!license_allowed("MIT AND Apache-2.0", &allow(&["Apache-2.0"])));
        assert!(license_allowed("MIT/Apache-2.0", &allow(&["MIT"])));
        assert!(!license_allowed("NOASSERTION", &allow(&["MIT"])));
        assert!(license_allowed("NOASSERTION", &allow(&["NOASSERTION"])));
        assert!(license_allowed(
            "Apache-2.0 WITH LLVM-exception",
            &allow(&["Apache-2.0 WITH LLVM-exception"])
        ));
    }
}
