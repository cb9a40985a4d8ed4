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
    let mut plain = 0;
    for (i, b) in s.bytes().enumerate() {
        let with = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            b'\r' => "&#xD;",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        out.push_str(with);
        plain = i + 1;
    }
    out.push_str(&s[plain..]);
}

impl Xml {
    pub fn new() -> Xml {
        Xml::default()
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

/// The awsQuery success envelope.
pub fn response(action: &str, namespace: &str, result: Option<&Xml>, request_id: &str) -> String {
    let mut x = Xml::new();
    x.raw(&format!("<{action}Response xmlns=\"{namespace}\">"));
    if let Some(r) = result {
        x.open(&format!("{action}Result"));
        x.raw(r.as_str());
        x.close(&format!("{action}Result"));
    }
    x.with("ResponseMetadata", |x| {
        x.elem("RequestId", request_id);
    });
    x.close(&format!("{action}Response"));
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
