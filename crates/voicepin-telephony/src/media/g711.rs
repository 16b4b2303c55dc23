//! G.711 PCMU (μ-law, RTP payload type 0) and PCMA (A-law, payload type 8): 8-bit codes to
//! 16-bit linear PCM and back, as ITU-T G.711 defines them (the classic Sun reference
//! arithmetic, 16-bit in and out). Decoding goes through 256-entry tables built at compile
//! time; encoding is a few shifts per sample.

/// The two G.711 laws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Law {
    /// μ-law: PCMU, static RTP payload type 0 (North America, Japan).
    MuLaw,
    /// A-law: PCMA, static RTP payload type 8 (elsewhere).
    ALaw,
}

impl Law {
    /// The static RTP payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Self::MuLaw => 0,
            Self::ALaw => 8,
        }
    }

    /// The SDP encoding name (`a=rtpmap:0 PCMU/8000`).
    pub fn encoding_name(self) -> &'static str {
        match self {
            Self::MuLaw => "PCMU",
            Self::ALaw => "PCMA",
        }
    }

    /// One code to linear PCM.
    pub fn decode(self, code: u8) -> i16 {
        match self {
            Self::MuLaw => ulaw_to_linear(code),
            Self::ALaw => alaw_to_linear(code),
        }
    }

    /// One linear sample to its code.
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Self::MuLaw => linear_to_ulaw(sample),
            Self::ALaw => linear_to_alaw(sample),
        }
    }

    /// Decodes a payload, appending to `out`.
    pub fn decode_into(self, codes: &[u8], out: &mut Vec<i16>) {
        let table = match self {
            Self::MuLaw => &ULAW_TABLE,
            Self::ALaw => &ALAW_TABLE,
        };
        out.extend(codes.iter().map(|&code| table[usize::from(code)]));
    }

    /// Encodes samples into a new payload.
    pub fn encode_all(self, samples: &[i16]) -> Vec<u8> {
        samples.iter().map(|&sample| self.encode(sample)).collect()
    }

    /// The code of silence (what a comfort pause is filled with).
    pub fn silence(self) -> u8 {
        self.encode(0)
    }
}

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

/// μ-law code to linear PCM (±32124).
pub const fn ulaw_to_linear(code: u8) -> i16 {
    let code = !code;
    let magnitude = ((((code & 0x0F) as i32) << 3) + ULAW_BIAS) << ((code & 0x70) >> 4);
    if code & 0x80 != 0 { (ULAW_BIAS - magnitude) as i16 } else { (magnitude - ULAW_BIAS) as i16 }
}

/// Linear PCM to μ-law (magnitudes above 32635 clip).
pub const fn linear_to_ulaw(sample: i16) -> u8 {
    let mut magnitude = sample as i32;
    let mask: u8 = if magnitude < 0 {
        magnitude = -magnitude;
        0x7F
    } else {
        0xFF
    };
    if magnitude > ULAW_CLIP {
        magnitude = ULAW_CLIP;
    }
    magnitude += ULAW_BIAS;
    // The segment: how far the top bit lies above bit 7 (0..=7).
    let segment = (31 - magnitude.leading_zeros()) as i32 - 7;
    let code = ((segment << 4) | ((magnitude >> (segment + 3)) & 0x0F)) as u8;
    code ^ mask
}

/// A-law code to linear PCM (±32256).
pub const fn alaw_to_linear(code: u8) -> i16 {
    let code = code ^ 0x55;
    let mut magnitude = ((code & 0x0F) as i32) << 4;
    let segment = (code & 0x70) >> 4;
    magnitude += match segment {
        0 => 8,
        _ => 0x108,
    };
    if segment > 1 {
        magnitude <<= segment - 1;
    }
    if code & 0x80 != 0 { magnitude as i16 } else { -magnitude as i16 }
}

