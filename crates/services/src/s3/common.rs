//! What every S3 operation group shares: S3's errors and error XML, finding a bucket,
//! authorizing against its policy, reading small XML bodies, dates.

use super::{S3Body, S3Ctx, S3Request, S3Response};
use crate::error::ServiceError;
use crate::protocol::xml::escape;
use rolegate_core::s3::{s3_arn, Bucket};
use rolegate_core::ResourceGuard;
use rolegate_policy::{Context, ResourcePolicyKind};
use time::OffsetDateTime;

pub(crate) const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// Request bodies read whole (policies, tag sets, delete lists) may not exceed this.
pub(crate) const MAX_XML_BODY: usize = 1024 * 1024;

pub(crate) fn s3_error(status: u16, code: &str, message: impl Into<String>) -> ServiceError {
    ServiceError::new(status, code, message)
}

pub(crate) fn no_such_bucket() -> ServiceError {
    s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
}

pub(crate) fn no_such_key() -> ServiceError {
    s3_error(404, "NoSuchKey", "The specified key does not exist.")
}

pub(crate) fn invalid_argument(message: impl Into<String>) -> ServiceError {
    s3_error(400, "InvalidArgument", message)
}

pub(crate) fn malformed_xml() -> ServiceError {
    s3_error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

pub(crate) fn internal() -> ServiceError {
    s3_error(
        500,
        "InternalError",
        "We encountered an internal error. Please try again.",
    )
}

pub(crate) fn io_error(e: std::io::Error) -> ServiceError {
    tracing_free_log(&e);
    internal()
}

fn tracing_free_log(e: &std::io::Error) {
    // services has no logger: the server logs the 500 with its request id.
    let _ = e;
}

pub(crate) fn method_not_allowed() -> ServiceError {
    s3_error(
        405,
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
    )
}

pub(crate) fn not_implemented() -> ServiceError {
    s3_error(
        501,
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
    )
}

/// `/bucket/key` as S3 names the resource in errors.
pub(crate) fn resource_path(req: &S3Request<'_>) -> String {
    match (&req.bucket, &req.key) {
        (None, _) => "/".to_owned(),
        (Some(b), None) => format!("/{b}"),
        (Some(b), Some(k)) => format!("/{b}/{k}"),
    }
}

/// The S3 error document.
pub fn error_body(e: &ServiceError, resource: &str, request_id: &str) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
    escape(&e.code, &mut s);
    s.push_str("</Code><Message>");
    escape(&e.message, &mut s);
    s.push_str("</Message>");
    if !resource.is_empty() {
        s.push_str("<Resource>");
        escape(resource, &mut s);
        s.push_str("</Resource>");
    }
    s.push_str("<RequestId>");
    escape(request_id, &mut s);
    s.push_str("</RequestId></Error>");
    s
}

pub(crate) fn error_response(
    e: &ServiceError,
    resource: &str,
    request_id: &str,
    head: bool,
) -> S3Response {
    // "AccessDenied" from the authorizer is S3's AccessDenied with the engine's message.
    let body = if head {
        S3Body::Empty
    } else {
        S3Body::Bytes(error_body(e, resource, request_id).into_bytes())
    };
    S3Response {
        status: e.status,
        headers: vec![("content-type".into(), "application/xml".into())],
        body,
    }
}

/// A bucket of the current snapshot and its owner.
pub(crate) struct Found {
    pub owner: String,
    pub bucket: Bucket,
}

pub(crate) fn bucket(s: &S3Ctx<'_>) -> Result<Found, ServiceError> {
    let name = s.req.bucket.as_deref().ok_or_else(no_such_bucket)?;
    let (account, bucket) = s.ctx.snap.find_bucket(name).ok_or_else(no_such_bucket)?;
    Ok(Found {
        owner: account.id.clone(),
        bucket: bucket.clone(),
    })
}

