//! The prompts callers hear, loaded and encoded once at start.
//!
//! The English set is built into the binary (`prompts/*.wav`, made by
//! `scripts/make-prompts.sh` from `prompts/prompts.txt` with espeak-ng). An administrator
//! may point to a folder of recorded prompts: a `NAME.wav` there (8 kHz mono; 16-bit PCM,
//! μ-law or A-law) replaces the built-in prompt of that name, the others stay. Every prompt
//! is held encoded for both G.711 laws, ready to be cut into 20 ms packets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use thiserror::Error;
use voicepin_core::callflow::Prompt;

use crate::media::g711::Law;

/// Why the prompts could not be loaded.
#[derive(Debug, Error)]
pub enum PromptError {
    /// A recorded prompt could not be read.
    #[error("cannot read prompt {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A prompt is not an 8 kHz mono WAV file this module reads.
    #[error("prompt {name}: {reason}")]
    Format {
        /// The prompt's name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A WAV file in the prompt folder is named after no prompt (a typo would otherwise
    /// leave the built-in prompt playing unnoticed).
    #[error(
        "prompt folder: {path} is named after no prompt (the names are those of the built-in set, e.g. welcome.wav)"
    )]
    UnknownName {
        /// The file.
        path: PathBuf,
    },
}

impl PromptError {
    /// A stable code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "prompt-unreadable",
            Self::Format { .. } => "prompt-format",
            Self::UnknownName { .. } => "prompt-unknown-name",
        }
    }
}

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/", $name, ".wav")))),*]
    };
}

static EMBEDDED: &[(&str, &[u8])] = embedded![
    "welcome",
    "enter-extension",
    "enter-pin",
    "enter-pin-or-star",
    "incorrect-pin-or-extension",
    "invalid-entry",
    "no-input",
    "too-many-failures",
    "goodbye",
    "system-error",
    "pin-expired",
    "enter-new-pin",
    "enter-pin-again",
    "pins-dont-match",
    "pin-changed",
    "record-name",
    "record-personal-greeting",
    "record-out-of-office-greeting",
    "beep",
    "review-recording",
    "recording-saved",
    "you-have",
    "no",
    "number-0",
    "number-1",
    "number-2",
    "number-3",
    "number-4",
    "number-5",
    "number-6",
    "number-7",
    "number-8",
    "number-9",
    "new-voice-message",
    "new-voice-messages",
    "main-menu",
    "personal-options",
    "turn-out-of-office-on",
    "turn-out-of-office-off",
    "personal-options-rest",
    "out-of-office-on",
    "out-of-office-off",
    "greetings-menu",
    "rule-not-numeric",
    "rule-too-short",
    "rule-too-long",
    "rule-recently-used",
    "rule-consecutive-digits",
    "rule-same-digit",
    "rule-extension-suffix",
    "rule-contains-extension",
    "rule-name-on-keypad",
    "rule-repeated-group",
    "rule-too-few-distinct-digits",
    "rule-digit-run",
    "rule-keypad-line",
    "rule-common-pin",
    "rule-reversed-previous-pin",
];

/// The built-in prompt names, in `prompts.txt` order.
pub fn names() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|&(name, _)| name)
}

/// One prompt, encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptAudio {
    /// μ-law bytes (PCMU payloads, 8 000 a second).
    pub pcmu: Vec<u8>,
    /// A-law bytes (PCMA payloads).
    pub pcma: Vec<u8>,
}

impl PromptAudio {
    fn from_samples(samples: &[i16]) -> Self {
        Self { pcmu: Law::MuLaw.encode_all(samples), pcma: Law::ALaw.encode_all(samples) }
    }

    /// The bytes for one law.
    pub fn encoded(&self, law: Law) -> &[u8] {
        match law {
            Law::MuLaw => &self.pcmu,
            Law::ALaw => &self.pcma,
        }
    }

    /// How long it plays.
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.pcmu.len() as u64 / 8)
    }
}

/// Every prompt, encoded.
#[derive(Clone, Debug)]
pub struct PromptSet {
    by_name: HashMap<&'static str, PromptAudio>,
    silence: PromptAudio,
}

impl PromptSet {
    /// The built-in English prompts.
    pub fn embedded() -> Result<Self, PromptError> {
        Self::load(None)
    }

