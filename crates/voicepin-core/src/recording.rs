//! A mailbox's recordings: the recorded name and the two greetings (exchange-um.md §5.3),
//! kept as 8 kHz G.711 μ-law audio, bounded in length, and given to a browser as WAV.

use std::fmt;

use time::OffsetDateTime;

use crate::error::InvalidValue;
use crate::ids::MailboxId;

/// Samples per second of every recording (G.711).
pub const SAMPLE_RATE: u32 = 8000;

/// The longest recording: MaxGreetingDuration's largest value, 10 minutes.
pub const MAX_RECORDING_SECONDS: u32 = 600;

/// The most bytes (one per sample) a recording holds.
pub const MAX_RECORDING_BYTES: usize = (SAMPLE_RATE * MAX_RECORDING_SECONDS) as usize;

/// What a recording is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordingKind {
    /// The recorded name (Exchange's msExchUMSpokenName).
    Name,
    /// The personal greeting callers hear.
    PersonalGreeting,
    /// The out-of-office greeting.
    OutOfOfficeGreeting,
}

impl RecordingKind {
    /// Every kind, in the order pages show them.
    pub const ALL: [RecordingKind; 3] = [Self::Name, Self::PersonalGreeting, Self::OutOfOfficeGreeting];

    /// A stable name for storage, URLs and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::PersonalGreeting => "personal-greeting",
            Self::OutOfOfficeGreeting => "out-of-office-greeting",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Recorded name",
            Self::PersonalGreeting => "Personal greeting",
            Self::OutOfOfficeGreeting => "Out-of-office greeting",
        }
    }

    /// The kind of a stable name.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        Self::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(text.trim())).ok_or_else(|| {
            InvalidValue::new("Recording", "name, personal-greeting, out-of-office-greeting", text.to_owned())
        })
    }
}

impl fmt::Display for RecordingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Recorded audio: 8 kHz G.711 μ-law, one byte per sample, 1 byte to [`MAX_RECORDING_BYTES`].
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedAudio(Vec<u8>);

impl RecordedAudio {
    /// Checks the length of μ-law samples.
    pub fn from_mulaw(samples: Vec<u8>) -> Result<Self, InvalidValue> {
        if samples.is_empty() || samples.len() > MAX_RECORDING_BYTES {
            return Err(InvalidValue::new(
                "Recording",
                &format!("1 to {MAX_RECORDING_BYTES} samples of 8 kHz audio ({MAX_RECORDING_SECONDS} s)"),
                format!("{} samples", samples.len()),
            ));
        }
        Ok(Self(samples))
    }

    /// The μ-law samples.
    pub fn mulaw(&self) -> &[u8] {
        &self.0
    }

    /// The length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.0.len() as u64 * 1000 / u64::from(SAMPLE_RATE)
    }

    /// A WAV file of 16-bit linear PCM (what every browser's `<audio>` plays).
    pub fn to_wav(&self) -> Vec<u8> {
        let data_len = u32::try_from(self.0.len() * 2).unwrap_or(u32::MAX);
        let mut wav = Vec::with_capacity(44 + self.0.len() * 2);
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + data_len).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
        wav.extend_from_slice(&1u16.to_le_bytes()); // mono
        wav.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
        wav.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
        wav.extend_from_slice(&2u16.to_le_bytes());
        wav.extend_from_slice(&16u16.to_le_bytes());
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&data_len.to_le_bytes());
        for &byte in &self.0 {
            wav.extend_from_slice(&mulaw_to_linear(byte).to_le_bytes());
        }
        wav
    }
}

/// Only the length: audio is personal data and useless in a log.
impl fmt::Debug for RecordedAudio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordedAudio({} ms)", self.duration_ms())
    }
}

/// G.711 μ-law to 16-bit linear (ITU-T G.711, the usual bias-and-shift decoder).
pub fn mulaw_to_linear(byte: u8) -> i16 {
    let byte = !byte;
    let exponent = (byte >> 4) & 0x07;
    let mantissa = i32::from(byte & 0x0f);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    let value = if byte & 0x80 != 0 { -magnitude } else { magnitude };
    i16::try_from(value).unwrap_or(if value < 0 { i16::MIN } else { i16::MAX })
}

/// One stored recording of a mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    /// Whose.
    pub mailbox_id: MailboxId,
    /// Which.
    pub kind: RecordingKind,
    /// The audio.
    pub audio: RecordedAudio,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

/// What a list of recordings says about one, without its audio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordingInfo {
    /// Which.
    pub kind: RecordingKind,
    /// Its length in milliseconds.
    pub duration_ms: u64,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

impl Recording {
    /// The list entry of this recording.
    pub fn info(&self) -> RecordingInfo {
        RecordingInfo { kind: self.kind, duration_ms: self.audio.duration_ms(), recorded_at: self.recorded_at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_bounded_and_never_shown() {
        assert!(RecordedAudio::from_mulaw(Vec::new()).is_err());
        assert!(RecordedAudio::from_mulaw(vec![0xff; MAX_RECORDING_BYTES + 1]).is_err());
        let audio = RecordedAudio::from_mulaw(vec![0xff; 8000]).unwrap();
        assert_eq!(audio.duration_ms(), 1000);
        assert_eq!(format!("{audio:?}"), "RecordedAudio(1000 ms)");
    }

    #[test]
    fn wav_is_16_bit_pcm_of_the_decoded_samples() {
        let audio = RecordedAudio::from_mulaw(vec![0xff, 0x7f, 0x00, 0x80]).unwrap();
        let wav = audio.to_wav();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize, wav.len() - 8);
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 8000);
        assert_eq!(u32::from_le_bytes(wav[40..44].try_into().unwrap()), 8);
        let samples: Vec<i16> = wav[44..].chunks(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        // 0xff and 0x7f are the two zeros; 0x00 and 0x80 the negative and positive peaks.
        assert_eq!(samples, [0, 0, -32124, 32124]);
    }

    #[test]
    fn kinds_round_trip() {
        for kind in RecordingKind::ALL {
            assert_eq!(RecordingKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(RecordingKind::parse("voicemail").is_err());
    }
}
