//! ec2Query: awsQuery's form input with EC2's own list style (`InstanceId.1`,
//! `Filter.1.Name`, `Filter.1.Value.1`: no `.member.`), and EC2's XML: lowerCamel element
//! names, lists as `<item>`, `<requestId>` inside the response element, and errors as
//! `<Response><Errors><Error>...</Error></Errors><RequestID>` which the SDKs read.

use crate::error::ServiceError;
use crate::protocol::{Params, Xml};
use std::collections::BTreeMap;

pub const NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// The `prefix.N.rest` parameters grouped by N (in index order), each group holding `rest`.
/// `prefix.N` alone (a list of scalars) becomes a group with the key "".
pub fn groups(params: &Params, prefix: &str) -> Vec<Params> {
    let mut by_index: BTreeMap<u32, Vec<(&str, &str)>> = BTreeMap::new();
    let dotted = format!("{prefix}.");
    for (k, v) in params.pairs() {
        let Some(rest) = k.strip_prefix(&dotted) else {
            continue;
        };
        let (idx, tail) = rest.split_once('.').unwrap_or((rest, ""));
        let Ok(idx) = idx.parse::<u32>() else {
            continue;
        };
        by_index.entry(idx).or_default().push((tail, v));
    }
    by_index.into_values().map(Params::from_pairs).collect()
}

/// A flat list of strings: `prefix.1`, `prefix.2`... in index order.
pub fn list(params: &Params, prefix: &str) -> Vec<String> {
    groups(params, prefix)
        .iter()
        .filter_map(|g| g.get("").map(str::to_owned))
        .collect()
}

/// One `Filter.N`: a name and its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// AWS's cap on filter values in one call; it also bounds the wildcard matching work.
const MAX_FILTER_VALUES: usize = 200;
/// Longer than any value a filter can match (tag values are at most 256 characters).
const MAX_FILTER_VALUE_LEN: usize = 1024;

pub fn filters(params: &Params) -> Result<Vec<Filter>, ServiceError> {
    let out: Vec<Filter> = groups(params, "Filter")
        .iter()
        .map(|g| {
            let name = g
                .get("Name")
                .ok_or_else(|| ServiceError::missing_parameter("Filter.Name"))?;
            Ok(Filter {
                name: name.to_owned(),
                values: list(g, "Value"),
            })
        })
        .collect::<Result<_, ServiceError>>()?;
    if out.iter().map(|f| f.values.len()).sum::<usize>() > MAX_FILTER_VALUES {
        return Err(ServiceError::new(
            400,
            "FilterLimitExceeded",
            format!("The maximum number of filter values specified on a single call is {MAX_FILTER_VALUES}"),
        ));
    }
    if let Some(v) = out
        .iter()
        .flat_map(|f| &f.values)
        .find(|v| v.len() > MAX_FILTER_VALUE_LEN)
    {
        return Err(invalid_value(v, "Filter.Value"));
    }
    Ok(out)
}

/// `prefix.N.Key` / `prefix.N.Value` pairs; the value may be absent (DeleteTags).
pub fn tags(params: &Params, prefix: &str) -> Vec<(String, Option<String>)> {
    groups(params, prefix)
        .iter()
        .filter_map(|g| Some((g.get("Key")?.to_owned(), g.get("Value").map(str::to_owned))))
        .collect()
}

/// A boolean parameter ("true"/"false", as the SDKs send them).
pub fn boolean(params: &Params, name: &str) -> Result<bool, ServiceError> {
    match params.get(name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(invalid_value(v, name)),
    }
}

/// An integer parameter.
pub fn integer(params: &Params, name: &str) -> Result<Option<i64>, ServiceError> {
    params
        .get(name)
        .map(|v| v.trim().parse::<i64>().map_err(|_| invalid_value(v, name)))
        .transpose()
}

