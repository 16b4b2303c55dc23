//! Recording the caller (their name, a greeting) from the RTP audio they send: G.711 in
//! either law decoded and kept as 8 kHz μ-law, up to a maximum length; a long silence after
//! speech, or none at all, ends it by itself. Sans-IO: packets and the time come in, and
//! [`Recorder::poll`] says when it is over.

use std::time::Duration;

use crate::media::g711::Law;

/// How long a silence ends a recording (after speech, or from the start when nobody speaks).
pub const SILENCE_ENDS_AFTER: Duration = Duration::from_secs(5);

/// Mean absolute level (16-bit linear) above which a packet counts as sound, about −42 dBFS:
/// above line noise and comfort noise, below quiet speech.
const VOICE_LEVEL: u32 = 260;

/// The silence kept before the first sound (250 ms) and after the last (500 ms), in samples.
const LEAD_IN: usize = 2000;
const LEAD_OUT: usize = 4000;

/// Why a recording ended by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordingEnd {
    /// It reached its maximum length.
    MaxLength,
    /// The caller was silent for [`SILENCE_ENDS_AFTER`].
    Silence,
}

/// One recording under way.
#[derive(Debug)]
pub struct Recorder {
    samples: Vec<u8>,
    max_samples: usize,
    started: Duration,
    max: Duration,
    last_sound: Duration,
    heard_sound: bool,
    /// Samples recorded up to the end of the last packet with sound.
    sound_end: usize,
    /// Samples recorded before the first packet with sound.
    sound_start: Option<usize>,
    scratch: Vec<i16>,
}

impl Recorder {
    /// Starts at `now` (any monotonic time base) for at most `max`.
    pub fn new(now: Duration, max: Duration) -> Self {
        let max_samples = usize::try_from(max.as_millis() * 8).unwrap_or(usize::MAX);
        Self {
            samples: Vec::with_capacity(max_samples.min(8000 * 30)),
            max_samples,
            started: now,
            max,
            last_sound: now,
            heard_sound: false,
            sound_end: 0,
            sound_start: None,
            scratch: Vec::with_capacity(160),
        }
    }

    /// One audio payload received at `now`, in `law`.
    pub fn audio(&mut self, now: Duration, law: Law, payload: &[u8]) {
        let room = self.max_samples.saturating_sub(self.samples.len());
        let payload = &payload[..payload.len().min(room)];
        if payload.is_empty() {
            return;
        }
        self.scratch.clear();
        law.decode_into(payload, &mut self.scratch);
        let level = self.scratch.iter().map(|s| u32::from(s.unsigned_abs())).sum::<u32>()
            / u32::try_from(self.scratch.len()).unwrap_or(1).max(1);
        if level >= VOICE_LEVEL {
            self.last_sound = now;
            self.heard_sound = true;
            self.sound_start.get_or_insert(self.samples.len());
        }
        match law {
            Law::MuLaw => self.samples.extend_from_slice(payload),
            Law::ALaw => self.samples.extend(self.scratch.iter().map(|&s| Law::MuLaw.encode(s))),
        }
        if level >= VOICE_LEVEL {
            self.sound_end = self.samples.len();
        }
    }

    /// Whether the recording is over at `now`, and why.
    pub fn poll(&self, now: Duration) -> Option<RecordingEnd> {
        if self.samples.len() >= self.max_samples || now.saturating_sub(self.started) >= self.max {
            Some(RecordingEnd::MaxLength)
        } else if now.saturating_sub(self.last_sound) >= SILENCE_ENDS_AFTER {
            Some(RecordingEnd::Silence)
        } else {
            None
        }
    }

