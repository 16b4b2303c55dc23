//! In-band DTMF: key tones found in 8 kHz linear PCM (decoded G.711).
//!
//! # How
//! The audio is cut into sub-blocks of [`SUB_BLOCK`] = 51 samples (6.4 ms). For each one the
//! complex DFT at the eight DTMF frequencies is computed (a 51 × 16 multiply-add table,
//! which the compiler vectorises across the bins), with the sub-block's energy. From these:
//!
//! - **Sub-block test** (is this 6.4 ms filled by one key's tones?): the strongest row and
//!   column bins hold at least [`FILL`] of the sub-block's energy, and each tone is above
//!   the level floor ([`MIN_LEVEL_DBM0`] per tone). The energy share is what rejects noise,
//!   music and most speech: it is near 1 only for two pure tones.
//! - **Window tests** over the last 4 sub-blocks (204 samples, 25.5 ms, bins 39 Hz apart),
//!   combined coherently: the row and column are each at least 8 dB above the three other
//!   bins of their group (relative peak); the twist (row over column power) is within
//!   +8 dB (normal) and -4 dB (reverse); each tone's frequency, measured from the phase turn
//!   between successive sub-blocks, is within ±2.5% of nominal (Q.24 asks for acceptance at
//!   ±1.5% and rejection beyond ±3.5%; a magnitude test alone cannot draw that line for the
//!   whole 697-1633 Hz range with one block length); and the second harmonic of each tone
//!   is at least 13 dB below it (voiced speech has harmonics, a keypad's sines do not).
//!
//! # Timing (ITU-T Q.24)
//! A key is reported once, when 5 consecutive sub-blocks were filled by it and the window
//! tests passed on the last two windows with the measured frequencies steady between them
//! (within [`MAX_DRIFT_HZ`]; a glissando through a key's frequencies is not a key): a tone of
//! 40 ms or more always fills 5 aligned sub-blocks; a tone must last about 29 ms to fill 5,
//! so tones under 23 ms never count. The key is then
//! held until [`OFF_SUB_BLOCKS`] sub-blocks in a row are not filled by it: a 40 ms pause
//! always ends it, a 10 ms drop-out never does (no double digits).

use std::f32::consts::PI;
use std::sync::LazyLock;

use super::Digit;

/// The sample rate.
pub const SAMPLE_RATE: f32 = 8000.0;
/// Samples in a sub-block.
pub const SUB_BLOCK: usize = 51;
/// Sub-blocks in a window.
const WINDOW: usize = 4;
/// The row (low group) frequencies.
pub const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// The column (high group) frequencies.
pub const COLUMNS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The keys by row and column.
pub const KEYS: [[char; 4]; 4] =
    [['1', '2', '3', 'A'], ['4', '5', '6', 'B'], ['7', '8', '9', 'C'], ['*', '0', '#', 'D']];
/// The amplitude (16-bit linear) of a 0 dBm0 sine: G.711's largest code is +3.17 dBm0.
pub const ZERO_DBM0_AMPLITUDE: f32 = 22_300.0;

/// The least level of each tone, in dBm0.
pub const MIN_LEVEL_DBM0: f32 = -36.0;
/// The least share of a sub-block's energy in its row and column bins.
pub const FILL: f32 = 0.75;
/// Sub-blocks a key must fill in a row before the window tests run (the window is then all
/// tone); they must pass on two successive sub-blocks, so a key fills 5 before it is reported.
pub const ON_SUB_BLOCKS: u32 = 4;
/// Sub-blocks without the key that end it.
pub const OFF_SUB_BLOCKS: u32 = 4;
/// Relative peak: the winner's power over each other bin of its group (8 dB).
const RELATIVE_PEAK: f32 = 6.3;
/// Row power over column power at most (+8 dB, normal twist).
const NORMAL_TWIST: f32 = 6.31;
/// Column power over row power at most (+4 dB, reverse twist).
const REVERSE_TWIST: f32 = 2.51;
/// Frequency tolerance, relative.
const FREQUENCY_TOLERANCE: f32 = 0.025;
/// A second harmonic over its fundamental at most (-13 dB).
const HARMONIC: f32 = 0.05;
/// How far (Hz) a tone's measured frequency may move between two successive windows: a
/// keypad's sines hold still, a glissando or a siren does not.
pub const MAX_DRIFT_HZ: f32 = 4.0;

