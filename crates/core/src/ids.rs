//! Identifiers as AWS makes them: unique ids (AIDA..., AROA...), access key ids and secrets.

use rand::Rng;

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A 21-character unique id with its four-letter prefix (`AIDA` user, `AROA` role, `AGPA`
/// group, `ANPA` policy, `AIPA` instance profile).
pub fn unique_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(UPPER_ALNUM, 21 - prefix.len()))
}

/// A 20-character access key id: `AKIA` long-term, `ASIA` temporary.
pub fn access_key_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(UPPER_ALNUM, 20 - prefix.len()))
}

/// A 40-character secret access key.
pub fn secret_access_key() -> String {
    random_from(SECRET_CHARS, 40)
}

/// A request id in AWS's format.
pub fn request_id() -> String {
    let mut rng = rand::thread_rng();
    let b: [u8; 16] = rng.gen();
    let h = hex_lower(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A 12-digit account id not starting with 0.
pub fn account_id() -> String {
    let mut rng = rand::thread_rng();
    format!("{}", rng.gen_range(100_000_000_000u64..1_000_000_000_000u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(unique_id("AIDA").len(), 21);
        assert!(unique_id("AROA").starts_with("AROA"));
        assert_eq!(access_key_id("AKIA").len(), 20);
        assert_eq!(secret_access_key().len(), 40);
        assert_eq!(account_id().len(), 12);
        assert_eq!(request_id().len(), 36);
    }
}
