//! Key ordering: key_cmp's sort-key order and key_bytes's order-preserving, prefix-free
//! encoding (memcmp order of encodings == key_cmp order).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rolegate_dynamo::{key_bytes, key_cmp, Number, Value};
use std::cmp::Ordering;

fn n(s: &str) -> Value {
    Value::N(Number::parse(s).unwrap())
}

#[test]
fn sort_key_order() {
    let cases = [
        (
            "strings by UTF-8 bytes, upper case first",
            Value::S("B".into()),
            Value::S("a".into()),
            Ordering::Less,
        ),
        (
            "string prefix first",
            Value::S("a".into()),
            Value::S("ab".into()),
            Ordering::Less,
        ),
        (
            "non-ASCII after ASCII",
            Value::S("z".into()),
            Value::S("é".into()),
            Ordering::Less,
        ),
        (
            "numbers numerically, not textually",
            n("9"),
            n("10"),
            Ordering::Less,
        ),
        ("negative numbers", n("-10"), n("-9"), Ordering::Less),
        ("equal numbers", n("1.0"), n("1"), Ordering::Equal),
        (
            "binary unsigned bytes",
            Value::B(vec![0x7f]),
            Value::B(vec![0x80]),
            Ordering::Less,
        ),
        (
            "binary prefix first",
            Value::B(vec![1]),
            Value::B(vec![1, 0]),
            Ordering::Less,
        ),
    ];
    for (rule, a, b, want) in cases {
        assert_eq!(key_cmp(&a, &b), want, "{rule}");
        assert_eq!(key_bytes(&a).cmp(&key_bytes(&b)), want, "{rule} (bytes)");
    }
}

#[test]
fn key_bytes_are_prefix_free() {
    // Concatenated partition+sort encodings must still order by partition first.
    let a = [
        key_bytes(&Value::S("a".into())),
        key_bytes(&Value::S("z".into())),
    ]
    .concat();
    let b = [
        key_bytes(&Value::S("a\0".into())),
        key_bytes(&Value::S("a".into())),
    ]
    .concat();
    assert_eq!(
        a.cmp(&b),
        Ordering::Less,
        "\"a\" sorts before \"a\\0\" whatever follows"
    );
    let c = [
        key_bytes(&Value::B(vec![1])),
        key_bytes(&Value::B(vec![0xff])),
    ]
    .concat();
    let d = [
        key_bytes(&Value::B(vec![1, 0])),
        key_bytes(&Value::B(vec![0])),
    ]
    .concat();
    assert_eq!(c.cmp(&d), Ordering::Less);
}

fn number() -> impl Strategy<Value = Number> {
    (
        any::<bool>(),
        proptest::collection::vec(0u8..10, 1..38),
        -130i32..90,
    )
        .prop_filter_map("in range", |(neg, digits, exp)| {
            let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            Number::parse(&format!("{}{}e{}", if neg { "-" } else { "" }, text, exp)).ok()
        })
}

proptest! {
    #[test]
    fn number_key_bytes_follow_numeric_order(a in number(), b in number()) {
        let (va, vb) = (Value::N(a.clone()), Value::N(b.clone()));
        prop_assert_eq!(key_bytes(&va).cmp(&key_bytes(&vb)), a.cmp(&b));
        prop_assert_eq!(key_cmp(&va, &vb), a.cmp(&b));
    }

    #[test]
    fn string_key_bytes_follow_byte_order(a in ".{0,8}", b in ".{0,8}") {
        let (va, vb) = (Value::S(a.clone()), Value::S(b.clone()));
        prop_assert_eq!(key_bytes(&va).cmp(&key_bytes(&vb)), a.as_bytes().cmp(b.as_bytes()));
    }

    #[test]
    fn binary_key_bytes_follow_byte_order(a in proptest::collection::vec(any::<u8>(), 0..6), b in proptest::collection::vec(any::<u8>(), 0..6)) {
        let (va, vb) = (Value::B(a.clone()), Value::B(b.clone()));
        prop_assert_eq!(key_bytes(&va).cmp(&key_bytes(&vb)), a.cmp(&b));
    }

    #[test]
    fn number_arithmetic_matches_order(a in number(), b in number()) {
        // a + b - b == a whenever every step is representable.
        if let Ok(sum) = a.checked_add(&b) {
            if let Ok(back) = sum.checked_sub(&b) {
                prop_assert_eq!(back, a);
            }
        }
    }
}
