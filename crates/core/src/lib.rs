//! The rolegate domain: accounts and their IAM entities, temporary sessions, the in-memory
//! catalog (an immutable snapshot swapped on every durable write) and the one authorizer every
//! request passes through.

pub mod authorizer;
pub mod caller;
pub mod catalog;
pub mod clock;
pub mod crypto;
pub mod decisions;
mod dirsync;
pub mod doc;
pub mod dynamodb;
pub mod dynamodb_items;
pub mod ec2;
mod group_commit;
pub mod ids;
pub mod kms;
mod load;
pub mod managed;
pub mod model;
pub mod objects;
mod rows;
pub mod s3;
pub mod session;
pub mod shared;
mod slot;
mod trust_refs;

pub use authorizer::{Authorization, Authorizer, ResourceGuard};
pub use caller::{Caller, CallerKind};
pub use catalog::{Catalog, CatalogError, Snapshot};
pub use doc::PolicyDoc;
pub use model::*;
pub use session::Session;
