// Input: text a server sent for the user's eyes (a device flow's user code and URLs).
// Output: the same text made safe to print to a terminal: no control characters, no bidi
// overrides, and URLs only when they are http(s).

use reqwest::Url;

/// `text` without the characters that could steer a terminal or hide what it shows: C0 and
/// C1 controls (ESC and CSI start escape sequences that clear the screen, retitle the window
/// or forge a hyperlink; BEL, backspace and carriage return rewrite the line) and Unicode's
/// bidirectional overrides and isolates, which reorder the characters on screen.
pub(crate) fn without_controls(text: &str) -> String {
    text.chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` as an http or https URL, serialized anew (any control character or non-ASCII
/// character in it percent-encoded, so it prints as it reads), or what is wrong with it.
pub(crate) fn http_url(text: &str) -> Result<String, String> {
    let url = Url::parse(text).map_err(|error| format!("not a URL ({error})"))?;
    match url.scheme() {
        "http" | "https" => Ok(without_controls(url.as_str())),
        scheme => Err(format!(
            "a `{}:` URL, not http(s)",
            without_controls(scheme)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_dropped_and_the_rest_kept() {
        assert_eq!(
            without_controls("AB\u{1b}[2J-\u{9b}31mCD\u{7}\u{202e}\r\u{85}é"),
            "AB[2J-31mCDé"
        );
    }

    #[test]
    fn only_http_urls_pass_and_their_controls_are_percent_encoded() {
        assert_eq!(
            http_url("https://auth.example/de\u{7}vice\u{1b}]8;;x\u{7}").unwrap(),
            "https://auth.example/de%07vice%1B]8;;x"
        );
        assert!(
            http_url("javascript:alert(1)")
                .unwrap_err()
                .contains("`javascript:`")
        );
        assert!(http_url("/device").unwrap_err().contains("not a URL"));
    }
}
