//! Number: parsing, DynamoDB's canonical printing, numeric order and equality, exact
//! arithmetic, and the 38-digit / 1E-130..1E+126 limits with AWS's messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rolegate_dynamo::Number;
use std::cmp::Ordering;

const DIGITS: &str = "Attempting to store more than 38 significant digits in a Number";
const OVERFLOW: &str =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
const UNDERFLOW: &str =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const NAN: &str = "A value provided cannot be converted into a number";

fn n(s: &str) -> Number {
    Number::parse(s).unwrap()
}

#[test]
fn parse_and_canonical_print() {
    let cases = [
        ("integer", "100", "100"),
        ("zero", "0", "0"),
        ("negative zero is zero", "-0", "0"),
        ("zero with decimals", "0.000", "0"),
        ("trailing fraction zeros removed", "1.50", "1.5"),
        ("leading zeros removed", "007", "7"),
        ("leading plus accepted", "+5", "5"),
        ("negative fraction", "-0.001", "-0.001"),
        ("exponent expanded", "1e2", "100"),
        ("upper case exponent", "1.5E3", "1500"),
        ("explicit positive exponent", "2e+1", "20"),
        ("negative exponent", "15e-3", "0.015"),
        ("point without fraction digits", "5.", "5"),
        ("point without integer digits", ".5", "0.5"),
        ("largest magnitude printed positionally", "9.9999999999999999999999999999999999999E+125", "999999999999999999999999999999999999990000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
        ("smallest magnitude", "1E-130", "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
        ("38 significant digits", "12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        ("trailing zeros are not significant", "123456789012345678901234567890123456780000", "123456789012345678901234567890123456780000"),
        ("leading zeros are not significant", "0.000012345678901234567890123456789012345678", "0.000012345678901234567890123456789012345678"),
        ("zero with an exponent inside the range", "0e125", "0"),
        ("zero at the smallest exponent", "0e-130", "0"),
    ];
    for (rule, input, want) in cases {
        assert_eq!(n(input).to_string(), want, "{rule}: {input}");
    }
}

#[test]
fn parse_errors() {
    let cases = [
        ("empty", "", NAN),
        ("letters", "abc", NAN),
        ("sign only", "-", NAN),
        ("two points", "1.2.3", NAN),
        ("exponent without digits", "1e", NAN),
        ("exponent sign without digits", "1e+", NAN),
        ("space", " 1", NAN),
        ("trailing space", "1 ", NAN),
        ("hex", "0x10", NAN),
        ("infinity", "Infinity", NAN),
        ("NaN", "NaN", NAN),
        (
            "39 significant digits",
            "123456789012345678901234567890123456789",
            DIGITS,
        ),
        (
            "39 digits after the point",
            "0.123456789012345678901234567890123456789",
            DIGITS,
        ),
        ("too large", "1E126", OVERFLOW),
        ("too large negative", "-1E126", OVERFLOW),
        ("too small", "1E-131", UNDERFLOW),
        ("exponent past a 32-bit integer", "1e99999999999", OVERFLOW),
        (
            "negative exponent past a 32-bit integer",
            "1e-99999999999",
            UNDERFLOW,
        ),
        (
            "exponent one past a 32-bit integer",
            "1e2147483648",
            OVERFLOW,
        ),
        (
            "exponent past a 64-bit integer cannot be converted",
            "1e9223372036854775808",
            NAN,
        ),
        ("zero with an exponent above the range", "0e126", OVERFLOW),
        ("zero with an exponent below the range", "0e-131", UNDERFLOW),
    ];
    for (rule, input, want) in cases {
        assert_eq!(
            Number::parse(input).unwrap_err().message,
            want,
            "{rule}: {input}"
        );
    }
}

#[test]
fn numeric_order_and_equality() {
    let cases = [
        ("equal across notation", "1", "1.0", Ordering::Equal),
        ("equal across exponent", "100", "1e2", Ordering::Equal),
        ("zero equals negative zero", "0", "-0", Ordering::Equal),
        ("integer order", "2", "10", Ordering::Less),
        ("fraction order", "0.09", "0.1", Ordering::Less),
        ("negatives reversed", "-10", "-2", Ordering::Less),
        ("negative below zero", "-0.0001", "0", Ordering::Less),
        ("positive above zero", "1E-130", "0", Ordering::Greater),
        ("longer digits larger", "1.0001", "1", Ordering::Greater),
        (
            "negative longer digits smaller",
            "-1.0001",
            "-1",
            Ordering::Less,
        ),
        ("magnitude beats digits", "9", "10", Ordering::Less),
        ("extremes", "-9.9E125", "9.9E125", Ordering::Less),
    ];
    for (rule, a, b, want) in cases {
        assert_eq!(n(a).cmp(&n(b)), want, "{rule}: {a} vs {b}");
        assert_eq!(n(b).cmp(&n(a)), want.reverse(), "{rule} (reversed)");
        assert_eq!(n(a) == n(b), want == Ordering::Equal, "{rule} (eq)");
    }
}

#[test]
fn exact_arithmetic() {
    // (rule, a, b, a + b, a - b)
    let cases = [
        ("integers", "1", "2", "3", "-1"),
        ("decimal exactness", "0.1", "0.2", "0.3", "-0.1"),
        ("carry", "99", "1", "100", "98"),
        ("negative operand", "5", "-7", "-2", "12"),
        ("both negative", "-5", "-7", "-12", "2"),
        ("to zero", "1.5", "-1.5", "0", "3"),
        ("zero operand", "0", "4.25", "4.25", "-4.25"),
        (
            "different scales",
            "1000000",
            "0.000001",
            "1000000.000001",
            "999999.999999",
        ),
        ("borrow chain", "1000", "0.001", "1000.001", "999.999"),
        (
            "38 digits exactly",
            "99999999999999999999999999999999999998",
            "1",
            "99999999999999999999999999999999999999",
            "99999999999999999999999999999999999997",
        ),
    ];
    for (rule, a, b, sum, diff) in cases {
        assert_eq!(
            n(a).checked_add(&n(b)).unwrap().to_string(),
            sum,
            "{rule}: {a} + {b}"
        );
        assert_eq!(
            n(a).checked_sub(&n(b)).unwrap().to_string(),
            diff,
            "{rule}: {a} - {b}"
        );
    }
}

#[test]
fn arithmetic_limits() {
    let cases = [
        (
            "sum needs 39 digits",
            "99999999999999999999999999999999999999",
            "1E-10",
            DIGITS,
        ),
        (
            "sum overflows",
            "9.9999999999999999999999999999999999999E+125",
            "1E+125",
            OVERFLOW,
        ),
        ("tiny plus large loses digits", "1E+100", "1E-100", DIGITS),
    ];
    for (rule, a, b, want) in cases {
        assert_eq!(n(a).checked_add(&n(b)).unwrap_err().message, want, "{rule}");
    }
    assert_eq!(
        n("-9.9999999999999999999999999999999999999E+125")
            .checked_sub(&n("1E+125"))
            .unwrap_err()
            .message,
        OVERFLOW,
        "negative overflow"
    );
}

#[test]
fn from_i64() {
    for (rule, i, want) in [
        ("zero", 0i64, "0"),
        ("negative", -42, "-42"),
        ("min", i64::MIN, "-9223372036854775808"),
        ("trailing zeros", 1000, "1000"),
    ] {
        assert_eq!(Number::from(i).to_string(), want, "{rule}");
        assert_eq!(Number::from(i), n(want), "{rule} (eq)");
    }
}
