//! A small XML writer for awsQuery responses: elements, escaped text, nothing else.

#[derive(Clone, Debug, Default)]
pub struct Xml {
    buf: String,
}

/// Appends `s` with XML's special characters escaped. Runs of plain text are copied whole: a
/// session token (hundreds of base64 characters) was pushed a `char` at a time before, a few
/// percent of an AssumeRole. The escaped characters are ASCII, so a byte index found here is
/// always a character boundary.
pub fn escape(s: &str, out: &mut String) {
    // Almost every value has nothing to escape: a branch-free scan (which the compiler runs
    // many bytes at a time) finds that, and the value is copied whole.
    let any_special = s.bytes().fold(false, |seen, b| {
        seen | matches!(b, b'<' | b'>' | b'&' | b'"' | b'\'' | b'\r')
    });
    if !any_special {
        out.push_str(s);
        return;
    }
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        if !SPECIAL[usize::from(b)] {
            continue;
        }
        let with = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            _ => "&#xD;",
        };
        out.push_str(&s[plain..i]);
        out.push_str(with);
        plain = i + 1;
    }
    out.push_str(&s[plain..]);
}

/// The bytes [`escape`] replaces: one table load per byte on the plain-text path.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let specials = *b"<>&\"'\r";
    while i < specials.len() {
        t[specials[i] as usize] = true;
        i += 1;
    }
    t
};

impl Xml {
    /// An empty document with room for a small response: growing from nothing took three
    /// reallocations for even GetCallerIdentity's.
    pub fn new() -> Xml {
        Xml::with_capacity(256)
    }

    /// An empty document with room for `bytes`: a response of known size grows in one step.
    pub fn with_capacity(bytes: usize) -> Xml {
        Xml {
            buf: String::with_capacity(bytes),
        }
    }

    /// `<name>` then every part escaped, then `</name>`: text made of pieces, without a
    /// `format!` for it.
    pub fn elem_parts(&mut self, name: &str, parts: &[&str]) -> &mut Xml {
        self.open(name);
        for p in parts {
            escape(p, &mut self.buf);
        }
        self.close(name)
    }

    /// `<name>text</name>`.
    pub fn elem(&mut self, name: &str, text: &str) -> &mut Xml {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        escape(text, &mut self.buf);
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>text</name>` when there is a value.
    pub fn opt(&mut self, name: &str, text: Option<&str>) -> &mut Xml {
        if let Some(t) = text {
            self.elem(name, t);
        }
        self
    }

    pub fn open(&mut self, name: &str) -> &mut Xml {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Xml {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>...</name>` around what `f` writes.
    pub fn with(&mut self, name: &str, f: impl FnOnce(&mut Xml)) -> &mut Xml {
        self.open(name);
        f(self);
        self.close(name)
    }

    /// A list: `<name><member>...</member>...</name>`.
    pub fn members<T>(
        &mut self,
        name: &str,
        items: &[T],
        mut f: impl FnMut(&mut Xml, &T),
    ) -> &mut Xml {
        self.open(name);
        for item in items {
            self.open("member");
            f(self, item);
            self.close("member");
        }
        self.close(name)
    }

    pub fn raw(&mut self, s: &str) -> &mut Xml {
        self.buf.push_str(s);
        self
    }

    pub fn into_string(self) -> String {
        self.buf
    }

    pub fn as_str(&self) -> &str {
        &self.buf
    }
}

/// The awsQuery success envelope, written into one buffer sized for it.
pub fn response(action: &str, namespace: &str, result: Option<&Xml>, request_id: &str) -> String {
    let body = result.map_or(0, |r| r.buf.len());
    let mut x = Xml::with_capacity(body + 3 * action.len() + namespace.len() + 160);
    let b = &mut x.buf;
    for part in ["<", action, "Response xmlns=\"", namespace, "\">"] {
        b.push_str(part);
    }
    if let Some(r) = result {
        for part in ["<", action, "Result>", r.as_str(), "</", action, "Result>"] {
            b.push_str(part);
        }
    }
    x.with("ResponseMetadata", |x| {
        x.elem("RequestId", request_id);
    });
    x.buf.push_str("</");
    x.buf.push_str(action);
    x.buf.push_str("Response>");
    x.into_string()
}

/// The awsQuery error envelope.
pub fn error(namespace: &str, e: &crate::ServiceError, request_id: &str) -> String {
    let mut x = Xml::new();
    x.raw(&format!("<ErrorResponse xmlns=\"{namespace}\">"));
    x.with("Error", |x| {
        x.elem("Type", if e.sender { "Sender" } else { "Receiver" });
        x.elem("Code", &e.code);
        x.elem("Message", &e.message);
    });
    x.elem("RequestId", request_id);
    x.close("ErrorResponse");
    x.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        let mut x = Xml::new();
        x.elem("A", "<&>\"'");
        assert_eq!(x.as_str(), "<A>&lt;&amp;&gt;&quot;&apos;</A>");
    }

    #[test]
    fn the_success_envelope() {
        let mut r = Xml::new();
        r.elem_parts("Arn", &["arn:", "a&b", ":c"]);
        assert_eq!(
            response("GetX", "https://ns/", Some(&r), "rid-1"),
            "<GetXResponse xmlns=\"https://ns/\"><GetXResult><Arn>arn:a&amp;b:c</Arn></GetXResult><ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata></GetXResponse>"
        );
        assert_eq!(
            response("DoY", "https://ns/", None, "rid-2"),
            "<DoYResponse xmlns=\"https://ns/\"><ResponseMetadata><RequestId>rid-2</RequestId></ResponseMetadata></DoYResponse>"
        );
    }

    #[test]
    fn escapes_between_plain_runs_and_keeps_other_characters() {
        let mut out = String::new();
        escape("a<b\r\nc&é'ü\"", &mut out);
        assert_eq!(out, "a&lt;b&#xD;\nc&amp;é&apos;ü&quot;");
        out.clear();
        escape("", &mut out);
        escape("plain ✓", &mut out);
        assert_eq!(out, "plain ✓");
    }
}
