//! The CycloneDX XML encoding of [`super::wire`]: elements in each XSD's
//! `sequence` order, `bom-ref`, `type`, `alg`, `name` and `ref` as
//! attributes, two-space indentation, text escaped (characters XML 1.0
//! cannot hold become U+FFFD).

use super::wire::{Bom, Component, Contact, ExternalReference, Hash, LicenseChoice, Organization, Property};

/// An indenting XML writer.
struct Xml {
    out: String,
    depth: usize,
}

/// Escapes text; `attribute` also escapes quotes and whitespace that
/// attribute normalization would change. XML 1.0 cannot hold most control
/// characters (a form feed in a GPL text, say) even as references: they are
/// written as U+FFFD, and a carriage return as `&#13;` so it survives parsing.
fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push_str(&format!(" {k}=\"{}\"", escape(v, true)));
        }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.tag(name, attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str(&format!("</{name}>\n"));
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.tag(name, attrs);
        self.out.push_str(" />\n");
    }

    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.indent();
        self.tag(name, attrs);
        self.out.push('>');
        self.out.push_str(&escape(text, false));
        self.out.push_str(&format!("</{name}>\n"));
    }

    fn opt(&mut self, name: &str, text: &Option<String>) {
        if let Some(t) = text {
            self.leaf(name, &[], t);
        }
    }
}

/// Renders the document as XML.
pub(super) fn render(bom: &Bom) -> String {
    let mut x = Xml {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 0,
    };
    let ns = format!("http://cyclonedx.org/schema/bom/{}", bom.spec_version);
    let version = bom.version.to_string();
    x.open(
        "bom",
        &[
            ("xmlns", &ns),
            ("serialNumber", &bom.serial_number),
            ("version", &version),
        ],
    );
    let m = &bom.metadata;
    x.open("metadata", &[]);
    x.leaf("timestamp", &[], &m.timestamp);
    x.open("tools", &[]);
    x.open("components", &[]);
    for c in &m.tools.components {
        component(&mut x, c);
    }
    x.close("components");
    x.close("tools");
    component(&mut x, &m.component);
    if let Some(o) = &m.manufacturer {
        organization(&mut x, "manufacturer", o);
    }
    properties(&mut x, &m.properties);
    x.close("metadata");
    x.open("components", &[]);
    for c in &bom.components {
        component(&mut x, c);
    }
    x.close("components");
    x.open("dependencies", &[]);
    for d in &bom.dependencies {
        if d.depends_on.is_empty() {
            x.empty("dependency", &[("ref", &d.dependency_ref)]);
        } else {
            x.open("dependency", &[("ref", &d.dependency_ref)]);
            for to in &d.depends_on {
                x.empty("dependency", &[("ref", to)]);
            }
            x.close("dependency");
        }
    }
    x.close("dependencies");
    if !bom.compositions.is_empty() {
        x.open("compositions", &[]);
        for c in &bom.compositions {
            x.open("composition", &[]);
            x.leaf("aggregate", &[], c.aggregate);
            x.open("dependencies", &[]);
            for r in &c.dependencies {
                x.empty("dependency", &[("ref", r)]);
            }
            x.close("dependencies");
            x.close("composition");
        }
        x.close("compositions");
    }
    x.close("bom");
    x.out
}

fn component(x: &mut Xml, c: &Component) {
    let mut attrs = vec![("type", c.kind)];
    if let Some(r) = &c.bom_ref {
        attrs.push(("bom-ref", r));
    }
    x.open("component", &attrs);
    if let Some(s) = &c.supplier {
        organization(x, "supplier", s);
    }
    if let Some(m) = &c.manufacturer {
        organization(x, "manufacturer", m);
    }
    if !c.authors.is_empty() {
        x.open("authors", &[]);
        for a in &c.authors {
            contact(x, "author", a);
        }
        x.close("authors");
    }
    x.opt("author", &c.author);
    x.leaf("name", &[], &c.name);
    x.leaf("version", &[], &c.version);
    x.opt("description", &c.description);
    if let Some(s) = c.scope {
        x.leaf("scope", &[], s);
    }
    hashes(x, &c.hashes);
    if !c.licenses.is_empty() {
        x.open("licenses", &[]);
        for l in &c.licenses {
            license(x, l);
        }
        x.close("licenses");
    }
    x.opt("purl", &c.purl);
    if !c.external_references.is_empty() {
        x.open("externalReferences", &[]);
        for r in &c.external_references {
            reference(x, r);
        }
        x.close("externalReferences");
    }
    properties(x, &c.properties);
    x.close("component");
}

fn organization(x: &mut Xml, element: &str, o: &Organization) {
    x.open(element, &[]);
    x.leaf("name", &[], &o.name);
    for u in &o.url {
        x.leaf("url", &[], u);
    }
    for c in &o.contact {
        contact(x, "contact", c);
    }
    x.close(element);
}

fn contact(x: &mut Xml, element: &str, c: &Contact) {
    x.open(element, &[]);
    x.opt("name", &c.name);
    x.opt("email", &c.email);
    x.close(element);
}

fn hashes(x: &mut Xml, hashes: &[Hash]) {
    if hashes.is_empty() {
        return;
    }
    x.open("hashes", &[]);
    for h in hashes {
        x.leaf("hash", &[("alg", h.alg)], &h.content);
    }
    x.close("hashes");
}

fn license(x: &mut Xml, l: &LicenseChoice) {
    match l {
        LicenseChoice::Expression {
            expression,
            acknowledgement,
        } => match acknowledgement {
            Some(a) => x.leaf("expression", &[("acknowledgement", a)], expression),
            None => x.leaf("expression", &[], expression),
        },
        LicenseChoice::License { license } => {
            match license.acknowledgement {
                Some(a) => x.open("license", &[("acknowledgement", a)]),
                None => x.open("license", &[]),
            }
            x.leaf("name", &[], &license.name);
            x.leaf(
                "text",
                &[("content-type", license.text.content_type)],
                &license.text.content,
            );
            properties(x, &license.properties);
            x.close("license");
        }
    }
}

fn reference(x: &mut Xml, r: &ExternalReference) {
    x.open("reference", &[("type", r.kind)]);
    x.leaf("url", &[], &r.url);
    hashes(x, &r.hashes);
    x.close("reference");
}

fn properties(x: &mut Xml, props: &[Property]) {
    if props.is_empty() {
        return;
    }
    x.open("properties", &[]);
    for p in props {
        x.leaf("property", &[("name", &p.name)], &p.value);
    }
    x.close("properties");
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_xml_cannot_hold_is_replaced_and_markup_escaped() {
        assert_eq!(escape("a<b>&\"'", false), "a&lt;b&gt;&amp;\"'");
        assert_eq!(escape("a\"'\t\n", true), "a&quot;&apos;&#9;&#10;");
        assert_eq!(
            escape("page\u{c}break\r\n\u{7}\u{FFFE}", false),
            "page\u{FFFD}break&#13;\n\u{FFFD}\u{FFFD}"
        );
        assert_eq!(escape("]]> ü", false), "]]&gt; ü");
    }
}
