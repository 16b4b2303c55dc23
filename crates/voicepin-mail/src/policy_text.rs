//! Administrator-written texts (UMEnabledText, ResetPINText) made safe for both parts.
//!
//! Exchange lets these texts carry simple HTML. We keep a small allowlist (`b i u em strong
//! p br ul ol li`, and `a` with an http, https or mailto `href`), drop every attribute but
//! that `href`, balance the tags, and escape everything else so it shows as typed. A text
//! without any allowed tag is plain text: its line breaks are kept. The plain-text part gets
//! the same content with the tags stripped.

use std::fmt::Write as _;

/// A policy text rendered for the HTML part and the plain-text part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyText {
    /// Safe HTML fragment.
    pub html: String,
    /// Plain text, tags stripped, entities decoded.
    pub plain: String,
}

impl PolicyText {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.plain.trim().is_empty()
    }
}

/// Renders an administrator's text for both parts.
pub fn sanitize(text: &str) -> PolicyText {
    let tokens = tokenize(text);
    let has_markup = tokens.iter().any(|t| matches!(t, Token::Open(..) | Token::Close(_)));
    if has_markup { render_markup(&tokens) } else { render_plain(text) }
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    B,
    I,
    U,
    Em,
    Strong,
    P,
    Br,
    Ul,
    Ol,
    Li,
    A,
}

impl Tag {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "b" => Self::B,
            "i" => Self::I,
            "u" => Self::U,
            "em" => Self::Em,
            "strong" => Self::Strong,
            "p" => Self::P,
            "br" => Self::Br,
            "ul" => Self::Ul,
            "ol" => Self::Ol,
            "li" => Self::Li,
            "a" => Self::A,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::B => "b",
            Self::I => "i",
            Self::U => "u",
            Self::Em => "em",
            Self::Strong => "strong",
            Self::P => "p",
            Self::Br => "br",
            Self::Ul => "ul",
            Self::Ol => "ol",
            Self::Li => "li",
            Self::A => "a",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// Text as written: entities not decoded yet, tags that are not allowed included.
    Text(String),
    /// An allowed opening tag; for `a`, the accepted `href` (entities decoded).
    Open(Tag, Option<String>),
    /// An allowed closing tag.
    Close(Tag),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        literal.push_str(&rest[..lt]);
        rest = &rest[lt..];
        match parse_tag(rest) {
            Some((token, len)) => {
                if !literal.is_empty() {
                    tokens.push(Token::Text(std::mem::take(&mut literal)));
                }
                tokens.push(token);
                rest = &rest[len..];
            }
            None => {
                literal.push('<');
                rest = &rest[1..];
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        tokens.push(Token::Text(literal));
    }
    tokens
}

/// Parses an allowed tag at the start of `text` (which starts with `<`): the token and the
/// bytes it spans. Anything else is not a tag for us and stays text.
fn parse_tag(text: &str) -> Option<(Token, usize)> {
    let end = tag_end(text)?;
    let inner = &text[1..end];
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name_len = inner.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(inner.len());
    let tag = Tag::parse(&inner[..name_len])?;
    let attributes = inner[name_len..].trim_end_matches('/');
    if !attributes.is_empty() && !attributes.starts_with(char::is_whitespace) {
        return None;
    }
    let token = if closing {
        Token::Close(tag)
    } else if tag == Tag::A {
        Token::Open(tag, safe_href(attributes))
    } else {
        Token::Open(tag, None)
    };
    Some((token, end + 1))
}

/// The index of the `>` closing the tag at the start of `text`, skipping quoted values.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return Some(i),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

/// The `href` among the attributes, if it is an http, https or mailto URL.
fn safe_href(attributes: &str) -> Option<String> {
    let href = attribute(attributes, "href")?;
    let href = decode_entities(href.trim());
    let lower = href.to_ascii_lowercase();
    let allowed =
        ["http://", "https://", "mailto:"].iter().any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len());
    (allowed && !href.chars().any(char::is_control)).then_some(href)
}