    /// The built-in prompts, each replaced by `folder/NAME.wav` when that file exists. The
    /// folder must exist, and every `.wav` file in it must be named after a prompt.
    pub fn load(folder: Option<&Path>) -> Result<Self, PromptError> {
        if let Some(folder) = folder {
            check_folder(folder)?;
        }
        let mut by_name = HashMap::with_capacity(EMBEDDED.len());
        for &(name, bytes) in EMBEDDED {
            let recorded = match folder {
                Some(folder) => read_optional(&folder.join(format!("{name}.wav")))?,
                None => None,
            };
            let samples = decode_wav(name, recorded.as_deref().unwrap_or(bytes))?;
            if samples.is_empty() {
                return Err(PromptError::Format { name: name.to_owned(), reason: "no audio" });
            }
            by_name.insert(name, PromptAudio::from_samples(&samples));
        }
        Ok(Self { by_name, silence: PromptAudio::from_samples(&[0; 160]) })
    }

    /// A prompt's audio (20 ms of silence for a name with no file, which the tests rule out).
    pub fn get(&self, prompt: Prompt) -> &PromptAudio {
        self.by_name.get(prompt.name()).unwrap_or(&self.silence)
    }

    /// The bytes of several prompts in a row, in one law (what one `Play` action sends).
    pub fn sequence(&self, prompts: &[Prompt], law: Law) -> Vec<u8> {
        prompts.iter().flat_map(|&prompt| self.get(prompt).encoded(law).iter().copied()).collect()
    }
}

/// The folder can be listed, and each WAV file in it replaces a prompt.
fn check_folder(folder: &Path) -> Result<(), PromptError> {
    let io = |source| PromptError::Io { path: folder.to_owned(), source };
    for entry in std::fs::read_dir(folder).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let is_wav = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav"));
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if is_wav && !names().any(|name| name == stem) {
            return Err(PromptError::UnknownName { path });
        }
    }
    Ok(())
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, PromptError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PromptError::Io { path: path.to_owned(), source }),
    }
}

