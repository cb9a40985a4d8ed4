//! awsQuery input: `Action=...&Version=...&Name=value&Tags.member.1.Key=...`.

use crate::error::ServiceError;

/// One form-encoded name or value, appended to `out`: `+` is a space, `%XX` a byte (a `%`
/// without two hex digits stays as it is), and bytes that are not UTF-8 become U+FFFD.
fn form_decode_into(raw: &[u8], out: &mut String) {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        // `from_utf8` checks many bytes at a time; the lossy path only for what fails it.
        match std::str::from_utf8(raw) {
            Ok(text) => out.push_str(text),
            Err(_) => out.push_str(&String::from_utf8_lossy(raw)),
        }
        return;
    }
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    out.push_str(&percent_encoding::percent_decode(&spaced).decode_utf8_lossy());
}

/// The decoded parameters of one request, in order. Every name and value lives in one
/// string, so a request's parameters cost two allocations, not two per parameter.
#[derive(Clone, Default)]
pub struct Params {
    /// The decoded names and values, one after another.
    text: String,
    /// Per pair, where its name starts, where its name ends (its value starts) and where its
    /// value ends in `text`.
    spans: Vec<[usize; 3]>,
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.pairs()).finish()
    }
}

impl Params {
    /// Decodes a form body or query string (`+` is a space, `%XX` escapes), as
    /// `form_urlencoded::parse` does, with names and values that need no decoding (almost
    /// all) copied as they are: its general path was a few percent of a GetCallerIdentity.
    pub fn parse(form: &[u8]) -> Params {
        let mut params = Params::default();
        params.append(form);
        params
    }

    /// Adds the pairs of another form body or query string after these.
    pub fn append(&mut self, form: &[u8]) {
        if form.is_empty() {
            return;
        }
        self.text.reserve(form.len());
        self.spans
            .reserve(form.iter().filter(|&&b| b == b'&').count() + 1);
        for piece in form.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &b""[..]),
            };
            self.push_with(
                |t| form_decode_into(name, t),
                |t| form_decode_into(value, t),
            );
        }
    }

    /// Adds one pair, each side written into `text` by its closure.
    fn push_with(&mut self, name: impl FnOnce(&mut String), value: impl FnOnce(&mut String)) {
        let start = self.text.len();
        name(&mut self.text);
        let name_end = self.text.len();
        value(&mut self.text);
        self.spans.push([start, name_end, self.text.len()]);
    }

    /// Parameters from decoded names and values.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Params {
        let mut params = Params::default();
        for (k, v) in pairs {
            params.push_with(|t| t.push_str(k.as_ref()), |t| t.push_str(v.as_ref()));
        }
        params
    }

    /// Every pair, in request order (ec2Query's own list style is decoded from these).
    pub fn pairs(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> + ExactSizeIterator {
        self.spans.iter().map(|&[start, name_end, end]| {
            (
                self.text.get(start..name_end).unwrap_or(""),
                self.text.get(name_end..end).unwrap_or(""),
            )
        })
    }

    /// Whether there are no parameters at all.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The last value given for `name` (AWS takes one).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs().rev().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    pub fn required(&self, name: &str) -> Result<&str, ServiceError> {
        self.get(name)
            .ok_or_else(|| ServiceError::missing_parameter(name))
    }

    /// `name.member.1`, `name.member.2`... in index order.
    pub fn list(&self, name: &str) -> Vec<&str> {
        let prefix = format!("{name}.member.");
        let mut items: Vec<(u32, &str)> = self
            .pairs()
            .filter_map(|(k, v)| {
                let idx = k.strip_prefix(&prefix)?.parse::<u32>().ok()?;
                Some((idx, v))
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
        for (k, v) in self.pairs() {
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
                entry[pos] = Some(v.to_owned());
            }
        }
        by_index.into_values().collect()
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
            let got: Vec<(String, String)> = Params::parse(form.as_bytes())
                .pairs()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(got, want, "{form:?}");
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