/// Linear PCM to A-law.
pub const fn linear_to_alaw(sample: i16) -> u8 {
    let mut magnitude = (sample as i32) >> 3;
    let mask: u8 = if magnitude >= 0 {
        0xD5
    } else {
        magnitude = -magnitude - 1;
        0x55
    };
    // Segment ends at 0x1F, 0x3F, ..., 0xFFF (13-bit magnitudes).
    let segment = if magnitude <= 0x1F { 0 } else { (31 - magnitude.leading_zeros()) as i32 - 4 };
    if segment >= 8 {
        return 0x7F ^ mask;
    }
    let mantissa = if segment < 2 { (magnitude >> 1) & 0x0F } else { (magnitude >> segment) & 0x0F };
    ((segment << 4) as u8 | mantissa as u8) ^ mask
}

const fn table(law: Law) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = match law {
            Law::MuLaw => ulaw_to_linear(code as u8),
            Law::ALaw => alaw_to_linear(code as u8),
        };
        code += 1;
    }
    table
}

/// μ-law decoding table.
pub static ULAW_TABLE: [i16; 256] = table(Law::MuLaw);
/// A-law decoding table.
pub static ALAW_TABLE: [i16; 256] = table(Law::ALaw);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_ulaw_vectors() {
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0xFE), 8);
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
    }

    #[test]
    fn known_alaw_vectors() {
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
    }

    #[test]
    fn every_ulaw_code_round_trips() {
        for code in 0..=255u8 {
            let back = linear_to_ulaw(ulaw_to_linear(code));
            // 0x7F is μ-law's negative zero: it decodes to 0, which encodes as 0xFF.
            let expected = if code == 0x7F { 0xFF } else { code };
            assert_eq!(back, expected, "code {code:#04x}");
            assert_eq!(ULAW_TABLE[usize::from(code)], ulaw_to_linear(code));
        }
    }

    #[test]
    fn every_alaw_code_round_trips() {
        for code in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear(code)), code, "code {code:#04x}");
            assert_eq!(ALAW_TABLE[usize::from(code)], alaw_to_linear(code));
        }
    }

    #[test]
    fn decoding_is_monotonic_and_symmetric() {
        for law in [Law::MuLaw, Law::ALaw] {
            let mut values: Vec<i16> = (0..=255u8).map(|code| law.decode(code)).collect();
            values.sort_unstable();
            values.dedup();
            let expected = if law == Law::MuLaw { 255 } else { 256 };
            assert_eq!(values.len(), expected, "{law:?} has distinct levels");
            for value in &values {
                assert!(values.contains(&-value), "{law:?}: {value} has no mirror");
            }
        }
    }

    #[test]
    fn every_linear_sample_encodes_to_its_nearest_level_segment() {
        // Quantisation error is bounded by half a step of the segment, at most 1/32 of the
        // magnitude (plus the smallest step) for both laws.
        for law in [Law::MuLaw, Law::ALaw] {
            for sample in (i16::MIN..=i16::MAX).step_by(7) {
                let back = i32::from(law.decode(law.encode(sample)));
                let error = (back - i32::from(sample)).abs();
                let bound = i32::from(sample).abs() / 16 + 16;
                assert!(error <= bound.max(1100), "{law:?} {sample} -> {back}");
                if i32::from(sample).abs() < 30000 {
                    assert!(error <= bound, "{law:?} {sample} -> {back}");
                }
            }
        }
    }

    #[test]
    fn tables_decode_payloads() {
        let mut out = Vec::new();
        Law::MuLaw.decode_into(&[0xFF, 0x80, 0x00], &mut out);
        Law::ALaw.decode_into(&[0xD5], &mut out);
        assert_eq!(out, [0, 32124, -32124, 8]);
        assert_eq!(Law::MuLaw.encode_all(&[0, 0]), [0xFF, 0xFF]);
        assert_eq!((Law::MuLaw.payload_type(), Law::ALaw.payload_type()), (0, 8));
        assert_eq!(Law::ALaw.silence(), 0xD5);
    }
}
