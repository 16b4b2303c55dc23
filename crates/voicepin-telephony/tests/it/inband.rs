//! The in-band detector against speech, music-like signals and noise (no false digit), and
//! keys mixed into them (found). The speech is the built-in espeak-ng prompts: 58 sentences,
//! numbers and "press 1" among them.

use std::f32::consts::PI;

use voicepin_core::callflow::Prompt;
use voicepin_telephony::media::dtmf::inband::{InBandDetector, SAMPLE_RATE, synth};
use voicepin_telephony::media::dtmf::{DtmfReceiver, DtmfSource};
use voicepin_telephony::media::g711::Law;
use voicepin_telephony::media::prompts::PromptSet;

fn detect(samples: &[i16]) -> String {
    let mut detector = InBandDetector::new();
    let mut out = Vec::new();
    detector.process(samples, &mut out);
    detector.process(&[0; 800], &mut out);
    out.iter().map(|d| d.as_char()).collect()
}

/// Every prompt's speech, decoded, end to end.
fn speech() -> Vec<i16> {
    let prompts = PromptSet::embedded().unwrap();
    let mut samples = Vec::new();
    for prompt in Prompt::all().into_iter().filter(|p| *p != Prompt::Beep) {
        Law::MuLaw.decode_into(&prompts.get(prompt).pcmu, &mut samples);
    }
    samples
}

fn scaled(samples: &[i16], gain_db: f32) -> Vec<i16> {
    let gain = 10f32.powf(gain_db / 20.0);
    samples.iter().map(|&x| (f32::from(x) * gain).clamp(-32768.0, 32767.0) as i16).collect()
}

#[test]
fn no_digit_from_speech_at_any_level() {
    let speech = speech();
    assert!(speech.len() > 8000 * 60, "a minute of speech at least");
    for gain in [0.0, -10.0, -20.0] {
        assert_eq!(detect(&scaled(&speech, gain)), "", "speech at {gain} dB");
    }
    // Louder and clipped.
    assert_eq!(detect(&scaled(&speech, 6.0)), "");
}

/// Chords of three or four notes, the notes of a tempered scale, held 200 ms each.
fn chords() -> Vec<i16> {
    let note = |semitones: i32| 220.0 * 2f32.powf(semitones as f32 / 12.0);
    let progressions: [&[i32]; 8] = [
        &[0, 4, 7],
        &[5, 9, 12],
        &[7, 11, 14, 17],
        &[0, 3, 7, 10],
        &[12, 16, 19],
        &[2, 5, 9],
        &[9, 12, 16],
        &[-5, 7, 11],
    ];
    let mut out = Vec::new();
    for (i, chord) in progressions.iter().cycle().take(64).enumerate() {
        let shift = (i % 5) as i32 - 2;
        let samples = 1600;
        for n in 0..samples {
            let t = n as f32 / SAMPLE_RATE;
            let x: f32 =
                chord.iter().map(|&s| (2.0 * PI * note(s + shift) * t).sin()).sum::<f32>() / chord.len() as f32;
            out.push((x * synth::amplitude(-8.0)) as i16);
        }
    }
    out
}

/// Glissandi: two sines sliding through the DTMF bands at 1-3 kHz a second, and a lone
/// slow siren. (Two sines that crawl in step are a DTMF pair while both sit within tolerance
/// for 40 ms; no detector can or should refuse those.)
fn sweeps() -> Vec<i16> {
    let mut out = Vec::new();
    let (mut phase_a, mut phase_b) = (0f32, 0f32);
    for n in 0..8000 * 20 {
        let t = n as f32 / SAMPLE_RATE;
        // Triangle sweeps: 600-1000 Hz at 1.6 kHz/s, 1150-1700 Hz at 2.75 kHz/s.
        let tri = |x: f32| 2.0 * (x - (x + 0.5).floor()).abs();
        let fa = 600.0 + 400.0 * tri(t * 2.0);
        let fb = 1150.0 + 550.0 * tri(t * 2.5 + 0.3);
        phase_a += 2.0 * PI * fa / SAMPLE_RATE;
        phase_b += 2.0 * PI * fb / SAMPLE_RATE;
        out.push((synth::amplitude(-12.0) * (phase_a.sin() + phase_b.sin())) as i16);
    }
    let mut phase = 0f32;
    for n in 0..8000 * 10 {
        let t = n as f32 / SAMPLE_RATE;
        phase += 2.0 * PI * (700.0 + 900.0 * (t * 0.5).sin().abs()) / SAMPLE_RATE;
        out.push((synth::amplitude(-6.0) * phase.sin()) as i16);
    }
    out
}

#[test]
fn no_digit_from_music_like_signals() {
    assert_eq!(detect(&synth::through_ulaw(&chords())), "", "chords");
    assert_eq!(detect(&synth::through_ulaw(&sweeps())), "", "sweeps");
}

#[test]
fn no_digit_from_noise() {
    for (level, seed) in [(-6.0, 1), (-15.0, 2), (-25.0, 3), (-35.0, 4)] {
        let noise = synth::white_noise(level, 8000 * 30, seed);
        assert_eq!(detect(&synth::through_ulaw(&noise)), "", "noise at {level} dBm0");
    }
}

#[test]
fn keys_over_speech_are_found() {
    let speech = speech();
    let keys = "1234567890*#";
    let mut signal = synth::keys(keys, -8.0, 80, 80);
    // Speech about 12 dB below the tones.
    let quiet = scaled(&speech[8000 * 5..], -14.0);
    synth::mix(&mut signal, &quiet);
    assert_eq!(detect(&synth::through_ulaw(&signal)), keys);
}

#[test]
fn a_pin_through_the_receiver_in_pcma() {
    let mut receiver = DtmfReceiver::new();
    let audio = Law::ALaw.encode_all(&synth::keys("246810#", -10.0, 60, 60));
    let mut digits = Vec::new();
    for packet in audio.chunks(160) {
        receiver.on_audio(Law::ALaw, packet, &mut digits);
    }
    receiver.on_audio(Law::ALaw, &[Law::ALaw.silence(); 800], &mut digits);
    assert!(digits.iter().all(|d| d.source == DtmfSource::InBand));
    assert_eq!(digits.iter().map(|d| d.digit.as_char()).collect::<String>(), "246810#");
}
