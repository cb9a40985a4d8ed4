//! Wire protocols: awsQuery (form in, XML out) for IAM and STS; ec2Query for EC2; awsJson for
//! KMS.

pub mod ec2;
pub mod json;
pub mod query;
pub mod xml;

pub use query::Params;
pub use xml::Xml;