/// EC2's `InvalidParameterValue` for a bad value of a parameter.
pub fn invalid_value(value: &str, name: &str) -> ServiceError {
    ServiceError::new(
        400,
        "InvalidParameterValue",
        format!("Value ({value}) for parameter {name} is invalid."),
    )
}

/// The success envelope: `<XResponse xmlns=..><requestId>..</requestId>...</XResponse>`.
pub fn response(action: &str, result: Option<&Xml>, request_id: &str) -> String {
    let mut x = Xml::new();
    x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.raw(&format!("<{action}Response xmlns=\"{NAMESPACE}\">"));
    x.elem("requestId", request_id);
    if let Some(r) = result {
        x.raw(r.as_str());
    }
    x.close(&format!("{action}Response"));
    x.into_string()
}

/// The error envelope the SDKs parse (`Response/Errors/Error`).
pub fn error(e: &ServiceError, request_id: &str) -> String {
    let mut x = Xml::new();
    x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.with("Response", |x| {
        x.with("Errors", |x| {
            x.with("Error", |x| {
                x.elem("Code", &e.code).elem("Message", &e.message);
            });
        });
        x.elem("RequestID", request_id);
    });
    x.into_string()
}

/// Errors raised in awsQuery's terms (by authentication or shared validation) in EC2's.
pub fn map_error(e: &ServiceError) -> ServiceError {
    match e.code.as_str() {
        "AccessDenied" => ServiceError::new(
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        "ValidationError" | "InvalidInput" => {
            ServiceError::new(400, "InvalidParameterValue", e.message.clone())
        }
        "ServiceFailure" => {
            ServiceError::new(500, "InternalError", "An internal error has occurred")
        }
        // EC2 answers every credential it cannot verify with AuthFailure.
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "InvalidAccessKeyId" => ServiceError::new(
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
        ),
        "ExpiredToken" | "RequestExpired" => {
            ServiceError::new(400, "RequestExpired", "Request has expired.")
        }
        _ => e.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ec2_lists_filters_and_tags() {
        let p = Params::parse(
            b"InstanceId.2=i-b&InstanceId.1=i-a&Filter.1.Name=tag%3AEnv&Filter.1.Value.2=y&Filter.1.Value.1=x&Filter.2.Name=instance-state-name&Tag.1.Key=k&Tag.1.Value=v&Tag.2.Key=only",
        );
        assert_eq!(list(&p, "InstanceId"), vec!["i-a", "i-b"]);
        let f = filters(&p).unwrap();
        assert_eq!(f[0].name, "tag:Env");
        assert_eq!(f[0].values, vec!["x", "y"]);
        assert!(f[1].values.is_empty());
        assert_eq!(
            tags(&p, "Tag"),
            vec![("k".into(), Some("v".into())), ("only".into(), None)]
        );
        assert!(boolean(&Params::parse(b"DryRun=maybe"), "DryRun").is_err());
        let many: String = (1..=201)
            .map(|i| format!("Filter.1.Name=tag-key&Filter.1.Value.{i}=v&"))
            .collect();
        let e = filters(&Params::parse(many.as_bytes())).unwrap_err();
        assert_eq!(e.code, "FilterLimitExceeded");
        let long = format!(
            "Filter.1.Name=tag-key&Filter.1.Value.1={}",
            "*a".repeat(600)
        );
        assert!(filters(&Params::parse(long.as_bytes())).is_err());
        assert!(boolean(&Params::parse(b"DryRun=true"), "DryRun").unwrap());
    }

    #[test]
    fn envelopes() {
        let e = ServiceError::new(400, "X", "m<");
        let body = error(&e, "rid");
        assert!(body.contains("<Response><Errors><Error><Code>X</Code><Message>m&lt;</Message></Error></Errors><RequestID>rid</RequestID></Response>"));
        let ok = response("CreateTags", None, "rid");
        assert!(ok.contains(&format!("<CreateTagsResponse xmlns=\"{NAMESPACE}\"><requestId>rid</requestId></CreateTagsResponse>")));
    }
}