/// cos and -sin of each bin's frequency at each sample offset of a sub-block.
struct Tables {
    basis: [[f32; 16]; SUB_BLOCK],
    /// e^{-jωM} per bin: one sub-block's phase turn at the nominal frequency.
    turn: [(f32, f32); 8],
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut basis = [[0.0; 16]; SUB_BLOCK];
    let mut turn = [(0.0, 0.0); 8];
    for (bin, &frequency) in ROWS.iter().chain(COLUMNS.iter()).enumerate() {
        let omega = 2.0 * PI * frequency / SAMPLE_RATE;
        for (n, row) in basis.iter_mut().enumerate() {
            let phase = omega * n as f32;
            row[bin] = phase.cos();
            row[bin + 8] = -phase.sin();
        }
        let phase = omega * SUB_BLOCK as f32;
        turn[bin] = (phase.cos(), -phase.sin());
    }
    Tables { basis, turn }
});

fn level_power(dbm0: f32) -> f32 {
    let amplitude = ZERO_DBM0_AMPLITUDE * 10f32.powf(dbm0 / 20.0);
    // |X|² of a sine of this amplitude over one sub-block.
    let half = amplitude * SUB_BLOCK as f32 / 2.0;
    half * half
}

/// One sub-block's analysis.
#[derive(Clone, Copy, Debug, Default)]
struct SubBlock {
    re: [f32; 8],
    im: [f32; 8],
    energy: f32,
}

impl SubBlock {
    fn power(&self, bin: usize) -> f32 {
        self.re[bin] * self.re[bin] + self.im[bin] * self.im[bin]
    }
}

/// The in-band detector of one audio stream. Feed it with [`InBandDetector::process`].
#[derive(Clone, Debug)]
pub struct InBandDetector {
    pending: [f32; SUB_BLOCK],
    filled: usize,
    /// The last sub-blocks and their samples, oldest at `head`.
    blocks: [SubBlock; WINDOW],
    samples: [[f32; SUB_BLOCK]; WINDOW],
    head: usize,
    candidate: Option<(usize, usize)>,
    run: u32,
    held: Option<(usize, usize)>,
    off_run: u32,
    /// The key and its steadiness offsets (Hz) if the previous window passed.
    last_pass: Option<((usize, usize), f32, f32)>,
    min_power: f32,
}

impl Default for InBandDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl InBandDetector {
    /// A detector with the default thresholds.
    pub fn new() -> Self {
        LazyLock::force(&TABLES);
        Self {
            pending: [0.0; SUB_BLOCK],
            filled: 0,
            blocks: [SubBlock::default(); WINDOW],
            samples: [[0.0; SUB_BLOCK]; WINDOW],
            head: 0,
            candidate: None,
            run: 0,
            held: None,
            off_run: 0,
            last_pass: None,
            min_power: level_power(MIN_LEVEL_DBM0),
        }
    }

    /// Forgets all state (a new stream).
    pub fn reset(&mut self) {
        *self = Self { min_power: self.min_power, ..Self::new() };
    }

