//! The Exchange cmdlet syntax, for administrators with Exchange scripts:
//!
//! ```text
//! voicepin Set-UMMailboxPIN -Identity tonysmith@contoso.com -PIN 1985848 -PinExpired $true
//! ```
//!
//! A cmdlet line is translated into the equivalent `voicepin` command line (`pin set
//! tonysmith@contoso.com --pin 1985848 --pin-expired true`), which clap then parses: both
//! syntaxes share one set of options, checks and messages. Cmdlet and parameter names are
//! case-insensitive; `$true`/`$false`, `-Name:value`, quoted strings and comma lists work as
//! in PowerShell. The whole cmdlet may also come as one argument.

use std::fmt;
use std::sync::LazyLock;

/// A cmdlet line that cannot be translated: an unknown parameter, a missing value.
#[derive(Debug, PartialEq, Eq)]
pub struct CmdletError(pub String);

impl fmt::Display for CmdletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a cmdlet's parameter is carried over.
#[derive(Clone, Copy)]
enum Param {
    /// `-Name value` becomes `--option value`.
    Opt(&'static str, &'static str),
    /// `-Name` (a switch) becomes `--option`.
    Switch(&'static str, &'static str),
    /// The identity (or name) becomes the positional argument.
    Positional(&'static str),
    /// Accepted for Exchange scripts, with a value, and not used.
    IgnoredValue(&'static str),
    /// Accepted for Exchange scripts, as a switch, and not used.
    IgnoredSwitch(&'static str),
    /// SIPResourceIdentifier: an E.164 number becomes a phone number; a SIP URI is not used.
    SipResource,
}

impl Param {
    fn name(self) -> &'static str {
        match self {
            Param::Opt(name, _) | Param::Switch(name, _) | Param::Positional(name) => name,
            Param::IgnoredValue(name) | Param::IgnoredSwitch(name) => name,
            Param::SipResource => "SIPResourceIdentifier",
        }
    }
}

struct Cmdlet {
    name: &'static str,
    command: &'static [&'static str],
    params: &'static [Param],
}

use Param::*;

const COMMON: &[Param] =
    &[IgnoredSwitch("Confirm"), IgnoredValue("DomainController"), IgnoredSwitch("IgnoreDefaultScope")];

const DIAL_PLAN_SETTINGS: &[Param] = &[
    Opt("NumberOfDigitsInExtension", "number-of-digits-in-extension"),
    Opt("AccessTelephoneNumbers", "access-telephone-numbers"),
    Opt("LogonFailuresBeforeDisconnect", "logon-failures-before-disconnect"),
    Opt("InputFailuresBeforeDisconnect", "input-failures-before-disconnect"),
];

const POLICY_SETTINGS: &[Param] = &[
    Opt("MinPINLength", "min-pin-length"),
    Opt("PINLifetime", "pin-lifetime"),
    Opt("PINHistoryCount", "pin-history-count"),
    Opt("AllowCommonPatterns", "allow-common-patterns"),
    Opt("LogonFailuresBeforePINReset", "logon-failures-before-pin-reset"),
    Opt("MaxLogonAttempts", "max-logon-attempts"),
    Opt("ResetPINText", "reset-pin-text"),
    Opt("UMEnabledText", "um-enabled-text"),
    Opt("AllowSubscriberAccess", "allow-subscriber-access"),
    Opt("AllowPinlessVoiceMailAccess", "allow-pinless-voice-mail-access"),
    Opt("BlockExtensionInPin", "block-extension-in-pin"),
    Opt("BlockNameOnKeypad", "block-name-on-keypad"),
    Opt("BlockRepeatedGroups", "block-repeated-groups"),
    Opt("RequireThreeDistinctDigits", "require-three-distinct-digits"),
    Opt("BlockDigitRuns", "block-digit-runs"),
    Opt("BlockKeypadLines", "block-keypad-lines"),
    Opt("BlockCommonPins", "block-common-pins"),
    Opt("BlockReversedHistory", "block-reversed-history"),
];

const MAILBOX_PROPERTIES: &[Param] = &[
    Opt("Extensions", "extension"),
    Opt("DisplayName", "display-name"),
    Opt("FirstName", "first-name"),
    Opt("LastName", "last-name"),
    Opt("Alias", "alias"),
    Opt("PhoneNumbers", "phone-number"),
    Opt("SubscriberAccessEnabled", "subscriber-access-enabled"),
    Opt("PinlessAccessToVoiceMailEnabled", "pinless-access-to-voice-mail-enabled"),
];

const LIST: &[Param] = &[
    Opt("Anr", "search"),
    Opt("ResultSize", "result-size"),
    Opt("UMMailboxPolicy", "policy"),
    Opt("UMDialPlan", "dial-plan"),
    Opt("LockedOut", "locked-out"),
];

const CMDLETS: &[Cmdlet] = &[
    Cmdlet {
        name: "New-UMDialPlan",
        command: &["dialplan", "new"],
        params: &[
            Positional("Name"),
            Opt("GenerateUMMailboxPolicy", "generate-um-mailbox-policy"),
            Opt("CountryOrRegionCode", "country-or-region-code"),
            Opt("URIType", "uri-type"),
        ],
    },
    Cmdlet { name: "Get-UMDialPlan", command: &["dialplan", "get"], params: &[Positional("Identity")] },
    Cmdlet {
        name: "Set-UMDialPlan",
        command: &["dialplan", "set"],
        params: &[Positional("Identity"), Opt("Name", "name")],
    },
    Cmdlet { name: "Remove-UMDialPlan", command: &["dialplan", "remove"], params: &[Positional("Identity")] },
    Cmdlet {
        name: "New-UMMailboxPolicy",
        command: &["policy", "new"],
        params: &[Positional("Name"), Opt("UMDialPlan", "dial-plan")],
    },
    Cmdlet {
        name: "Get-UMMailboxPolicy",
        command: &["policy", "get"],
        params: &[Positional("Identity"), Opt("UMDialPlan", "dial-plan")],
    },
    Cmdlet {
        name: "Set-UMMailboxPolicy",
        command: &["policy", "set"],
        params: &[Positional("Identity"), Opt("Name", "name")],
    },
    Cmdlet { name: "Remove-UMMailboxPolicy", command: &["policy", "remove"], params: &[Positional("Identity")] },
    Cmdlet {
        name: "Enable-UMMailbox",
        command: &["mailbox", "enable"],
        params: &[
            Positional("Identity"),
            Opt("UMMailboxPolicy", "policy"),
            Opt("PIN", "pin"),
            Opt("PINExpired", "pin-expired"),
            Opt("NotifyEmail", "notify-email"),
            Switch("ValidateOnly", "validate-only"),
            Switch("WhatIf", "validate-only"),
            SipResource,
            IgnoredValue("PilotNumber"),
            IgnoredValue("AutomaticSpeechRecognitionEnabled"),
        ],
    },
    Cmdlet {
        name: "Disable-UMMailbox",
        command: &["mailbox", "disable"],
        params: &[Positional("Identity"), Opt("KeepProperties", "keep-properties")],
    },
    Cmdlet { name: "Get-UMMailbox", command: &["mailbox", "get"], params: &[Positional("Identity")] },
    Cmdlet {
        name: "Set-UMMailbox",
        command: &["mailbox", "set"],
        params: &[Positional("Identity"), Opt("UMMailboxPolicy", "policy")],
    },
    Cmdlet { name: "Get-UMMailboxPIN", command: &["pin", "get"], params: &[Positional("Identity")] },
    Cmdlet {
        name: "Set-UMMailboxPIN",
        command: &["pin", "set"],
        params: &[
            Positional("Identity"),
            Opt("PIN", "pin"),
            Opt("PINExpired", "pin-expired"),
            Opt("LockedOut", "locked-out"),
            Opt("SendEmail", "send-email"),
            Opt("NotifyEmail", "notify-email"),
        ],
    },
];

/// The parameters a cmdlet takes beyond its own list.
fn shared_params(cmdlet: &Cmdlet) -> &'static [Param] {
    match cmdlet.name {
        "New-UMDialPlan" | "Set-UMDialPlan" => DIAL_PLAN_SETTINGS,
        "New-UMMailboxPolicy" | "Set-UMMailboxPolicy" => POLICY_SETTINGS,
        "Enable-UMMailbox" | "Set-UMMailbox" => MAILBOX_PROPERTIES,
        "Get-UMMailbox" | "Get-UMMailboxPIN" => LIST,
        _ => &[],
    }
}