    /// The μ-law samples recorded: the silences before the first sound and after the last
    /// are cut to a quarter and half a second, and `trim_tail` more is cut at the end (the
    /// tone of the `#` that stopped it).
    pub fn finish(mut self, trim_tail: Duration) -> Vec<u8> {
        if !self.heard_sound {
            return Vec::new();
        }
        let trim = usize::try_from(trim_tail.as_millis() * 8).unwrap_or(0);
        let keep = self.samples.len().saturating_sub(trim).min(self.sound_end + LEAD_OUT);
        self.samples.truncate(keep);
        let lead = self.sound_start.unwrap_or(0).saturating_sub(LEAD_IN).min(self.samples.len());
        self.samples.drain(..lead);
        self.samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(frames: usize) -> Vec<u8> {
        let samples: Vec<i16> = (0..frames * 160)
            .map(|n| ((2.0 * std::f32::consts::PI * 400.0 * n as f32 / 8000.0).sin() * 8000.0) as i16)
            .collect();
        Law::MuLaw.encode_all(&samples)
    }

    const FRAME: Duration = Duration::from_millis(20);

    #[test]
    fn sound_is_kept_until_the_maximum() {
        let mut recorder = Recorder::new(Duration::ZERO, Duration::from_secs(1));
        let audio = tone(60);
        let mut now = Duration::ZERO;
        for frame in audio.chunks(160) {
            assert_eq!(
                recorder.poll(now),
                if now < Duration::from_secs(1) { None } else { Some(RecordingEnd::MaxLength) }
            );
            // What comes after the maximum is dropped.
            recorder.audio(now, Law::MuLaw, frame);
            now += FRAME;
        }
        let samples = recorder.finish(Duration::ZERO);
        assert_eq!(samples.len(), 8000);
        assert_eq!(samples, audio[..8000]);
    }

    #[test]
    fn a_long_silence_after_speech_ends_it_and_a_law_becomes_mu_law() {
        let mut recorder = Recorder::new(Duration::ZERO, Duration::from_secs(60));
        let mut now = Duration::ZERO;
        let loud: Vec<i16> = (0..160).map(|n| if n % 2 == 0 { 6000 } else { -6000 }).collect();
        for _ in 0..25 {
            recorder.audio(now, Law::ALaw, &Law::ALaw.encode_all(&loud));
            now += FRAME;
        }
        let quiet = Law::ALaw.encode_all(&[3; 160]);
        while recorder.poll(now).is_none() {
            recorder.audio(now, Law::ALaw, &quiet);
            now += FRAME;
        }
        assert_eq!(recorder.poll(now), Some(RecordingEnd::Silence));
        assert_eq!(now, Duration::from_millis(480) + SILENCE_ENDS_AFTER);
        let samples = recorder.finish(Duration::from_millis(100));
        assert_eq!(samples.len(), 25 * 160 + 4000);
        // Re-encoded as μ-law: the loud part decodes back close to ±6000.
        let first = crate::media::g711::Law::MuLaw.decode(samples[0]);
        assert!((5800..=6200).contains(&first), "{first}");
    }

    #[test]
    fn nothing_but_silence_records_nothing() {
        let mut recorder = Recorder::new(Duration::from_secs(3), Duration::from_secs(60));
        let mut now = Duration::from_secs(3);
        while recorder.poll(now).is_none() {
            recorder.audio(now, Law::MuLaw, &[0xff; 160]);
            now += FRAME;
        }
        assert_eq!(now, Duration::from_secs(3) + SILENCE_ENDS_AFTER);
        assert!(recorder.finish(Duration::ZERO).is_empty());
    }

    #[test]
    fn a_long_silence_before_the_first_sound_is_cut() {
        let mut recorder = Recorder::new(Duration::ZERO, Duration::from_secs(60));
        let mut now = Duration::ZERO;
        for _ in 0..100 {
            recorder.audio(now, Law::MuLaw, &[0xff; 160]);
            now += FRAME;
        }
        recorder.audio(now, Law::MuLaw, &tone(50));
        let samples = recorder.finish(Duration::ZERO);
        assert_eq!(samples.len(), LEAD_IN + 8000);
        assert!(samples[..LEAD_IN].iter().all(|&b| b == 0xff));
    }

    #[test]
    fn the_end_of_a_stopped_recording_is_trimmed() {
        let mut recorder = Recorder::new(Duration::ZERO, Duration::from_secs(60));
        recorder.audio(Duration::ZERO, Law::MuLaw, &tone(50));
        assert_eq!(recorder.finish(Duration::from_millis(200)).len(), 8000 - 1600);
    }
}