    /// Consumes samples; keys found are appended to `out`.
    pub fn process(&mut self, samples: &[i16], out: &mut Vec<Digit>) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = rest.len().min(SUB_BLOCK - self.filled);
            let (now, later) = rest.split_at(take);
            for (slot, &sample) in self.pending[self.filled..self.filled + take].iter_mut().zip(now) {
                *slot = f32::from(sample);
            }
            self.filled += take;
            rest = later;
            if self.filled == SUB_BLOCK {
                self.filled = 0;
                if let Some(digit) = self.sub_block() {
                    out.push(digit);
                }
            }
        }
    }

    fn sub_block(&mut self) -> Option<Digit> {
        let tables = &*TABLES;
        // Lane-wise sums (the compiler vectorises them; one running sum would wait on
        // every addition).
        let mut lanes = [0f32; 8];
        let mut chunks = self.pending.chunks_exact(8);
        for chunk in &mut chunks {
            for (lane, x) in lanes.iter_mut().zip(chunk) {
                *lane += x * x;
            }
        }
        let energy = lanes.iter().sum::<f32>() + chunks.remainder().iter().map(|x| x * x).sum::<f32>();
        let mut block = SubBlock { energy, ..SubBlock::default() };
        // Too quiet for two tones at the floor: it can never be part of a key's window, so
        // its spectrum is not needed (silence costs almost nothing).
        if !self.too_quiet(energy) {
            // Two sets of sums, even and odd samples, halve the chain of dependent additions.
            let (mut even, mut odd) = ([0f32; 16], [0f32; 16]);
            let mut pairs = self.pending.chunks_exact(2).zip(tables.basis.chunks_exact(2));
            for (x, basis) in &mut pairs {
                for ((e, o), (b0, b1)) in even.iter_mut().zip(odd.iter_mut()).zip(basis[0].iter().zip(&basis[1])) {
                    *e += x[0] * b0;
                    *o += x[1] * b1;
                }
            }
            let last = SUB_BLOCK - 1;
            for ((e, o), b) in even.iter_mut().zip(odd.iter()).zip(&tables.basis[last]) {
                *e += o + self.pending[last] * b;
            }
            block.re.copy_from_slice(&even[..8]);
            block.im.copy_from_slice(&even[8..]);
        }
        self.blocks[self.head] = block;
        self.samples[self.head] = self.pending;
        self.head = (self.head + 1) % WINDOW;

        let filled_by = self.filled_by(&block);
        match (filled_by, self.candidate) {
            (Some(key), Some(candidate)) if key == candidate => self.run += 1,
            (Some(key), _) => {
                self.candidate = Some(key);
                self.run = 1;
            }
            (None, _) => {
                self.candidate = None;
                self.run = 0;
            }
        }
        if let Some(held) = self.held {
            if filled_by == Some(held) {
                self.off_run = 0;
            } else {
                self.off_run += 1;
                if self.off_run >= OFF_SUB_BLOCKS {
                    self.held = None;
                }
            }
        }
        let previous = self.last_pass.take();
        let key = self.candidate?;
        if self.held.is_some() || self.run < ON_SUB_BLOCKS {
            return None;
        }
        let (row_offset, column_offset) = self.window_passes(key)?;
        self.last_pass = Some((key, row_offset, column_offset));
        let steady = previous.is_some_and(|(before, row_before, column_before)| {
            before == key
                && (row_offset - row_before).abs() <= MAX_DRIFT_HZ
                && (column_offset - column_before).abs() <= MAX_DRIFT_HZ
        });
        if steady {
            self.held = Some(key);
            self.off_run = 0;
            self.last_pass = None;
            return Digit::from_char(KEYS[key.0][key.1]);
        }
        None
    }

    /// Less energy than two tones at the floor would bring (a sine's energy over a sub-block
    /// is 2|X|²/M).
    fn too_quiet(&self, energy: f32) -> bool {
        energy * (SUB_BLOCK as f32) < 2.0 * 2.0 * self.min_power * FILL
    }

    /// The (row, column) whose tones fill this sub-block, if any.
    fn filled_by(&self, block: &SubBlock) -> Option<(usize, usize)> {
        if self.too_quiet(block.energy) {
            return None;
        }
        let strongest = |range: std::ops::Range<usize>| {
            range.map(|bin| (bin, block.power(bin))).fold((0, -1.0f32), |best, x| if x.1 > best.1 { x } else { best })
        };
        let (row, row_power) = strongest(0..4);
        let (column, column_power) = strongest(4..8);
        if row_power < self.min_power || column_power < self.min_power {
            return None;
        }
        let share = 2.0 * (row_power + column_power) / (SUB_BLOCK as f32 * block.energy);
        (share >= FILL).then_some((row, column - 4))
    }

    /// The window tests for a key whose tones filled the last sub-blocks: when all pass, the
    /// row's and column's offsets (Hz) measured between the window's halves.
    fn window_passes(&self, (row, column): (usize, usize)) -> Option<(f32, f32)> {
        let tables = &*TABLES;
        let order: [usize; WINDOW] = std::array::from_fn(|i| (self.head + i) % WINDOW);
        // Coherent power per bin over the whole window.
        let mut coherent = [0f32; 8];
        let mut incoherent = [0f32; 8];
        for (bin, (c, p)) in coherent.iter_mut().zip(incoherent.iter_mut()).enumerate() {
            let (turn_re, turn_im) = tables.turn[bin];
            let (mut re, mut im) = (0f32, 0f32);
            let (mut rot_re, mut rot_im) = (1f32, 0f32);
            for &index in &order {
                let block = &self.blocks[index];
                re += block.re[bin] * rot_re - block.im[bin] * rot_im;
                im += block.re[bin] * rot_im + block.im[bin] * rot_re;
                (rot_re, rot_im) = (rot_re * turn_re - rot_im * turn_im, rot_re * turn_im + rot_im * turn_re);
                *p += block.power(bin);
            }
            *c = re * re + im * im;
        }
        let column_bin = column + 4;
        let peaks = |winner: usize, group: std::ops::Range<usize>| {
            group.filter(|&bin| bin != winner).all(|bin| coherent[winner] >= RELATIVE_PEAK * coherent[bin])
        };
        if !peaks(row, 0..4) || !peaks(column_bin, 4..8) {
            return None;
        }
        let (row_power, column_power) = (incoherent[row], incoherent[column_bin]);
        if row_power > NORMAL_TWIST * column_power || column_power > REVERSE_TWIST * row_power {
            return None;
        }
        let offset = |bin: usize| {
            let (mut re, mut im) = (0f32, 0f32);
            for pair in order.windows(2) {
                let (a, b) = (&self.blocks[pair[0]], &self.blocks[pair[1]]);
                // b · conj(a): the phase turned over one sub-block.
                re += b.re[bin] * a.re[bin] + b.im[bin] * a.im[bin];
                im += b.im[bin] * a.re[bin] - b.re[bin] * a.im[bin];
            }
            // A tone at the nominal frequency turns by e^{+jωM} a sub-block: multiplying by
            // the stored e^{-jωM} leaves the turn of the offset alone.
            let (t_re, t_im) = tables.turn[bin];
            let (d_re, d_im) = (re * t_re - im * t_im, re * t_im + im * t_re);
            d_im.atan2(d_re) * SAMPLE_RATE / (2.0 * PI * SUB_BLOCK as f32)
        };
        // The steadiness measure: the turn between the window's two coherent halves (102
        // samples each, so the other tone leaks in half as much). Ambiguous beyond ±39 Hz,
        // which does not matter for comparing two successive windows.
        let half = |bin: usize, first: usize| {
            let (turn_re, turn_im) = tables.turn[bin];
            let (a, b) = (&self.blocks[order[first]], &self.blocks[order[first + 1]]);
            (
                a.re[bin] + b.re[bin] * turn_re - b.im[bin] * turn_im,
                a.im[bin] + b.re[bin] * turn_im + b.im[bin] * turn_re,
            )
        };
        let steady_offset = |bin: usize| {
            let ((a_re, a_im), (b_re, b_im)) = (half(bin, 0), half(bin, 2));
            let (re, im) = (b_re * a_re + b_im * a_im, b_im * a_re - b_re * a_im);
            // Remove the nominal turn over two sub-blocks.
            let (t_re, t_im) = tables.turn[bin];
            let (t2_re, t2_im) = (t_re * t_re - t_im * t_im, 2.0 * t_re * t_im);
            let (d_re, d_im) = (re * t2_re - im * t2_im, re * t2_im + im * t2_re);
            d_im.atan2(d_re) * SAMPLE_RATE / (2.0 * PI * (2 * SUB_BLOCK) as f32)
        };
        let (row_offset, column_offset) = (offset(row), offset(column_bin));
        if row_offset.abs() > FREQUENCY_TOLERANCE * ROWS[row]
            || column_offset.abs() > FREQUENCY_TOLERANCE * COLUMNS[column]
        {
            return None;
        }
        // A row's second harmonic lies 58-93 Hz from some columns (2 × 697 = 1394 next to
        // 1336): measured over the whole window, the key's own column would leak into it.
        // Over a whole number of periods of the difference, the column falls on a null.
        // Both at the measured frequencies: a tone 1.5% off has its harmonic 1.5% off too.
        let (row_hz, column_hz) = (ROWS[row] + row_offset, COLUMNS[column] + column_offset);
        let window = (WINDOW * SUB_BLOCK) as f32;
        let period = SAMPLE_RATE / (2.0 * row_hz - column_hz).abs().max(1.0);
        let row_length =
            if period < window { ((window / period).floor() * period).round() as usize } else { WINDOW * SUB_BLOCK };
        let harmonic_ok = |nominal: f32, fundamental: f32, length: usize| {
            let power = self.goertzel(2.0 * nominal, &order, length);
            let scale = window / length as f32;
            power * scale * scale <= HARMONIC * fundamental
        };
        (harmonic_ok(row_hz, coherent[row], row_length)
            && harmonic_ok(column_hz, coherent[column_bin], WINDOW * SUB_BLOCK))
        .then(|| (steady_offset(row), steady_offset(column_bin)))
    }

    /// Power at one frequency over the window's last `length` samples (Goertzel).
    fn goertzel(&self, frequency: f32, order: &[usize; WINDOW], length: usize) -> f32 {
        let coefficient = 2.0 * (2.0 * PI * frequency / SAMPLE_RATE).cos();
        let (mut s1, mut s2) = (0f32, 0f32);
        let skip = (WINDOW * SUB_BLOCK).saturating_sub(length);
        for &x in order.iter().flat_map(|&index| self.samples[index].iter()).skip(skip) {
            let s0 = x + coefficient * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        s1 * s1 + s2 * s2 - coefficient * s1 * s2
    }
}