fn find_cmdlet(name: &str) -> Option<&'static Cmdlet> {
    CMDLETS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// voicepin's own global options that take a value (`--server URL`, `--config FILE` ...),
/// read from the command line's definition so none is forgotten: kept as they are, before or
/// after the cmdlet, so a cmdlet runs on a server exactly as it runs locally.
static GLOBAL_WITH_VALUE: LazyLock<Vec<String>> = LazyLock::new(|| {
    use clap::CommandFactory as _;
    crate::cli::Cli::command()
        .get_arguments()
        .filter(|arg| arg.is_global_set() && arg.get_action().takes_values())
        .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
        .collect()
});

/// Whether `name` is one of [`GLOBAL_WITH_VALUE`].
fn is_global_with_value(name: &str) -> bool {
    GLOBAL_WITH_VALUE.iter().any(|global| global == name)
}

/// `--server=URL` and the like.
fn is_global_with_inline_value(token: &str) -> bool {
    token.split_once('=').is_some_and(|(name, _)| is_global_with_value(name))
}

/// Translates a whole command line if it holds a cmdlet: `None` when it does not (an
/// ordinary `voicepin` command line), the translated line otherwise. Options before the
/// cmdlet (`--data-dir`, `--server`, `--token`, `--json`) are kept.
pub fn translate_args(args: &[String]) -> Result<Option<Vec<String>>, CmdletError> {
    let Some((program, rest)) = args.split_first() else { return Ok(None) };
    let mut leading = Vec::new();
    let mut iter = rest.iter();
    while let Some(arg) = iter.next() {
        if arg.starts_with('-') {
            leading.push(arg.clone());
            if is_global_with_value(arg) {
                leading.extend(iter.next().cloned());
            }
            continue;
        }
        let words: Vec<String> = if arg.contains(char::is_whitespace) && !arg.starts_with(['"', '\'']) {
            split_words(arg)?
        } else {
            vec![arg.clone()]
        };
        let Some(cmdlet) = words.first().and_then(|w| find_cmdlet(w)) else { return Ok(None) };
        let tokens: Vec<String> = words.into_iter().skip(1).chain(iter.cloned()).collect();
        let mut translated = vec![program.clone()];
        translated.extend(leading);
        translated.extend(translate(cmdlet, &tokens)?);
        return Ok(Some(translated));
    }
    Ok(None)
}

