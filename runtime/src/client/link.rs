// Input: the values of an answer's `Link` headers (RFC 8288).
// Output: the target of its `rel="next"` link, as written (maybe relative), or why the header
// cannot be read. Written out rather than split on `,` and `;`: a quoted parameter
// (`title="a, b; c"`) may hold both.

/// The target of the first link whose `rel` includes `next` (case-insensitive), across all
/// the `values` (one per `Link` header), or `None` when no link is `next`.
///
/// # Errors
/// What is malformed, never the header's text (a URL there may carry a signature).
pub(super) fn next_target<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Option<&'a str>, String> {
    for value in values {
        let mut links = Links { rest: value };
        while let Some(link) = links.next_link()? {
            if link.next {
                return Ok(Some(link.target));
            }
        }
    }
    Ok(None)
}

struct Link<'a> {
    target: &'a str,
    next: bool,
}

struct Links<'a> {
    rest: &'a str,
}

impl<'a> Links<'a> {
    fn skip(&mut self, what: impl Fn(char) -> bool) {
        self.rest = self.rest.trim_start_matches(what);
    }

    /// The next `<target>; params` of the header value, or `None` at its end.
    fn next_link(&mut self) -> Result<Option<Link<'a>>, String> {
        self.skip(|c| c == ',' || c.is_ascii_whitespace());
        if self.rest.is_empty() {
            return Ok(None);
        }
        let Some(after) = self.rest.strip_prefix('<') else {
            return Err("a link does not start with `<target>`".to_owned());
        };
        let Some(end) = after.find('>') else {
            return Err("a link's `<target>` has no closing `>`".to_owned());
        };
        let target = after[..end].trim();
        self.rest = &after[end + 1..];
        let mut next = false;
        let mut rel_seen = false;
        loop {
            self.skip(|c: char| c.is_ascii_whitespace());
            match self.rest.chars().next() {
                None => break,
                Some(',') => {
                    self.rest = &self.rest[1..];
                    break;
                }
                Some(';') => self.rest = &self.rest[1..],
                Some(_) => return Err("a link's parameters are not separated by `;`".to_owned()),
            }
            let (name, value) = self.param()?;
            // RFC 8288 3.3: only the first `rel` of a link counts.
            if name.eq_ignore_ascii_case("rel") && !rel_seen {
                rel_seen = true;
                next = value
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"));
            }
        }
        Ok(Some(Link { target, next }))
    }

    /// `name`, `name=token` or `name="quoted \" string"`.
    fn param(&mut self) -> Result<(&'a str, String), String> {
        self.skip(|c: char| c.is_ascii_whitespace());
        let end = self
            .rest
            .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_ascii_whitespace())
            .unwrap_or(self.rest.len());
        let name = &self.rest[..end];
        if name.is_empty() {
            return Err("a link has a parameter without a name".to_owned());
        }
        self.rest = &self.rest[end..];
        self.skip(|c: char| c.is_ascii_whitespace());
        let Some(after) = self.rest.strip_prefix('=') else {
            return Ok((name, String::new()));
        };
        self.rest = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if let Some(quoted) = self.rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            while let Some((at, c)) = chars.next() {
                match c {
                    '"' => {
                        self.rest = &quoted[at + 1..];
                        return Ok((name, value));
                    }
                    '\\' => match chars.next() {
                        Some((_, escaped)) => value.push(escaped),
                        None => break,
                    },
                    other => value.push(other),
                }
            }
            return Err(format!(
                "the value of parameter `{name}` has no closing quote"
            ));
        }
        let end = self
            .rest
            .find(|c: char| c == ';' || c == ',' || c.is_ascii_whitespace())
            .unwrap_or(self.rest.len());
        let value = self.rest[..end].to_owned();
        self.rest = &self.rest[end..];
        Ok((name, value))
    }
}

#[cfg(test)]
mod tests {
    use super::next_target;

    fn next(value: &str) -> Result<Option<&str>, String> {
        next_target([value])
    }

    #[test]
    fn the_next_link_is_found_among_several() {
        assert_eq!(
            next(
                r#"<https://a.test/p/1>; rel="prev", <https://a.test/p/3>; rel="next", <https://a.test/p/9>; rel=last"#
            ),
            Ok(Some("https://a.test/p/3"))
        );
    }

    #[test]
    fn a_quoted_parameter_may_hold_commas_semicolons_and_escaped_quotes() {
        assert_eq!(
            next(r#"</a>; title="x, <b>; rel=\"next\"", </b>; rel=next"#),
            Ok(Some("/b"))
        );
    }

    #[test]
    fn rel_is_a_case_insensitive_list_and_only_its_first_occurrence_counts() {
        assert_eq!(next(r#"</a>; REL="Prev NEXT""#), Ok(Some("/a")));
        assert_eq!(next(r#"</a>; rel="prev"; rel="next""#), Ok(None));
    }

    #[test]
    fn links_in_several_headers_are_all_read() {
        assert_eq!(
            next_target([r#"</a>; rel="prev""#, r#"</b>; rel="next""#]),
            Ok(Some("/b"))
        );
    }

    #[test]
    fn no_next_link_is_none() {
        assert_eq!(next(r#"</a>; rel="prev""#), Ok(None));
        assert_eq!(next(""), Ok(None));
    }

    #[test]
    fn a_malformed_link_is_an_error_that_does_not_quote_it() {
        for value in [
            "https://secret.test/a; rel=next",
            "<https://secret.test/a; rel=next",
            r#"<https://secret.test/a>; rel="next"#,
            "<https://secret.test/a> rel=next",
        ] {
            let error = next(value).expect_err(value);
            assert!(!error.contains("secret"), "{error}");
        }
    }
}
