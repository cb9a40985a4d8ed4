//! The policy grammar as a syntax tree, read from JSON and printed back.
//!
//! Reading checks the grammar only (elements, JSON types, operator names): what IAM answers with
//! "Syntax errors in policy.". The rules that depend on the kind of policy live in `validate`.

use crate::condition::Operator;
use crate::error::PolicyError;
use crate::json::{write_str, Json};

/// A string or a list of strings, remembering which, so a document prints back in its own shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// The current language: policy variables are substituted.
    V2012_10_17,
    /// The old language: `${...}` is literal text.
    V2008_10_17,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2012_10_17 => "2012-10-17",
            Version::V2008_10_17 => "2008-10-17",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Principal` or `NotPrincipal`: `"*"`, or a map from `AWS`, `Service`, `Federated`,
/// `CanonicalUser` to one or more names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalSpec {
    Wildcard,
    Map(Vec<(String, OneOrMany<String>)>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionSpec {
    Action(OneOrMany<String>),
    NotAction(OneOrMany<String>),
}

impl ActionSpec {
    pub fn values(&self) -> &[String] {
        match self {
            ActionSpec::Action(v) | ActionSpec::NotAction(v) => v.as_slice(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceSpec {
    Resource(OneOrMany<String>),
    NotResource(OneOrMany<String>),
}

impl ResourceSpec {
    pub fn values(&self) -> &[String] {
        match self {
            ResourceSpec::Resource(v) | ResourceSpec::NotResource(v) => v.as_slice(),
        }
    }
}

/// One operator of a `Condition` block with its keys and values. Values are kept as text:
/// JSON booleans and numbers ("quotation marks are optional") become their spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionEntry {
    pub operator: String,
    pub keys: Vec<(String, OneOrMany<String>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionBlock(pub Vec<ConditionEntry>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// The Effect exactly as written: IAM's legacy parser wants `Allow`/`Deny` in that case.
    pub effect_text: String,
    pub principal: Option<PrincipalSpec>,
    pub not_principal: Option<PrincipalSpec>,
    pub action: Option<ActionSpec>,
    pub resource: Option<ResourceSpec>,
    pub condition: Option<ConditionBlock>,
}

/// A parsed policy document. The submitted text is kept verbatim because IAM returns documents
/// exactly as they were sent; equality compares the meaning, not the text.
#[derive(Clone, Debug)]
pub struct Policy {
    source: String,
    pub version: Option<Version>,
    pub id: Option<String>,
    /// `Statement` was an array (as opposed to a single object).
    pub statement_is_list: bool,
    pub statements: Vec<Statement>,
}

impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.id == other.id
            && self.statement_is_list == other.statement_is_list
            && self.statements == other.statements
    }
}

impl Policy {
    /// Reads a document: JSON, the grammar's elements and their types, operator names.
    pub fn parse(src: &str) -> Result<Policy, PolicyError> {
        let json = Json::parse(src).ok_or_else(PolicyError::syntax)?;
        let Json::Object(members) = json else {
            return Err(PolicyError::syntax());
        };
        let mut version = None;
        let mut id = None;
        let mut statement = None;
        for (key, value) in members {
            match key.as_str() {
                "Version" => {
                    version = Some(match value.as_str() {
                        Some("2012-10-17") => Version::V2012_10_17,
                        Some("2008-10-17") => Version::V2008_10_17,
                        _ => return Err(PolicyError::syntax()),
                    })
                }
                "Id" => id = Some(string(value)?),
                "Statement" => statement = Some(value),
                _ => return Err(PolicyError::syntax()),
            }
        }
        let (statement_is_list, raw) = match statement {
            Some(Json::Array(items)) if !items.is_empty() => (true, items),
            Some(obj @ Json::Object(_)) => (false, vec![obj]),
            _ => return Err(PolicyError::syntax()),
        };
        let statements = raw
            .into_iter()
            .map(parse_statement)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy {
            source: src.to_owned(),
            version,
            id,
            statement_is_list,
            statements,
        })
    }

    /// The document exactly as it was submitted.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `${...}` policy variables are substituted (only under 2012-10-17).
    pub fn variables_enabled(&self) -> bool {
        self.version == Some(Version::V2012_10_17)
    }

    /// Prints the document in a canonical form; `Policy::parse(&p.to_json()) == p`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        let mut first = true;
        let mut field = |out: &mut String, name: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            write_str(out, name);
            out.push(':');
        };
        if let Some(v) = self.version {
            field(&mut out, "Version");
            write_str(&mut out, v.as_str());
        }
        if let Some(id) = &self.id {
            field(&mut out, "Id");
            write_str(&mut out, id);
        }
        field(&mut out, "Statement");
        if self.statement_is_list {
            out.push('[');
        }
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            print_statement(&mut out, s);
        }
        if self.statement_is_list {
            out.push(']');
        }
        out.push('}');
        out
    }
}

fn string(value: Json) -> Result<String, PolicyError> {
    match value {
        Json::String(s) => Ok(s),
        _ => Err(PolicyError::syntax()),
    }
}

fn strings(value: Json) -> Result<OneOrMany<String>, PolicyError> {
    match value {
        Json::String(s) => Ok(OneOrMany::One(s)),
        Json::Array(items) => Ok(OneOrMany::Many(
            items.into_iter().map(string).collect::<Result<_, _>>()?,
        )),
        _ => Err(PolicyError::syntax()),
    }
}

/// Condition values: strings, or unquoted booleans and numbers, alone or in an array.
fn condition_values(value: Json) -> Result<OneOrMany<String>, PolicyError> {
    fn scalar(v: Json) -> Result<String, PolicyError> {
        match v {
            Json::String(s) | Json::Number(s) => Ok(s),
            Json::Bool(b) => Ok(b.to_string()),
            _ => Err(PolicyError::syntax()),
        }
    }
    match value {
        Json::Array(items) => Ok(OneOrMany::Many(
            items.into_iter().map(scalar).collect::<Result<_, _>>()?,
        )),
        other => Ok(OneOrMany::One(scalar(other)?)),
    }
}

fn parse_principal(value: Json) -> Result<PrincipalSpec, PolicyError> {
    match value {
        Json::String(s) if s == "*" => Ok(PrincipalSpec::Wildcard),
        Json::Object(members) if !members.is_empty() => {
            let mut out = Vec::with_capacity(members.len());
            for (key, v) in members {
                if !matches!(
                    key.as_str(),
                    "AWS" | "Service" | "Federated" | "CanonicalUser"
                ) {
                    return Err(PolicyError::syntax());
                }
                out.push((key, strings(v)?));
            }
            Ok(PrincipalSpec::Map(out))
        }
        _ => Err(PolicyError::syntax()),
    }
}

fn parse_condition(value: Json) -> Result<ConditionBlock, PolicyError> {
    let Json::Object(ops) = value else {
        return Err(PolicyError::syntax());
    };
    let mut entries = Vec::with_capacity(ops.len());
    for (operator, block) in ops {
        let Json::Object(keys) = block else {
            return Err(PolicyError::syntax());
        };
        // An unknown operator is a syntax error, except with an empty block (IAM ignores it).
        if Operator::parse(&operator).is_none() && !keys.is_empty() {
            return Err(PolicyError::syntax());
        }
        let keys = keys
            .into_iter()
            .map(|(k, v)| Ok((k, condition_values(v)?)))
            .collect::<Result<Vec<_>, PolicyError>>()?;
        entries.push(ConditionEntry { operator, keys });
    }
    Ok(ConditionBlock(entries))
}

fn parse_statement(value: Json) -> Result<Statement, PolicyError> {
    let Json::Object(members) = value else {
        return Err(PolicyError::syntax());
    };
    let mut s = Statement {
        sid: None,
        effect: Effect::Allow,
        effect_text: String::new(),
        principal: None,
        not_principal: None,
        action: None,
        resource: None,
        condition: None,
    };
    let mut has_effect = false;
    for (key, value) in members {
        match key.as_str() {
            "Sid" => s.sid = Some(string(value)?),
            "Effect" => {
                let text = string(value)?;
                s.effect = if text.eq_ignore_ascii_case("allow") {
                    Effect::Allow
                } else if text.eq_ignore_ascii_case("deny") {
                    Effect::Deny
                } else {
                    return Err(PolicyError::syntax());
                };
                s.effect_text = text;
                has_effect = true;
            }
            "Principal" if s.not_principal.is_none() => s.principal = Some(parse_principal(value)?),
            "NotPrincipal" if s.principal.is_none() => {
                s.not_principal = Some(parse_principal(value)?)
            }
            "Action" if s.action.is_none() => s.action = Some(ActionSpec::Action(strings(value)?)),
            "NotAction" if s.action.is_none() => {
                s.action = Some(ActionSpec::NotAction(strings(value)?))
            }
            "Resource" if s.resource.is_none() => {
                s.resource = Some(ResourceSpec::Resource(strings(value)?))
            }
            "NotResource" if s.resource.is_none() => {
                s.resource = Some(ResourceSpec::NotResource(strings(value)?))
            }
            "Condition" => s.condition = Some(parse_condition(value)?),
            _ => return Err(PolicyError::syntax()),
        }
    }
    if !has_effect {
        return Err(PolicyError::syntax());
    }
    Ok(s)
}

fn print_strings(out: &mut String, v: &OneOrMany<String>) {
    match v {
        OneOrMany::One(s) => write_str(out, s),
        OneOrMany::Many(items) => {
            out.push('[');
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, s);
            }
            out.push(']');
        }
    }
}

fn print_principal(out: &mut String, p: &PrincipalSpec) {
    match p {
        PrincipalSpec::Wildcard => write_str(out, "*"),
        PrincipalSpec::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                print_strings(out, v);
            }
            out.push('}');
        }
    }
}

fn print_statement(out: &mut String, s: &Statement) {
    out.push('{');
    if let Some(sid) = &s.sid {
        out.push_str("\"Sid\":");
        write_str(out, sid);
        out.push(',');
    }
    out.push_str("\"Effect\":");
    write_str(out, &s.effect_text);
    if let Some(p) = &s.principal {
        out.push_str(",\"Principal\":");
        print_principal(out, p);
    }
    if let Some(p) = &s.not_principal {
        out.push_str(",\"NotPrincipal\":");
        print_principal(out, p);
    }
    match &s.action {
        Some(ActionSpec::Action(v)) => {
            out.push_str(",\"Action\":");
            print_strings(out, v);
        }
        Some(ActionSpec::NotAction(v)) => {
            out.push_str(",\"NotAction\":");
            print_strings(out, v);
        }
        None => {}
    }
    match &s.resource {
        Some(ResourceSpec::Resource(v)) => {
            out.push_str(",\"Resource\":");
            print_strings(out, v);
        }
        Some(ResourceSpec::NotResource(v)) => {
            out.push_str(",\"NotResource\":");
            print_strings(out, v);
        }
        None => {}
    }
    if let Some(ConditionBlock(entries)) = &s.condition {
        out.push_str(",\"Condition\":{");
        for (i, e) in entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(out, &e.operator);
            out.push_str(":{");
            for (j, (k, v)) in e.keys.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                print_strings(out, v);
            }
            out.push('}');
        }
        out.push('}');
    }
    out.push('}');
}