fn translate(cmdlet: &Cmdlet, tokens: &[String]) -> Result<Vec<String>, CmdletError> {
    let params: Vec<Param> = cmdlet.params.iter().chain(shared_params(cmdlet)).chain(COMMON).copied().collect();
    let mut out: Vec<String> = cmdlet.command.iter().map(|s| s.to_string()).collect();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        i += 1;
        if token == "--json" || is_global_with_inline_value(token) {
            out.push(token.clone());
            continue;
        }
        if is_global_with_value(token) {
            out.push(token.clone());
            out.extend(tokens.get(i).cloned());
            i += 1;
            continue;
        }
        let Some(spec) = token.strip_prefix('-').filter(|s| s.starts_with(|c: char| c.is_ascii_alphabetic())) else {
            // A value without a parameter name is the positional Identity (or Name).
            match params.iter().find(|p| matches!(p, Positional(_))) {
                Some(_) => out.push(unquote(token)),
                None => return Err(CmdletError(format!("{}: unexpected value {token:?}", cmdlet.name))),
            }
            continue;
        };
        let (name, inline) = match spec.split_once(':') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (spec, None),
        };
        let param = params.iter().find(|p| p.name().eq_ignore_ascii_case(name)).copied().ok_or_else(|| {
            let allowed: Vec<String> = params
                .iter()
                .filter(|p| !matches!(p, IgnoredSwitch(_) | IgnoredValue(_)))
                .map(|p| format!("-{}", p.name()))
                .collect();
            CmdletError(format!("{}: unknown parameter -{name} (allowed: {})", cmdlet.name, allowed.join(", ")))
        })?;
        let mut take_value = || -> Result<String, CmdletError> {
            if let Some(value) = &inline {
                return Ok(value.clone());
            }
            let mut value = tokens
                .get(i)
                .filter(|t| !is_parameter(t))
                .ok_or_else(|| CmdletError(format!("{}: parameter -{} needs a value", cmdlet.name, param.name())))?
                .clone();
            i += 1;
            // PowerShell lists may be spaced: -Extensions 12345, 23456
            while value.ends_with(',') && i < tokens.len() {
                value.push_str(&tokens[i]);
                i += 1;
            }
            Ok(value)
        };
        match param {
            Positional(_) => out.push(unquote(&take_value()?)),
            Opt(_, long) => {
                let value = powershell_value(&take_value()?);
                out.push(format!("--{long}"));
                out.push(value);
            }
            Switch(_, long) => {
                let on = match &inline {
                    Some(value) => {
                        crate::cli::parse_bool(value).map_err(|e| CmdletError(format!("-{}: {e}", param.name())))?
                    }
                    None => true,
                };
                if on && !out.iter().any(|o| o == &format!("--{long}")) {
                    out.push(format!("--{long}"));
                }
            }
            IgnoredValue(_) => {
                take_value()?;
            }
            IgnoredSwitch(_) => {}
            SipResource => {
                let value = powershell_value(&take_value()?);
                if value.starts_with('+') {
                    out.push("--phone-number".into());
                    out.push(value);
                }
            }
        }
    }
    Ok(out)
}