/// Linear samples of an 8 kHz mono WAV file: 16-bit PCM, μ-law or A-law.
pub fn decode_wav(name: &str, bytes: &[u8]) -> Result<Vec<i16>, PromptError> {
    let fail = |reason| PromptError::Format { name: name.to_owned(), reason };
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(fail("not a RIFF WAVE file"));
    }
    let mut format = None;
    let mut offset = 12;
    while offset + 8 <= bytes.len() {
        let id = &bytes[offset..offset + 4];
        let size = u32::from_le_bytes([bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7]]);
        let start = offset + 8;
        let end = start.saturating_add(size as usize).min(bytes.len());
        let body = &bytes[start..end];
        match id {
            b"fmt " if body.len() >= 16 => {
                let word = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
                let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                if word(2) != 1 {
                    return Err(fail("not mono"));
                }
                if rate != 8000 {
                    return Err(fail("not 8 kHz"));
                }
                format = Some((word(0), word(14)));
            }
            b"data" => {
                return match format {
                    Some((1, 16)) => Ok(body.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()),
                    Some((7, 8)) => Ok(body.iter().map(|&b| Law::MuLaw.decode(b)).collect()),
                    Some((6, 8)) => Ok(body.iter().map(|&b| Law::ALaw.decode(b)).collect()),
                    // WAVE_FORMAT_EXTENSIBLE and the rest: convert with sox first.
                    Some(_) => Err(fail("not 16-bit PCM, mu-law or A-law")),
                    None => Err(fail("data before fmt")),
                };
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        offset = start.saturating_add(size as usize + (size as usize & 1));
    }
    Err(fail("no data chunk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(format: u16, bits: u16, rate: u32, channels: u16, data: &[u8]) -> Vec<u8> {
        let mut out = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        out.extend(16u32.to_le_bytes());
        out.extend(format.to_le_bytes());
        out.extend(channels.to_le_bytes());
        out.extend(rate.to_le_bytes());
        out.extend((rate * u32::from(bits / 8)).to_le_bytes());
        out.extend((bits / 8).to_le_bytes());
        out.extend(bits.to_le_bytes());
        out.extend(b"LIST\x03\0\0\0abc\0");
        out.extend(b"data");
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn every_flow_prompt_is_built_in_and_listed() {
        let set = PromptSet::embedded().unwrap();
        let listed = include_str!("../../prompts/prompts.txt");
        for prompt in Prompt::all() {
            assert!(names().any(|n| n == prompt.name()), "{} has no file", prompt.name());
            assert!(listed.lines().any(|l| l.split('\t').next() == Some(prompt.name())), "{}", prompt.name());
            let audio = set.get(prompt);
            assert!(audio.pcmu.len() >= 800, "{} is shorter than 100 ms", prompt.name());
            assert_eq!(audio.pcmu.len(), audio.pcma.len());
        }
        assert_eq!(names().count(), Prompt::all().len(), "no file without a prompt");
    }

    #[test]
    fn the_built_in_set_stays_small() {
        let total: usize = EMBEDDED.iter().map(|(_, bytes)| bytes.len()).sum();
        assert!(total < 2_000_000, "{total} bytes");
    }

    #[test]
    fn reads_pcm_and_g711_wav() {
        let pcm = wav(1, 16, 8000, 1, &[0x10, 0x00, 0xF0, 0xFF]);
        assert_eq!(decode_wav("x", &pcm).unwrap(), [16, -16]);
        assert_eq!(decode_wav("x", &wav(7, 8, 8000, 1, &[0xFF, 0x80])).unwrap(), [0, 32124]);
        assert_eq!(decode_wav("x", &wav(6, 8, 8000, 1, &[0xD5])).unwrap(), [8]);
    }

    #[test]
    fn refuses_what_it_cannot_play() {
        let reason = |bytes: &[u8]| match decode_wav("x", bytes) {
            Err(PromptError::Format { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(&wav(1, 16, 16000, 1, &[0, 0])), "not 8 kHz");
        assert_eq!(reason(&wav(1, 16, 8000, 2, &[0, 0])), "not mono");
        assert_eq!(reason(&wav(3, 32, 8000, 1, &[0; 4])), "not 16-bit PCM, mu-law or A-law");
        assert_eq!(reason(b"RIFX"), "not a RIFF WAVE file");
        assert_eq!(reason(&wav(1, 16, 8000, 1, &[])[..36]), "no data chunk");
    }

    #[test]
    fn a_folder_replaces_prompts_by_name() {
        let folder = std::env::temp_dir().join(format!("voicepin-prompts-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("goodbye.wav"), wav(7, 8, 8000, 1, &[0x80; 1600])).unwrap();
        let set = PromptSet::load(Some(&folder)).unwrap();
        assert_eq!(set.get(Prompt::Goodbye).pcmu, vec![0x80; 1600]);
        assert_eq!(set.get(Prompt::Goodbye).duration(), std::time::Duration::from_millis(200));
        assert_eq!(set.get(Prompt::Welcome), PromptSet::embedded().unwrap().get(Prompt::Welcome));
        std::fs::write(folder.join("welcome.wav"), b"nonsense").unwrap();
        let error = PromptSet::load(Some(&folder)).unwrap_err();
        assert!(error.to_string().starts_with("prompt welcome: not a RIFF WAVE file"), "{error}");
        std::fs::write(folder.join("welcome.wav"), wav(7, 8, 8000, 1, &[])).unwrap();
        assert!(PromptSet::load(Some(&folder)).unwrap_err().to_string().contains("no audio"));
        std::fs::remove_file(folder.join("welcome.wav")).unwrap();
        std::fs::write(folder.join("good-bye.wav"), wav(7, 8, 8000, 1, &[0x80; 1600])).unwrap();
        let error = PromptSet::load(Some(&folder)).unwrap_err();
        assert_eq!(error.code(), "prompt-unknown-name");
        assert!(error.to_string().contains("good-bye.wav"), "{error}");
        std::fs::remove_dir_all(&folder).unwrap();
        let error = PromptSet::load(Some(&folder)).unwrap_err();
        assert_eq!(error.code(), "prompt-unreadable");
        assert!(error.to_string().contains("voicepin-prompts-"), "{error}");
        let sequence = set.sequence(&[Prompt::Goodbye, Prompt::Goodbye], Law::MuLaw);
        assert_eq!(sequence.len(), 3200);
    }
}