fn attribute<'a>(attributes: &'a str, wanted: &str) -> Option<&'a str> {
    let mut rest = attributes.trim_start();
    while !rest.is_empty() {
        let name_len = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = &rest[..name_len];
        rest = rest[name_len..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, remaining) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let close = body.find(q).unwrap_or(body.len());
                    (&body[..close], body.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let close = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..close], &after[close..])
                }
            };
            rest = remaining.trim_start();
            value
        } else {
            ""
        };
        if name.eq_ignore_ascii_case(wanted) {
            return Some(value);
        }
        if name_len == 0 {
            // A stray `=` or quote: skip one character so the loop advances.
            let mut chars = rest.chars();
            chars.next();
            rest = chars.as_str();
        }
    }
    None
}

/// The length of a well-formed character reference at the start of `text` (`&amp;`,
/// `&#233;`, `&#xE9;`), if there is one.
fn entity_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix('&')?;
    let semi = body.find(';')?;
    let name = &body[..semi];
    let ok = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        (1..=6).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit())
    } else if let Some(dec) = name.strip_prefix('#') {
        (1..=7).contains(&dec.len()) && dec.chars().all(|c| c.is_ascii_digit())
    } else {
        (2..=32).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric())
    };
    ok.then_some(semi + 2)
}

