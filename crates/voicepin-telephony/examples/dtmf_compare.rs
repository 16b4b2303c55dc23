//! The in-band detector on a fixed corpus, for `scripts/bench-dtmf.sh`, which runs spandsp
//! on the same files. Writes the corpus (raw 16-bit little-endian 8 kHz mono, after a μ-law
//! round trip) and `corpus.tsv` (file, expected keys) into the folder given, then prints one
//! line per file (`file<TAB>expected<TAB>found`) and the detector's speed on one thread.
//!
//!     cargo run --release -p voicepin-telephony --example dtmf_compare -- OUTDIR

use std::f32::consts::PI;
use std::io::Write;
use std::time::Instant;

use voicepin_core::callflow::Prompt;
use voicepin_telephony::media::dtmf::inband::{InBandDetector, SAMPLE_RATE, synth};
use voicepin_telephony::media::g711::Law;
use voicepin_telephony::media::prompts::PromptSet;

const KEYS: &str = "1234567890*#ABCD";

fn scaled(samples: &[i16], gain_db: f32) -> Vec<i16> {
    let gain = 10f32.powf(gain_db / 20.0);
    samples.iter().map(|&x| (f32::from(x) * gain).clamp(-32768.0, 32767.0) as i16).collect()
}

fn keys_with(row_db: f32, column_db: f32, on_ms: u32, off_ms: u32) -> Vec<i16> {
    let mut out = vec![0; off_ms as usize * 8];
    for key in KEYS.chars() {
        out.extend(synth::key(key, row_db, column_db, on_ms, 1.0, 1.0));
        out.extend(std::iter::repeat_n(0, off_ms as usize * 8));
    }
    out
}

fn corpus() -> Vec<(String, String, Vec<i16>)> {
    let prompts = PromptSet::embedded().unwrap_or_else(|e| panic!("{e}"));
    let mut speech = Vec::new();
    for prompt in Prompt::all().into_iter().filter(|p| *p != Prompt::Beep) {
        Law::MuLaw.decode_into(&prompts.get(prompt).pcmu, &mut speech);
    }
    let mut files = Vec::new();
    for level in [-3, -6, -10, -15, -20, -25, -30] {
        for ms in [40, 50, 70, 100] {
            files.push((format!("level{level}_on{ms}"), KEYS.into(), keys_with(level as f32, level as f32, ms, 60)));
        }
    }
    for (row, column) in [(-8.0, -14.0), (-8.0, -15.5), (-12.0, -9.0), (-11.5, -9.0)] {
        files.push((format!("twist_r{row}_c{column}"), KEYS.into(), keys_with(row, column, 60, 60)));
    }
    let mut over_speech = keys_with(-8.0, -8.0, 80, 80);
    let quiet = scaled(&speech[8000 * 5..], -14.0);
    synth::mix(&mut over_speech, &quiet);
    files.push(("over_speech".into(), KEYS.into(), over_speech));
    let mut in_noise = keys_with(-10.0, -10.0, 60, 60);
    let noise = synth::white_noise(-30.0, in_noise.len(), 5);
    synth::mix(&mut in_noise, &noise);
    files.push(("in_noise".into(), KEYS.into(), in_noise));
    let scaled_keys = |scale: f32, on_ms: u32| {
        let mut out = vec![0; 480];
        for key in KEYS.chars() {
            out.extend(synth::key(key, -10.0, -10.0, on_ms, scale, scale));
            out.extend(std::iter::repeat_n(0, 480));
        }
        out
    };
    files.push(("offfreq+1.5pct".into(), KEYS.into(), scaled_keys(1.015, 60)));
    files.push(("offfreq-1.5pct".into(), KEYS.into(), scaled_keys(0.985, 60)));
    // Q.24: refuse beyond ±3.5% and under 23 ms.
    files.push(("offfreq+3.5pct".into(), String::new(), scaled_keys(1.035, 60)));
    files.push(("offfreq-3.5pct".into(), String::new(), scaled_keys(0.965, 60)));
    files.push(("short20ms".into(), String::new(), scaled_keys(1.0, 20)));
    let mut glissandi = Vec::new();
    let (mut phase_a, mut phase_b) = (0f32, 0f32);
    for n in 0..8000 * 20 {
        let t = n as f32 / SAMPLE_RATE;
        let tri = |x: f32| 2.0 * (x - (x + 0.5).floor()).abs();
        phase_a += 2.0 * PI * (600.0 + 400.0 * tri(t * 2.0)) / SAMPLE_RATE;
        phase_b += 2.0 * PI * (1150.0 + 550.0 * tri(t * 2.5 + 0.3)) / SAMPLE_RATE;
        glissandi.push((synth::amplitude(-12.0) * (phase_a.sin() + phase_b.sin())) as i16);
    }
    files.push(("glissandi".into(), String::new(), glissandi));
    for gain in [0.0, -10.0, -20.0] {
        files.push((format!("speech{gain}"), String::new(), scaled(&speech, gain)));
    }
    let note = |s: i32| 220.0 * 2f32.powf(s as f32 / 12.0);
    let mut chords = Vec::new();
    let progressions: [&[i32]; 6] =
        [&[0, 4, 7], &[5, 9, 12], &[7, 11, 14, 17], &[0, 3, 7, 10], &[12, 16, 19], &[2, 5, 9]];
    for (i, chord) in progressions.iter().cycle().take(60).enumerate() {
        let shift = (i % 5) as i32 - 2;
        for n in 0..1600 {
            let t = n as f32 / SAMPLE_RATE;
            let x: f32 =
                chord.iter().map(|&s| (2.0 * PI * note(s + shift) * t).sin()).sum::<f32>() / chord.len() as f32;
            chords.push((x * synth::amplitude(-8.0)) as i16);
        }
    }
    files.push(("chords".into(), String::new(), chords));
    files.push(("noise-10".into(), String::new(), synth::white_noise(-10.0, 8000 * 30, 11)));
    files.push(("noise-25".into(), String::new(), synth::white_noise(-25.0, 8000 * 30, 12)));
    files.into_iter().map(|(name, expected, samples)| (name, expected, synth::through_ulaw(&samples))).collect()
}

