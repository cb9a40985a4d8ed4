//! awsQuery input: `Action=...&Version=...&Name=value&Tags.member.1.Key=...`.

use crate::error::ServiceError;

/// One form-encoded name or value: `+` is a space, `%XX` a byte (a `%` without two hex
/// digits stays as it is), and bytes that are not UTF-8 become U+FFFD.
fn form_decode(raw: &[u8]) -> String {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The decoded parameters of one request, in order.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes a form body or query string (`+` is a space, `%XX` escapes), as
    /// `form_urlencoded::parse` does, with names and values that need no decoding (almost
    /// all) copied as they are: its general path was a few percent of a GetCallerIdentity.
    pub fn parse(form: &[u8]) -> Params {
        if form.is_empty() {
            return Params { pairs: Vec::new() };
        }
        let mut pairs = Vec::with_capacity(form.iter().filter(|&&b| b == b'&').count() + 1);
        for piece in form.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &b""[..]),
            };
            pairs.push((form_decode(name), form_decode(value)));
        }
        Params { pairs }
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params { pairs }
    }

    pub fn extend(&mut self, other: Params) {
        self.pairs.extend(other.pairs);
    }

    /// The last value given for `name` (AWS takes one).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn required(&self, name: &str) -> Result<&str, ServiceError> {
        self.get(name)
            .ok_or_else(|| ServiceError::missing_parameter(name))
    }

    /// `name.member.1`, `name.member.2`... in index order.
    pub fn list(&self, name: &str) -> Vec<&str> {
        let prefix = format!("{name}.member.");
        let mut items: Vec<(u32, &str)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| {
                let idx = k.strip_prefix(&prefix)?.parse::<u32>().ok()?;
                Some((idx, v.as_str()))
            })
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// `name.member.N.field` structures, e.g. tags: `Tags.member.1.Key`, `Tags.member.1.Value`.
    pub fn structs(&self, name: &str, fields: &[&str]) -> Vec<Vec<Option<String>>> {
        let prefix = format!("{name}.member.");
        let mut by_index: std::collections::BTreeMap<u32, Vec<Option<String>>> =
            std::collections::BTreeMap::new();
        for (k, v) in &self.pairs {
            let Some(rest) = k.strip_prefix(&prefix) else {
                continue;
            };
            let Some((idx, field)) = rest.split_once('.') else {
                continue;
            };
            let Ok(idx) = idx.parse::<u32>() else {
                continue;
            };
            if let Some(pos) = fields.iter().position(|f| *f == field) {
                let entry = by_index
                    .entry(idx)
                    .or_insert_with(|| vec![None; fields.len()]);
                entry[pos] = Some(v.clone());
            }
        }
        by_index.into_values().collect()
    }

    /// Every pair, in request order (ec2Query's own list style is decoded from these).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_form_urlencoded_does() {
        for form in [
            "",
            "&&",
            "Action=GetCallerIdentity&Version=2011-06-15",
            "a=1&a=2&b",
            "=v&n=",
            "x=a+b%20c%2Bd",
            "p=%zz%4&q=%&r=%4g%41",
            "k%3D=v%3D%26&%E2%9C%93=%C3%A9",
            "bad=%FF%FE&ok=plain",
            "sp=%20+%20",
        ] {
            let want: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(Params::parse(form.as_bytes()).pairs, want, "{form:?}");
        }
    }

    #[test]
    fn lists_and_structs() {
        let p = Params::parse(
            b"Action=TagUser&Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=x%20y&L.member.2=two&L.member.1=one",
        );
        assert_eq!(p.action(), Some("TagUser"));
        assert_eq!(p.list("L"), vec!["one", "two"]);
        assert_eq!(
            p.structs("Tags", &["Key", "Value"]),
            vec![
                vec![Some("a".to_owned()), Some("x y".to_owned())],
                vec![Some("b".to_owned()), None]
            ]
        );
    }
}