/// Test signals: keypad tones and their relatives. Public for the integration tests and the
/// benchmark; nothing in the service plays them.
pub mod synth {
    use super::*;

    /// A sine's amplitude at a level in dBm0.
    pub fn amplitude(dbm0: f32) -> f32 {
        ZERO_DBM0_AMPLITUDE * 10f32.powf(dbm0 / 20.0)
    }

    /// Two sines, each at its own level (dBm0), `samples` long.
    pub fn dual_tone(low_hz: f32, high_hz: f32, low_dbm0: f32, high_dbm0: f32, samples: usize) -> Vec<i16> {
        let (a, b) = (amplitude(low_dbm0), amplitude(high_dbm0));
        (0..samples)
            .map(|n| {
                let t = n as f32 / SAMPLE_RATE;
                let x = a * (2.0 * PI * low_hz * t).sin() + b * (2.0 * PI * high_hz * t).sin();
                x.clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    /// One key's tones for `ms` milliseconds, with the row and column at their own levels
    /// and their frequencies scaled (1.0 is nominal).
    pub fn key(key: char, row_dbm0: f32, column_dbm0: f32, ms: u32, row_scale: f32, column_scale: f32) -> Vec<i16> {
        let (row, column) = Digit::from_char(key).map(Digit::row_column).unwrap_or((0, 0));
        dual_tone(ROWS[row] * row_scale, COLUMNS[column] * column_scale, row_dbm0, column_dbm0, ms as usize * 8)
    }

    /// Keys with tones of `on_ms` and pauses of `off_ms` (also before the first key and after
    /// the last), each tone at `dbm0`.
    pub fn keys(keys: &str, dbm0: f32, on_ms: u32, off_ms: u32) -> Vec<i16> {
        let mut out = vec![0; off_ms as usize * 8];
        for key in keys.chars() {
            out.extend(self::key(key, dbm0, dbm0, on_ms, 1.0, 1.0));
            out.extend(std::iter::repeat_n(0, off_ms as usize * 8));
        }
        out
    }

    /// White noise at an RMS level in dBm0 (a fixed seed: repeatable).
    pub fn white_noise(dbm0: f32, samples: usize, seed: u64) -> Vec<i16> {
        let mut state = seed | 1;
        let rms = amplitude(dbm0) / std::f32::consts::SQRT_2;
        (0..samples)
            .map(|_| {
                // Sum of 4 uniforms: near-Gaussian, unit variance after scaling.
                let mut sum = 0.0;
                for _ in 0..4 {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    sum += (state >> 11) as f32 / (1u64 << 53) as f32 - 0.5;
                }
                (sum * 3f32.sqrt() * rms).clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    /// Adds `b` into `a` (saturating), sample by sample.
    pub fn mix(a: &mut [i16], b: &[i16]) {
        for (x, y) in a.iter_mut().zip(b) {
            *x = x.saturating_add(*y);
        }
    }

    /// Passes PCM through G.711 μ-law and back.
    pub fn through_ulaw(samples: &[i16]) -> Vec<i16> {
        let law = crate::media::g711::Law::MuLaw;
        samples.iter().map(|&x| law.decode(law.encode(x))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::synth::*;
    use super::*;

    fn detect(samples: &[i16]) -> String {
        let mut detector = InBandDetector::new();
        let mut out = Vec::new();
        detector.process(samples, &mut out);
        detector.process(&[0; 800], &mut out);
        out.iter().map(|d| d.as_char()).collect()
    }

    #[test]
    fn every_key_at_nominal_level() {
        let all = "123A456B789C*0#D";
        assert_eq!(detect(&keys(all, -10.0, 60, 60)), all);
    }

    #[test]
    fn keys_after_mu_law() {
        assert_eq!(detect(&through_ulaw(&keys("1234567890*#", -10.0, 50, 50))), "1234567890*#");
    }

    #[test]
    fn levels_from_minus_3_to_minus_30_dbm0() {
        for level in [-3.0, -6.0, -10.0, -15.0, -20.0, -25.0, -30.0] {
            assert_eq!(detect(&through_ulaw(&keys("159#", level, 60, 60))), "159#", "{level} dBm0");
        }
        assert_eq!(detect(&keys("159#", -45.0, 60, 60)), "", "below the floor");
    }

    #[test]
    fn durations() {
        for ms in [40, 45, 60, 100, 500] {
            assert_eq!(detect(&keys("2580", -10.0, ms, 60)), "2580", "{ms} ms");
        }
        for ms in [10, 15, 20, 23] {
            assert_eq!(detect(&keys("2580", -10.0, ms, 60)), "", "{ms} ms");
        }
    }

    #[test]
    fn pauses() {
        // 40 ms pauses separate the same key pressed twice.
        assert_eq!(detect(&keys("5555", -10.0, 50, 40)), "5555");
        // A 10 ms drop-out inside one tone is not a pause.
        let mut signal = key('5', -10.0, -10.0, 100, 1.0, 1.0);
        signal.extend([0; 80]);
        signal.extend(key('5', -10.0, -10.0, 100, 1.0, 1.0));
        assert_eq!(detect(&signal), "5");
    }

    #[test]
    fn twist() {
        for (row, column) in [(-10.0, -16.0), (-10.0, -17.5), (-13.0, -10.0), (-12.5, -10.0)] {
            let signal = key('8', row, column, 80, 1.0, 1.0);
            assert_eq!(detect(&signal), "8", "row {row} column {column}");
        }
        for (row, column) in [(-10.0, -20.0), (-10.0, -22.0), (-16.0, -10.0), (-20.0, -10.0)] {
            let signal = key('8', row, column, 80, 1.0, 1.0);
            assert_eq!(detect(&signal), "", "row {row} column {column}");
        }
    }

    #[test]
    fn frequency_tolerance() {
        for key_char in "123A456B789C*0#D".chars() {
            for scale in [0.985, 1.0, 1.015] {
                let signal = key(key_char, -10.0, -10.0, 80, scale, scale);
                assert_eq!(detect(&signal), key_char.to_string(), "{key_char} at {scale}");
            }
            for scale in [0.965, 1.035, 0.94, 1.06] {
                assert_eq!(detect(&key(key_char, -10.0, -10.0, 80, scale, 1.0)), "", "{key_char} row at {scale}");
                assert_eq!(detect(&key(key_char, -10.0, -10.0, 80, 1.0, scale)), "", "{key_char} col at {scale}");
            }
        }
    }

    #[test]
    fn no_digit_from_noise_or_single_tones() {
        assert_eq!(detect(&white_noise(-10.0, 80_000, 7)), "");
        assert_eq!(detect(&white_noise(-30.0, 80_000, 9)), "");
        assert_eq!(detect(&dual_tone(697.0, 0.0, -10.0, -90.0, 8000)), "");
        assert_eq!(detect(&dual_tone(1000.0, 0.0, -10.0, -90.0, 8000)), "");
        assert_eq!(detect(&vec![0; 8000]), "");
    }

    #[test]
    fn keys_in_noise() {
        let mut signal = keys("147*", -10.0, 60, 60);
        let noise = white_noise(-30.0, signal.len(), 3);
        mix(&mut signal, &noise);
        assert_eq!(detect(&signal), "147*");
    }

    #[test]
    fn chunking_does_not_matter() {
        let signal = keys("369#", -10.0, 50, 50);
        let mut detector = InBandDetector::new();
        let mut out = Vec::new();
        for chunk in signal.chunks(37) {
            detector.process(chunk, &mut out);
        }
        detector.process(&[0; 800], &mut out);
        assert_eq!(out.iter().map(|d| d.as_char()).collect::<String>(), "369#");
    }
}