fn main() -> std::io::Result<()> {
    let out_dir = std::env::args().nth(1).unwrap_or_else(|| "dtmf-corpus".into());
    std::fs::create_dir_all(&out_dir)?;
    let files = corpus();
    let mut tsv = std::fs::File::create(format!("{out_dir}/corpus.tsv"))?;
    for (name, expected, samples) in &files {
        let bytes: Vec<u8> = samples.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(format!("{out_dir}/{name}.s16"), bytes)?;
        writeln!(tsv, "{name}\t{expected}")?;
    }
    let total_samples: usize = files.iter().map(|(_, _, s)| s.len()).sum();
    let mut found_all = Vec::new();
    // Speed: the whole corpus, several passes, one thread, 160-sample packets as on a call.
    let passes = 20;
    let started = Instant::now();
    let cpu_started = thread_cpu_seconds();
    for pass in 0..passes {
        for (_, _, samples) in &files {
            let mut detector = InBandDetector::new();
            let mut found = Vec::new();
            for packet in samples.chunks(160) {
                detector.process(packet, &mut found);
            }
            if pass == 0 {
                found_all.push(found.iter().map(|d| d.as_char()).collect::<String>());
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    // On a shared machine the wall clock mostly measures waiting: speed is audio per second
    // of this thread's CPU time (the wall clock when that cannot be read).
    let busy = thread_cpu_seconds().zip(cpu_started).map(|(end, start)| end - start).unwrap_or(elapsed);
    for ((name, expected, _), found) in files.iter().zip(&found_all) {
        println!("{name}\t{expected}\t{found}");
    }
    let audio_seconds = (total_samples * passes) as f64 / 8000.0;
    println!(
        "# speed\t{:.0}x real time\t{audio_seconds:.0} s of audio in {busy:.3} s of CPU ({elapsed:.3} s wall)",
        audio_seconds / busy
    );
    Ok(())
}

/// This thread's time on a CPU, from Linux's schedstat (nanoseconds, first field).
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}