fn is_parameter(token: &str) -> bool {
    token.strip_prefix('-').is_some_and(|s| s.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// `$true` and `$false` as clap reads them; quotes removed.
fn powershell_value(text: &str) -> String {
    let value = unquote(text);
    match value.to_ascii_lowercase().as_str() {
        "$true" => "true".into(),
        "$false" => "false".into(),
        _ => value,
    }
}

fn unquote(text: &str) -> String {
    let text = text.trim();
    for quote in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            return text[1..text.len() - 1].to_owned();
        }
    }
    text.to_owned()
}

/// Splits one string holding a whole cmdlet line into words, honouring quotes.
fn split_words(line: &str) -> Result<Vec<String>, CmdletError> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(CmdletError("unterminated quote in the cmdlet line".into()));
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(line: &[&str]) -> Result<Option<Vec<String>>, CmdletError> {
        let args: Vec<String> = std::iter::once("voicepin").chain(line.iter().copied()).map(String::from).collect();
        translate_args(&args).map(|o| o.map(|v| v.into_iter().skip(1).collect()))
    }

    #[test]
    fn the_seeds_example() {
        let out =
            t(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "-PIN", "1985848", "-PinExpired", "$true"]);
        assert_eq!(
            out.unwrap().unwrap(),
            ["pin", "set", "tonysmith@contoso.com", "--pin", "1985848", "--pin-expired", "true"]
        );
    }

    #[test]
    fn names_are_case_insensitive_and_colon_values_work() {
        let out = t(&["set-ummailboxpin", "-identity", "tony@contoso.com", "-lockedout:$false"]);
        assert_eq!(out.unwrap().unwrap(), ["pin", "set", "tony@contoso.com", "--locked-out", "false"]);
    }

    #[test]
    fn one_argument_with_quotes() {
        let out = t(&[
            r#"Set-UMMailboxPolicy -Identity "Contoso Policy" -ResetPINText 'Call the help desk' -MinPINLength 8"#,
        ]);
        assert_eq!(
            out.unwrap().unwrap(),
            ["policy", "set", "Contoso Policy", "--reset-pin-text", "Call the help desk", "--min-pin-length", "8"]
        );
    }

    #[test]
    fn positional_identity_and_lists() {
        let out = t(&[
            "Enable-UMMailbox",
            "tony@contoso.com",
            "-UMMailboxPolicy",
            "P",
            "-Extensions",
            "12345,",
            "23456",
            "-ValidateOnly",
        ]);
        assert_eq!(
            out.unwrap().unwrap(),
            ["mailbox", "enable", "tony@contoso.com", "--policy", "P", "--extension", "12345,23456", "--validate-only"]
        );
    }

    #[test]
    fn leading_options_are_kept() {
        let out = t(&["--data-dir", "/tmp/x", "--json", "Get-UMMailboxPIN", "-Identity", "tony@contoso.com"]);
        assert_eq!(out.unwrap().unwrap(), ["--data-dir", "/tmp/x", "--json", "pin", "get", "tony@contoso.com"]);
    }

    #[test]
    fn server_options_are_kept_before_and_after_the_cmdlet() {
        let out =
            t(&["--server", "https://vp.contoso.com", "--token", "vpt_x", "Get-UMMailboxPIN", "tony@contoso.com"]);
        assert_eq!(
            out.unwrap().unwrap(),
            ["--server", "https://vp.contoso.com", "--token", "vpt_x", "pin", "get", "tony@contoso.com"]
        );
        let out =
            t(&["Set-UMMailboxPIN -Identity tony@contoso.com -LockedOut $false", "--server=http://127.0.0.1:8080"]);
        assert_eq!(
            out.unwrap().unwrap(),
            ["pin", "set", "tony@contoso.com", "--locked-out", "false", "--server=http://127.0.0.1:8080"]
        );
        let out = t(&["Get-UMMailbox", "-Identity", "tony@contoso.com", "--token-file", "/run/t", "--json"]);
        assert_eq!(out.unwrap().unwrap(), ["mailbox", "get", "tony@contoso.com", "--token-file", "/run/t", "--json"]);
    }

    #[test]
    fn every_global_option_with_a_value_is_kept() {
        assert_eq!(*GLOBAL_WITH_VALUE, ["--data-dir", "--config", "--server", "--token", "--token-file"]);
        let out = t(&["--config", "vp.toml", "Get-UMMailboxPIN", "-Identity", "tony@contoso.com"]);
        assert_eq!(out.unwrap().unwrap(), ["--config", "vp.toml", "pin", "get", "tony@contoso.com"]);
    }

    #[test]
    fn ordinary_commands_are_left_alone() {
        assert_eq!(t(&["pin", "get"]).unwrap(), None);
        assert_eq!(t(&["--json", "policy", "get"]).unwrap(), None);
    }

    #[test]
    fn unknown_parameters_are_named() {
        let err = t(&["Set-UMMailboxPIN", "-Identity", "x@y.z", "-Colour", "blue"]).unwrap_err();
        assert!(err.0.starts_with("Set-UMMailboxPIN: unknown parameter -Colour (allowed: -Identity, -PIN"), "{err}");
        let err = t(&["Set-UMMailboxPIN", "-Identity", "x@y.z", "-PIN"]).unwrap_err();
        assert_eq!(err.0, "Set-UMMailboxPIN: parameter -PIN needs a value");
    }

    #[test]
    fn common_parameters_are_accepted() {
        let out = t(&["Remove-UMMailboxPolicy", "-Identity", "P", "-Confirm:$false", "-DomainController", "dc1"]);
        assert_eq!(out.unwrap().unwrap(), ["policy", "remove", "P"]);
    }

    #[test]
    fn sip_resource_identifier() {
        let out = t(&["Enable-UMMailbox", "-Identity", "a@b.c", "-SIPResourceIdentifier", "+14255550100"]);
        assert_eq!(out.unwrap().unwrap(), ["mailbox", "enable", "a@b.c", "--phone-number", "+14255550100"]);
        let out = t(&["Enable-UMMailbox", "-Identity", "a@b.c", "-SIPResourceIdentifier", "a@b.c"]);
        assert_eq!(out.unwrap().unwrap(), ["mailbox", "enable", "a@b.c"]);
    }
}
