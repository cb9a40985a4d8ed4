//! Input shape checks with AWS's `ValidationError` texts:
//! `1 validation error detected: Value 'x' at 'userName' failed to satisfy constraint: ...`.

use crate::error::ServiceError;

/// Collects shape violations of one request, then reports them all as AWS does.
#[derive(Default)]
pub struct Shape {
    errors: Vec<String>,
}

const NAME_PATTERN: &str = "[\\w+=,.@-]+";
const PATH_PATTERN: &str = "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

impl Shape {
    pub fn new() -> Shape {
        Shape::default()
    }

    fn violation(&mut self, value: &str, field: &str, constraint: &str) {
        self.errors.push(format!(
            "Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    pub fn length(&mut self, field: &str, value: &str, min: usize, max: usize) -> &mut Shape {
        let n = value.chars().count();
        if n < min {
            self.violation(
                value,
                field,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.violation(
                value,
                field,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
        self
    }

    /// IAM entity names: `[\w+=,.@-]+` and a length.
    pub fn name(&mut self, field: &str, value: &str, max: usize) -> &mut Shape {
        self.length(field, value, 1, max);
        if !value.is_empty() && !value.chars().all(is_name_char) {
            self.violation(
                value,
                field,
                &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
            );
        }
        self
    }

    /// IAM paths: `/` or `/.../`, 1 to 512 characters.
    pub fn path(&mut self, field: &str, value: &str) -> &mut Shape {
        self.length(field, value, 1, 512);
        let ok = value == "/"
            || (value.len() >= 2
                && value.starts_with('/')
                && value.ends_with('/')
                && value[1..value.len() - 1]
                    .chars()
                    .all(|c| ('\u{21}'..='\u{7e}').contains(&c)));
        if !value.is_empty() && !ok {
            self.violation(
                value,
                field,
                &format!("Member must satisfy regular expression pattern: {PATH_PATTERN}"),
            );
        }
        self
    }

    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) -> &mut Shape {
        if value < min {
            self.violation(
                &value.to_string(),
                field,
                &format!("Member must have value greater than or equal to {min}"),
            );
        } else if value > max {
            self.violation(
                &value.to_string(),
                field,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
        self
    }

    pub fn pattern(&mut self, field: &str, value: &str, ok: bool, pattern: &str) -> &mut Shape {
        if !ok {
            self.violation(
                value,
                field,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
        self
    }

    pub fn check(&mut self) -> Result<(), ServiceError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ServiceError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(ServiceError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

/// Parses an integer parameter; a malformed number is a validation error.
pub fn int_param(field: &str, value: Option<&str>) -> Result<Option<i64>, ServiceError> {
    match value {
        None => Ok(None),
        Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
            ServiceError::validation(format!(
                "1 validation error detected: Value '{v}' at '{field}' failed to satisfy constraint: Member must be a number"
            ))
        }),
    }
}

/// Marker/MaxItems pagination over an already ordered list. Markers are opaque to clients;
/// ours is the offset of the next item.
pub fn paginate<T: Clone>(
    items: &[T],
    marker: Option<&str>,
    max_items: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let max = int_param("maxItems", max_items)?.unwrap_or(100);
    Shape::new().range("maxItems", max, 1, 1000).check()?;
    let start = match marker {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| ServiceError::invalid_input("Invalid Marker."))?,
    };
    let start = start.min(items.len());
    let end = (start + max as usize).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items[start..end].to_vec(), next))
}

/// Writes `IsTruncated` and `Marker` after a paginated list.
pub fn write_truncation(x: &mut crate::protocol::Xml, next: &Option<String>) {
    x.elem("IsTruncated", if next.is_some() { "true" } else { "false" });
    if let Some(m) = next {
        x.elem("Marker", m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = Shape::new().name("userName", "bad name", 64).check();
        assert_eq!(
            e.err().map(|e| e.message),
            Some("1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+".to_owned())
        );
        let e = Shape::new()
            .name("roleName", &"x".repeat(65), 64)
            .path("path", "nopath")
            .check();
        assert!(e.is_err_and(|e| e.message.starts_with("2 validation errors detected: ")));
        assert!(Shape::new().path("path", "/a/b/").check().is_ok());
    }

    #[test]
    fn pages() -> Result<(), ServiceError> {
        let items: Vec<u32> = (0..5).collect();
        let (p, next) = paginate(&items, None, Some("2"))?;
        assert_eq!((p, next.clone()), (vec![0, 1], Some("2".to_owned())));
        let (p, next) = paginate(&items, next.as_deref(), Some("10"))?;
        assert_eq!((p, next), (vec![2, 3, 4], None));
        assert!(paginate(&items, None, Some("0")).is_err());
        Ok(())
    }
}
