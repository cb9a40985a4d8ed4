//! DynamoDB's Number: an exact decimal of at most 38 significant digits whose magnitude lies in
//! 1E-130..<1E+126 (or zero). Kept normalized (no leading or trailing zero digits), so the derived
//! equality is numeric equality (1 == 1.0 == 10E-1) and printing gives DynamoDB's canonical form.

use std::cmp::Ordering;
use std::fmt;

use crate::Error;

/// Most significant digits DynamoDB stores in a Number.
const MAX_DIGITS: usize = 38;
/// Largest and smallest decimal exponent of the leading digit (scientific notation).
const MAX_ADJUSTED: i64 = 125;
const MIN_ADJUSTED: i64 = -130;

pub(crate) const TOO_MANY_DIGITS: &str =
    "Attempting to store more than 38 significant digits in a Number";
pub(crate) const OVERFLOW: &str =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
pub(crate) const UNDERFLOW: &str =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
pub(crate) const NOT_A_NUMBER: &str = "A value provided cannot be converted into a number";

/// value = (-1)^negative × digits (as an integer, most significant first) × 10^exponent.
/// Zero is `digits` empty, `exponent` 0, `negative` false.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Number {
    /// Parses DynamoDB's wire text of a number: optional sign, digits with an optional decimal
    /// point, optional exponent; leading and trailing zeros are not significant.
    pub fn parse(s: &str) -> Result<Number, Error> {
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = bytes.first() {
            if c == b'+' || c == b'-' {
                negative = c == b'-';
                i = 1;
            }
        }
        let mut digits = Vec::new();
        let mut frac_len: i64 = 0;
        let mut seen_digit = false;
        let mut seen_point = false;
        while i < bytes.len() {
            let c = bytes[i];
            if c.is_ascii_digit() {
                seen_digit = true;
                digits.push(c - b'0');
                if seen_point {
                    frac_len += 1;
                }
            } else if c == b'.' && !seen_point {
                seen_point = true;
            } else {
                break;
            }
            i += 1;
        }
        if !seen_digit {
            return Err(Error::new(NOT_A_NUMBER));
        }
        let mut exp: i64 = 0;
        if i < bytes.len() {
            if bytes[i] != b'e' && bytes[i] != b'E' {
                return Err(Error::new(NOT_A_NUMBER));
            }
            i += 1;
            let mut exp_negative = false;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                exp_negative = bytes[i] == b'-';
                i += 1;
            }
            if i >= bytes.len() {
                return Err(Error::new(NOT_A_NUMBER));
            }
            while i < bytes.len() {
                let c = bytes[i];
                if !c.is_ascii_digit() {
                    return Err(Error::new(NOT_A_NUMBER));
                }
                // An exponent past a 64-bit integer cannot be converted at all (AWS reads it
                // in full; anything smaller is range-checked below).
                exp = exp
                    .checked_mul(10)
                    .and_then(|e| e.checked_add(i64::from(c - b'0')))
                    .ok_or_else(|| Error::new(NOT_A_NUMBER))?;
                i += 1;
            }
            if exp_negative {
                exp = -exp;
            }
        }
        let exponent = exp
            .checked_sub(frac_len)
            .ok_or_else(|| Error::new(NOT_A_NUMBER))?;
        Number::from_parts(negative, digits, exponent)
    }

    /// Normalizes and range-checks a raw decimal.
    fn from_parts(negative: bool, mut digits: Vec<u8>, mut exponent: i64) -> Result<Number, Error> {
        let lead = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..lead);
        while digits.last() == Some(&0) {
            digits.pop();
            exponent = exponent.saturating_add(1);
        }
        if digits.is_empty() {
            // Zero is range-checked by the exponent it is written with, as AWS does: 0e125 is
            // 0, 0e126 overflows.
            if exponent > MAX_ADJUSTED {
                return Err(Error::new(OVERFLOW));
            }
            if exponent < MIN_ADJUSTED {
                return Err(Error::new(UNDERFLOW));
            }
            return Ok(Number::zero());
        }
        let adjusted = (digits.len() as i64).saturating_add(exponent) - 1;
        if adjusted > MAX_ADJUSTED {
            return Err(Error::new(OVERFLOW));
        }
        if adjusted < MIN_ADJUSTED {
            return Err(Error::new(UNDERFLOW));
        }
        if digits.len() > MAX_DIGITS {
            return Err(Error::new(TOO_MANY_DIGITS));
        }
        Ok(Number {
            negative,
            digits,
            exponent,
        })
    }

    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Count of significant digits (0 for zero); DynamoDB sizes a number by it.
    pub fn significant_digits(&self) -> usize {
        self.digits.len()
    }

    /// Exponent of the leading digit in scientific notation (meaningless for zero).
    pub(crate) fn adjusted_exponent(&self) -> i64 {
        self.digits.len() as i64 + self.exponent - 1
    }

    pub(crate) fn digits(&self) -> &[u8] {
        &self.digits
    }

    /// Bytes DynamoDB counts for this number in an item's size, as measured against AWS:
    /// 1, plus one per two significant digits on each side of the decimal point (each side
    /// rounded up), plus 1 when negative. Zero is 1 byte.
    pub fn stored_size(&self) -> usize {
        if self.is_zero() {
            return 1;
        }
        let n = self.digits.len() as i64;
        // Digits before the decimal point, among the significant ones.
        let point = n + self.exponent;
        let (int_digits, frac_digits) = if self.exponent >= 0 {
            (n, 0)
        } else if point <= 0 {
            (0, n)
        } else {
            (point, n - point)
        };
        let half = |d: i64| usize::try_from((d + 1) / 2).unwrap_or(0);
        1 + half(int_digits) + half(frac_digits) + usize::from(self.negative)
    }

    pub fn checked_add(&self, other: &Number) -> Result<Number, Error> {
        self.add_signed(other, other.negative)
    }

    pub fn checked_sub(&self, other: &Number) -> Result<Number, Error> {
        // Subtracting is adding the opposite; zero has no sign to flip.
        self.add_signed(other, !other.negative && !other.is_zero())
    }

    /// self + (other's magnitude with sign `other_negative`), exact, then range-checked.
    fn add_signed(&self, other: &Number, other_negative: bool) -> Result<Number, Error> {
        if other.is_zero() {
            return Ok(self.clone());
        }
        if self.is_zero() {
            let mut n = other.clone();
            n.negative = other_negative;
            return Ok(n);
        }
        let exponent = self.exponent.min(other.exponent);
        let a = self.scaled_le(exponent);
        let b = other.scaled_le(exponent);
        if self.negative == other_negative {
            return Number::from_parts(self.negative, to_be(add_le(&a, &b)), exponent);
        }
        match cmp_le(&a, &b) {
            Ordering::Equal => Ok(Number::zero()),
            Ordering::Greater => Number::from_parts(self.negative, to_be(sub_le(&a, &b)), exponent),
            Ordering::Less => Number::from_parts(other_negative, to_be(sub_le(&b, &a)), exponent),
        }
    }

    /// The magnitude's digits, least significant first, as an integer scaled to 10^exponent
    /// (exponent <= self.exponent).
    fn scaled_le(&self, exponent: i64) -> Vec<u8> {
        let shift = usize::try_from(self.exponent - exponent).unwrap_or(0);
        let mut v = vec![0u8; shift];
        v.extend(self.digits.iter().rev());
        v
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        self.adjusted_exponent()
            .cmp(&other.adjusted_exponent())
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

fn add_le(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0u8;
    for i in 0..a.len().max(b.len()) {
        let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        out.push(s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(carry);
    }
    out
}

/// a - b for a >= b.
fn sub_le(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i8;
    for (i, &ad) in a.iter().enumerate() {
        let mut d = ad as i8 - b.get(i).copied().unwrap_or(0) as i8 - borrow;
        borrow = 0;
        if d < 0 {
            d += 10;
            borrow = 1;
        }
        out.push(d as u8);
    }
    out
}

fn cmp_le(a: &[u8], b: &[u8]) -> Ordering {
    let trim = |v: &[u8]| v.len() - v.iter().rev().take_while(|&&d| d == 0).count();
    let (la, lb) = (trim(a), trim(b));
    la.cmp(&lb)
        .then_with(|| a[..la].iter().rev().cmp(b[..lb].iter().rev()))
}

fn to_be(mut v: Vec<u8>) -> Vec<u8> {
    v.reverse();
    v
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => match sign(self) {
                0 => Ordering::Equal,
                1 => self.cmp_magnitude(other),
                _ => other.cmp_magnitude(self),
            },
            o => o,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Number {
        let digits = n
            .unsigned_abs()
            .to_string()
            .bytes()
            .map(|c| c - b'0')
            .collect();
        // An i64 has at most 19 digits, always within DynamoDB's range.
        Number::from_parts(n < 0, digits, 0).unwrap_or_else(|_| Number::zero())
    }
}

/// DynamoDB's canonical text: plain positional notation, no exponent, no trailing zeros.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut s = String::with_capacity(self.digits.len() + 8);
        if self.negative {
            s.push('-');
        }
        let digit = |d: &u8| char::from(b'0' + d);
        if self.exponent >= 0 {
            s.extend(self.digits.iter().map(digit));
            s.extend(std::iter::repeat_n('0', self.exponent as usize));
        } else {
            let point = self.digits.len() as i64 + self.exponent;
            if point > 0 {
                let (int, frac) = self.digits.split_at(point as usize);
                s.extend(int.iter().map(digit));
                s.push('.');
                s.extend(frac.iter().map(digit));
            } else {
                s.push_str("0.");
                s.extend(std::iter::repeat_n('0', (-point) as usize));
                s.extend(self.digits.iter().map(digit));
            }
        }
        f.write_str(&s)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}