fn decode_entity(reference: &str) -> Option<char> {
    let name = reference.strip_prefix('&')?.strip_suffix(';')?;
    let code = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse().ok()?
    } else {
        return Some(match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "copy" => '\u{a9}',
            "reg" => '\u{ae}',
            "ndash" => '\u{2013}',
            "mdash" => '\u{2014}',
            "hellip" => '\u{2026}',
            "lsquo" => '\u{2018}',
            "rsquo" => '\u{2019}',
            "ldquo" => '\u{201c}',
            "rdquo" => '\u{201d}',
            "euro" => '\u{20ac}',
            _ => return None,
        });
    };
    char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match entity_len(rest).and_then(|len| Some((len, decode_entity(&rest[..len])?))) {
            Some((len, c)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes markup text for HTML, keeping well-formed character references.
fn escape_keeping_entities(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '&'
            && let Some(len) = entity_len(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        push_escaped(out, c);
        rest = &rest[c.len_utf8()..];
    }
}

struct OpenTag {
    tag: Tag,
    emitted: bool,
    /// For an emitted `a`: its href and where its text starts in the plain output.
    link: Option<(String, usize)>,
    /// For `ol`: the next item number.
    next_item: u32,
}

fn render_markup(tokens: &[Token]) -> PolicyText {
    let mut html = String::new();
    let mut plain = String::new();
    let mut stack: Vec<OpenTag> = Vec::new();
    for token in tokens {
        match token {
            Token::Text(text) => {
                escape_keeping_entities(text, &mut html);
                push_collapsed(&mut plain, &decode_entities(text));
            }
            Token::Open(Tag::Br, _) => {
                html.push_str("<br>");
                plain.push('\n');
            }
            Token::Open(tag, href) => {
                let inside_link = stack.iter().any(|o| o.tag == Tag::A && o.emitted);
                let emitted = *tag != Tag::A || (href.is_some() && !inside_link);
                let mut open = OpenTag { tag: *tag, emitted, link: None, next_item: 1 };
                if emitted {
                    open_tag(&mut html, &mut plain, &mut stack, &mut open, href.as_deref());
                }
                stack.push(open);
            }
            Token::Close(tag) => {
                if let Some(position) = stack.iter().rposition(|o| o.tag == *tag) {
                    while stack.len() > position {
                        if let Some(open) = stack.pop() {
                            close_tag(&mut html, &mut plain, open);
                        }
                    }
                }
            }
        }
    }
    while let Some(open) = stack.pop() {
        close_tag(&mut html, &mut plain, open);
    }
    PolicyText { html: html.trim().to_owned(), plain: tidy_plain(&plain) }
}

fn open_tag(html: &mut String, plain: &mut String, stack: &mut [OpenTag], open: &mut OpenTag, href: Option<&str>) {
    match (open.tag, href) {
        (Tag::A, Some(href)) => {
            let _ = write!(html, "<a href=\"{}\" rel=\"noopener noreferrer\">", escape_html(href));
            open.link = Some((href.to_owned(), plain.len()));
        }
        (tag, _) => {
            let _ = write!(html, "<{}>", tag.name());
        }
    }
    match open.tag {
        Tag::P | Tag::Ul | Tag::Ol => plain.push_str("\n\n"),
        Tag::Li => {
            let list = stack.iter_mut().rev().find(|o| matches!(o.tag, Tag::Ul | Tag::Ol));
            match list {
                Some(list) if list.tag == Tag::Ol => {
                    let _ = write!(plain, "\n{}. ", list.next_item);
                    list.next_item += 1;
                }
                _ => plain.push_str("\n- "),
            }
        }
        _ => {}
    }
}

fn close_tag(html: &mut String, plain: &mut String, open: OpenTag) {
    if !open.emitted {
        return;
    }
    let _ = write!(html, "</{}>", open.tag.name());
    match open.tag {
        Tag::P | Tag::Ul | Tag::Ol => plain.push_str("\n\n"),
        Tag::A => {
            if let Some((href, start)) = open.link {
                let shown = href.strip_prefix("mailto:").unwrap_or(&href);
                let text = plain.get(start..).unwrap_or("").trim();
                if text != shown && text != href {
                    let _ = write!(plain, " ({shown})");
                }
            }
        }
        _ => {}
    }
}

/// Appends text the way HTML shows it: runs of white space become one space.
fn push_collapsed(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_whitespace() {
            if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// Trims every line and keeps at most one blank line in a row.
fn tidy_plain(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        out.push_str(line);
        blank = 0;
    }
    out
}

fn render_plain(text: &str) -> PolicyText {
    let plain = tidy_plain(text);
    let html = plain
        .split("\n\n")
        .map(|paragraph| paragraph.lines().map(escape_html).collect::<Vec<_>>().join("<br>\n"))
        .collect::<Vec<_>>()
        .join("<br><br>\n");
    PolicyText { html, plain }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(text: &str) -> String {
        sanitize(text).html
    }

    fn plain(text: &str) -> String {
        sanitize(text).plain
    }

    #[test]
    fn allowed_tags_pass_normalised() {
        assert_eq!(html("Call <B>now</B>, <em>please</em>."), "Call <b>now</b>, <em>please</em>.");
        assert_eq!(html("one<br/>two<BR>three"), "one<br>two<br>three");
    }

    #[test]
    fn other_tags_show_as_typed() {
        assert_eq!(html("<b>x</b><script>alert(1)</script>"), "<b>x</b>&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(html("<b>x</b><img src=x onerror=alert(1)>"), "<b>x</b>&lt;img src=x onerror=alert(1)&gt;");
    }

    #[test]
    fn attributes_other_than_href_are_dropped() {
        assert_eq!(html("<b onclick=\"evil()\" style=\"x\">bold</b>"), "<b>bold</b>");
        assert_eq!(
            html("<a href=\"https://contoso.com/um\" onclick=\"evil()\">help</a>"),
            "<a href=\"https://contoso.com/um\" rel=\"noopener noreferrer\">help</a>"
        );
    }

    #[test]
    fn only_web_and_mail_links_are_kept() {
        for href in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "jav&#x61;script:alert(1)",
            "//evil.example",
            "https://",
        ] {
            let text = format!("<p><a href=\"{href}\">click</a></p>");
            assert_eq!(html(&text), "<p>click</p>", "{href}");
        }
        assert_eq!(
            html("<a href='mailto:help@contoso.com'>mail us</a>"),
            "<a href=\"mailto:help@contoso.com\" rel=\"noopener noreferrer\">mail us</a>"
        );
    }

    #[test]
    fn href_values_are_escaped() {
        assert_eq!(
            html("<a href=\"https://x.example/?a=1&amp;b=\'2\'\">x</a>"),
            "<a href=\"https://x.example/?a=1&amp;b=&#39;2&#39;\" rel=\"noopener noreferrer\">x</a>"
        );
        assert_eq!(
            html("<a href='https://x.example/\"><script>'>x</a>"),
            "<a href=\"https://x.example/&quot;&gt;&lt;script&gt;\" rel=\"noopener noreferrer\">x</a>"
        );
    }

    #[test]
    fn tags_are_balanced() {
        assert_eq!(html("<b>never closed"), "<b>never closed</b>");
        assert_eq!(html("</b>stray <i>x</i>"), "stray <i>x</i>");
        assert_eq!(html("<b><i>crossed</b></i>"), "<b><i>crossed</i></b>");
        assert_eq!(
            html("<a href=\"https://a.example\">a <a href=\"https://b.example\">b</a></a>"),
            "<a href=\"https://a.example\" rel=\"noopener noreferrer\">a b</a>"
        );
    }

    #[test]
    fn entities_are_kept_and_bare_ampersands_escaped() {
        assert_eq!(html("<b>R&amp;D</b> & sales &copy;"), "<b>R&amp;D</b> &amp; sales &copy;");
        assert_eq!(plain("<b>R&amp;D</b> & sales &#169;"), "R&D & sales \u{a9}");
    }

    #[test]
    fn plain_part_strips_tags_and_keeps_structure() {
        let text = "<p>Your voice mail is ready.</p><p>Tips:</p>\
                    <ul><li>Call <b>often</b></li><li>Keep your PIN secret</li></ul>\
                    <ol><li>one</li><li>two</li></ol>\
                    <p>Help: <a href=\"https://contoso.com/um\">the intranet</a> or \
                    <a href=\"mailto:help@contoso.com\">help@contoso.com</a></p>";
        assert_eq!(
            plain(text),
            "Your voice mail is ready.\n\nTips:\n\n- Call often\n- Keep your PIN secret\n\n\
             1. one\n2. two\n\n\
             Help: the intranet (https://contoso.com/um) or help@contoso.com"
        );
    }

    #[test]
    fn plain_part_shows_rejected_markup_as_typed() {
        assert_eq!(plain("<b>x</b> <script>y</script>"), "x <script>y</script>");
    }

    #[test]
    fn text_without_markup_keeps_its_lines() {
        let text = "Welcome to voice mail.\nCall 4000 from any phone.\n\n\nQuestions? Ask 5 < 6 & co.";
        let rendered = sanitize(text);
        assert_eq!(rendered.plain, "Welcome to voice mail.\nCall 4000 from any phone.\n\nQuestions? Ask 5 < 6 & co.");
        assert_eq!(
            rendered.html,
            "Welcome to voice mail.<br>\nCall 4000 from any phone.<br><br>\n\
             Questions? Ask 5 &lt; 6 &amp; co."
        );
    }

    #[test]
    fn markup_collapses_white_space_like_a_browser() {
        assert_eq!(plain("<p>one\n   two</p>\n\n<p>three</p>"), "one two\n\nthree");
    }

    #[test]
    fn unterminated_tags_are_text() {
        assert_eq!(html("a <b"), "a &lt;b");
        assert_eq!(html("a < b > c"), "a &lt; b &gt; c");
        assert_eq!(html("<bx>y</bx>"), "&lt;bx&gt;y&lt;/bx&gt;");
    }

    #[test]
    fn empty_is_empty() {
        assert!(sanitize("").is_empty());
        assert!(sanitize("  \n ").is_empty());
        assert!(sanitize("<p></p>").is_empty());
    }
}