/// Authorizes `action` on the bucket (or one of its objects) with the bucket policy.
pub(crate) fn authorize(
    s: &mut S3Ctx<'_>,
    found: &Found,
    action: &str,
    key: Option<&str>,
    extra: impl FnOnce(&mut Context),
) -> Result<(), ServiceError> {
    let arn = s3_arn(&found.bucket.name, key);
    let guard = match &found.bucket.policy {
        Some(doc) => ResourceGuard::Policy {
            policy: doc.compiled(),
            kind: ResourcePolicyKind::Standard,
        },
        None => ResourceGuard::None,
    };
    let anonymous = s.ctx.caller.account.is_empty();
    s.ctx
        .authorize_on(action, &arn, Some(&found.owner), guard, |c| {
            c.insert(
                "s3:authType",
                if anonymous {
                    "REST-QUERY-STRING"
                } else {
                    "REST-HEADER"
                },
            );
            c.insert("s3:signatureversion", "AWS4-HMAC-SHA256");
            extra(c)
        })
        .map_err(|e| {
            // S3 explains a denial only to callers of the bucket owner's account (AWS: same
            // account or organization); everyone else reads the bare "Access Denied". S3 quotes
            // the resource ARN where IAM and STS do not.
            if anonymous || s.ctx.caller.account != found.owner {
                s3_error(403, "AccessDenied", "Access Denied")
            } else {
                let plain = format!(" on resource: {arn} ");
                let quoted = format!(" on resource: \"{arn}\" ");
                ServiceError {
                    message: e.message.replacen(&plain, &quoted, 1),
                    ..e
                }
            }
        })
}

/// Reads a small body whole.
pub(crate) fn read_body(s: &mut S3Ctx<'_>) -> Result<Vec<u8>, ServiceError> {
    read_body_limit(s, MAX_XML_BODY)
}

/// Reads a body whole, refusing one above `limit` bytes.
pub(crate) fn read_body_limit(s: &mut S3Ctx<'_>, limit: usize) -> Result<Vec<u8>, ServiceError> {
    let mut out = Vec::new();
    while let Some(chunk) = s.req.body.next_chunk()? {
        out.extend_from_slice(&chunk);
        if out.len() > limit {
            return Err(s3_error(
                400,
                "MaxMessageLengthExceeded",
                "Your request was too big.",
            ));
        }
    }
    Ok(out)
}

/// `2024-05-01T10:00:00.000Z` from unix milliseconds, as S3's XML writes dates.
pub(crate) fn xml_date(millis: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Wed, 21 Oct 2015 07:28:00 GMT` (Last-Modified) from unix milliseconds.
pub(crate) fn http_date(millis: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[u8::from(t.month()) as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) to unix seconds.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, hms, "GMT"] = parts[..] else {
        return None;
    };
    let month = MONTHS.iter().position(|m| *m == month)? as u8 + 1;
    let date = time::Date::from_calendar_date(
        year.parse().ok()?,
        time::Month::try_from(month).ok()?,
        day.parse().ok()?,
    )
    .ok()?;
    let mut it = hms.split(':').map(|x| x.parse::<u8>().ok());
    let t = time::Time::from_hms(it.next()??, it.next()??, it.next()??).ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp())
}

/// The text of every `<name>` element in `xml`, in order, unescaped. Enough for the flat
/// request documents S3 takes (Delete, Tagging, CreateBucketConfiguration).
pub(crate) fn xml_texts(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(s) = rest.find(&open) {
        let after = &rest[s + open.len()..];
        let Some(e) = after.find(&close) else { break };
        out.push(unescape(&after[..e]));
        rest = &after[e + close.len()..];
    }
    out
}

pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let ent = &after[1..end];
        let c = match ent {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&after[..=end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A writer of S3 response documents.
pub(crate) struct Doc(pub String);

impl Doc {
    pub fn new(root: &str) -> Doc {
        Doc(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{XMLNS}\">"
        ))
    }
    pub fn open(&mut self, name: &str) -> &mut Doc {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self
    }
    pub fn close(&mut self, name: &str) -> &mut Doc {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Doc {
        self.open(name);
        escape(text, &mut self.0);
        self.close(name)
    }
    pub fn finish(mut self, root: &str) -> S3Response {
        self.close(root);
        S3Response::xml(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_xml_texts() {
        assert_eq!(xml_date(1_445_412_480_123), "2015-10-21T07:28:00.123Z");
        assert_eq!(
            http_date(1_445_412_480_123),
            "Wed, 21 Oct 2015 07:28:00 GMT"
        );
        assert_eq!(
            parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(1_445_412_480)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(
            xml_texts("<A><Key>a&amp;b</Key><Key>c&#x41;</Key></A>", "Key"),
            ["a&b", "cA"]
        );
    }
}
