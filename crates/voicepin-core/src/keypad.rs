//! The telephone keypad: letters on keys and straight lines of keys.
//!
//! ```text
//! 1     2 ABC  3 DEF
//! 4 GHI 5 JKL  6 MNO
//! 7 PQRS 8 TUV 9 WXYZ
//! *     0      #
//! ```

/// The key a letter is on (ITU E.161), `None` for anything but an ASCII letter.
pub fn key_for_letter(letter: char) -> Option<u8> {
    let key = match letter.to_ascii_uppercase() {
        'A'..='C' => b'2',
        'D'..='F' => b'3',
        'G'..='I' => b'4',
        'J'..='L' => b'5',
        'M'..='O' => b'6',
        'P'..='S' => b'7',
        'T'..='V' => b'8',
        'W'..='Z' => b'9',
        _ => return None,
    };
    Some(key)
}

/// A name as dialled on the keypad; characters that are not letters are skipped.
pub fn spell(name: &str) -> Vec<u8> {
    name.chars().filter_map(key_for_letter).collect()
}

/// Whether `digits` spells the first or last name, or a usual combination of them
/// (johndoe, jdoe, johnd), or contains a spelled name of four letters or more.
pub fn spells_name(digits: &[u8], first_name: &str, last_name: &str) -> bool {
    let first = spell(first_name);
    let last = spell(last_name);
    let mut combinations: Vec<Vec<u8>> = vec![first.clone(), last.clone()];
    if !first.is_empty() && !last.is_empty() {
        combinations.push([first.as_slice(), last.as_slice()].concat());
        combinations.push([&first[..1], last.as_slice()].concat());
        combinations.push([first.as_slice(), &last[..1]].concat());
    }
    if combinations.iter().any(|c| !c.is_empty() && c.as_slice() == digits) {
        return true;
    }
    [first, last]
        .iter()
        .filter(|spelled| spelled.len() >= 4 && spelled.len() <= digits.len())
        .any(|spelled| digits.windows(spelled.len()).any(|w| w == spelled.as_slice()))
}

/// Row and column of a digit key.
const fn position(digit: u8) -> (i8, i8) {
    match digit {
        0 => (3, 1),
        d => (((d - 1) / 3) as i8, ((d - 1) % 3) as i8),
    }
}

/// Whether three keys follow each other in a straight line, in any of the eight directions.
const fn is_line(a: u8, b: u8, c: u8) -> bool {
    let (ar, ac) = position(a);
    let (br, bc) = position(b);
    let (cr, cc) = position(c);
    let (dr, dc) = (br - ar, bc - ac);
    let unit_step = dr >= -1 && dr <= 1 && dc >= -1 && dc <= 1 && !(dr == 0 && dc == 0);
    unit_step && cr - br == dr && cc - bc == dc
}

/// Every three-key straight line, indexed by the three digits as a number 0-999.
static LINES: [bool; 1000] = {
    let mut table = [false; 1000];
    let mut i = 0;
    while i < 1000 {
        table[i] = is_line((i / 100) as u8, (i / 10 % 10) as u8, (i % 10) as u8);
        i += 1;
    }
    table
};

/// Whether the digits contain three keys in a straight keypad line (123, 258, 0852, 159, 753 ...).
pub fn contains_straight_line(digits: &[u8]) -> bool {
    digits.windows(3).any(|w| {
        let index = usize::from(w[0] - b'0') * 100 + usize::from(w[1] - b'0') * 10 + usize::from(w[2] - b'0');
        LINES[index]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_map_to_keys() {
        assert_eq!(spell("John"), b"5646");
        assert_eq!(spell("O'Brien-Smith"), b"627436"[..].iter().chain(b"76484").copied().collect::<Vec<_>>());
        assert_eq!(key_for_letter('q'), Some(b'7'));
        assert_eq!(key_for_letter('z'), Some(b'9'));
        assert_eq!(key_for_letter('é'), None);
    }

    #[test]
    fn there_are_eighteen_lines() {
        let lines: Vec<usize> = (0..1000).filter(|&i| LINES[i]).collect();
        assert_eq!(
            lines,
            vec![85, 123, 147, 159, 258, 321, 357, 369, 456, 580, 654, 741, 753, 789, 852, 951, 963, 987]
        );
    }
}
