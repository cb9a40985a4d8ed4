//! Wire protocols: awsQuery (form in, XML out) for IAM and STS; awsJson for KMS.

pub mod json;
pub mod query;
pub mod xml;

pub use query::Params;
pub use xml::Xml;
