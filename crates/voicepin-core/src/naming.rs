//! How front ends spell an Exchange parameter name: the CLI in kebab case
//! (`MinPINLength` -> `--min-pin-length`), the API in camel case (`minPinLength`). One
//! word-splitting rule for both, so an error names the same parameter everywhere.

/// The words of an Exchange parameter name, lower case: `UMMailboxPolicy` -> `um`,
/// `mailbox`, `policy`. A new word starts at a capital after a small letter or digit, and at
/// the last capital of an acronym that a small letter follows (`PINLifetime` -> `pin`, `lifetime`).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_is_lower)
            {
                words.push(std::mem::take(&mut word));
            }
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `MinPINLength` -> `min-pin-length`.
pub fn kebab_case(name: &str) -> String {
    words(name).join("-")
}

/// `MinPINLength` -> `minPinLength`.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, word) in words(name).iter().enumerate() {
        let mut letters = word.chars();
        if let Some(first) = letters.next() {
            out.push(if i == 0 { first } else { first.to_ascii_uppercase() });
            out.push_str(letters.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_names_in_both_spellings() {
        for (name, kebab, camel) in [
            ("MinPINLength", "min-pin-length", "minPinLength"),
            ("PINLifetime", "pin-lifetime", "pinLifetime"),
            ("LogonFailuresBeforePINReset", "logon-failures-before-pin-reset", "logonFailuresBeforePinReset"),
            ("UMEnabledText", "um-enabled-text", "umEnabledText"),
            ("UMMailboxPolicy", "um-mailbox-policy", "umMailboxPolicy"),
            ("NumberOfDigitsInExtension", "number-of-digits-in-extension", "numberOfDigitsInExtension"),
            ("NotifyEmail", "notify-email", "notifyEmail"),
            ("Identity", "identity", "identity"),
            ("Extensions", "extensions", "extensions"),
            ("limit", "limit", "limit"),
        ] {
            assert_eq!((kebab_case(name).as_str(), camel_case(name).as_str()), (kebab, camel), "{name}");
        }
    }
}
