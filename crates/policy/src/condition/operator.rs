//! Condition operator names: the family, negation, `...IfExists` and the set prefixes.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetOp {
    None,
    ForAllValues,
    ForAnyValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) family: Family,
    pub(crate) negated: bool,
    pub(crate) if_exists: bool,
    pub(crate) set: SetOp,
}

impl Operator {
    pub(crate) fn is_date(self) -> bool {
        matches!(
            self.family,
            Family::DateEquals
                | Family::DateLessThan
                | Family::DateLessThanEquals
                | Family::DateGreaterThan
                | Family::DateGreaterThanEquals
        )
    }

    /// Reads an operator name. Operator names are case-sensitive, as in AWS.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetOp::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetOp::ForAnyValue, r)
        } else {
            (SetOp::None, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        use Family as F;
        let (family, negated) = match base {
            "StringEquals" => (F::StringEquals, false),
            "StringNotEquals" => (F::StringEquals, true),
            "StringEqualsIgnoreCase" => (F::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (F::StringEqualsIgnoreCase, true),
            "StringLike" => (F::StringLike, false),
            "StringNotLike" => (F::StringLike, true),
            "NumericEquals" => (F::NumericEquals, false),
            "NumericNotEquals" => (F::NumericEquals, true),
            "NumericLessThan" => (F::NumericLessThan, false),
            "NumericLessThanEquals" => (F::NumericLessThanEquals, false),
            "NumericGreaterThan" => (F::NumericGreaterThan, false),
            "NumericGreaterThanEquals" => (F::NumericGreaterThanEquals, false),
            "DateEquals" => (F::DateEquals, false),
            "DateNotEquals" => (F::DateEquals, true),
            "DateLessThan" => (F::DateLessThan, false),
            "DateLessThanEquals" => (F::DateLessThanEquals, false),
            "DateGreaterThan" => (F::DateGreaterThan, false),
            "DateGreaterThanEquals" => (F::DateGreaterThanEquals, false),
            "Bool" => (F::Bool, false),
            "BinaryEquals" => (F::BinaryEquals, false),
            "IpAddress" => (F::IpAddress, false),
            "NotIpAddress" => (F::IpAddress, true),
            "ArnEquals" | "ArnLike" => (F::ArnLike, false),
            "ArnNotEquals" | "ArnNotLike" => (F::ArnLike, true),
            // "...IfExists" is not allowed on Null.
            "Null" if !if_exists => (F::Null, false),
            _ => return None,
        };
        Some(Operator {
            family,
            negated,
            if_exists,
            set,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_name_parses() {
        let names = [
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
            "Bool",
            "BinaryEquals",
            "IpAddress",
            "NotIpAddress",
            "ArnEquals",
            "ArnLike",
            "ArnNotEquals",
            "ArnNotLike",
        ];
        for n in names {
            assert!(Operator::parse(n).is_some(), "{n}");
            assert!(
                Operator::parse(&format!("{n}IfExists")).is_some(),
                "{n}IfExists"
            );
            assert!(Operator::parse(&format!("ForAllValues:{n}")).is_some());
            assert!(Operator::parse(&format!("ForAnyValue:{n}IfExists")).is_some());
        }
        assert!(Operator::parse("Null").is_some());
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("StringEqualz").is_none());
    }
}
