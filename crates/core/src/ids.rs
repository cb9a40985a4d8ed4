//! Identifiers as AWS makes them: unique ids (AIDA..., AROA...), access key ids and secrets.

use rand::{Rng, RngCore};

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::thread_rng();
    if alphabet.len().is_power_of_two() && alphabet.len() <= 256 {
        // Both alphabets here are 32 or 64 characters: masking a random byte picks uniformly,
        // one byte per character instead of a `gen_range` each.
        let mask = alphabet.len() - 1;
        let mut bytes = vec![0u8; len];
        rng.fill_bytes(&mut bytes);
        return bytes
            .into_iter()
            .map(|b| char::from(alphabet[usize::from(b) & mask]))
            .collect();
    }
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A 21-character unique id with its four-letter prefix (`AIDA` user, `AROA` role, `AGPA`
/// group, `ANPA` policy, `AIPA` instance profile).
pub fn unique_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(UPPER_ALNUM, 21 - prefix.len()))
}

/// A 20-character access key id (`AKIA` long-term, `ASIA` temporary) that carries its
/// account, as AWS's do: base32 of 40 bits of account id then 40 random bits.
pub fn access_key_id(prefix: &str, account: &str) -> String {
    let acct: u64 = account.parse().unwrap_or(0) & 0xff_ffff_ffff;
    let random: u64 = rand::thread_rng().gen::<u64>() & 0xff_ffff_ffff;
    let bits: u128 = ((acct as u128) << 40) | random as u128;
    let mut out = String::from(prefix);
    for i in (0..16).rev() {
        out.push(UPPER_ALNUM[((bits >> (i * 5)) & 31) as usize] as char);
    }
    out
}

/// The account an access key id was issued for (GetAccessKeyInfo).
pub fn account_of_key(key_id: &str) -> Option<String> {
    let body = key_id.get(4..)?;
    if body.len() != 16 {
        return None;
    }
    let mut bits: u128 = 0;
    for c in body.bytes() {
        let v = UPPER_ALNUM.iter().position(|&x| x == c)? as u128;
        bits = (bits << 5) | v;
    }
    Some(format!("{:012}", (bits >> 40) as u64))
}

/// A 40-character secret access key.
pub fn secret_access_key() -> String {
    random_from(SECRET_CHARS, 40)
}

/// A request id in AWS's format (8-4-4-4-12 lowercase hex), written in place: one is made
/// for every request.
pub fn request_id() -> String {
    let b: [u8; 16] = rand::thread_rng().gen();
    uuid_text(&b)
}

/// 16 bytes as a lowercase 8-4-4-4-12 UUID, written by hand rather than through `format!`:
/// every request id and every KMS key id is one.
pub fn uuid_text(b: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(x >> 4)]));
        out.push(char::from(HEX[usize::from(x & 15)]));
    }
    out
}

/// A 12-digit account id not starting with 0.
pub fn account_id() -> String {
    let mut rng = rand::thread_rng();
    format!(
        "{}",
        rng.gen_range(100_000_000_000u64..1_000_000_000_000u64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(unique_id("AIDA").len(), 21);
        assert!(unique_id("AROA").starts_with("AROA"));
        let k = access_key_id("AKIA", "111122223333");
        assert_eq!(k.len(), 20);
        assert_eq!(account_of_key(&k), Some("111122223333".to_owned()));
        assert_eq!(
            account_of_key(&access_key_id("ASIA", "000000000000")),
            Some("000000000000".to_owned())
        );
        assert_eq!(secret_access_key().len(), 40);
        assert_eq!(account_id().len(), 12);
        assert_eq!(request_id().len(), 36);
    }

    #[test]
    fn request_ids_are_lowercase_uuids() {
        let id = request_id();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(id
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(id, request_id());
        let secret = secret_access_key();
        assert!(
            secret.bytes().all(|b| SECRET_CHARS.contains(&b)),
            "{secret}"
        );
        assert_ne!(secret, secret_access_key());
    }
}
