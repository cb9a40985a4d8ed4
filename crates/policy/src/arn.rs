//! ARN patterns: six colon-separated components, each globbed on its own, case-sensitively.
//!
//! The first five colons split the ARN; the sixth component (the resource) keeps any further
//! colons, and a `*` in it crosses `/`. A variable may stand in the resource component only.

use crate::context::Context;
use crate::pattern::{tokenize, Pattern, Token};

/// A compiled `Resource` entry or ARN condition value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// `*`: every resource.
    Any,
    /// Six component patterns, and the literal text of the first five (with their colons)
    /// when none of them has a wildcard: one comparison instead of five.
    Components(Box<[Pattern; 6]>, Option<Box<str>>),
    /// Not six components: matched as one string (AWS does the same for odd resources).
    Whole(Pattern),
}

impl ArnPattern {
    pub(crate) fn new(text: &str, variables: bool) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Any;
        }
        let tokens = tokenize(text, true, variables);
        match split_tokens(&tokens) {
            Some(parts) => {
                let pats = Box::new(parts.map(|t| Pattern::from_tokens(t, false)));
                let head = pats[..5]
                    .iter()
                    .map(Pattern::literal)
                    .collect::<Option<Vec<&str>>>()
                    .map(|lits| format!("{}:", lits.join(":")).into_boxed_str());
                ArnPattern::Components(pats, head)
            }
            None => ArnPattern::Whole(Pattern::from_tokens(tokens, false)),
        }
    }

    /// As `matches`, with the ARN already split (once per request).
    pub(crate) fn matches_prepared(
        &self,
        arn: &str,
        parts: Option<&[&str; 6]>,
        ctx: &Context,
    ) -> Option<bool> {
        match self {
            ArnPattern::Any => Some(true),
            ArnPattern::Whole(p) => p.matches(arn, ctx),
            ArnPattern::Components(pats, head) => {
                let Some(values) = parts else {
                    return Some(false);
                };
                match head {
                    // The first five components end where the sixth begins.
                    Some(h) => {
                        let start = arn.len() - values[5].len();
                        if arn.get(..start) != Some(&**h) {
                            return Some(false);
                        }
                    }
                    None => {
                        for (p, v) in pats.iter().zip(values).take(5) {
                            if !p.matches(v, ctx)? {
                                return Some(false);
                            }
                        }
                    }
                }
                pats[5].matches(values[5], ctx)
            }
        }
    }

    /// `None` when a variable could not be resolved (the entry then matches nothing).
    pub(crate) fn matches(&self, arn: &str, ctx: &Context) -> Option<bool> {
        match self {
            ArnPattern::Any => Some(true),
            ArnPattern::Whole(p) => p.matches(arn, ctx),
            ArnPattern::Components(..) => self.matches_prepared(arn, split6(arn).as_ref(), ctx),
        }
    }
}

/// Splits an ARN at its first five colons.
pub(crate) fn split6(arn: &str) -> Option<[&str; 6]> {
    let mut cuts = [0usize; 5];
    let mut n = 0;
    for (i, b) in arn.bytes().enumerate() {
        if b == b':' {
            cuts[n] = i;
            n += 1;
            if n == 5 {
                break;
            }
        }
    }
    if n < 5 {
        return None;
    }
    Some([
        &arn[..cuts[0]],
        &arn[cuts[0] + 1..cuts[1]],
        &arn[cuts[1] + 1..cuts[2]],
        &arn[cuts[2] + 1..cuts[3]],
        &arn[cuts[3] + 1..cuts[4]],
        &arn[cuts[4] + 1..],
    ])
}

/// Splits a token list at the first five colons found in literal text (never inside a variable).
fn split_tokens(tokens: &[Token]) -> Option<[Vec<Token>; 6]> {
    let mut parts: [Vec<Token>; 6] = Default::default();
    let mut idx = 0;
    for tok in tokens {
        match tok {
            Token::Lit(s) if idx < 5 => {
                let mut rest: &str = s;
                while idx < 5 {
                    match rest.split_once(':') {
                        Some((head, tail)) => {
                            if !head.is_empty() {
                                parts[idx].push(Token::Lit(head.into()));
                            }
                            idx += 1;
                            rest = tail;
                        }
                        None => break,
                    }
                }
                if !rest.is_empty() {
                    parts[idx].push(Token::Lit(rest.into()));
                }
            }
            other => parts[idx].push(other.clone()),
        }
    }
    (idx == 5).then_some(parts)
}

/// `ArnLike` on two strings, for callers outside policies (each component globbed).
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    ArnPattern::new(pattern, false)
        .matches(arn, &Context::new())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_matched_separately() {
        // The IUG example: ArnLike keeps each component apart, StringLike does not.
        assert!(!arn_like(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        assert!(arn_like(
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/1///test///object.jpg"
        ));
        assert!(arn_like(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111111111111:role/a/b"
        ));
        assert!(!arn_like(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111111111111:user/a"
        ));
        assert!(!arn_like("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket"));
        assert!(arn_like(
            "arn:aws:dynamodb:*:*:table/t",
            "arn:aws:dynamodb:us-east-1:111111111111:table/t"
        ));
        assert!(arn_like(
            "arn:aws:sqs:us-east-1:1:q:with:colons",
            "arn:aws:sqs:us-east-1:1:q:with:colons"
        ));
    }

    #[test]
    fn variables_in_the_resource_component() {
        let mut ctx = Context::new();
        ctx.insert("aws:username", "alice");
        let p = ArnPattern::new("arn:aws:s3:::bucket/home/${aws:username}/*", true);
        assert_eq!(
            p.matches("arn:aws:s3:::bucket/home/alice/f", &ctx),
            Some(true)
        );
        assert_eq!(
            p.matches("arn:aws:s3:::bucket/home/bob/f", &ctx),
            Some(false)
        );
        let missing = ArnPattern::new("arn:aws:s3:::b/${aws:PrincipalTag/x}", true);
        assert_eq!(missing.matches("arn:aws:s3:::b/", &ctx), None);
    }
}
